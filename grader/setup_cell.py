"""The set-up cell the student release puts first in every notebook.

A hosted notebook (Colab) starts without the course library, so ``from d2l import torch as d2l``
would fail there. The cell installs it with ``%pip`` only where it is missing, from the public
repository the release is published to (never the instructor's, which holds ``solutions/``).
Where the library is importable (``make setup``, the grader's kernels) it does nothing, and the
grader turns its ``%pip`` line into ``pass`` anyway. The grader and the class tools recognise the
cell by its first line: its skipped install is not worth a note in every report, and it is no
code of the student's when submissions are compared.
"""

import nbformat

MARK = "# Set-up: run this cell first on Colab or another hosted notebook."
# The install's own output (pip's progress, its "you may need to restart the kernel") is captured:
# a good install prints one line, and a failed one raises one error naming what failed and where
# to look, rather than pip's wall of text and a ``ModuleNotFoundError`` in the next cell. No restart
# is needed: the library is new to the kernel, so its first import finds it.
_SOURCE = """{mark}
# It installs the course library (d2l) and the checks where they are missing; where they are
# already installed (make setup, the grader) it does nothing. Your PyTorch is left alone, and
# no restart is needed.
import importlib, importlib.util, re
if importlib.util.find_spec("d2l") is None or importlib.util.find_spec("d2l.check") is None:
    from IPython.utils.capture import capture_output
    with capture_output() as pip_said:
        %pip install -q "{url}"
    importlib.invalidate_caches()
    if importlib.util.find_spec("d2l") is None or importlib.util.find_spec("d2l.check") is None:
        said = re.sub(r"\\x1b\\[[0-9;]*m", "", pip_said.stdout + pip_said.stderr).splitlines()
        said = [line.strip() for line in said if line.strip() and not line.startswith("Note: you may need to restart")]
        errors = [line for line in said if line.lower().startswith(("error", "fatal", "hint"))] or said[-2:]
        raise RuntimeError("The set-up could not install the course library from {url}"
                           + (" (pip: " + " / ".join(errors[-3:]).rstrip(".") + ")" if errors else "")
                           + ". Check that this session is online and can reach github.com, then run this "
                           "cell again; if it fails again, tell your instructor what it says.")
    print("Course library installed ({url}); no restart needed: go on with the next cell.")"""


def install_url(repo, ref=None):
    """pip's address of ``repo`` on GitHub at ``ref`` (its default branch when None)."""
    return f"git+https://github.com/{repo}" + (f"@{ref}" if ref else "")


def setup_cell(url):
    """A code cell that installs the course library from ``url`` where it is not importable (a
    fixed id, so building the release twice writes the same notebook)."""
    cell = nbformat.v4.new_code_cell(_SOURCE.format(mark=MARK, url=url))
    cell.id = "course-setup"
    return cell


def is_setup_cell(cell):
    return cell.get("cell_type") == "code" and cell.get("source", "").lstrip().startswith(MARK)


def add_setup_cell(path, url):
    """Put the set-up cell first in the notebook at ``path`` (replacing one already there)."""
    nb = nbformat.read(str(path), as_version=4)
    nb.cells = [setup_cell(url)] + [cell for cell in nb.cells if not is_setup_cell(cell)]
    nbformat.write(nb, str(path))
