"""Build the solved version of a student notebook from the reference solutions.

Graded cells carry ``metadata["grader"]["item"]``, the graded name they define. Their code
lives only here in ``solutions/``; the notebooks hold the narrative and stubs. Filling replaces
each marked cell's source with the reference definition, so the two never drift apart.
``python -m grader.instructor answer-key OUT`` writes the whole solved set (``write_answer_key``).
"""

import ast
import copy
import importlib
import inspect
import pkgutil
from functools import cache
from pathlib import Path

import nbformat

import solutions

MARKER = "grader"
ASSIGNMENT = Path(__file__).resolve().parents[1] / "assignment"


@cache
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


class AnswerKeyError(Exception):
    """Why no answer key was written; the message says what to do instead."""


def write_answer_key(out_dir: str | Path, assignment: str | Path = ASSIGNMENT, force: bool = False) -> list[Path]:
    """Every notebook of ``assignment`` solved, written to ``out_dir``; the paths written.

    Never into the assignment folder or a folder inside it: the key would replace the blank
    notebooks, or be graded (``make grade``) and released along with them. A folder that holds
    anything already is written into only with ``force``, and then only same-named notebooks are
    replaced: an old key or someone's work is not overwritten by accident.
    """
    out, source = Path(out_dir).resolve(), Path(assignment).resolve()
    if out == source or source in out.parents:
        raise AnswerKeyError(f"{out_dir} is the assignment folder or inside it ({source}); the solved notebooks "
                             "would replace or sit beside the blank ones students get: choose a folder outside it")
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise AnswerKeyError(f"{assignment} holds no notebooks to solve")
    if out.exists() and not out.is_dir():
        raise AnswerKeyError(f"{out_dir} is a file, not a folder")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise AnswerKeyError(f"{out_dir} is not empty: choose an empty or new folder, or pass --force to write "
                             "into it (notebooks of the same name are replaced, nothing else is touched)")
    out.mkdir(parents=True, exist_ok=True)
    for notebook in notebooks:
        write_solved(notebook, out / notebook.name)
    return [out / notebook.name for notebook in notebooks]
