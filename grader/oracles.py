"""Where right answers come from: torch's own operators, and the reference solutions.

The reference solutions are imported here, in the grader's process only, and never enter a
kernel: where a check needs a correct helper in the student's kernel, the book's own stand-ins are
swapped in (``kernel_side/stand_ins.py``).

The student-facing release has no ``solutions`` package: its model checks read the references'
reports stored when it was built (``stored_references.py``), the checks whose oracle is an answer
stay with the course's grader, and only the training check (which trains a reference copy, on a
GPU) is skipped there with ``WITHOUT_SOLUTIONS``.
"""

import importlib
import importlib.util
import unittest

from .items import ITEMS
from .stored_references import in_release
from .verdicts import CheckSkipped

WITHOUT_SOLUTIONS = "checked by your instructor's grader (CI): this copy of the homework has no reference solutions"


class ReferenceUnavailable(CheckSkipped, unittest.SkipTest):
    """Skips the check. Also a ``SkipTest``, so that hypothesis re-raises it at once instead
    of shrinking the inputs of a property whose oracle can never answer."""


def solutions_available():
    """A student release never looks for ``solutions``, even where its environment could find one."""
    return not in_release() and importlib.util.find_spec("solutions") is not None


def reference(name):
    """The reference object for a graded name."""
    if not solutions_available():
        raise ReferenceUnavailable(WITHOUT_SOLUTIONS)
    module = importlib.import_module(f"solutions.{ITEMS[name].module}")
    return getattr(module, name)


def preload():
    """Read every reference into memory before any student code runs.

    Kernels run as the same user as the grader, so a notebook could rewrite files under
    solutions/ or grader/; whatever was loaded before the first cell ran is what counts.
    """
    if not solutions_available():
        return  # a student's copy: the checks that need the references skip
    from solutions.fill import reference_definitions

    reference_definitions()
    for item in ITEMS.values():
        importlib.import_module(f"solutions.{item.module}")
