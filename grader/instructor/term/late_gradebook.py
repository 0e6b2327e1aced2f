"""The course file applied to graded outcomes: the gradebook's deadline columns and each receipt.

Nothing here grades: it reads the results already stored (so moving the due date, or granting an
extension, and running ``grade-class`` again recomputes every penalty from cached results, with
no notebook executed). A roster student's later snapshot (``alice@late``) is folded into their
own row; the better of the on-time score and the late score after its penalty counts.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ... import receipt
from .course_file import Course
from .late_policy import Candidate, assess, counted
from .submission_times import (
    LATE_SUFFIX,
    SubmissionTime,
    owner_of,
    read_roster_times,
    store_time,
    stored_time,
    submission_time,
)

if TYPE_CHECKING:
    from ..batch import Outcome

FIELDS = ["submitted_at", "time_source", "deadline", "extension", "hours_late", "raw_score", "penalty",
          "final_score", "counted", "late_commit"]
Rows = dict[str, dict[str, str]]


def _stamp(when: datetime | None, course: Course) -> str:
    return when.astimezone(course.zone).isoformat(timespec="minutes") if when else ""


def _source(time: SubmissionTime) -> str:
    return f"{time.source}; {time.note}" if time.note else time.source


def _owner(outcome: "Outcome", time: SubmissionTime) -> str:
    if time.owner:
        return time.owner
    return outcome.student


def _candidate(course: Course, owner: str, outcome: "Outcome", time: SubmissionTime) -> Candidate | None:
    if outcome.run is None:
        return None
    lateness = assess(course, owner, time.at, outcome.run.max_score)
    label = "latest" if outcome.student.endswith(LATE_SUFFIX) else "as of the deadline"
    if lateness.hours_late and not outcome.student.endswith(LATE_SUFFIX):
        label = "late"
    return Candidate(label, outcome.run.score, lateness)


def _row(course: Course, owner: str, group: list[tuple["Outcome", SubmissionTime]]) -> dict[str, str]:
    extension = course.extensions.get(owner)
    row = {"deadline": _stamp(course.deadline_for(owner), course),
           "extension": extension.reason or "yes" if extension else "",
           "late_commit": next((t.commit for o, t in group if o.student.endswith(LATE_SUFFIX)), "")}
    pairs = [(c, t) for o, t in group for c in [_candidate(course, owner, o, t)] if c]
    if not pairs:
        time = group[0][1]
        refused = time.source == "not accepted"
        return {**row, "submitted_at": _stamp(time.at, course), "time_source": _source(time),
                "final_score": "0" if refused else "", "counted": time.note if refused else "not graded"}
    best = counted([c for c, _ in pairs])
    time = next(t for c, t in pairs if c is best)
    late = best.lateness
    what = f"{best.label}" + (f" (commit {time.commit[:12]})" if time.commit else "")
    if not late.accepted:
        what = f"not accepted: arrived {late.hours_late:.1f} h after the deadline, past the cutoff"
    return {**row, "submitted_at": _stamp(time.at, course), "time_source": _source(time),
            "hours_late": f"{late.hours_late:.2f}", "raw_score": f"{best.raw:g}",
            "penalty": f"{late.penalty:g}" if late.accepted else f"{best.raw:g}",
            "final_score": f"{best.final:g}", "counted": what}


def apply_course(course: Course | None, outcomes: Sequence["Outcome"],
                 class_folder: Path) -> tuple[list["Outcome"], Rows]:
    """(the outcomes that get a gradebook row, {student: deadline columns}); keeps each snapshot's
    time in its folder and writes its receipt. Without a course file every outcome keeps its row."""
    roster = read_roster_times(class_folder)
    zone = course.zone if course else ZoneInfo("UTC")
    times: dict[str, SubmissionTime] = {}
    for outcome in outcomes:
        time = times[outcome.student] = submission_time(outcome.submission, roster, zone)
        store_time(outcome.folder, outcome.student, time)
        if outcome.run is not None:
            _receipt(outcome, time, zone)
    if course is None:
        return list(outcomes), {}
    return deadline_rows(course, outcomes, times)


def deadline_rows(course: Course, outcomes: Sequence["Outcome"],
                  times: dict[str, SubmissionTime]) -> tuple[list["Outcome"], Rows]:
    """Fold each student's snapshots into their row: (outcomes shown, {student: deadline columns})."""
    groups: dict[str, list[tuple[Outcome, SubmissionTime]]] = {}
    for outcome in outcomes:
        time = times.get(outcome.student) or SubmissionTime(None, "unknown", note="no time recorded")
        groups.setdefault(_owner(outcome, time), []).append((outcome, time))
    rows = {owner: _row(course, owner, group) for owner, group in groups.items()}
    shown = [o for o in outcomes if not o.student.endswith(LATE_SUFFIX) or _owner_missing(o, groups)]
    return [_counted_snapshot(o, groups.get(o.student, []), rows.get(o.student, {})) for o in shown], rows


