"""The student package in a hosted notebook (Colab and the like): built as a wheel from the student
release, installed into a fresh environment that looks like a hosted image, and a notebook that
starts with the release's set-up cell run there.

The "image" is this project's installed packages (torch, numpy, matplotlib, pyzmq, ...) minus
this checkout's ``d2l`` and ``grader`` (they must come from the wheel), minus the grader's own
tools (pytest, nbclient, nbformat) and hypothesis, which a hosted image does not have, and with
the versions of ipykernel, ipython, jupyter_client and tornado that Colab pins instead of ours.
Installing the wheel must add only the light packages and change none of those four. Everything
is installed offline; the pinned wheels are downloaded once into pytest's cache
(``.pytest_cache``), and the tests skip where that cache is empty and there is no network.
"""

import importlib.metadata
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
from grader.setup_cell import is_setup_cell
from solutions.fill import reference_definitions

# What Colab's image pins (its ipykernel, ipython, jupyter_client and tornado) and must keep.
COLAB_PINS = {"ipykernel": "6.17.1", "ipython": "7.34.0", "jupyter_client": "6.1.12", "tornado": "6.4.2"}
NOT_IN_IMAGE = ("pytest", "nbclient", "nbformat", "hypothesis")
# What the wheel may add to such an image: itself, and the checks' hypothesis.
LIGHT = {"convnet-homework", "hypothesis", "sortedcontainers"}
CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")
VERSIONS = ("import importlib.metadata as m, json; "
            "print(json.dumps({d.metadata['Name'].lower().replace('_', '-'): d.version for d in m.distributions()}))")


def run(*command, cwd=None):
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def _key(name):
    return name.lower().replace("_", "-")


def wheelhouse(request, tmp_root):
    """A folder with the pinned wheels and their dependencies, downloaded once (skip if offline)."""
    wanted = [f"{name}=={version}" for name, version in COLAB_PINS.items()]
    wanted.append(f"hypothesis=={importlib.metadata.version('hypothesis')}")
    cache = getattr(request.config, "cache", None)
    tag = f"hosted-wheels-py{sys.version_info.major}{sys.version_info.minor}"
    folder = cache.mkdir(tag) if cache is not None else tmp_root / tag
    have = {(_key(p.name.split("-")[0]), p.name.split("-")[1]) for p in Path(folder).glob("*.whl")}
    if all((_key(w.split("==")[0]), w.split("==")[1]) in have for w in wanted):
        return Path(folder)
    done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--only-binary=:all:", "-d", str(folder),
                           *wanted], capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"the Colab-like pins are not cached and could not be downloaded: {done.stderr.strip()[-300:]}")
    return Path(folder)


def _image(root):
    """This environment's packages as links, without those a hosted image lacks or pins otherwise."""
    left_out = {"convnet-homework", *COLAB_PINS, *NOT_IN_IMAGE}
    hidden = set()
    for dist in importlib.metadata.distributions():
        if _key(dist.metadata["Name"]) in {_key(n) for n in left_out}:
            hidden |= {Path(f).parts[0] for f in dist.files or ()}
    image = root / "image"
    image.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name not in hidden and not entry.name.lower().startswith(("convnet_homework", "__editable__")):
            (image / entry.name).symlink_to(entry)
    return image


