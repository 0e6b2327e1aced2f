"""Build small notebooks for grader tests, and grade them in-process the way the plugin does."""

from fractions import Fraction

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.checks import ALL_CHECKS
from grader.kernel import ExecutionLimits
from grader.scoring import run_check
from grader.session import GradingSession

IMPORTS = "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\nfrom d2l import torch as d2l"
QUICK = ExecutionLimits(cell_timeout=8, total_budget=120, probe_timeout=8)


def write_notebook(path, *cells, title=None):
    """``cells`` are code strings; a string starting with '#md ' becomes a markdown cell."""
    nb_cells = [new_markdown_cell(title)] if title else []
    for source in cells:
        nb_cells.append(new_markdown_cell(source[4:]) if source.startswith("#md ") else new_code_cell(source))
    nb = new_notebook(cells=nb_cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def grade(path, items=None, limits=QUICK):
    """{item: (points, max_points, [statuses], [feedback])} for the chosen items."""
    results, notes = grade_checks(path, items, limits)
    return item_table(results), [note.text for note in notes]


def grade_checks(path, items=None, limits=QUICK):
    """([CheckResult] in the grader's order, [Note]): what ``pytest grader`` records, graded in-process."""
    session = GradingSession(path, limits).start()
    try:
        results = [run_check(session, check) for check in ALL_CHECKS if items is None or check.item in items]
        return results, session.execution_notes()
    finally:
        session.close()


def item_table(results):
    """{item: [points, max_points, [statuses], [feedback]]}, a fresh table each call."""
    table = {}
    for result in results:
        row = table.setdefault(result.item, [Fraction(0), Fraction(0), [], []])
        row[0] += result.points
        row[1] += result.max_points
        row[2].append(result.status)
        row[3].append(result.feedback)
    return table
