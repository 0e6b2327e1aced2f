"""``export CLASS_OUT --to canvas|moodle|blackboard|long``: the gradebook as an LMS imports it.

The scores are the gradebook's (overrides, manual scores and late penalties included: the final
score where a course file gave one). Nobody is dropped quietly: a graded student the roster (or
the Canvas export) does not know, a roster student with no submission, a student with no score,
each is listed on stderr; then nothing is written and the exit status is 1, unless
``--allow-missing`` says to write the file anyway (the missing get no score in it).
"""

import argparse
import csv
import sys
from dataclasses import dataclass
from pathlib import Path

from ...items import WRITTEN
from . import lms_formats
from .canvas_gradebook import CanvasExportError, read_canvas_export
from .classroom_roster import RosterEntry, RosterError, match, read_roster
from .course_grade import grade_of, max_of
from .score_diff import ITEM_COLUMN

TARGETS = ("canvas", "moodle", "blackboard", "long")


class ExportError(Exception):
    """An input of the export is not usable; the message names the file (and line)."""


@dataclass
class Graded:
    student: str
    score: str | None          # None: no score (not graded)
    row: dict[str, str]
    entry: RosterEntry | None = None


def _gradebook(class_out: Path) -> tuple[Path, list[dict[str, str]]]:
    path = class_out / "gradebook.csv" if class_out.is_dir() else class_out
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        raise ExportError(f"{path} does not exist: run grade-class (or gradebook) first") from None
    if rows and "student" not in rows[0]:
        raise ExportError(f"{path}, line 1: not a gradebook (no student column)")
    return path, rows


def _max_score(rows: list[dict[str, str]]) -> str:
    """The class's maximum, not the first student's: an item only some were scored on (a training
    run a TA checked and entered as an override) counts for everyone."""
    found = [float(max_of(row)) for row in rows if max_of(row)]
    return f"{max(found):g}" if found else ""


def _joined(rows: list[dict[str, str]], roster_path: str | None, problems: list[str]) -> list[Graded]:
    graded = [Graded(row["student"], grade_of(row), row) for row in rows]
    for student in graded:
        if student.score is None:
            problems.append(f"{student.student}: no score ({student.row.get('status') or 'not graded'}"
                            f"{': ' + student.row['problem'] if student.row.get('problem') else ''})")
    if roster_path is None:
        return graded
    roster = read_roster(roster_path)
    for student in graded:
        student.entry = match(student.student, roster)
        if student.entry is None:
            problems.append(f"{student.student}: graded, but not in the roster {roster_path}")
    claimed: dict[int, str] = {}
    for student in graded:
        if student.entry is not None and claimed.setdefault(id(student.entry), student.student) != student.student:
            raise ExportError(f"{roster_path}, line {student.entry.line}: both {claimed[id(student.entry)]} and "
                              f"{student.student} are {student.entry.identifier}; keep one of them in the gradebook")
    matched = set(claimed)
    for entry in roster:
        if id(entry) not in matched:
            problems.append(f"{entry.identifier} ({entry.github_username or 'no GitHub account'}): in the roster "
                            f"(line {entry.line}) without a submission")
    return graded


def _identifier(student: Graded) -> str:
    return student.entry.identifier if student.entry else student.student


def _canvas(args: argparse.Namespace, graded: list[Graded], rows: list[dict[str, str]], problems: list[str]) -> str:
    if not args.canvas_export:
        raise ExportError("--to canvas needs --canvas-export: the gradebook export Canvas gives you")
    export = read_canvas_export(args.canvas_export)
    scores: dict[int, str | None] = {}
    for student in graded:
        found = export.find(_identifier(student))
        if found is None:
            if student.entry is not None or args.roster is None:
                problems.append(f"{student.student}: {_identifier(student)} is not a student of the Canvas export "
                                f"{args.canvas_export}")
            continue
        if found in scores:
            raise ExportError(f"{args.canvas_export}, line {export.lines[found]}: two graded students are this "
                              f"Canvas student (the second is {student.student}); keep one of them in the gradebook")
        scores[found] = student.score
    for index, line in enumerate(export.lines):
        if index not in scores:
            name = export.students[index]["Student"]
            problems.append(f"{name}: in the Canvas export (line {line}) without a graded submission")
    out_rows = [lms_formats.ExportRow([s[c] for c in lms_formats.CANVAS_IDENTITY], scores.get(n))
                for n, s in enumerate(export.students)]
    return lms_formats.canvas(export.column_for(args.assignment), _max_score(rows), out_rows, export.points_label)


