"""What a check is, and how its result is expressed."""

from dataclasses import dataclass
from typing import Callable


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
