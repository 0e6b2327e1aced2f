"""The grading record: everything one grading found, exactly, in one structure.

The score table, results.json, the feedback report, the CI summary and the gradebook are all
renderings of a ``GradingRecord``; results.json carries it (``extra_data.record``) so the
instructor tools read the record back instead of parsing the Markdown written for students.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, TypeVar

from .items import ITEMS

PASSED, FAILED, SKIPPED, GRADER_ERROR = "passed", "failed", "skipped", "grader error"
WITHHELD = "scored by the course's grader"   # left out of a student's copy; its points are the course's
VERSION = 3  # of the dictionary form; a reader refuses any other (2: ``limits``; 3: notes as ``Note``s)
# What a note is about. A note whose notebook, or the rest of it, never ran is ``serious``: it is
# a problem with the submission as a whole, not with one item (the gradebook's problems column).
NOTE_KINDS = ("sandbox", "data", "preprocess", "not-graded", "fatal-cell", "budget", "cell-status", "cell-error",
              "stubs", "output-cut", "duplicate", "not-run", "unanswered")


class RecordError(ValueError):
    """A dictionary that is not a grading record (wrong types, missing or unknown keys)."""


def exact(number: int | float | str | Fraction) -> Fraction:
    """A weight, fraction or point value as an exact ``Fraction`` (0.1 is 1/10, not 0.1000000000000000055)."""
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def rounded(points: Fraction | float, digits: int = 4) -> float:
    """The one rounding every rendering does, at the very end."""
    return round(float(points), digits)


def apportioned(values: Iterable[Fraction], digits: int = 4) -> list[float]:
    """Each exact value rounded so that the rounded values add up to the rounded total: the running
    sum is rounded, and each value is the step between two rounded running sums (a third of 4
    points, three times, shows 1.3333, 1.3334, 1.3333)."""
    shown: list[float] = []
    running, before = Fraction(0), Fraction(0)
    for value in values:
        running += value
        after = Fraction(str(rounded(running, digits)))
        shown.append(rounded(after - before, digits))
        before = after
    return shown


@dataclass
class CheckResult:
    name: str
    item: str
    section: str
    points: Fraction   # exact; reports round once, at the end
    max_points: Fraction
    status: str        # passed | failed | not submitted | not implemented | could not run | ...
    feedback: str
    hidden: bool = False
    seconds: float = 0.0  # how long the check took (probe, run and scoring)

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    @property
    def skipped(self) -> bool:
        """Did not run here: 0 of 0 points (no GPU, or a check the course's grader keeps)."""
        return self.status in (SKIPPED, WITHHELD)

    @property
    def secret(self) -> bool:
        """Feedback kept from students: a hidden check's (a placeholder's only says what it is worth)."""
        return self.hidden and self.status != WITHHELD

    @property
    def headline(self) -> str:
        """The status line a check cell shows: a placeholder's own text says what it is worth."""
        return self.feedback if self.status == WITHHELD else self.label

    @property
    def label(self) -> str:
        """The status as reports show it: hidden checks say so, whatever their result."""
        return f"hidden, {self.status}" if self.hidden and self.status != PASSED else self.status

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; points as exact fraction strings ("4/3"), so sums stay exact when read back."""
        return {"name": self.name, "item": self.item, "section": self.section, "points": str(exact(self.points)),
                "max_points": str(exact(self.max_points)), "status": self.status, "feedback": self.feedback,
                "hidden": self.hidden, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: object, where: str = "check") -> "CheckResult":
        return cls(**_fields(data, _CHECK_FIELDS, where))


@dataclass(frozen=True)
class Note:
    """One note on running the notebooks, as fields for the tools that sort notes (the gradebook's
    problems column reads ``serious``) and as the text students read, whole."""

    kind: str                  # one of NOTE_KINDS
    text: str                  # "7.2.ipynb: cell 3 raised ...", exactly as every report shows it
    notebook: str = ""         # the notebook's label; "" for the submission as a whole
    cell: int | None = None    # 1-based; None for a whole notebook or several cells
    serious: bool = False

    def __post_init__(self) -> None:
        if self.kind not in NOTE_KINDS:
            raise RecordError(f"unknown note kind {self.kind!r:.40}")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "notebook": self.notebook, "cell": self.cell,
                "serious": self.serious}

    @classmethod
    def from_dict(cls, data: object, where: str = "note") -> "Note":
        values = _fields(data, _NOTE_FIELDS, where)
        try:
            return cls(**values)
        except RecordError as error:   # a kind this grader does not know
            raise RecordError(f"{where}: {error}") from None


def totals(checks: Iterable[CheckResult]) -> tuple[Fraction, Fraction]:
    """Exact sums of points and max points."""
    checks = list(checks)
    return sum((c.points for c in checks), Fraction(0)), sum((c.max_points for c in checks), Fraction(0))


ItemRow = list[Any]   # [points, max points, statuses that were not a pass], filled in as checks are added


def item_rows(checks: list[CheckResult]) -> dict[tuple[str, str], ItemRow]:
    """{(section, item): [points, max points, statuses that were not a pass]}, in report order."""
    rows: dict[tuple[str, str], ItemRow] = {}
    for c in checks:
        row = rows.setdefault((c.section, c.item or c.name), [Fraction(0), Fraction(0), []])
        row[0] += c.points
        row[1] += c.max_points
        if not c.passed and not c.skipped and c.label not in row[2]:
            row[2].append(c.label)
    for (_, item), row in rows.items():   # an item none of whose checks ran here says why
        ran = [c for c in checks if (c.item or c.name) == item and not c.skipped]
        if not ran:
            row[2] = sorted({c.label for c in checks if (c.item or c.name) == item})
    return rows


def item_points(checks: Iterable[CheckResult]) -> dict[str, tuple[float, float]]:
    """{item: (points, max points)} in the order of the items table, summed exactly, rounded once."""
    table = {str(name): [Fraction(0), Fraction(0)] for name in ITEMS}   # str: items.py's rows are untyped tuples
    for c in checks:
        if c.item in table:
            table[c.item][0] += c.points
            table[c.item][1] += c.max_points
    return {name: (rounded(got), rounded(full)) for name, (got, full) in table.items()}


Record = TypeVar("Record", bound="GradingRecord")   # read back as the class asked for (``GradedRun``)


@dataclass
class GradingRecord:
    checks: list[CheckResult] = field(default_factory=list)   # in report order
    notes: list[Note] = field(default_factory=list)   # on running the notebooks (cells that raised, budgets, ...)
    error: str = ""                              # why grading did not finish; "" when it did
    sandbox: str = ""                            # "not sandboxed: <why>"; "" when every kernel ran confined
    seconds: float = 0.0                         # the whole grading, wall time
    execution_seconds: float = 0.0               # executing the notebooks, before any check ran
    limits: str = ""                             # the sandbox's limits that held in every kernel, in words

    def totals(self) -> tuple[Fraction, Fraction]:
        return totals(self.checks)

    @property
    def score(self) -> float:
        """Rounded once, as results.json shows it."""
        return rounded(self.totals()[0])

    @property
    def max_score(self) -> float:
        return rounded(self.totals()[1])

    def item_rows(self) -> dict[tuple[str, str], ItemRow]:
        return item_rows(self.checks)

    def item_points(self) -> dict[str, tuple[float, float]]:
        return item_points(self.checks)

    def without_hidden_feedback(self: Record) -> Record:
        """A copy fit for students' eyes: hidden checks keep their name, points and status only."""
        return replace(self, checks=[replace(c, feedback="") if c.secret else c for c in self.checks],
                       notes=list(self.notes))

    def to_dict(self) -> dict[str, Any]:
        return {"version": VERSION, "checks": [c.to_dict() for c in self.checks],
                "notes": [n.to_dict() for n in self.notes],
                "error": self.error, "sandbox": self.sandbox, "seconds": self.seconds,
                "execution_seconds": self.execution_seconds, "limits": self.limits}

    @classmethod
    def from_dict(cls: type["Record"], data: object) -> "Record":
        """The record ``to_dict`` wrote; ``RecordError`` for anything else, never a crash. Another
        version is refused before its fields are read: they may differ (version 2's notes were text)."""
        if isinstance(data, dict) and "version" in data and data["version"] != VERSION:
            raise RecordError(f"record: version {data['version']!r:.40}; this grader reads version {VERSION}")
        values = _fields(data, _RECORD_FIELDS, "record")
        del values["version"]
        checks, notes = values["checks"], values["notes"]
        values["checks"] = [CheckResult.from_dict(c, f"record: check {n}") for n, c in enumerate(checks, 1)]
        values["notes"] = [Note.from_dict(note, f"record: note {n}") for n, note in enumerate(notes, 1)]
        return cls(**values)


_CHECK_FIELDS = {"name": str, "item": str, "section": str, "points": Fraction, "max_points": Fraction,
                 "status": str, "feedback": str, "hidden": bool, "seconds": float}
_NOTE_FIELDS = {"kind": str, "text": str, "notebook": str, "cell": int | None, "serious": bool}
_RECORD_FIELDS = {"version": int, "checks": list, "notes": list, "error": str, "sandbox": str,
                  "seconds": float, "execution_seconds": float, "limits": str}


def _fields(data: object, spec: dict[str, Any], where: str) -> dict[str, Any]:
    """``data``'s values checked against ``spec`` ({key: type}): every key, no others, right types."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
    missing, unknown = [k for k in spec if k not in data], sorted(str(k) for k in data if k not in spec)
    if missing or unknown:
        faults = [f"missing {', '.join(missing)}"] if missing else []
        faults += [f"unknown {', '.join(unknown)}"] if unknown else []
        raise RecordError(f"{where}: " + "; ".join(faults))
    return {key: _value(data[key], kind, f"{where}: {key!r}") for key, kind in spec.items()}


def _value(value: object, kind: Any, where: str) -> Any:
    if kind is Fraction:
        if isinstance(value, str):
            try:
                return Fraction(value)
            except (ValueError, ZeroDivisionError):
                pass
        raise RecordError(f"{where} must be an exact number written as a string, like \"4/3\"; got {value!r:.80}")
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            return float(value)
        raise RecordError(f"{where} must be a finite number of seconds; got {value!r:.80}")
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        return value
    raise RecordError(f"{where} must be {getattr(kind, '__name__', kind)}, not {type(value).__name__}")
