"""A cell that raises: the notes name it, its error, the line, and what it never defined; a
NameError in a check's feedback points back to it; the notes outlive the kernels."""

from grader.cell_failures import cell_failure, lost_names, point_to_cause
from grader.checks import ALL_CHECKS
from grader.scoring import run_check
from grader.session import GradingSession
from notebook_factory import QUICK, write_notebook

IMPORTS_AFTER_A_MISSING_MODULE = ("import course_helpers_nobody_has\nimport torch\nfrom torch import nn\n"
                                  "from torch.nn import functional as F\nfrom d2l import torch as d2l")
CORR2D_WITH_F = "def corr2d(X, K):\n    return F.conv2d(X[None, None], K[None, None])[0, 0]"


def test_lost_names_are_the_statements_from_the_failing_line_on():
    source = "import os\n%matplotlib inline\nx = 1 / 0\nimport torch as T\ndef corr2d(X, K):\n    pass\npool2d = 3"
    imported, defined = lost_names(source, 3, {"corr2d", "pool2d", "x"})
    assert imported == ["T"] and defined == ["x", "corr2d", "pool2d"]
    assert lost_names("def broken(:\n    pass", 1, {"broken"}) == ([], [])


def test_a_failure_inside_a_definition_loses_that_definition():
    source = "class Conv2D:\n    weight = undefined_name\n\ndef later():\n    pass"
    assert lost_names(source, 2, {"Conv2D", "later"}) == ([], ["Conv2D", "later"])


def test_a_name_error_points_to_the_cell_that_never_defined_the_name():
    cell = {"source": IMPORTS_AFTER_A_MISSING_MODULE, "outputs": [{
        "output_type": "error", "ename": "ModuleNotFoundError", "evalue": "No module named 'course_helpers_nobody_has'",
        "traceback": ["\x1b[31mModuleNotFoundError\x1b[39m", "Cell \x1b[32mIn[1], line 1\x1b[39m", "----> 1 import"]}]}
    failure = cell_failure("hw.ipynb", cell, 0, "ModuleNotFoundError: No module named 'course_helpers_nobody_has'", set())
    assert failure.line == 1 and failure.code == "import course_helpers_nobody_has"
    text = point_to_cause("raised `NameError: name 'F' is not defined`", [failure])
    assert "`F` is not defined because hw.ipynb cell 1 raised ModuleNotFoundError" in text
    assert point_to_cause("raised `NameError: name 'G' is not defined`", [failure]).count("because") == 0


def test_notes_and_feedback_name_the_failing_import_cell_even_after_the_kernels_closed(tmp_path):
    nb = write_notebook(tmp_path / "7.2-cross-correlation.ipynb", IMPORTS_AFTER_A_MISSING_MODULE, CORR2D_WITH_F)
    session = GradingSession(nb, QUICK).start()
    try:
        result = run_check(session, next(c for c in ALL_CHECKS if c.item == "corr2d"))
    finally:
        session.close()
    assert "because 7.2-cross-correlation.ipynb cell 1 raised ModuleNotFoundError" in result.feedback
    (note,) = [n for n in session.execution_notes() if "cell 1" in n]
    assert "No module named 'course_helpers_nobody_has'" in note
    assert "line 1 (`import course_helpers_nobody_has`)" in note
    assert "never imported course_helpers_nobody_has, torch, nn, F, d2l" in note
    assert "course_helpers_nobody_has is not installed where the grader runs" in note


def test_a_missing_torchvision_is_explained_with_what_the_set_up_found(monkeypatch):
    from grader import setup_environment

    monkeypatch.setattr(setup_environment, "recorded", lambda: {"torchvision": {
        "available": False, "reason": "the torchvision build for torch 2.13.0 does not import next to it"}})
    from grader.cell_failures import CellFailure

    note = CellFailure("8.2-vgg.ipynb", 3, "ModuleNotFoundError: No module named 'torchvision.transforms'").note()
    assert note.endswith("torchvision is not installed where the grader runs: the torchvision build for torch "
                         "2.13.0 does not import next to it")


def test_the_torchvision_release_that_matches_torch():
    from grader.setup_environment import matching_torchvision

    assert matching_torchvision("2.13.0+cpu") == "0.28.*" and matching_torchvision("2.9.1") == "0.24.*"


def test_cells_that_stop_at_unfilled_stubs_share_one_note(tmp_path):
    from notebook_factory import IMPORTS, grade

    stub = "def pool2d(X, pool_size, mode='max'):\n    raise NotImplementedError('pool2d: fill me in')"
    nb = write_notebook(tmp_path / "7.5-pooling.ipynb", IMPORTS, stub, "pool2d(torch.ones(3, 3), (2, 2))",
                        "pool2d(torch.ones(3, 3), (2, 2), 'avg')", "1 / 0")
    _, notes = grade(nb, {"pool2d"})
    assert "7.5-pooling.ipynb: cells 3, 4 stopped at a stub that is not filled in yet (NotImplementedError)" in notes
    assert any("cell 5 raised ZeroDivisionError" in note for note in notes)


def test_an_error_raised_by_a_graded_definition_names_its_line_through_a_real_kernel(tmp_path):
    """The agent finds the student's frame in IPython's own cells (their lines kept in linecache),
    in a float64 kernel, and the interface check shows that error with no hint about ``__init__``."""
    from notebook_factory import IMPORTS, grade
    from test_checks_models import FORWARD_FAILS

    nb = write_notebook(tmp_path / "7.6-lenet.ipynb", IMPORTS, "torch.set_default_dtype(torch.float64)", FORWARD_FAILS)
    table, _ = grade(nb, {"LeNet"})
    feedback = table["LeNet"][3]
    line = "in `forward`, line 9 of its cell: `return scores @ torch.ones(3, 3)`"
    assert feedback and all("mat1 and mat2 shapes cannot be multiplied" in text and line in text for text in feedback)
    assert not any("keep them in `__init__`" in text for text in feedback), feedback
