"""Where right answers come from: torch's own operators, and the reference solutions.

The reference solutions are imported here, in the grader's process only. When a check
grades a definition that calls another graded one, the kernel gets the reference *source* of
the helper for the duration of that check, so one bug is not charged twice.
"""

import importlib

from .items import ITEMS


def reference(name):
    """The reference object for a graded name."""
    module = importlib.import_module(f"solutions.{ITEMS[name].module}")
    return getattr(module, name)


def reference_sources(names):
    """{name: source of its one top-level definition in solutions/}."""
    from solutions.fill import reference_definitions

    definitions = reference_definitions()
    return {name: definitions[name] for name in names}
