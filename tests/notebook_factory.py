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
    session = GradingSession(path, limits).start()
    try:
        table = {}
        for check in ALL_CHECKS:
            if items is not None and check.item not in items:
                continue
            result = run_check(session, check)
            got, full, statuses, feedback = table.setdefault(check.item, [Fraction(0), Fraction(0), [], []])
            table[check.item][0] += result.points
            table[check.item][1] += result.max_points
            statuses.append(result.status)
            feedback.append(result.feedback)
        return table, [note.text for note in session.execution_notes()]
    finally:
        session.close()
