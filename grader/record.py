"""The grading record: everything one grading found, exactly, in one structure.

The score table, results.json, the feedback report, the CI summary and the gradebook are all
renderings of a ``GradingRecord``; results.json carries it (``extra_data.record``) so the
instructor tools read the record back instead of parsing the Markdown written for students.
"""

import math
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .items import ITEMS

PASSED, FAILED, SKIPPED, GRADER_ERROR = "passed", "failed", "skipped", "grader error"
WITHHELD = "scored by the course's grader"   # left out of a student's copy; its points are the course's
VERSION = 2  # of the dictionary form; a reader refuses any other (2: ``limits``)


class RecordError(ValueError):
    """A dictionary that is not a grading record (wrong types, missing or unknown keys)."""


def exact(number):
    """A weight, fraction or point value as an exact ``Fraction`` (0.1 is 1/10, not 0.1000000000000000055)."""
    return Fraction(str(number)) if isinstance(number, float) else Fraction(number)


def rounded(points, digits=4):
    """The one rounding every rendering does, at the very end."""
    return round(float(points), digits)


def apportioned(values, digits=4):
    """Each exact value rounded so that the rounded values add up to the rounded total: the running
    sum is rounded, and each value is the step between two rounded running sums (a third of 4
    points, three times, shows 1.3333, 1.3334, 1.3333)."""
    shown, running, before = [], Fraction(0), Fraction(0)
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
    def passed(self):
        return self.status == PASSED

    @property
    def skipped(self):
        """Did not run here: 0 of 0 points (no GPU, or a check the course's grader keeps)."""
        return self.status in (SKIPPED, WITHHELD)

    @property
    def secret(self):
        """Feedback kept from students: a hidden check's (a placeholder's only says what it is worth)."""
        return self.hidden and self.status != WITHHELD

    @property
    def headline(self):
        """The status line a check cell shows: a placeholder's own text says what it is worth."""
        return self.feedback if self.status == WITHHELD else self.label

    @property
    def label(self):
        """The status as reports show it: hidden checks say so, whatever their result."""
        return f"hidden, {self.status}" if self.hidden and self.status != PASSED else self.status

    def to_dict(self):
        """JSON-ready; points as exact fraction strings ("4/3"), so sums stay exact when read back."""
        return {"name": self.name, "item": self.item, "section": self.section, "points": str(exact(self.points)),
                "max_points": str(exact(self.max_points)), "status": self.status, "feedback": self.feedback,
                "hidden": self.hidden, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data, where="check"):
        return cls(**_fields(data, _CHECK_FIELDS, where))


def totals(checks):
    """Exact sums of points and max points."""
    return sum((c.points for c in checks), Fraction(0)), sum((c.max_points for c in checks), Fraction(0))


def item_rows(checks):
    """{(section, item): [points, max points, statuses that were not a pass]}, in report order."""
    rows = {}
    for c in checks:
        row = rows.setdefault((c.section, c.item or c.name), [Fraction(0), Fraction(0), []])
        row[0] += c.points
        row[1] += c.max_points
        if not c.passed and not c.skipped and c.label not in row[2]:
            row[2].append(c.label)
    for (section, item), row in rows.items():   # an item none of whose checks ran here says why
        ran = [c for c in checks if (c.item or c.name) == item and not c.skipped]
        if not ran:
            row[2] = sorted({c.label for c in checks if (c.item or c.name) == item})
    return rows


def item_points(checks):
    """{item: (points, max points)} in the order of the items table, summed exactly, rounded once."""
    table = {name: [Fraction(0), Fraction(0)] for name in ITEMS}
    for c in checks:
        if c.item in table:
            table[c.item][0] += c.points
            table[c.item][1] += c.max_points
    return {name: (rounded(got), rounded(full)) for name, (got, full) in table.items()}


@dataclass
class GradingRecord:
    checks: list = field(default_factory=list)   # CheckResult, in report order
    notes: list = field(default_factory=list)    # on running the notebooks (cells that raised, budgets, ...)
    error: str = ""                              # why grading did not finish; "" when it did
    sandbox: str = ""                            # "not sandboxed: <why>"; "" when every kernel ran confined
    seconds: float = 0.0                         # the whole grading, wall time
    execution_seconds: float = 0.0               # executing the notebooks, before any check ran
    limits: str = ""                             # the sandbox's limits that held in every kernel, in words

    def totals(self):
        return totals(self.checks)

    @property
    def score(self):
        """Rounded once, as results.json shows it."""
        return rounded(self.totals()[0])

    @property
    def max_score(self):
        return rounded(self.totals()[1])

    def item_rows(self):
        return item_rows(self.checks)

    def item_points(self):
        return item_points(self.checks)

    def without_hidden_feedback(self):
        """A copy fit for students' eyes: hidden checks keep their name, points and status only."""
        return replace(self, checks=[replace(c, feedback="") if c.secret else c for c in self.checks],
                       notes=list(self.notes))

    def to_dict(self):
        return {"version": VERSION, "checks": [c.to_dict() for c in self.checks], "notes": list(self.notes),
                "error": self.error, "sandbox": self.sandbox, "seconds": self.seconds,
                "execution_seconds": self.execution_seconds, "limits": self.limits}

    @classmethod
    def from_dict(cls, data):
        """The record ``to_dict`` wrote; ``RecordError`` for anything else, never a crash."""
        values = _fields(data, _RECORD_FIELDS, "record")
        if values.pop("version") != VERSION:
            raise RecordError(f"record: version {data['version']!r}; this grader reads version {VERSION}")
        checks = values["checks"]
        values["checks"] = [CheckResult.from_dict(c, f"record: check {n}") for n, c in enumerate(checks, 1)]
        if not all(isinstance(note, str) for note in values["notes"]):
            raise RecordError("record: 'notes' must be a list of strings")
        return cls(**values)


_CHECK_FIELDS = {"name": str, "item": str, "section": str, "points": Fraction, "max_points": Fraction,
                 "status": str, "feedback": str, "hidden": bool, "seconds": float}
_RECORD_FIELDS = {"version": int, "checks": list, "notes": list, "error": str, "sandbox": str,
                  "seconds": float, "execution_seconds": float, "limits": str}


def _fields(data, spec, where):
    """``data``'s values checked against ``spec`` ({key: type}): every key, no others, right types."""
    if not isinstance(data, dict):
        raise RecordError(f"{where}: expected an object, got {type(data).__name__}")
    missing, unknown = [k for k in spec if k not in data], sorted(str(k) for k in data if k not in spec)
    if missing or unknown:
        raise RecordError(f"{where}: " + "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                                                 unknown and f"unknown {', '.join(unknown)}"])))
    return {key: _value(data[key], kind, f"{where}: {key!r}") for key, kind in spec.items()}


def _value(value, kind, where):
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
    raise RecordError(f"{where} must be {kind.__name__}, not {type(value).__name__}")
