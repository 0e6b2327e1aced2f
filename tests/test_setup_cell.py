"""The release's set-up cell in a real kernel where the course library looks missing: a failed
install ends in one short error naming what failed and where to look (not pip's text, then a
``ModuleNotFoundError`` in the next cell); a good one prints one line saying no restart is
needed. pip runs for real, offline, installing into a folder of the test's (``PIP_TARGET``)."""

import base64
import hashlib
import zipfile

import nbformat
from nbclient import NotebookClient

from grader.setup_cell import setup_cell

# Until something is installed into the target, d2l looks missing to the cell (as on Colab).
HIDE_D2L = """import importlib.util, os
real_find_spec = importlib.util.find_spec
def find_spec(name, package=None):
    if name.split(".")[0] == "d2l" and not os.listdir(os.environ["PIP_TARGET"]):
        return None
    return real_find_spec(name, package)
importlib.util.find_spec = find_spec"""


def tiny_wheel(folder):
    """A valid wheel of one empty module, made here (nothing is downloaded)."""
    name, version = "setup_cell_probe", "0.1"
    info = f"{name}-{version}.dist-info"
    files = {f"{name}/__init__.py": b"",
             f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}

    def digest(data):
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    record = "".join(f"{path},{digest(data)},{len(data)}\n" for path, data in files.items()) + f"{info}/RECORD,,\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for inside, data in {**files, f"{info}/RECORD": record.encode()}.items():
            wheel.writestr(inside, data)
    return path


def test_a_failed_install_raises_one_clear_error_and_a_good_one_says_no_restart(tmp_path, monkeypatch):
    target = tmp_path / "target"
    target.mkdir()
    for name, value in {"PIP_TARGET": str(target), "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}.items():
        monkeypatch.setenv(name, value)
    missing = tmp_path / "no-such-starter"
    again = setup_cell(str(tiny_wheel(tmp_path)))
    again.id = "course-setup-again"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HIDE_D2L), setup_cell(str(missing)), again])
    NotebookClient(nb, timeout=180, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    failed, installed = nb.cells[1].outputs, nb.cells[2].outputs

    (error,) = [o for o in failed if o["output_type"] == "error"]
    assert [o["output_type"] for o in failed] == ["error"]   # nothing of pip's printed before it
    assert error["ename"] == "RuntimeError"
    message = error["evalue"]
    assert message.startswith(f"The set-up could not install the course library from {missing} (pip: ERROR: ")
    assert str(missing) in message.split("(pip: ", 1)[1]   # pip's own reason, cut to its error lines
    assert "\x1b[" not in message and "restart" not in message
    assert "run this cell again" in message and len(message) < 700

    printed = "".join(o.get("text", "") for o in installed)
    assert [o["output_type"] for o in installed] == ["stream"]
    assert printed.strip() == f"Course library installed ({tmp_path / 'setup_cell_probe-0.1-py3-none-any.whl'}); " \
                              "no restart needed: go on with the next cell."
    assert "restart the kernel" not in printed and (target / "setup_cell_probe").is_dir()