def _long(graded: list[Graded], rows: list[dict[str, str]]) -> str:
    columns = [(column, m) for column in (rows[0] if rows else {}) for m in [ITEM_COLUMN.match(column)] if m]
    lines = []
    for student in graded:
        overridden = {part.strip().split(" ", 1)[0] for part in student.row.get("overrides", "").split(";")}
        for column, found in columns:
            points = student.row.get(column, "")
            if points == "":
                continue
            item = found[2]
            kind = "override" if item in overridden else "written" if item in WRITTEN else "auto"
            lines.append((student.student, item, kind, points, found[3]))
        if student.row.get("penalty") not in (None, "", "0"):
            lines.append((student.student, "late penalty", "penalty", f"-{student.row['penalty']}", "0"))
    return lms_formats.long_format(lines)


def render(args: argparse.Namespace) -> tuple[str, list[str]]:
    """The file's text and the problems to report."""
    source, rows = _gradebook(Path(args.class_out))
    inputs = [source, *(Path(p) for p in (args.roster, args.canvas_export) if p)]
    if any(Path(args.out).resolve() == path.resolve() for path in inputs):
        raise ExportError(f"--out {args.out} is one of the export's inputs; write the import file elsewhere")
    problems: list[str] = []
    graded = _joined(rows, args.roster, problems)
    if args.to != "long" and not args.assignment:
        raise ExportError(f"--to {args.to} needs --assignment: the assignment's (grade item's, column's) name")
    if args.to == "canvas":
        return _canvas(args, graded, rows, problems), problems
    if args.to == "long":
        return _long(graded, rows), problems
    known = [s for s in graded if s.entry is not None or args.roster is None]
    if args.to == "moodle":
        found = [lms_formats.ExportRow([_identifier(s)], s.score) for s in known]
        return lms_formats.moodle(args.moodle_id, args.assignment, found), problems
    names = [s.entry.split_name() if s.entry else ("", "") for s in known]
    found = [lms_formats.ExportRow([last, first, _identifier(s)], s.score) for s, (last, first) in zip(known, names)]
    if not args.column_id:
        print(f"export: no --column-id: Blackboard will make {args.assignment!r} a new text column worth 0 points",
              file=sys.stderr)
    return lms_formats.blackboard(args.assignment, args.column_id, found), problems


def export(args: argparse.Namespace) -> int:
    try:
        text, problems = render(args)
    except (ExportError, RosterError, CanvasExportError) as error:
        print(f"export: {error}", file=sys.stderr)
        return 2
    for problem in problems:
        print(f"export: {problem}", file=sys.stderr)
    if problems and not args.allow_missing:
        print(f"export: {len(problems)} students above are missing on one side; nothing written "
              "(--allow-missing writes the file without their scores)", file=sys.stderr)
        return 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text, encoding="utf-8", newline="")
    print(f"export: {args.out} ({args.to})")
    return 0


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    command = commands.add_parser("export", help="write the gradebook as Canvas's, Moodle's or Blackboard's import "
                                                 "file, or one row per student and item")
    command.add_argument("class_out", help="the grade-class --out folder (or its gradebook.csv)")
    command.add_argument("--to", choices=TARGETS, required=True)
    command.add_argument("--out", required=True, help="the file to write")
    command.add_argument("--roster", default=None,
                         help="GitHub Classroom's classroom_roster.csv: joins each graded repository to a student")
    command.add_argument("--assignment", default="", help="the assignment's name in the LMS (Canvas: its column, "
                                                          "\"HW2\" finds \"HW2 (12345)\" in the export)")
    command.add_argument("--canvas-export", default=None, help="--to canvas: Canvas's gradebook export (CSV)")
    command.add_argument("--moodle-id", choices=tuple(lms_formats.MOODLE_IDENTIFIERS), default="email",
                         help="--to moodle: the user field the roster's identifier is (default email)")
    command.add_argument("--column-id", default="", help="--to blackboard: the Grade Center column's id")
    command.add_argument("--allow-missing", action="store_true",
                         help="write the file even when students are missing on one side (they are still listed)")
    command.set_defaults(handler=export)
