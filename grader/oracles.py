"""Where right answers come from: torch's own operators, and the reference solutions.

The reference solutions are imported here, in the grader's process only. When a check of a
definition that calls another graded one fails on the student's own helper, the kernel gets the
reference *source* of the helper for a second run of that check, so one bug is not charged
twice; feedback then withholds any line of that source (``withhold_reference``).

The student-facing release has no ``solutions`` package. There a check whose oracle is a
reference solution is skipped (0 of 0 points; the instructor's CI grades it), and a check
that would swap in a reference helper runs with the student's own helper instead.
"""

import ast
import importlib
import importlib.util
import unittest
from functools import lru_cache

from .items import ITEMS
from .verdicts import CheckSkipped

WITHOUT_SOLUTIONS = "checked by your instructor's grader (CI): this copy of the homework has no reference solutions"


class ReferenceUnavailable(CheckSkipped, unittest.SkipTest):
    """Skips the check. Also a ``SkipTest``, so that hypothesis re-raises it at once instead
    of shrinking the inputs of a property whose oracle can never answer."""


def solutions_available():
    return importlib.util.find_spec("solutions") is not None


def reference(name):
    """The reference object for a graded name."""
    if not solutions_available():
        raise ReferenceUnavailable(WITHOUT_SOLUTIONS)
    module = importlib.import_module(f"solutions.{ITEMS[name].module}")
    return getattr(module, name)


def reference_sources(names):
    """{name: source of its one top-level definition in solutions/}; {} without solutions/.

    The graded names those sources use come too, in the solutions' order: the kernel defines
    them in one scope, so each reference runs on reference helpers (ResNet18 on ResNet on Residual).
    """
    if not names or not solutions_available():
        return {}
    from solutions.fill import reference_definitions

    wanted = _with_helpers(tuple(names))
    return {name: source for name, source in reference_definitions().items() if name in wanted}


@lru_cache(maxsize=None)
def _with_helpers(names):
    """``names`` and every graded name their references use, directly or through each other.

    Cached: every check of an item asks for the same names, and the sources do not change
    once preloaded."""
    from solutions.fill import reference_definitions

    definitions = reference_definitions()
    wanted, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            used = {node.id for node in ast.walk(ast.parse(definitions[name])) if isinstance(node, ast.Name)}
            pending.extend(sorted(used & set(ITEMS)))
    return frozenset(wanted)


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


WITHHELD = "[reference code withheld]"


def withhold_reference(text, sources):
    """``text`` (feedback) without any line of the reference ``sources`` the kernel was given: code in
    the kernel could echo a reference helper in an exception message."""
    for source in (sources or {}).values():
        for line in {line.strip() for line in source.splitlines()}:
            if len(line) >= 16 and line in text:
                text = text.replace(line, WITHHELD)
    return text
