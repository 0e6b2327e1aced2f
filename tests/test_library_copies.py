"""An item answered by the course library's own copy of it earns nothing, by any route; the same
copy used by another item (the book's 7.4 builds corr2d_multi_in on d2l.corr2d) stays fine."""

import pytest
import torch
from in_process import InProcessKernel, checks_of, run_check
from notebook_factory import IMPORTS, grade, write_notebook

from d2l import torch as d2l
from grader.probe import BORROWED
from solutions.fill import reference_definitions

BORROWING = {
    "a call": "def corr2d(X, K):\n    return d2l.corr2d(X, K)",
    "importlib": "import importlib\n\ndef corr2d(X, K):\n    return importlib.import_module('d2l.conv').corr2d(X, K)",
    "getattr": "def corr2d(X, K):\n    return getattr(d2l, 'corr' + '2d')(X, K)",
    "an alias taken at import": "from d2l.conv import corr2d as _book\n\ndef corr2d(X, K):\n    return _book(X, K)",
    "a lambda": "corr2d = lambda X, K: d2l.corr2d(X, K) * 1",
    "the grader's stand-in": ("import sys\n\ndef corr2d(X, K):\n"
                              "    return sys.modules['grader.kernel_side.stand_ins'].corr2d(X, K)"),
}


@pytest.mark.parametrize("route", BORROWING)
def test_corr2d_answered_by_the_librarys_corr2d_earns_nothing_and_says_why(route):
    kernel = InProcessKernel(BORROWING[route])
    results = [run_check(check, kernel=kernel) for check in checks_of("corr2d")]
    assert all(not passed and fraction == 0 for passed, fraction, _ in results), results
    assert all(message.startswith(BORROWED) and "course library's own corr2d" in message
               for _, _, message in results), results
    X, K = torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0]])
    assert d2l.corr2d(X, K).tolist() == X.tolist()   # the library's copy works again afterwards


def test_the_books_74_code_on_d2l_corr2d_keeps_full_marks():
    kernel = InProcessKernel(reference_definitions()["corr2d_multi_in"], reference_definitions()["corr2d_multi_in_out"])
    assert "d2l.corr2d" in reference_definitions()["corr2d_multi_in"]
    for item in ("corr2d_multi_in", "corr2d_multi_in_out"):
        results = [run_check(check, kernel=kernel) for check in checks_of(item)]
        assert all(passed for passed, _, _ in results), results


def test_through_a_real_kernel_the_borrowed_corr2d_scores_zero_and_own_code_around_it_full(tmp_path):
    notebook = write_notebook(tmp_path / "hw.ipynb", IMPORTS, BORROWING["a call"],
                              reference_definitions()["corr2d_multi_in"])
    table, _ = grade(notebook, {"corr2d", "corr2d_multi_in"})
    got, full, statuses, feedback = table["corr2d"]
    assert got == 0 and full == 4 and set(statuses) == {BORROWED}
    assert "write corr2d yourself" in feedback[0]
    assert table["corr2d_multi_in"][0] == table["corr2d_multi_in"][1] == 3
