"""A cell that raises: the notes name it, its error, the line, and what it never defined; a
NameError in a check's feedback points back to it; the notes outlive the kernels."""

import ast

from notebook_factory import QUICK, write_notebook

from grader.cell_failures import cell_failure, lost_names, point_to_cause
from grader.checks import ALL_CHECKS
from grader.kernel_side.capture import ASSIGNMENT, DEFINITION, IMPORT, DefinitionCapture, bound_names
from grader.scoring import run_check
from grader.session import GradingSession

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


NESTED = """\
import torch.nn as tnn, os.path
from torch import nn as torch_nn, optim
if True:
    def corr2d(X, K):
        inner = 1
try:
    class Conv2D:
        weight = 2
except ImportError:
    pool2d = None
else:
    x: int = 3
finally:
    y = 4
with open(__file__):
    for k in range(2):
        while False:
            z = k
        else:
            lenet = 5
a, b = 1, 2
obj.attr = 6
"""


def test_the_names_a_cell_binds_are_found_inside_blocks_not_inside_def_or_class_bodies():
    found = bound_names(ast.parse(NESTED))
    assert found == [("tnn", IMPORT), ("os", IMPORT), ("torch_nn", IMPORT), ("optim", IMPORT),
                     ("corr2d", DEFINITION), ("Conv2D", DEFINITION), ("x", ASSIGNMENT), ("y", ASSIGNMENT),
                     ("pool2d", ASSIGNMENT), ("z", ASSIGNMENT), ("lenet", ASSIGNMENT)]
    assert bound_names(ast.parse(NESTED), from_line=8) == found[5:]   # Conv2D's body raised: from there on
    assert bound_names(ast.parse(NESTED), from_line=16) == found[-2:]


def test_the_agent_and_the_notes_read_a_cell_alike():
    """Both ask ``bound_names``: what the agent watches for is what a failing cell never defined."""
    kinds = {"corr2d": "function", "Conv2D": "class", "pool2d": "function", "lenet": "value", "tnn": "value"}
    assert DefinitionCapture(kinds).defined_names(NESTED) == ({"corr2d", "Conv2D"}, {"pool2d", "lenet"})
    assert lost_names(NESTED, 1, set(kinds)) == (["tnn", "os", "torch_nn", "optim"],
                                                 ["corr2d", "Conv2D", "pool2d", "lenet"])


GUARDED_CORR2D = ("try:\n    import course_helpers_nobody_has\n    def corr2d(X, K):\n        return X\n"
                  "except KeyError:\n    pass")


def test_a_graded_definition_inside_try_after_the_error_is_reported_never_defined(tmp_path):
    """Jupyter shows such an error at the ``except`` that did not match (the frame's last line), not
    where it was raised, so all of the try's body counts as not run."""
    from notebook_factory import IMPORTS, grade

    nb = write_notebook(tmp_path / "7.2-cross-correlation.ipynb", IMPORTS, GUARDED_CORR2D)
    _, notes = grade(nb, {"corr2d"})
    (note,) = [str(n) for n in notes if "the cell that defines `corr2d` raised" in str(n)]
    assert "raised ModuleNotFoundError" in note and "line 5 (`except KeyError:`)" in note
    assert "never imported course_helpers_nobody_has and never defined corr2d" in note


def test_a_graded_definition_the_try_block_got_to_is_not_reported_lost(tmp_path):
    """The same error after ``def corr2d``: the kernel holds corr2d, so the note does not say it
    was never defined (and corr2d is graded)."""
    from notebook_factory import IMPORTS, grade

    defined_first = ("try:\n    def corr2d(X, K):\n        return X\n    import course_helpers_nobody_has\n"
                     "except KeyError:\n    pass")
    nb = write_notebook(tmp_path / "7.2-cross-correlation.ipynb", IMPORTS, defined_first)
    _, notes = grade(nb, {"corr2d"})
    (note,) = [str(n) for n in notes if "the cell that defines `corr2d` raised" in str(n)]
    assert "never imported course_helpers_nobody_has" in note and "never defined corr2d" not in note


def test_a_line_in_a_try_clause_stands_for_any_line_of_its_body_but_not_of_its_else():
    source = GUARDED_CORR2D + "\nelse:\n    x = 1\n    pool2d = 2\nfinally:\n    y = 3\n    Conv2D = 4"
    graded = {"corr2d", "x", "pool2d", "y", "Conv2D"}
    everything = (["course_helpers_nobody_has"], ["corr2d", "x", "pool2d", "y", "Conv2D"])
    assert lost_names(source, 5, graded) == lost_names(source, 2, graded) == everything
    assert lost_names(source, 12, graded) == (everything[0], ["corr2d", "x", "pool2d", "Conv2D"])  # end of finally
    assert lost_names(source, 9, graded) == ([], ["pool2d", "y", "Conv2D"])   # else raised: the body had run
    assert lost_names(source, 3, graded) == ([], ["corr2d", "x", "pool2d", "y", "Conv2D"])


def test_a_name_error_points_to_the_cell_that_never_defined_the_name():
    cell = {"cell_type": "code", "source": IMPORTS_AFTER_A_MISSING_MODULE, "outputs": [{
        "output_type": "error", "ename": "ModuleNotFoundError", "evalue": "No module named 'course_helpers_nobody_has'",
        "traceback": ["\x1b[31mModuleNotFoundError\x1b[39m", "Cell \x1b[32mIn[1], line 1\x1b[39m", "----> 1 import"]}]}
    failure = cell_failure("hw.ipynb", cell, 1, "ModuleNotFoundError: No module named 'course_helpers_nobody_has'",
                           set(), [{"cell_type": "markdown", "source": "# 7.2"}, cell])
    assert failure.line == 1 and failure.code == "import course_helpers_nobody_has"
    text = point_to_cause("raised `NameError: name 'F' is not defined`", [failure])
    assert "`F` is not defined because the 1st code cell of hw.ipynb raised ModuleNotFoundError" in text
    assert point_to_cause("raised `NameError: name 'G' is not defined`", [failure]).count("because") == 0


def test_notes_and_feedback_name_the_failing_import_cell_even_after_the_kernels_closed(tmp_path):
    nb = write_notebook(tmp_path / "7.2-cross-correlation.ipynb", IMPORTS_AFTER_A_MISSING_MODULE, CORR2D_WITH_F)
    session = GradingSession(nb, QUICK).start()
    try:
        result = run_check(session, next(c for c in ALL_CHECKS if c.item == "corr2d"))
    finally:
        session.close()
    assert "because the 1st code cell of 7.2-cross-correlation.ipynb raised ModuleNotFoundError" in result.feedback
    (record,) = [n for n in session.execution_notes() if n.cell == 1]
    assert (record.kind, record.notebook, record.serious) == ("cell-error", "7.2-cross-correlation.ipynb", False)
    note = record.text
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
    nb = write_notebook(tmp_path / "7.5-pooling.ipynb", IMPORTS, stub, "#md Try it:",
                        "pool2d(torch.ones(3, 3), (2, 2))", "pool2d(torch.ones(3, 3), (2, 2), 'avg')", "#md And:",
                        "1 / 0", title="# 7.5 Pooling")
    _, notes = grade(nb, {"pool2d"})   # cells named as Jupyter shows them: Markdown cells are not counted
    assert ("7.5-pooling.ipynb: the 3rd and 4th code cells stopped at a stub that is not filled in yet "
            "(NotImplementedError)") in notes
    assert any("7.5-pooling.ipynb: the 5th code cell raised ZeroDivisionError" in note for note in notes)


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
