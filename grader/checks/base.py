"""What a check is, and how its result is expressed."""

from collections.abc import Callable
from dataclasses import dataclass

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
    helpers: tuple = ()   # graded names the kernel swaps for the book's versions when the student's own fail
    skip_reason: Callable = None  # (session) -> why the check cannot run in this run, or None
    model: object = None    # a model check's ``ModelSpec``: the release build stores its reference reports
    withheld: bool = False  # a student release's placeholder for a check the course's grader keeps

    @property
    def test_name(self):
        from ..items import ITEMS

        return f"{ITEMS[self.item].section} {self.item}: {self.title}"


def graded(item, title, run, weight=1.0, hidden=False, reference=None, skip_reason=None, model=None):
    """The one way the tables make a check: the helpers from ``dependencies`` unless ``reference``
    names others, which the kernel gets in the book's versions when the student's own do not pass."""
    helpers = helpers_of(item) if reference is None else tuple(reference)
    return Check(item=item, title=title, run=_book_helpers_on_failure(run) if helpers else run, weight=weight,
                 hidden=hidden, helpers=helpers, skip_reason=skip_reason, model=model)


def _book_helpers_on_failure(run):
    """The student's own helpers first; only when the check fails with them is it run again on the
    book's helpers (``kernel_side/stand_ins.py``), so a helper's bug is charged once, where it is.
    When both runs fail, the failure on the book's helpers is reported (it is the item's own).
    A helper that already hung (or killed a kernel) is not called again: with one of those among
    them, the check runs on the book's helpers at once, as it would after its own run failed."""

    def run_own_first(probe):
        if probe.helpers and set(probe.helpers) & getattr(probe, "lost_helpers", frozenset()):
            return f"{run(probe)} (on the book's helpers; your own helpers are graded on their own)"
        references, probe.helpers = probe.helpers, ()
        # With a second run to come, the first only has to pass or fail: its failing input is never
        # shown, so the properties need not shrink it (``probe.shrink``, read by ``properties.py``).
        probe.shrink = not references
        try:
            return run(probe)
        except (CheckFailed, ProbeFailure) as own:
            if not references or (isinstance(own, ProbeFailure) and own.kind != RAISED):
                raise
        finally:
            probe.helpers, probe.shrink = references, True
        return f"{run(probe)} (on the book's helpers; your own helpers are graded on their own)"

    return run_own_first
