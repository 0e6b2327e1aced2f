"""Reading the gradebook export Canvas gives the instructor, to join our scores onto its students.

Canvas matches an imported row by its ``ID`` (else ``SIS User ID`` or ``SIS Login ID``), so the
import file is best made from Canvas's own export: its identity columns are copied as they are,
and the assignment's column keeps Canvas's "Name (id)" header when the export has that column.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from .csv_input import open_table
from .lms_formats import CANVAS_IDENTITY

TEST_STUDENT = "Student, Test"   # the student view's account, in every export; never a real student
JOIN_KEYS = ("ID", "SIS User ID", "SIS Login ID")


class CanvasExportError(Exception):
    """The Canvas export is not usable; the message names the file and line."""


@dataclass
class CanvasExport:
    path: Path
    header: list[str]
    students: list[dict[str, str]]                     # the rows of real students, in the export's order
    lines: list[int]                                   # each student row's line in the file
    points_label: str = "    Points Possible"
    by_key: dict[str, int] = field(default_factory=dict)   # ID / SIS ids (lower case) -> index in students

    def column_for(self, assignment: str) -> str:
        """The export's header for ``assignment`` ("HW2" finds "HW2 (12345)"), else ``assignment``
        itself (Canvas then creates the assignment)."""
        if assignment in self.header:
            return assignment
        pattern = re.compile(rf"^{re.escape(assignment)} \(\d+\)$")
        found = [name for name in self.header if pattern.match(name)]
        if len(found) > 1:
            raise CanvasExportError(f"{self.path}, line 1: {assignment!r} names {len(found)} assignments "
                                    f"({', '.join(found)}); give the one with its id")
        return found[0] if found else assignment

    def find(self, identifier: str) -> int | None:
        return self.by_key.get(identifier.strip().lower())


def read_canvas_export(path: str | Path) -> CanvasExport:
    path = Path(path)
    reader, header = open_table(path, "a Canvas gradebook export", CANVAS_IDENTITY, CanvasExportError,
                                strip_header=False)
    export = CanvasExport(path, header, [], [])
    for row in reader:
        student = (row.get("Student") or "").strip()
        if student == "Points Possible":
            export.points_label = row["Student"]
            continue
        if not student or student == TEST_STUDENT:
            continue   # Canvas's own extra rows (posting policy, mute flags) and its test student
        where = f"{path}, line {reader.line_num}"
        for key in JOIN_KEYS:
            value = (row.get(key) or "").strip().lower()
            if not value:
                continue
            if value in export.by_key and export.by_key[value] != len(export.students):
                other = export.lines[export.by_key[value]]
                raise CanvasExportError(f"{where}: {key} {value!r} is also on line {other}")
            export.by_key[value] = len(export.students)
        export.students.append({name: row.get(name) or "" for name in CANVAS_IDENTITY})
        export.lines.append(reader.line_num)
    return export
