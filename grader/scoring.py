"""Step 6 of the pipeline: run one check against the submission and turn it into points.

Points are decided here, in the grader's process, from what the check verified itself.
"""

import time
import traceback
from collections.abc import Iterable
from fractions import Fraction
from typing import Protocol

from .cell_failures import CellFailure, point_to_cause
from .checks import ALL_CHECKS
from .checks.base import Check, CheckFailed, CheckSkipped
from .items import ITEMS
from .probe import KERNEL_DIED, NOT_IMPLEMENTED, TIMED_OUT, Probe, ProbeFailure
from .record import FAILED, GRADER_ERROR, PASSED, SKIPPED, WITHHELD, CheckResult, exact, rounded


class Scored(Protocol):
    """What scoring asks of a session: the grader's, the check cell's (``notebook_check.py``) and
    the tests' stand-ins all answer it."""

    @property
    def poisoned(self) -> dict[str, ProbeFailure]:
        """Items whose probe cost a kernel once: they are not probed again."""

    @property
    def train(self) -> bool:
        """Whether this run asked for the training checks (``pytest grader --train``)."""

    def cell_failures(self) -> list[CellFailure]:
        """The cells that raised, which feedback points to."""

    def probe(self, item_name: str, helpers: Iterable[str] = ()) -> Probe:
        """A probe of the kernel that answers for ``item_name``, or ``ProbeFailure``."""


def check_points(check: Check) -> Fraction:
    """The check's exact share of its item's points (by weight): an item's shares add up to its
    total exactly, and every report rounds once, at the end (a third of 4 points is 4/3)."""
    siblings = sum(exact(c.weight) for c in ALL_CHECKS if c.item == check.item)
    return exact(ITEMS[check.item].points) * exact(check.weight) / siblings


def run_check(session: Scored, check: Check) -> CheckResult:
    started = time.perf_counter()
    item = ITEMS[check.item]
    full = check_points(check)

    def result(points: float | Fraction, status: str, feedback: str, out_of: float | Fraction = full) -> CheckResult:
        return CheckResult(check.test_name, item.name, item.section, exact(points), exact(out_of), status,
                           feedback, check.hidden, time.perf_counter() - started)

    def explained(text: str) -> str:
        """Feedback that points to the cell behind a NameError."""
        return point_to_cause(text, session.cell_failures())

    if check.withheld:   # before any probe: 0 of 0 whatever the notebook holds
        worth = rounded(full, 2)
        return result(0, WITHHELD, f"{'hidden, ' if check.hidden else ''}{WITHHELD} "
                                   f"({worth:g} point{'' if worth == 1 else 's'})", out_of=0)
    try:
        reason = check.skip_reason(session) if check.skip_reason is not None else None
        if reason:
            raise CheckSkipped(reason)
        if check.item in session.poisoned:
            raise session.poisoned[check.item]  # it hung or killed a kernel once: not again
        probe = session.probe(check.item, check.helpers)  # first: a missing item is "not submitted"
        probe.lost_helpers = frozenset(h for h in check.helpers if h in session.poisoned)
        message = check.run(probe)
        return result(full, PASSED, message or "")
    except CheckSkipped as skipped:
        return result(0.0, SKIPPED, skipped.reason, out_of=0.0)
    except CheckFailed as failed:
        return result(full * exact(failed.fraction), FAILED, explained(failed.feedback))
    except ProbeFailure as failure:
        if failure.kind in (TIMED_OUT, KERNEL_DIED):
            session.poisoned[check.item] = failure
        text = failure.message
        if failure.kind == NOT_IMPLEMENTED:
            text = f"{item.name} is not implemented yet ({failure.message})"
        return result(0.0, failure.kind, explained(text))
    except Exception:  # a bug in the grader must not look like the student's mistake
        return result(0.0, GRADER_ERROR, "the grader itself failed on this check; tell your instructor.\n\n```\n"
                      + traceback.format_exc(limit=6) + "```")
