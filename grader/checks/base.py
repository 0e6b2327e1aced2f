"""What a check is, and how its result is expressed."""

from dataclasses import dataclass
from typing import Callable

from ..probe import RAISED, ProbeFailure
from ..verdicts import CheckFailed, CheckSkipped
from .dependencies import helpers_of

__all__ = ["Check", "CheckFailed", "CheckSkipped", "graded"]


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
    """The one way the tables make a check: the helpers from ``dependencies`` unless given, which
    the kernel gets in their reference versions when the student's own do not pass (below)."""
    helpers = helpers_of(item) if reference is None else tuple(reference)
    return Check(item=item, title=title, run=_reference_helpers_on_failure(run) if helpers else run, weight=weight,
                 hidden=hidden, reference=helpers, skip_reason=skip_reason)


def _reference_helpers_on_failure(run):
    """The student's own helpers first; only when the check fails with them is it run again on the
    reference helpers, so a helper's bug is charged once, where it is. The reference code thus
    enters a student's kernel only when their own helpers fail, never for an honest pass; when
    both runs fail, the failure on the reference helpers is reported (it is the item's own)."""

    def run_own_first(probe):
        references, probe.reference = probe.reference, {}
        # With a second run to come, the first only has to pass or fail: its failing input is never
        # shown, so the properties need not shrink it (``probe.shrink``, read by ``properties.py``).
        probe.shrink = not references
        try:
            return run(probe)
        except (CheckFailed, ProbeFailure) as own:
            if not references or (isinstance(own, ProbeFailure) and own.kind != RAISED):
                raise
        finally:
            probe.reference, probe.shrink = references, True
        return f"{run(probe)} (on the reference helpers; your own helpers are graded on their own)"

    return run_own_first
