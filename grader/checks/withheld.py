"""In a student release, the checks that stay with the course's grader, as placeholders.

Each keeps its item, title, weight and hidden flag, so its item's points are shared as in the
course's grader; it scores 0 of 0 and says how many points the course's grader gives it.
"""

from ..record import WITHHELD
from ..stored_references import withheld_checks
from .base import Check, CheckSkipped


def _withheld(probe):
    """Never called by ``scoring.run_check``, which reports placeholders before probing."""
    raise CheckSkipped(WITHHELD)


def placeholders():
    return [Check(item=item, title=title, run=_withheld, weight=weight, hidden=hidden, withheld=True)
            for item, title, weight, hidden in withheld_checks()]
