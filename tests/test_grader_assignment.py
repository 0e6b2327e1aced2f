"""The grader on the real assignment: solved gets everything, blank gets nothing, layout does not matter."""

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_notebook
from notebook_factory import grade
from shared_gradings import blank_homework

from grader.items import ITEMS
from grader.kernel import ExecutionLimits
from solutions.fill import solved

ASSIGNMENT = Path(__file__).resolve().parents[1] / "assignment"
LIMITS = ExecutionLimits(cell_timeout=120, total_budget=600, probe_timeout=60)


def _notebooks():
    return [nbformat.read(str(p), as_version=4) for p in sorted(ASSIGNMENT.glob("*.ipynb"))]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from idx_files import write_fashion_mnist

    return write_fashion_mnist(tmp_path_factory.mktemp("fmnist")) and tmp_path_factory.getbasetemp() / "fmnist0"


@pytest.fixture(autouse=True)
def small_data(monkeypatch, data_dir):
    monkeypatch.setenv("FASHION_MNIST_DIR", str(data_dir))


def _write(folder, names_and_notebooks):
    folder.mkdir(parents=True, exist_ok=True)
    for name, nb in names_and_notebooks:
        nbformat.write(nb, str(folder / name))
    return folder


def _assert_full_marks(table):
    assert set(table) == set(ITEMS)
    wrong = {item: (got, full, statuses) for item, (got, full, statuses, _) in table.items() if got != full}
    assert not wrong


def test_solved_assignment_gets_full_marks(tmp_path):
    paths = sorted(ASSIGNMENT.glob("*.ipynb"))
    folder = _write(tmp_path / "solved", [(p.name, solved(nb)) for p, nb in zip(paths, _notebooks())])
    table, notes = grade(folder, limits=LIMITS)
    _assert_full_marks(table)


@pytest.mark.slow
def test_one_notebook_for_the_whole_homework_gets_full_marks(tmp_path):
    """The seed's layout: every section in one notebook, headings and all. Slow: by default
    test_check_cell's solved homework (every section in one notebook) and the solved assignment
    above (the notebooks' own cells) cover it."""
    cells = [cell for nb in _notebooks() for cell in solved(nb).cells]
    whole = new_notebook(cells=cells)
    table, _ = grade(_write(tmp_path / "one", [("HW2.ipynb", whole)]), limits=LIMITS)
    _assert_full_marks(table)


def test_the_blank_homework_scores_zero_with_not_implemented_everywhere(graded_homework):
    """Every code cell of the assignment's notebooks in one notebook: the grading test_check_cell
    and test_release_parity share (shared_gradings.py)."""
    _assert_not_implemented_everywhere(graded_homework(blank_homework()).table())


@pytest.mark.slow
def test_blank_assignment_scores_zero_with_not_implemented_everywhere():
    """The assignment's own folder of notebooks. Slow: by default the blank homework above is
    graded, and test_instructor_release grades this folder (released) to zero, every public check
    not implemented but the GPU-only ones, skipped."""
    table, _ = grade(ASSIGNMENT, limits=LIMITS)
    _assert_not_implemented_everywhere(table)


def _assert_not_implemented_everywhere(table):
    assert set(table) == set(ITEMS)
    for item, (got, full, statuses, feedback) in table.items():
        if ITEMS[item].training:  # GPU-only and opt-in: skipped here, 0 of 0 points
            assert set(statuses) == {"skipped"} and full == 0, (item, statuses)
            continue
        assert got == 0 and full > 0, item
        assert set(statuses) == {"not implemented"}, (item, statuses)
        assert all("not implemented yet" in f for f in feedback)
