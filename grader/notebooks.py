"""Notebook utilities every step shares: which files under a folder are notebooks, and a
notebook without its outputs. One place each, so the grader, the class tools and the release
agree on both."""

import re
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


# git writes these into a file it could not merge; a notebook with them is no longer JSON.
_CONFLICT_MARKER = re.compile(r"^(<{7}|={7}|>{7})(?=[ \t\r]|$)")


def conflict_markers(path):
    """[(line number, marker line)] of the merge-conflict markers git left in the file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return [(number, line.strip()[:60]) for number, line in enumerate(text.splitlines(), 1)
            if _CONFLICT_MARKER.match(line)]


def why_unreadable(path, error):
    """Why the notebook at ``path`` could not be read (``error`` the reader's), in words a student
    can act on: git's conflict markers are named as such, with their lines, not as bad JSON."""
    markers = conflict_markers(path)
    if markers:
        shown = ", ".join(f"`{line}` on line {number}" for number, line in markers[:3])
        more = f" and {len(markers) - 3} more" if len(markers) > 3 else ""
        return (f"could not be read as a notebook: it holds git's merge-conflict markers ({shown}{more}). Keep one "
                "version of each conflicting part, delete the marker lines, and commit it again")
    return f"could not be read as a notebook: {type(error).__name__}: {str(error)[:300]}"


def clear_outputs(nb):
    """``nb`` with every code cell's outputs and execution count removed (in place; returned)."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb
