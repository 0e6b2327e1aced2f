"""The student notebooks in assignment/: clean, complete, and runnable blank and solved.

* Every notebook is valid nbformat 4.5, committed without outputs, and marks each graded name
  of its section (``grader.items``) exactly once, on a code cell holding a stub whose signature
  matches the reference in ``solutions/``.
* Filled with the reference solutions (``solutions.fill.solved``), every notebook runs top to
  bottom without an error.
* Blank, every error a notebook raises is the ``NotImplementedError`` of a stub (demo cells that
  call a stub fail that way too, never with a NameError or a shape error).

Training cells run on a tiny fake Fashion-MNIST (``tests/idx_files.py``), capped by ``D2L_MAX_EPOCHS`` and
``D2L_MAX_BATCHES`` as the grader caps them.
"""

import ast
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from idx_files import write_fashion_mnist
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from grader.items import ITEMS
from grader.submission import section_of
from solutions.fill import graded_item, reference_definitions, solved

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO / "assignment"
NOTEBOOKS = sorted(ASSIGNMENT.glob("*.ipynb"))
IMPORT_LINES = ["import torch", "from torch import nn", "from torch.nn import functional as F",
                "from d2l import torch as d2l"]
CELL_TIMEOUT = 300

# A few results of the book's demonstrations that the solved notebooks must print.
EXPECTED_OUTPUT = {
    "7.1": ["1,000,000,000,000", "441", "sanity checks pass"],
    "7.2": ["tensor([[19., 25.],\n        [37., 43.]])", "[ 0.,  1.,  0.,  0.,  0., -1.,  0.]"],
    "7.3": ["torch.Size([8, 8])", "torch.Size([4, 4])", "torch.Size([2, 2])"],
    "7.4": ["tensor([[ 56.,  72.],\n        [104., 120.]])", "torch.Size([3, 2, 2, 2])"],
    "7.5": ["tensor([[4., 5.],\n        [7., 8.]])", "tensor([[[[10.]]]])",
            "average pooling and the convolution agree"],
    "7.6": ["AvgPool2d output shape:\t torch.Size([1, 16, 5, 5])",
            "MaxPool2d output shape:\t torch.Size([1, 16, 5, 5])", "validation accuracy"],
    "8.2": ["Flatten output shape:\t torch.Size([1, 25088])", "13 convolutional + 3 fully connected = 16",
            "16 convolutional + 3 fully connected = 19"],
    "8.6": ["torch.Size([4, 3, 6, 6])", "torch.Size([4, 6, 3, 3])", "torch.Size([1, 512, 3, 3])",
            "validation accuracy"],
}


def _id(path):
    return path.name.split("-")[0]


def _read(path):
    return nbformat.read(str(path), as_version=nbformat.NO_CONVERT)


def _section(path):
    return section_of(path, _read(path))


