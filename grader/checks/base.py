"""What a check is, and how its result is expressed."""

from dataclasses import dataclass
from typing import Callable


class CheckFailed(Exception):
    """The student's object ran but its behaviour is wrong; ``feedback`` says how (markdown)."""

    def __init__(self, feedback, fraction=0.0):
        super().__init__(feedback)
        self.feedback, self.fraction = feedback, fraction


@dataclass(frozen=True)
class Check:
    """One graded property of one item. ``run(probe)`` returns feedback or raises ``CheckFailed``."""

    item: str
    title: str
    run: Callable
    weight: float = 1.0
    hidden: bool = False
    reference: tuple = ()   # names the kernel swaps for the reference versions during this check

    @property
    def test_name(self):
        from ..items import ITEMS

        return f"{ITEMS[self.item].section} {self.item}: {self.title}"
