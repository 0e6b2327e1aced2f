"""Read a results.json that ``pytest grader --results`` wrote back into the grader's own records.

The gradebook, the feedback report and the CI summary all start here, so they agree with the
score table a student sees.
"""

import json
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..items import ITEMS
from ..report import rounded
from ..scoring import CheckResult, exact

_TEST_NAME = re.compile(r"^(?P<section>\d+\.\d+) (?P<item>\w+): ")
_STATUS = re.compile(r"^\*\*(?P<status>[^*]+)\*\*")
GRADING_BROKE = "**Grading did not finish:**"
# execution notes that mean part of a submission could not be graded at all
SERIOUS_NOTES = ("could not be read", "could not be executed", "stopped the kernel", "time budget ran out")


class ResultsError(Exception):
    """The results file is missing or is not what the grader writes."""


@dataclass
class GradedRun:
    score: float
    max_score: float
    checks: list                          # CheckResult, in report order
    notes: list = field(default_factory=list)
    error: str = ""                       # why grading did not finish, if it did not
    seconds: float = 0.0

    @property
    def problems(self):
        """What went wrong with the submission as a whole (not with one item)."""
        found = [self.error] if self.error else []
        return found + [note for note in self.notes if any(s in note for s in SERIOUS_NOTES)]

    def item_points(self):
        """{item: (points, max points)} in the order of the items table, summed exactly, rounded once."""
        table = {name: [Fraction(0), Fraction(0)] for name in ITEMS}
        for check in self.checks:
            if check.item in table:
                table[check.item][0] += check.points
                table[check.item][1] += check.max_points
        return {name: (rounded(got), rounded(full)) for name, (got, full) in table.items()}


def _points(test, exact_key, rounded_key):
    """A test's points: the exact share the grader wrote, else the rounded score (older files)."""
    try:
        return Fraction(str((test.get("extra_data") or {})[exact_key]))
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return exact(float(test.get(rounded_key, 0) or 0))


def _check(test):
    name = str(test.get("name", ""))
    match = _TEST_NAME.match(name)
    item = match["item"] if match and match["item"] in ITEMS else ""
    section = match["section"] if match else ""
    output = str(test.get("output", ""))
    status = _STATUS.match(output)
    status = status["status"] if status else str(test.get("status", "failed"))
    feedback = output[len(status) + 4:].strip() if output.startswith(f"**{status}**") else output
    hidden = test.get("visibility") == "after_published"
    return CheckResult(name=name, item=item, section=section, points=_points(test, "points", "score"),
                       max_points=_points(test, "max_points", "max_score"), status=status, feedback=feedback,
                       hidden=hidden)


def parse(payload):
    if not isinstance(payload, dict) or not isinstance(payload.get("tests"), list):
        raise ResultsError("not a grader results file (no list of tests)")
    lines = [line for line in str(payload.get("output", "")).splitlines() if line.strip()]
    error = next((line[len(GRADING_BROKE):].strip() for line in lines if line.startswith(GRADING_BROKE)), "")
    notes = [line[2:] if line.startswith("- ") else line for line in lines if not line.startswith(GRADING_BROKE)]
    return GradedRun(float(payload.get("score", 0)), float(payload.get("max_score", 0)),
                     [_check(t) for t in payload["tests"] if isinstance(t, dict)], notes, error,
                     float(payload.get("execution_time", 0)))


def load(path):
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path} does not exist: the grader wrote no results") from None
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path} cannot be read: {error}") from None
    try:
        return parse(payload)
    except ResultsError as error:
        raise ResultsError(f"{path}: {error}") from None
