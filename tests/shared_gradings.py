"""The whole-homework notebooks that several test files grade, each graded once per test session.

Grading the whole homework starts a kernel and runs every check: about a minute on two cores.
test_mutants, test_check_cell, test_release_parity and test_alternatives grade the same notebooks
(the solved homework, the blank one, the rounds of mutants), so the ``graded_homework`` fixture
(conftest.py) grades each distinct notebook once, with one set of limits, and every test then
asserts what it checks on the same result. Every notebook here ends with the check cell, which the
grader runs too (harmlessly, as test_check_cell asserts), so the check cell's tests share it.
"""

import threading
from dataclasses import dataclass
from pathlib import Path

import nbformat
from notebook_factory import grade_checks, item_table, write_notebook

from grader.execution import ExecutionLimits
from grader.items import ITEMS
from grader.record import GradingRecord

REPO = Path(__file__).resolve().parents[1]
# The limits of every whole-homework grading: generous enough for a busy machine.
HOMEWORK_LIMITS = ExecutionLimits(cell_timeout=60, total_budget=300, probe_timeout=60)
GRADED = [name for name, item in ITEMS.items() if not item.training]
MARK = "CHECK-POINTS "
CHECK_CELL = ("import json\n"
              f"_report = d2l.check(*{GRADED!r})\n"
              "if hasattr(_report, 'item_points'):  # in the grader's kernel the checks are not available\n"
              f"    print({MARK!r} + json.dumps(_report.item_points()))\n"
              "_report")


def blank_homework():
    """Every code cell of the released notebooks, stubs and demonstrations, in one notebook."""
    cells = []
    for path in sorted((REPO / "assignment").glob("*.ipynb")):
        cells += [c.source for c in nbformat.read(str(path), as_version=4).cells if c.cell_type == "code"]
    return cells


@dataclass(frozen=True)
class Grading:
    """One notebook graded in-process as ``pytest grader`` grades it; read-only, shared by tests."""
    notebook: Path
    results: tuple   # CheckResult, in the grader's order
    notes: tuple     # Note

    def table(self):
        """{item: [points, max_points, [statuses], [feedback]]}, a fresh copy for each caller."""
        return item_table(self.results)

    def note_texts(self):
        return [note.text for note in self.notes]

    def record(self):
        """The record's dictionary form, as results.json's ``extra_data.record`` holds it."""
        return GradingRecord(checks=list(self.results), notes=list(self.notes)).to_dict()


class GradingCache:
    """``cache(cells)`` writes ``cells`` and the check cell as one notebook and grades it, once per
    distinct (cells, limits); ``gradings`` counts the kernels it started, for the suite's figures.
    The key is the notebook and the limits alone: a test that needs another environment (its own
    Fashion-MNIST files, say) grades its notebook itself."""

    def __init__(self, folder):
        self.folder = Path(folder)
        self.gradings = 0
        self._done = {}
        self._lock = threading.Lock()   # one grading at a time: a second caller waits for the first

    def __call__(self, cells, limits=HOMEWORK_LIMITS):
        key = (tuple(cells), repr(limits))
        with self._lock:
            if key not in self._done:
                self.gradings += 1
                notebook = write_notebook(self.folder / f"homework-{self.gradings}.ipynb", *cells, CHECK_CELL)
                results, notes = grade_checks(notebook, limits=limits)
                self._done[key] = Grading(notebook, tuple(results), tuple(notes))
            return self._done[key]
