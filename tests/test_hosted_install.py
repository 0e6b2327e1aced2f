"""The student package in a hosted notebook (Colab and the like): built as a wheel from the student
release, installed into a fresh environment that already has torch, and a check cell run there.

The fresh environment sees this project's installed packages (torch, ipykernel, hypothesis, ...)
the way a hosted image has its own, but not this checkout's ``d2l`` and ``grader``: those must
come from the wheel. pip is run offline, so it can only use what is there, and torch must be left
as it was.
"""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from grader.instructor.release import build_release
from solutions.fill import reference_definitions

CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")


def run(*command, cwd=None):
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def hosted(tmp_path_factory):
    """(python of a fresh venv with the student wheel installed, its jupyter path)."""
    root = tmp_path_factory.mktemp("hosted")
    release = root / "release"
    build_release(release, "course/homework", grader_ref="v1")
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", root / "wheels", release)
    venv = root / "venv"
    run(sys._base_executable, "-m", "venv", "--without-pip", venv)   # pip and all else from the "image"
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # the "image's" own packages: links to this environment's, without this project's editable install
    image = root / "image"
    image.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith(("convnet_homework", "__editable__")):
            (image / entry.name).symlink_to(entry)
    (site / "host_image.pth").write_text(f"{image}\n")
    torch_before = run(python, "-c", "import torch; print(torch.__file__, torch.__version__)")
    run(python, "-m", "pip", "install", "-q", "--no-index", "--find-links", root / "wheels", "convnet-homework")
    assert run(python, "-c", "import torch; print(torch.__file__, torch.__version__)") == torch_before
    kernels = root / "jupyter" / "kernels" / "hosted"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hosted", "language": "python"}))
    return python, root / "jupyter"


def test_the_wheel_brings_d2l_and_the_checks_and_leaves_torch_alone(hosted, tmp_path, monkeypatch):
    python, jupyter_path = hosted
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    nb = new_notebook(cells=[
        new_code_cell("import torch\nfrom torch import nn\nfrom d2l import torch as d2l\nimport grader\n"
                      "print(d2l.__file__, grader.__file__)"),
        new_code_cell(CORR2D + "\n\n" + reference_definitions()["LeNet"]),
        new_code_cell("report = d2l.check('corr2d', 'LeNet')\nprint('POINTS', report.item_points())\nreport"),
    ])
    NotebookClient(nb, timeout=300, kernel_name="hosted", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    errors = [o for cell in nb.cells for o in cell.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    venv = str(python.parents[1])
    assert all(path.startswith(venv) for path in printed[0].split()), printed[0]   # from the wheel
    points = eval(printed[2].split("POINTS ")[1].splitlines()[0])
    assert 0 < points["corr2d"][0] == points["corr2d"][1]   # its checks' oracle is torch: all run here
    assert 0 < points["LeNet"][0] == points["LeNet"][1]     # what runs here passes ...
    html = nb.cells[2].outputs[-1]["data"]["text/html"]
    assert "checked by your instructor" in html            # ... the reference comparisons are left to the grader
    assert "fresh kernel" in html
