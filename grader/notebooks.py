"""Notebook utilities every step shares: which files under a folder are notebooks, and a
notebook without its outputs. One place each, so the grader, the class tools and the release
agree on both."""

from pathlib import Path

# Files an LMS export, macOS or Jupyter leave beside the real submissions.
JUNK = {"__MACOSX", ".DS_Store", "Thumbs.db", ".ipynb_checkpoints"}


def visible(relative_path):
    """False for anything under a junk or hidden folder, or a junk or hidden file."""
    return not any(part in JUNK or part.startswith(".") for part in Path(relative_path).parts)


def notebooks_under(path):
    """The notebooks at ``path`` (a notebook, or a folder searched recursively), sorted; junk and
    hidden files left out. A file that is not a notebook gives none."""
    path = Path(path)
    if path.is_file():
        return [path] if path.suffix == ".ipynb" else []
    return sorted(p for p in path.rglob("*.ipynb") if visible(p.relative_to(path)))


def clear_outputs(nb):
    """``nb`` with every code cell's outputs and execution count removed (in place; returned)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb
