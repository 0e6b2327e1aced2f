"""Overrides: a person's correction to one item's points, kept in an input file with who, when and why.

The file is the instructor's, never written by grading, so every re-grade applies it again: a
point given back after a regrade request survives a fix to a check. It is read whole and checked
before anything is applied; the first fault stops the command with the file and line, and
nothing changes. An override enters the grading record as one more row of its item (status
``override``, its reason and author as feedback), so the gradebook, the totals and the student's
feedback report all carry it the way they carry every check.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from fractions import Fraction
from pathlib import Path

from ...items import ITEMS, WRITTEN
from ...record import CheckResult, exact, rounded
from ..results import GradedRun
from .csv_input import open_table

COLUMNS = ("student", "item", "points", "adjust", "reason", "who", "when")
REQUIRED = ("student", "item", "reason", "who", "when")
OVERRIDE = "override"   # the status an override's row carries in the grading record


class OverridesError(Exception):
    """The overrides file is not usable; the message names the file and the line."""


@dataclass(frozen=True)
class Override:
    student: str
    item: str
    points: Fraction | None     # the item's new points, or
    adjust: Fraction | None     # a change to what grading gave
    reason: str
    who: str
    when: str
    line: int                   # where it stands in the file, for messages

    def describe(self) -> str:
        change = f"set to {float(self.points):g}" if self.points is not None else f"{float(self.adjust or 0):+g}"
        return f"{self.item} {change} by {self.who} on {self.when}: {self.reason}"


def item_maxima() -> dict[str, tuple[str, float]]:
    """{item: (section, the course's points)} for every item an override may name: the autograded ones."""
    return {str(name): (item.section, float(item.points)) for name, item in ITEMS.items()}


def _number(text: str, column: str, where: str) -> Fraction | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise OverridesError(f"{where}: {column} must be a number such as 3 or 2.5 (or +1, -0.5 for adjust), "
                             f"got {text!r:.40}") from None
    return value


def _when(text: str, where: str) -> str:
    try:
        (datetime if "T" in text or " " in text.strip() else date).fromisoformat(text.strip())
    except ValueError:
        raise OverridesError(f"{where}: when must be a date such as 2026-10-20 (or 2026-10-20T14:00), "
                             f"got {text!r:.40}") from None
    return text.strip()


def _parse_row(row: dict[str, str | None], where: str, students: set[str]) -> Override:
    values = {key: (row.get(key) or "").strip() for key in COLUMNS}
    for key in REQUIRED:
        if not values[key]:
            raise OverridesError(f"{where}: {key} is empty; every override names its student, item, reason, "
                                 "who made it and when")
    if values["student"] not in students:
        raise OverridesError(f"{where}: unknown student {values['student']!r:.60}: not in this class's results")
    maxima = item_maxima()
    if values["item"] in WRITTEN:   # their points live in the manual scores, beside the record: never twice
        raise OverridesError(f"{where}: {values['item']} is a written question: change its score on its score "
                             "sheet (grade-class --manual, or the manual command), where the reader's comment is kept")
    if values["item"] not in maxima:
        raise OverridesError(f"{where}: unknown item {values['item']!r:.60}; items are "
                             f"{', '.join(maxima)}")
    points, adjust = _number(values["points"], "points", where), _number(values["adjust"], "adjust", where)
    if (points is None) == (adjust is None):
        raise OverridesError(f"{where}: give either points (the item's new points) or adjust (+/- a change), "
                             "not both, not neither")
    return Override(values["student"], values["item"], points, adjust, values["reason"], values["who"],
                    _when(values["when"], where), int(where.rsplit(" ", 1)[1]))


def read_overrides(path: str | Path, students: Iterable[str]) -> list[Override]:
    """Every override in the CSV at ``path``, checked against the class's ``students``."""
    path, known = Path(path), set(students)
    reader, _ = open_table(path, "an overrides file", COLUMNS, OverridesError)
    found: list[Override] = []
    seen: dict[tuple[str, str], int] = {}
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        if None in row:
            raise OverridesError(f"{where}: more values than the header has columns")
        if not any((value or "").strip() for value in row.values()):
            continue
        override = _parse_row(row, where, known)
        key = (override.student, override.item)
        if key in seen:
            raise OverridesError(f"{where}: a second override for {override.student}'s {override.item} "
                                 f"(the first is on line {seen[key]}); keep one")
        seen[key] = override.line
        found.append(override)
    return found


def _item_totals(run: GradedRun, item: str) -> tuple[Fraction, Fraction]:
    rows = [c for c in run.checks if c.item == item]
    return sum((c.points for c in rows), Fraction(0)), sum((c.max_points for c in rows), Fraction(0))


def _plain(text: str) -> str:
    """One line of text for the feedback's Markdown: no line breaks (a heading, a list) and no image
    syntax (the HTML report embeds local images)."""
    return " ".join(text.split()).replace("![", "! [")


def _row(run: GradedRun, override: Override, path: Path) -> CheckResult:
    section, course_max = item_maxima()[override.item]
    got, full = _item_totals(run, override.item)
    new = override.points if override.points is not None else got + (override.adjust or 0)
    where = f"{path}, line {override.line}"
    if new < 0 or new > exact(course_max):
        raise OverridesError(f"{where}: {override.student}'s {override.item} would be {float(new):g} points "
                             f"(grading gave {rounded(got, 2):g}); it must stay between 0 and {course_max:g}")
    feedback = (f"Changed by {_plain(override.who)} on {override.when}: {_plain(override.reason)} "
                f"(grading gave {rounded(got, 2):g}; now {rounded(new, 2):g}).")
    # An item graded 0 of 0 here (a training run without a GPU) gets the course's maximum from the override.
    extra_max = exact(course_max) - full if full == 0 else Fraction(0)
    return CheckResult(f"{section} {override.item}: override by {_plain(override.who)}", override.item, section,
                       new - got, extra_max, OVERRIDE, feedback)


def apply_overrides(runs: Mapping[str, GradedRun | None], overrides: Iterable[Override],
                    path: str | Path) -> dict[str, GradedRun | None]:
    """Each student's run with their overrides as rows of their items; every override is checked
    first (a student without a graded run, points out of bounds), so a fault applies none."""
    added: dict[str, list[CheckResult]] = {}
    for override in overrides:
        run = runs.get(override.student)
        if run is None:
            raise OverridesError(f"{path}, line {override.line}: {override.student} has no graded result to "
                                 "override; grade the submission first")
        added.setdefault(override.student, []).append(_row(run, override, Path(path)))
    changed: dict[str, GradedRun | None] = dict(runs)
    for student, rows in added.items():
        run = runs[student]
        assert run is not None
        checks = list(run.checks)
        for row in rows:   # after the item's last row, so reports show it under its item
            last = max((n for n, c in enumerate(checks) if c.item == row.item), default=len(checks) - 1)
            checks.insert(last + 1, row)
        changed[student] = replace(run, checks=checks)
    return changed


def overridden(run: GradedRun | None) -> str:
    """The gradebook's ``overrides`` column: each override's item, change and author."""
    if run is None:
        return ""
    return "; ".join(f"{c.item} {rounded(c.points, 2):+g} by {c.name.rsplit('override by ', 1)[-1]}"
                     for c in run.checks if c.status == OVERRIDE)
