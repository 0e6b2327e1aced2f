"""Build the solved version of a student notebook from the reference solutions.

Graded cells carry ``metadata["grader"]["item"]``, the graded name they define. Their code
lives only here in ``solutions/``; the notebooks hold the narrative and stubs. Filling replaces
each marked cell's source with the reference definition, so the two never drift apart.
"""

import ast
import copy
import importlib
import inspect
import pkgutil
from functools import lru_cache

import nbformat

import solutions

MARKER = "grader"


@lru_cache(maxsize=None)
def reference_definitions():
    """{graded name: source text} for every top-level definition in the section modules."""
    found = {}
    for info in pkgutil.iter_modules(solutions.__path__):
        if not info.name.startswith("sec"):
            continue
        module = importlib.import_module(f"solutions.{info.name}")
        text = inspect.getsource(module)
        lines = text.splitlines()
        for node in ast.parse(text).body:
            names = _bound_names(node)
            first = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
            for name in names:
                if name in getattr(module, "__all__", ()):
                    found[name] = "\n".join(lines[first - 1 : node.end_lineno])
    return found


def _bound_names(node):
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    return []


def graded_item(cell):
    return cell.get("metadata", {}).get(MARKER, {}).get("item")


def solved(nb):
    """A copy of ``nb`` with every marked cell holding the reference solution."""
    nb = copy.deepcopy(nb)
    definitions = reference_definitions()
    for cell in nb.cells:
        item = graded_item(cell)
        if item is None:
            continue
        if item not in definitions:
            raise KeyError(f"cell marked {item!r} but solutions/ defines no such graded name")
        cell.source = definitions[item]
    return nb


def write_solved(source_path, target_path):
    nb = nbformat.read(str(source_path), as_version=4)
    nbformat.write(solved(nb), str(target_path))
