"""Read filled score sheets back, all or nothing.

Every row of every sheet is checked before any score is kept: an unknown anonymous id or
question, a criterion the question's rubric does not have, points over a criterion's or the
question's maximum, points that disagree with the criteria, the same answer scored twice. Any
problem stops the whole read with the file and line of each one, and the stored scores stay as
they were. A row left blank is simply not scored yet.
"""

import csv
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from pathlib import Path

from .manual_store import Ledger, StoredScore
from .review_packet import FIXED, TAIL
from .rubrics import Rubric
from .written_answers import ANSWERED

MET, NOT_MET = {"y", "yes", "x", "true", "met", "✓"}, {"n", "no", "false", "not met", "-"}
_DIGEST = re.compile(r"[0-9a-f]{16}")
MAX_SHOWN = 20


class SheetError(Exception):
    """Score sheets that cannot be read back; every problem is listed with its file and line."""


def _number(text: str) -> Fraction | None:
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None
    return value


def _criterion_points(text: str, top: Fraction) -> Fraction | str:
    """The points a criterion cell gives, or why it cannot be read."""
    word = text.strip().lower()
    if word in MET:
        return top
    if word in NOT_MET:
        return Fraction(0)
    value = _number(word)
    if value is None:
        return f"{text.strip()!r} is neither y, n nor a number"
    if not 0 <= value <= top:
        return f"{text.strip()} points is over the criterion's {float(top):g}" if value > top else "points below 0"
    return value


def _row_score(row: Mapping[str, str], rubric: Rubric, where: str,
               problems: list[str]) -> tuple[Fraction, dict[str, str]] | None:
    given: dict[str, str] = {}
    total = Fraction(0)
    known = {c.id for c in rubric.criteria}
    for column, cell in row.items():
        if column in FIXED or column in TAIL or not (cell or "").strip():
            continue
        if column not in known:
            problems.append(f"{where}: criterion {column!r} does not exist in the rubric of {rubric.item.name} "
                            f"(its criteria: {', '.join(sorted(known))})")
            continue
        top = next(c.points for c in rubric.criteria if c.id == column)
        value = _criterion_points(cell, top)
        if isinstance(value, str):
            problems.append(f"{where}: column {column!r}: {value}")
            continue
        given[column], total = str(value), total + value
    points_cell = (row.get("points") or "").strip()
    if not given and not points_cell:
        if (row.get("comment") or "").strip():
            problems.append(f"{where}: a comment but no points; fill the criteria or points")
        return None
    points = _number(points_cell) if points_cell else total
    if points is None:
        problems.append(f"{where}: points {points_cell!r} is not a number")
        return None
    if given and points_cell and points != total:
        problems.append(f"{where}: points {points_cell} disagree with the criteria met ({float(total):g}); give one")
        return None
    if not 0 <= points <= rubric.points:
        problems.append(f"{where}: {float(points):g} points is outside 0 to {float(rubric.points):g}, "
                        f"the maximum of {rubric.item.name}")
        return None
    for criterion in rubric.criteria:
        if given:
            given.setdefault(criterion.id, "0")
    return points, given


def _header_problems(path: Path, header: list[str] | None, rubrics: Mapping[str, Rubric]) -> list[str]:
    if not header:
        return [f"{path}, line 1: no header; use the sheet the review packet came with"]
    problems = [f"{path}, line 1: column {column!r} appears twice"
                for column in sorted(set(header)) if header.count(column) > 1]
    missing = [c for c in FIXED + ["points", "comment"] if c not in header]
    if missing:
        problems.append(f"{path}, line 1: missing column(s) {', '.join(missing)}")
    criteria = {c.id for rubric in rubrics.values() for c in rubric.criteria}
    problems += [f"{path}, line 1: column {column!r} is no criterion of any question's rubric"
                 for column in header if column not in FIXED + TAIL and column not in criteria]
    return problems


def read_sheets(paths: Iterable[Path], ledger: Ledger,
                rubrics: Mapping[str, Rubric]) -> dict[tuple[str, str], StoredScore]:
    """{(student, question): score} from every sheet; ``SheetError`` listing every problem."""
    ids = ledger.ids()
    found: dict[tuple[str, str], StoredScore] = {}
    problems: list[str] = []
    for path in paths:
        try:
            handle = open(path, newline="", encoding="utf-8-sig")
        except OSError as error:
            problems.append(f"{path}: cannot be read ({error.strerror or error})")
            continue
        with handle:
            try:
                reader = csv.DictReader(handle)
                header_problems = _header_problems(path, list(reader.fieldnames or []), rubrics)
                problems += header_problems
                if header_problems:
                    continue
                for row in reader:
                    _read_row(path, reader.line_num, row, ids, ledger, rubrics, found, problems)
            except (csv.Error, UnicodeDecodeError) as error:
                problems.append(f"{path}: not a readable CSV file ({error})")
    if problems:
        more = len(problems) - MAX_SHOWN
        shown = problems[:MAX_SHOWN] + ([f"… and {more} more"] if more > 0 else [])
        raise SheetError("no score was kept; fix these and read the sheets again:\n  " + "\n  ".join(shown))
    return found


def _read_row(path: Path, line: int, row: dict[str, str], ids: Mapping[str, str], ledger: Ledger,
              rubrics: Mapping[str, Rubric], found: dict[tuple[str, str], StoredScore], problems: list[str]) -> None:
    where = f"{path}, line {line}"
    if None in row:
        problems.append(f"{where}: more cells than the header has columns")
        return
    row = {key: value or "" for key, value in row.items()}
    if not any(value.strip() for value in row.values()):
        return
    anonymous, question, digest = row["anonymous_id"].strip(), row["question"].strip(), row["answer"].strip()
    rubric = rubrics.get(question)
    if rubric is None:
        problems.append(f"{where}: unknown question {question!r}")
        return
    student = ids.get(anonymous)
    if student is None:
        problems.append(f"{where}: unknown anonymous id {anonymous!r} (not in this class's packets)")
        return
    answer = ledger.students[student].get("answers", {}).get(question, {})
    if answer.get("status") != ANSWERED:
        problems.append(f"{where}: {anonymous} gave no answer to {question}: it scores 0 without a reader; "
                        "remove the row")
        return
    if not _DIGEST.fullmatch(digest):
        problems.append(f"{where}: the answer column must hold the answer's hash from the packet; got {digest!r}")
        return
    scored = _row_score(row, rubric, where, problems)
    if scored is None:
        return
    key = (student, question)
    if key in found:
        problems.append(f"{where}: {anonymous} on {question} is scored twice (first at {found[key].source})")
        return
    found[key] = StoredScore(str(scored[0]), scored[1], row.get("comment", "").strip(), digest,
                             f"{path.name}, line {line}")
