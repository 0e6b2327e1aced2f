"""Where right answers come from: torch's own operators, and the reference solutions.

The reference solutions are imported here, in the grader's process only. When a check
grades a definition that calls another graded one, the kernel gets the reference *source* of
the helper for the duration of that check, so one bug is not charged twice.
"""

import ast
import importlib
import inspect
from functools import lru_cache

from .items import ITEMS


def reference(name):
    """The reference object for a graded name."""
    module = importlib.import_module(f"solutions.{ITEMS[name].module}")
    return getattr(module, name)


@lru_cache(maxsize=None)
def reference_source(name):
    """Source text of the one top-level definition of ``name`` in its solutions module."""
    module = importlib.import_module(f"solutions.{ITEMS[name].module}")
    text = inspect.getsource(module)
    for node in ast.parse(text).body:
        bound = [node.name] if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else [
            t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
        if name in bound:
            return ast.get_source_segment(text, node, padded=False) if not getattr(node, "decorator_list", None) else \
                "\n".join(text.splitlines()[node.decorator_list[0].lineno - 1: node.end_lineno])
    raise LookupError(f"solutions.{ITEMS[name].module} has no top-level definition of {name}")


def reference_sources(names):
    return {name: reference_source(name) for name in names}
