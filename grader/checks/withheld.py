"""In a student release, the checks that stay with the course's grader, as placeholders.

Each keeps its item, title, weight and hidden flag, so its item's points are shared as in the
course's grader; it scores 0 of 0 and says how many points the course's grader gives it.
"""

from ..stored_references import withheld_checks
from ..verdicts import CheckWithheld
from .base import Check


def _withheld(probe):
    raise CheckWithheld()


def placeholders():
    return [Check(item=item, title=title, run=_withheld, weight=weight, hidden=hidden, withheld=True)
            for item, title, weight, hidden in withheld_checks()]
