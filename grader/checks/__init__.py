"""Step 5's tables: every graded check, section by section, in the items table's order.

``hidden`` (checks whose inputs students do not see) stay with the course's grader: the student
release leaves that module out and lists its checks instead (``withheld.py``), so each item's
points are shared alike in both.
"""

import importlib

from ..items import ITEMS
from ..stored_references import in_release
from . import (  # trained_accuracy: GPU, opt-in
    architectures,
    interfaces,
    sec7_1,
    sec7_2,
    sec7_3,
    sec7_4,
    sec7_5,
    trained_accuracy,
    vgg_tables,
)
from .withheld import placeholders

PUBLIC_CHECKS = [*sec7_1.CHECKS, *sec7_2.CHECKS, *sec7_3.CHECKS, *sec7_4.CHECKS, *sec7_5.CHECKS, *architectures.CHECKS,
                 *vgg_tables.CHECKS, *interfaces.CHECKS, *trained_accuracy.CHECKS]
WITHHELD_MODULES = ("hidden",)


def _withheld_checks():
    """The course's own checks where its modules are here; their placeholders in a student release."""
    if in_release():
        return placeholders()
    found = []
    for name in WITHHELD_MODULES:
        try:
            found += importlib.import_module(f"{__name__}.{name}").CHECKS
        except ModuleNotFoundError as missing:
            if missing.name != f"{__name__}.{name}":
                raise
    return found


WITHHELD_CHECKS = _withheld_checks()
_ORDER = {name: position for position, name in enumerate(ITEMS)}
ALL_CHECKS = sorted([*PUBLIC_CHECKS, *WITHHELD_CHECKS], key=lambda check: _ORDER[check.item])
