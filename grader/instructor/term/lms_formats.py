"""The grade-import files of Canvas, Moodle and Blackboard, and a long format, as their documentation
describes them: the header rules are written down here, once, with where each comes from, and
``tests/test_lms_export.py`` holds every export to them.

Every text cell goes through ``guarded``: a spreadsheet runs a cell starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return as a formula, so such a cell gets a leading apostrophe
(OWASP's advice on CSV injection). Points are written as numbers and need no guard.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Canvas, "How do I import grades in the Gradebook?" and "How do I export grades in the Gradebook?"
# (Instructor Guide): the file is the gradebook export, edited. Its first columns identify the
# student (Student, ID, SIS User ID, SIS Login ID, Section; a row is matched by ID, else SIS User
# ID / SIS Login ID); each assignment is a column "Name (assignment id)", and a column without an
# id creates a new assignment. Its second row, "Points Possible", gives each assignment's points.
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"   # as Canvas's export writes it, indented by four spaces

# Moodle, "Import grades" (Grades > Import > CSV file): a header row, a column that identifies the
# user, mapped at import to one of the user fields below, and one column per grade item, mapped to
# an existing item or a new one; grades are plain numbers.
MOODLE_IDENTIFIERS = {"email": "Email address", "username": "Username", "idnumber": "ID number"}

# Blackboard Learn (Original), Grade Center, "Work Offline > Upload": the student is found by
# Username (Last Name and First Name are shown, not matched); an existing column is matched by
# the Column ID after a pipe at the end of its header ("HW2 |12345"); a header without one
# creates a new text column with 0 points possible. In a comma-delimited file every value sits
# within quotation marks.
BLACKBOARD_IDENTITY = ("Last Name", "First Name", "Username")
BLACKBOARD_COLUMN = "{name} |{column_id}"

# The generic long format: one row per student and item.
LONG_COLUMNS = ("student", "item", "kind", "points", "max_points")
KINDS = ("auto", "written", "override", "penalty")

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guarded(text: object) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula."""
    value = str(text)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


@dataclass(frozen=True)
class ExportRow:
    """One student's line in an LMS file: who they are there, and the score (None: no score)."""

    identity: Sequence[str]
    score: str | None


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]], quote_all: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([guarded(cell) for cell in header])
    for row in rows:
        writer.writerow(row)
    return buffer.getvalue()


def canvas(column: str, points_possible: str, rows: Iterable[ExportRow], points_label: str = CANVAS_POINTS_ROW) -> str:
    """Canvas's import file: its identity columns, one assignment column, the Points Possible row."""
    body: list[Sequence[object]] = [[points_label, "", "", "", "", points_possible]]
    body += [[*(guarded(cell) for cell in row.identity), "" if row.score is None else row.score] for row in rows]
    return _csv([*CANVAS_IDENTITY, column], body)


def moodle(identifier: str, column: str, rows: Iterable[ExportRow]) -> str:
    """Moodle's CSV import: the user's identifier (``identifier`` a key of MOODLE_IDENTIFIERS), one grade column."""
    body = [[guarded(row.identity[0]), row.score] for row in rows if row.score is not None]
    return _csv([MOODLE_IDENTIFIERS[identifier], column], body)


def blackboard(column: str, column_id: str, rows: Iterable[ExportRow]) -> str:
    """Blackboard's Grade Center upload: Last Name, First Name, Username, then the column (with its id)."""
    header = BLACKBOARD_COLUMN.format(name=column, column_id=column_id) if column_id else column
    body = [[*(guarded(cell) for cell in row.identity), row.score] for row in rows if row.score is not None]
    return _csv([*BLACKBOARD_IDENTITY, header], body, quote_all=True)


def long_format(rows: Iterable[Sequence[object]]) -> str:
    """student, item, kind, points, max_points: one row per student and item."""
    return _csv(LONG_COLUMNS, ([guarded(student), guarded(item), kind, points, full]
                               for student, item, kind, points, full in rows))