@pytest.fixture(scope="module")
def hosted(request, tmp_path_factory):
    """(python of a Colab-like venv with the student wheel installed, its jupyter path, the
    versions before and after the install, the release's folder, the venv's site-packages)."""
    root = tmp_path_factory.mktemp("hosted")
    wheels = wheelhouse(request, root)
    release = root / "release"
    build_release(release, "course/homework", grader_ref="v1", starter_repo="course/homework-starter",
                  allow_dirty=True)
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", root / "wheels", release)
    venv = root / "venv"
    # From the interpreter this checkout's venv was made from; pip and all else come from the "image".
    # No public API names it (venv itself reads sys._base_executable); sys.base_exec_prefix gives only its folder.
    run(sys._base_executable, "-m", "venv", "--without-pip", venv)  # noqa: SLF001 - base interpreter, no public name
    python = venv / "bin" / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "host_image.pth").write_text(f"{_image(root)}\n")
    offline = ("-m", "pip", "install", "-q", "--no-index", "--disable-pip-version-check")
    run(python, *offline, "--find-links", wheels, *(f"{n}=={v}" for n, v in COLAB_PINS.items()))
    torch_before = run(python, "-c", "import torch; print(torch.__file__, torch.__version__)")
    before = json.loads(run(python, "-c", VERSIONS, cwd=root))   # not this checkout's egg-info
    # offline: a requirement the image does not meet already fails here rather than being fetched
    run(python, *offline, "--find-links", root / "wheels", "--find-links", wheels, "convnet-homework")
    after = json.loads(run(python, "-c", VERSIONS, cwd=root))
    assert run(python, "-c", "import torch; print(torch.__file__, torch.__version__)") == torch_before
    kernels = root / "jupyter" / "kernels" / "hosted"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "hosted", "language": "python"}))
    return python, root / "jupyter", before, after, release, site


def test_the_wheel_adds_only_the_light_packages_and_keeps_the_hosts_pins(hosted):
    python, _, before, after, release, site = hosted
    assert {name: before.get(_key(name)) for name in COLAB_PINS} == COLAB_PINS
    assert {name: after.get(_key(name)) for name in COLAB_PINS} == COLAB_PINS
    added = set(after) - set(before)
    assert "convnet-homework" in added and added <= LIGHT, added
    assert not {"pytest", "nbclient", "nbformat", "jupyter-server", "notebook"} & set(after)
    assert {name: after[name] for name in before} == before   # nothing upgraded or downgraded
    shipped = {p.relative_to(release).as_posix() for tree in ("d2l", "grader") for p in (release / tree).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    installed = {p.relative_to(site).as_posix() for tree in ("d2l", "grader") for p in (site / tree).rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts}
    assert shipped - installed == set()   # data files too (the release's stored reports)
    loaded = run(python, "-c", "import sys; from d2l import torch as d2l; import grader.notebook_check; "
                 "print(sorted({m.split('.')[0] for m in sys.modules}))")
    assert not {"pytest", "nbclient", "nbformat", "jupyter_client", "ipykernel", "tornado", "zmq"} & set(eval(loaded))


def test_the_set_up_cell_then_d2l_and_the_checks_run_in_the_hosted_kernel(hosted, tmp_path, monkeypatch):
    python, jupyter_path, _, _, release, _ = hosted
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    first = nbformat.read(str(release / "assignment" / "7.2-cross-correlation.ipynb"), as_version=4).cells[0]
    assert is_setup_cell(first)
    nb = new_notebook(cells=[
        new_code_cell(first.source),
        new_code_cell("import torch\nfrom torch import nn\nfrom d2l import torch as d2l\nimport grader, IPython\n"
                      "print(d2l.__file__, grader.__file__)\nprint(IPython.__version__)"),
        new_code_cell(CORR2D + "\n\n" + reference_definitions()["LeNet"]),
        new_code_cell("report = d2l.check('corr2d', 'LeNet')\nprint('POINTS', report.item_points())\nreport"),
    ])
    NotebookClient(nb, timeout=300, kernel_name="hosted", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]
    errors = [o for cell in nb.cells for o in cell.outputs if o.get("output_type") == "error"]
    assert not errors, errors
    assert nb.cells[0].outputs == []   # the library is there: the set-up cell installs nothing
    venv = str(python.parents[1])
    paths, ipython = printed[1].splitlines()
    assert all(path.startswith(venv) for path in paths.split()), paths   # from the wheel
    assert ipython == COLAB_PINS["ipython"]
    points = eval(printed[3].split("POINTS ")[1].splitlines()[0])
    assert 0 < points["corr2d"][0] == points["corr2d"][1]   # its checks' oracle is torch: all run here
    assert 0 < points["LeNet"][0] == points["LeNet"][1]     # what runs here passes
    assert "fresh kernel" in nb.cells[3].outputs[-1]["data"]["text/html"]   # a preview; the grader's run counts