def _counted_snapshot(outcome: "Outcome", group: list[tuple["Outcome", SubmissionTime]],
                      columns: dict[str, str]) -> "Outcome":
    """The student's row shows the snapshot the late policy counted, so its item columns, score and
    overrides add up to ``raw_score`` (and, less the penalty, ``final_score``)."""
    if columns.get("counted", "").split(" ", 1)[0] != "latest":
        return outcome
    late = next((o for o, _ in group if o.student.endswith(LATE_SUFFIX) and o.run is not None), None)
    return outcome if late is None else replace(outcome, run=late.run)


def apply_stored(course_path: str | Path, outcomes: Sequence["Outcome"], out: Path,
                 prepare: Callable[[list["Outcome"]], None] | None = None) -> tuple[list["Outcome"], Rows]:
    """``gradebook CLASS_OUT --course``: the deadline columns from the times and results stored in
    ``out`` alone (later snapshots, which have no gradebook row, found by their stored time).
    ``prepare`` (the overrides) gets every snapshot before the late policy picks one."""
    from ..batch import ERROR, GRADED, RESULTS, Outcome
    from ..discover import Submission
    from ..results import ResultsError, load

    course = load_for_class(course_path, [o.student for o in outcomes])
    shown = {o.student for o in outcomes}
    times: dict[str, SubmissionTime] = {}
    later: list[Outcome] = []
    for folder in sorted((out / "students").iterdir()) if (out / "students").is_dir() else []:
        found = stored_time(folder)
        if found is None:
            continue
        student, times[student] = found
        if student in shown or not student.endswith(LATE_SUFFIX) or owner_of(student) not in shown:
            continue
        outcome = Outcome(Submission(student, folder, folder.name, commit=found[1].commit), folder, GRADED, cached=True)
        try:
            outcome.run = load(folder / RESULTS)
        except ResultsError as error:
            outcome.status, outcome.problem = ERROR, str(error)
        later.append(outcome)
    if prepare is not None:
        prepare([*outcomes, *later])
    return deadline_rows(course, [*outcomes, *later], times)


def _owner_missing(outcome: "Outcome", groups: dict[str, list[tuple["Outcome", SubmissionTime]]]) -> bool:
    """A later snapshot is shown on its own row only when its student has no row of their own."""
    owner = outcome.student[: -len(LATE_SUFFIX)]
    return not any(o.student == owner for o, _ in groups.get(owner, []))


def _receipt(outcome: "Outcome", time: SubmissionTime, zone: ZoneInfo) -> None:
    assert outcome.run is not None
    base = outcome.submission.path
    known = {"student": outcome.student, "commit": time.commit or outcome.submission.commit,
             "submitted_at": time.at.astimezone(zone).isoformat(timespec="minutes") if time.at else "",
             "time_source": _source(time)}
    try:
        receipt.write(outcome.folder, receipt.build(outcome.run, list(outcome.submission.notebooks), base, **known))
    except OSError:
        pass   # a receipt is a courtesy copy; the gradebook is the record


def load_for_class(path: str | Path, students: Sequence[str]) -> Course:
    """The course file with its extensions checked against the class (``CourseFileError`` if bad)."""
    from .course_file import load_course

    return load_course(path, {owner_of(student) for student in students})
