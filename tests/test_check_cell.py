"""The check cell, ``d2l.check(...)``: the same points as ``pytest grader`` for every item, run on
the definitions live in a real notebook kernel (nbclient), and harmless inside the grader's own.

Each case is one notebook: the whole homework (solved, with a round of mutants from
tests/mutants.py, or blank) and a last cell that checks every item and prints the points per
item. The same notebook is then graded by the grader, which runs that cell too (there it only
says that the checks are not available); that grading is shared with the other tests that grade
the same notebook (shared_gradings.py). Round 0 of the mutants runs by default, the rest with
``-m slow``.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import nbformat
import pytest
from mutants import rounds, solved_homework
from nbclient import NotebookClient
from notebook_factory import write_notebook
from shared_gradings import CHECK_CELL, GRADED, MARK, blank_homework

from grader.cell_names import ordinal
from grader.check_view import CheckReport
from grader.record import FAILED, PASSED, SKIPPED, CheckResult, rounded

ROUNDS = rounds()


def check_cell_points(path):
    """{item: (points, max)} that the check cell printed when the notebook ran in a plain kernel."""
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    last = nb.cells[-1]
    printed = "".join(o.get("text", "") for o in last.outputs if o.get("output_type") == "stream")
    errors = [f"{o.ename}: {o.evalue}" for o in last.outputs if o.get("output_type") == "error"]
    assert MARK in printed, errors or printed
    html = [o["data"]["text/html"] for o in last.outputs if "text/html" in o.get("data", {})]
    assert html and "d2l.check" in html[0]
    points = json.loads(printed.split(MARK, 1)[1].splitlines()[0])
    return {item: tuple(value) for item, value in points.items()}


def same_points_as_the_grader(tmp_path, graded_homework, cells):
    notebook = write_notebook(tmp_path / "homework.ipynb", *cells, CHECK_CELL)
    with ThreadPoolExecutor(1) as pool:   # the plain kernel and the grader's at once (two cores)
        cell = pool.submit(check_cell_points, notebook)
        grading = graded_homework(cells)   # the same notebook; graded once per session
        table, notes = grading.table(), grading.note_texts()
        from_cell = cell.result()
    from_grader = {item: (rounded(table[item][0]), rounded(table[item][1])) for item in GRADED}
    differ = {item: (from_cell[item], from_grader[item]) for item in GRADED if from_cell[item] != from_grader[item]}
    assert not differ, f"check cell vs grader: {differ}"
    check_cell = f"the {ordinal(len(cells) + 1)} code cell "   # how the notes would name it
    assert not [note for note in notes if check_cell in note], notes  # harmless under the grader
    return from_grader


def test_solved_homework_same_points_as_the_grader(tmp_path, graded_homework):
    points = same_points_as_the_grader(tmp_path, graded_homework, solved_homework())
    assert all(got == full for got, full in points.values())


@pytest.mark.slow
def test_solved_homework_in_float64_same_points_as_the_grader(tmp_path, graded_homework):
    """The check cell runs the grader's own code in the student's kernel, whose default dtype is
    then float64 for the grader's side too: the points are still full, and the grader's."""
    cells = solved_homework()
    cells.insert(1, "torch.set_default_dtype(torch.float64)")
    points = same_points_as_the_grader(tmp_path, graded_homework, cells)
    assert all(got == full for got, full in points.values())


def test_blank_homework_same_points_as_the_grader(tmp_path, graded_homework):
    points = same_points_as_the_grader(tmp_path, graded_homework, blank_homework())
    assert all(got == 0 for got, _ in points.values())


@pytest.mark.parametrize("number", [pytest.param(k, id=f"round{k}", marks=[pytest.mark.slow] if k else [])
                                    for k in range(len(ROUNDS))])
def test_mutants_same_points_as_the_grader(tmp_path, graded_homework, number):
    mutants = ROUNDS[number]
    points = same_points_as_the_grader(tmp_path, graded_homework,
                                       solved_homework([(item, source) for item, _, source in mutants]))
    assert all(points[item][0] < points[item][1] for item, _, _ in mutants)


# ---- what the cell shows (no kernel) -------------------------------------------------------
def result(title, status, points, full, feedback="", hidden=False, item="corr2d", section="7.2"):
    return CheckResult(f"{section} {item}: {title}", item, section, Fraction(points), Fraction(full), status,
                       feedback, hidden)


def test_the_cell_shows_points_statuses_and_the_failing_call():
    feedback = ("`corr2d(X, K)` returned `tensor([1.])`, expected `tensor([2.])`\n\n"
                "```python\nX = torch.tensor([[1.]])\n```")
    report = CheckReport([result("the book's example", PASSED, 1, 1),
                          result("generated inputs", FAILED, 0, 2, feedback),
                          result("hidden edge", FAILED, 0, 1, "secret input", hidden=True),
                          result("training", SKIPPED, 0, 0, "checked by your instructor's grader")],
                         ["corr2d"], 0.5)
    html, text = report._repr_html_(), repr(report)
    assert "1.00 / 4.00" in html and "1.00 / 4.00" in text
    assert "<pre><code>X = torch.tensor([[1.]])</code></pre>" in html and "X = torch.tensor([[1.]])" in text
    assert "secret input" not in html and "secret input" not in text
    assert "fresh kernel" in html and "failed" in html
    assert report.item_points() == {"corr2d": (1.0, 4.0)}


def test_an_unknown_item_is_named_with_a_suggestion_and_every_graded_name():
    from grader.notebook_check import check

    shown = check("corr2", 7)
    text, html = repr(shown), shown._repr_html_()
    assert "no graded item `'corr2'` (did you mean `'corr2d'`?), `7`" in text
    assert "7.2: `corr2d`, `Conv2D`" in text and "8.6: `Residual`, `ResNet`, `ResNet18`." in text
    assert "LeNet_training" not in text and "<code>corr2d</code>" in html


def test_an_item_of_another_section_says_where_it_is_graded():
    from in_process import InProcessKernel

    from grader.notebook_check import NotebookSession
    from grader.probe import NOT_SUBMITTED, ProbeFailure

    session = NotebookSession(InProcessKernel("def corr2d(X, K):\n    return X"))
    with pytest.raises(ProbeFailure) as raised:
        session.locate("corr2d_multi_in")
    assert raised.value.kind == NOT_SUBMITTED and "section 7.4's notebook" in raised.value.message


def test_where_the_grader_cannot_be_imported_the_cell_only_says_so(monkeypatch):
    import sys

    import grader
    from d2l import check as d2l_check

    for name in ("notebook_check", "notebook_watch"):   # unimportable, as in the grader's own kernels
        monkeypatch.delattr(grader, name, raising=False)
        monkeypatch.setitem(sys.modules, f"grader.{name}", None)
    shown = repr(d2l_check.check("corr2d"))
    assert "not available in this kernel" in shown and "pytest grader" in shown
    d2l_check.watch()   # and importing d2l never fails because of it
