"""``gradebook CLASS_OUT``: write the gradebook and feedback again from stored results, grading nothing.

What changes between two gradebooks without any notebook running (an override given, a regrade
request answered) is applied here: the students, their sources and statuses come from the class
folder's last ``gradebook.csv``, each one's points from ``students/<name>/results.json``.
"""

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ... import receipt
from ...hidden_visibility import DEFAULT, SETTINGS
from ..batch import ERROR, GRADED, PROBLEMS, RESULTS, Outcome, student_folders
from ..discover import Submission
from ..feedback import FORMATS, write_report
from ..gradebook import write_gradebook
from ..results import ResultsError, load
from .course_file import CourseFileError
from .late_gradebook import FIELDS as DEADLINE_FIELDS
from .late_gradebook import apply_stored
from .manual_store import StoreError
from .overrides import OverridesError, apply_overrides, read_overrides
from .rubrics import RubricError
from .submission_times import LATE_SUFFIX
from .written_step import written_class


class StoredClassError(Exception):
    """The class folder holds no gradebook to rebuild from."""


def _split(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def _notebooks(row: dict[str, str], folder: Path) -> list[Path]:
    """The graded notebooks' names as the receipt lists them (only their count is shown), else as many
    placeholders as the last gradebook counted: the submission itself is not needed to rebuild."""
    stamp = receipt.read(folder) or {}
    listed = [Path(str(n.get("file", ""))) for n in stamp.get("notebooks", []) if isinstance(n, dict)]
    count = int(row["notebooks"]) if (row.get("notebooks") or "").isdigit() else 0
    return listed or [Path(f"notebook-{n}") for n in range(1, count + 1)]


def _outcome(row: dict[str, str], folder: Path) -> Outcome:
    submission = Submission(student=row["student"], path=folder, origin=row.get("origin", ""),
                            superseded=_split(row.get("superseded")), commit=row.get("commit", ""),
                            notebooks=_notebooks(row, folder))
    outcome = Outcome(submission, folder, row.get("status") or GRADED, row.get("problem", ""),
                      float(row.get("seconds") or 0.0), cached=True)
    if not (folder / RESULTS).exists():
        return outcome   # not graded last time either: keep its status and reason
    try:
        outcome.run = load(folder / RESULTS)
    except ResultsError as error:
        outcome.status, outcome.problem = ERROR, str(error)
        return outcome
    problems = outcome.run.problems
    outcome.status = ERROR if outcome.run.error else PROBLEMS if problems else GRADED
    outcome.problem = "; ".join(problems)
    return outcome


def stored_outcomes(out: str | Path) -> tuple[list[Outcome], dict[str, list[str]], dict[str, list[str]]]:
    """The class in ``out`` as its last gradebook lists it, each with the results stored for it;
    also the identical-code and similarity flags that gradebook held."""
    out = Path(out)
    path = out / "gradebook.csv"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError:
        raise StoredClassError(f"{path} does not exist: run grade-class with --out {out} first") from None
    if rows and "student" not in rows[0]:
        raise StoredClassError(f"{path}, line 1: not a gradebook (no student column)")
    submissions = [Submission(row["student"], out, row.get("origin", "")) for row in rows]
    folders = student_folders(submissions, out)   # the names grade-class chose
    outcomes = [_outcome(row, folders[row["student"]]) for row in rows]
    identical = {row["student"]: _split(row.get("identical_to")) for row in rows if _split(row.get("identical_to"))}
    similar = {row["student"]: _split(row.get("similar_to")) for row in rows if _split(row.get("similar_to"))}
    return outcomes, identical, similar


def stored_visibility(folder: Path) -> str:
    """When the stored results.json lets Gradescope show hidden checks, so the feedback written again
    says the same (the default where it has none)."""
    try:
        tests = json.loads((folder / RESULTS).read_text(encoding="utf-8")).get("tests", [])
        shown = {t.get("visibility") for t in tests if isinstance(t, dict)} & set(SETTINGS)
    except (OSError, ValueError, AttributeError):
        return DEFAULT
    return str(shown.pop()) if len(shown) == 1 else DEFAULT


def check_overrides(path: str | Path, students: Sequence[str]) -> None:
    """Read the overrides file now, before anything is graded, so a typo costs no grading time."""
    read_overrides(path, students)


def apply_to_outcomes(outcomes: Sequence[Outcome], path: str | Path, students: Sequence[str] = ()) -> None:
    """Put the overrides in ``path`` into the outcomes' runs: all of them, or (on a fault) none.
    ``students``: the whole class, where ``outcomes`` are one shard of it (the others' overrides wait)."""
    present = {o.student for o in outcomes}
    named = [o for o in read_overrides(path, [*present, *students]) if o.student in present]
    # A student's late snapshot is theirs too: whichever of the two the late policy counts, the
    # correction must reach the grade (a row naming ``alice@late`` itself wins for its item).
    chosen = {(o.student, o.item) for o in named}
    overrides = named + [replace(o, student=o.student + LATE_SUFFIX) for o in named
                         if o.student + LATE_SUFFIX in present and (o.student + LATE_SUFFIX, o.item) not in chosen]
    runs = apply_overrides({o.student: o.run for o in outcomes}, overrides, path)
    for outcome in outcomes:
        outcome.run = runs[outcome.student]


def rebuild(args: argparse.Namespace) -> int:
    out = Path(args.class_out)
    try:
        outcomes, identical, similar = stored_outcomes(out)

        def overridden(every: list[Outcome]) -> None:
            if args.overrides:
                apply_to_outcomes(every, args.overrides)

        if args.course:   # the overrides reach each student's later snapshot too
            shown, deadlines = apply_stored(args.course, outcomes, out, prepare=overridden)
        else:
            overridden(outcomes)
            shown, deadlines = outcomes, {}
        written = written_class(out)   # the written questions' stored manual scores (term/written_step.py)
    except (StoredClassError, OverridesError, CourseFileError, StoreError, RubricError) as error:
        print(f"gradebook: {error}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        write_report(outcome.student, outcome.run, outcome.folder, args.format, outcome.folder / "executed",
                     problem=outcome.problem, hidden_checks=stored_visibility(outcome.folder),
                     extra=written.feedback(outcome.student))
    path = write_gradebook(shown, out / "gradebook.csv", identical, similar, deadlines,
                           DEADLINE_FIELDS if args.course else ())   # penalties from stored times
    print(f"gradebook: {path} ({len(outcomes)} students, from stored results; nothing graded)")
    return 0


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    command = commands.add_parser("gradebook", help="write the gradebook and feedback again from a class folder's "
                                                    "stored results, with overrides (grades nothing)")
    command.add_argument("class_out", help="the --out folder of grade-class")
    add_overrides_option(command)
    command.add_argument("--course", default=None, help="course.toml: recompute every late penalty (moved due "
                                                        "date, new extension) from stored times and results")
    command.add_argument("--format", choices=FORMATS, default="md", help="feedback report format (default md)")
    command.set_defaults(handler=rebuild)


def add_overrides_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--overrides", default=None,
                        help="CSV of corrections (student, item, points or adjust, reason, who, when), applied to "
                             "the gradebook and feedback; never changed by grading, so every re-grade keeps them")
