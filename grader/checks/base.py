"""What a check is, and how its result is expressed."""

from dataclasses import dataclass
from typing import Callable

from ..probe import RAISED, ProbeFailure
from .dependencies import helpers_of


class CheckFailed(Exception):
    """The student's object ran but its behaviour is wrong; ``feedback`` says how (markdown)."""

    def __init__(self, feedback, fraction=0.0):
        super().__init__(feedback)
        self.feedback, self.fraction = feedback, fraction


class CheckSkipped(Exception):
    """The check cannot run here (no GPU, no reference solutions in a student's copy).

    A skipped check scores 0 of 0: it leaves the total alone instead of costing points, and the
    report says why it did not run.
    """

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Check:
    """One graded property of one item. ``run(probe)`` returns feedback or raises ``CheckFailed``."""

    item: str
    title: str
    run: Callable
    weight: float = 1.0
    hidden: bool = False
    reference: tuple = ()   # names the kernel swaps for the reference versions during this check
    skip_reason: Callable = None  # () -> why the check cannot run here, or None when it can

    @property
    def test_name(self):
        from ..items import ITEMS

        return f"{ITEMS[self.item].section} {self.item}: {self.title}"


def graded(item, title, run, weight=1.0, hidden=False, reference=None, skip_reason=None):
    """The one way the tables make a check: reference helpers from ``dependencies`` unless given,
    and a second try with the student's own helpers when the reference ones do not fit."""
    helpers = helpers_of(item) if reference is None else tuple(reference)
    return Check(item, title, _own_helpers_fallback(run) if helpers else run, weight, hidden, helpers, skip_reason)


def _own_helpers_fallback(run):
    def run_with_fallback(probe):
        try:
            return run(probe)
        except (CheckFailed, ProbeFailure) as first:
            if not probe.reference or (isinstance(first, ProbeFailure) and first.kind != RAISED):
                raise
            saved, probe.reference = probe.reference, {}
            try:
                message = run(probe)
            except (CheckFailed, ProbeFailure):
                raise first from None
            finally:
                probe.reference = saved
            return f"{message} (with your own helper functions)"

    return run_with_fallback
