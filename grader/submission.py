"""Step 1 of the pipeline: find the submitted notebooks and guess each one's section.

A submission is a notebook or a folder of notebooks in any layout: one per section (as in
``assignment/``), one for the whole homework (as the seed), or the book's own notebooks.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .items import SECTIONS
from .notebooks import notebooks_under, why_unreadable

_SECTION_IN_NAME = re.compile(r"(?<!\d)(\d{1,2})[._-](\d{1,2})(?!\d)")


class SubmissionError(Exception):
    """The path holds nothing the grader can grade."""


@dataclass
class SubmittedNotebook:
    path: Path
    nb: object = None
    section: str | None = None
    problem: str = ""            # why it could not be read, if it could not
    notes: list = field(default_factory=list)
    label: str = ""              # how reports name it: its path inside the submitted folder

    def __post_init__(self):
        self.label = self.label or self.path.name


def find_notebooks(path):
    path = Path(path)
    if not path.exists():
        raise SubmissionError(f"{path} does not exist")
    if path.is_file():
        if path.suffix != ".ipynb":
            raise SubmissionError(f"{path} is not a notebook (.ipynb)")
        return [path]
    found = notebooks_under(path)
    if not found:
        raise SubmissionError(f"no notebooks (.ipynb) under {path}")
    return found


def section_of(path, nb):
    """The section a notebook is for: from its file name, else from its first heading."""
    for match in _SECTION_IN_NAME.finditer(path.stem):
        candidate = f"{int(match.group(1))}.{int(match.group(2))}"
        if candidate in SECTIONS:
            return candidate
    if nb is not None:
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                heading = re.search(r"^#+\s*(\d+)\.(\d+)\b", cell.source, re.M)
                if heading:
                    candidate = f"{heading.group(1)}.{heading.group(2)}"
                    return candidate if candidate in SECTIONS else None
    return None


def read_submission(path):
    root = Path(path)
    notebooks = []
    for nb_path in find_notebooks(path):
        # Relative paths keep two notebooks of the same name in different folders apart.
        entry = SubmittedNotebook(nb_path, label=str(nb_path.relative_to(root)) if root.is_dir() else nb_path.name)
        try:
            entry.nb = nbformat.read(str(nb_path), as_version=4)
        except Exception as error:  # invalid JSON, unknown format, unreadable file
            entry.problem = why_unreadable(nb_path, error)
        entry.section = section_of(nb_path, entry.nb)
        notebooks.append(entry)
    return notebooks