# ---- executing a notebook -------------------------------------------------------------------------
def execute(nb, tmp_path, allow_errors):
    """Run ``nb`` top to bottom in a fresh python3 kernel of this interpreter, in a tmp folder."""
    data = tmp_path / "fashion-mnist"
    write_fashion_mnist(data)
    work = tmp_path / "work"
    work.mkdir()
    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "JPY_"))}
    env.update({"D2L_MAX_EPOCHS": "1", "D2L_MAX_BATCHES": "2", "FASHION_MNIST_DIR": str(data),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1", "HOME": str(tmp_path)})
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python", "env": env}))
    km = KernelManager(kernel_name="python3",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")]))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(work)}}, startup_timeout=120)
    client.execute()
    return nb


def errors(nb):
    """(cell index, ename, evalue) for every error output."""
    return [(i, out.get("ename"), out.get("evalue"))
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.get("output_type") == "error"]


def text_of(nb):
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
            elif out.get("output_type") in ("execute_result", "display_data"):
                parts.append(out.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


# ---- structure --------------------------------------------------------------------------------
def test_one_notebook_per_section():
    assert [_section(p) for p in NOTEBOOKS] == ["7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "8.2", "8.6"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_notebook_is_valid_and_clean(path):
    nb = _read(path)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    ids = [cell.get("id") for cell in nb.cells]
    assert all(ids) and len(set(ids)) == len(ids), "every cell needs its own id"
    section = _section(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(f"# {section} ")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, "commit notebooks without outputs"
    assert code[0].source.splitlines() == IMPORT_LINES
    for cell in nb.cells:
        if graded_item(cell) is not None:
            assert cell.cell_type == "code", f"{graded_item(cell)} marks a {cell.cell_type} cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_graded_names_marked_once_with_matching_stubs(path):
    nb = _read(path)
    section = _section(path)
    marked = [graded_item(cell) for cell in nb.cells if graded_item(cell) is not None]
    expected = [name for name, item in ITEMS.items() if item.section == section and not item.training]
    assert sorted(marked) == sorted(expected), "each graded name of the section is marked exactly once"
    references = reference_definitions()
    for cell in nb.cells:
        name = graded_item(cell)
        if name is None:
            continue
        assert name in references, f"solutions/ has no reference for {name}"
        stub = _definition(cell.source, name)
        reference = _definition(references[name], name)
        stub_sig, reference_sig = _signature(stub), _signature(reference)
        if isinstance(stub, ast.ClassDef):
            assert stub_sig[0] == reference_sig[0], f"stub {name} has other base classes than the reference"
            for method, args in stub_sig[1].items():
                assert reference_sig[1].get(method) == args, (
                    f"stub {name}.{method} differs in signature from the reference")
        else:
            assert stub_sig == reference_sig, f"stub {name} differs in signature from the reference"
        if isinstance(stub, ast.Assign):
            assert isinstance(stub.value, ast.Constant) and stub.value.value is Ellipsis, f"{name} stub should be '...'"
        else:
            raised = [node.exc for node in ast.walk(stub) if isinstance(node, ast.Raise)]
            assert raised and all("NotImplementedError" in ast.unparse(exc) for exc in raised)
        # nothing but the one definition (and comments) in a graded cell
        assert len(ast.parse(cell.source).body) == 1


def test_no_graded_definition_outside_marked_cells():
    for path in NOTEBOOKS:
        for cell in _read(path).cells:
            if cell.cell_type != "code" or graded_item(cell) is not None:
                continue
            for node in ast.parse(_without_magics(cell.source)).body:
                bound = {t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)}
                bound |= {node.name} if isinstance(node, (ast.FunctionDef, ast.ClassDef)) else set()
                assert not bound & set(ITEMS), f"{path.name}: {bound & set(ITEMS)} defined in an unmarked cell"


def _without_magics(source):
    return re.sub(r"^\s*[%!].*$", "", source, flags=re.M)


def _definition(source, name):
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return node
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return node
    raise AssertionError(f"no definition of {name} in:\n{source}")


def _signature(node):
    """Parameters and defaults of a function; for a class, its bases and each method's parameters."""
    if isinstance(node, ast.FunctionDef):
        return ast.unparse(node.args)
    if isinstance(node, ast.ClassDef):
        methods = {n.name: ast.unparse(n.args) for n in node.body if isinstance(n, ast.FunctionDef)}
        return [ast.unparse(b) for b in node.bases], methods
    return "value"


# ---- the answer key ----------------------------------------------------------------------------
def test_the_answer_key_command_writes_every_notebook_solved(tmp_path, capsys):
    from grader.instructor.__main__ import main

    out = tmp_path / "new" / "key"
    assert main(["answer-key", str(out)]) == 0
    assert "wrote 8 solved notebooks" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [p.name for p in NOTEBOOKS]
    definitions = reference_definitions()
    for path in NOTEBOOKS:
        blank, key = _read(path), nbformat.read(str(out / path.name), as_version=4)
        assert key == solved(blank) and any(graded_item(cell) for cell in key.cells)
        for cell, stub in zip(key.cells, blank.cells):
            if graded_item(cell) is not None:
                assert cell.source == definitions[graded_item(cell)] != stub.source


def test_the_answer_key_is_never_written_into_the_assignment_or_over_other_files(tmp_path, capsys):
    from grader.instructor.__main__ import main

    blank = tmp_path / "assignment"
    blank.mkdir()
    (blank / NOTEBOOKS[0].name).write_bytes(NOTEBOOKS[0].read_bytes())
    for refused in (blank, blank / "key"):
        assert main(["answer-key", str(refused), "--assignment", str(blank), "--force"]) == 2
        assert "assignment folder or inside it" in capsys.readouterr().err
    assert sorted(p.name for p in blank.iterdir()) == [NOTEBOOKS[0].name]
    assert _read(blank / NOTEBOOKS[0].name) == _read(NOTEBOOKS[0])
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.md").write_text("mine")
    assert main(["answer-key", str(used), "--assignment", str(blank)]) == 2
    assert "not empty" in (error := capsys.readouterr().err) and "--force" in error
    assert [p.name for p in used.iterdir()] == ["notes.md"]
    assert main(["answer-key", str(used), "--assignment", str(blank), "--force"]) == 0
    assert sorted(p.name for p in used.iterdir()) == [NOTEBOOKS[0].name, "notes.md"]
    assert (used / "notes.md").read_text() == "mine"
    (tmp_path / "a-file").write_text("")
    assert main(["answer-key", str(tmp_path / "a-file"), "--assignment", str(blank)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["answer-key", str(tmp_path / "key"), "--assignment", str(tmp_path / "empty")]) == 2
    assert "holds no notebooks" in capsys.readouterr().err


# ---- execution ----------------------------------------------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_solved_notebook_runs(path, tmp_path):
    nb = execute(solved(_read(path)), tmp_path, allow_errors=False)
    assert errors(nb) == []
    text = text_of(nb)
    for expected in EXPECTED_OUTPUT[_section(path)]:
        assert expected in text, f"{expected!r} not in the outputs of the solved {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_id)
def test_blank_notebook_fails_only_in_stubs(path, tmp_path):
    nb = execute(_read(path), tmp_path, allow_errors=True)
    found = errors(nb)
    assert found, "a blank notebook should raise NotImplementedError somewhere"
    assert [e for e in found if e[1] != "NotImplementedError"] == []
    for cell in nb.cells:
        if graded_item(cell) is not None:
            assert not any(out.get("output_type") == "error" for out in cell.outputs), \
                f"defining the {graded_item(cell)} stub should not fail"
