"""Hashes that decide what needs grading again, and which students handed in the same code.

A result is reused when neither the submission's files nor the grader changed: the cache key
covers every submitted file (name and bytes), the grader's own code, the reference solutions,
the course library and the grading options.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from ..setup_cell import is_setup_cell

if TYPE_CHECKING:
    from .discover import Submission

ROOT = Path(__file__).resolve().parents[2]
GRADING_CODE = ("grader", "solutions", "d2l")


def _hash_files(digest: "hashlib._Hash", base: Path, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())


def grader_version(root: str | Path = ROOT) -> str:
    """Changes whenever anything that can change a grade changes (the instructor tools do not)."""
    root = Path(root)
    digest = hashlib.sha256()
    for package in GRADING_CODE:
        files = [p for p in (root / package).rglob("*.py")
                 if "instructor" not in p.relative_to(root).parts[:2] and "__pycache__" not in p.parts]
        _hash_files(digest, root, files)
    return digest.hexdigest()[:16]


def submission_key(submission_path: str | Path, notebooks: Iterable[str | Path], version: str,
                   options: Mapping[str, Any]) -> str:
    """The cache key of one submission under one grader version and set of options."""
    path = Path(submission_path)
    base = path if path.is_dir() else path.parent
    digest = hashlib.sha256(version.encode() + json.dumps(options, sort_keys=True).encode())
    _hash_files(digest, base, [Path(p) for p in notebooks])
    return digest.hexdigest()[:24]


def code_digest(notebook_path: str | Path) -> str | None:
    """A hash of a notebook's code cells alone, or None when it cannot be read.

    Outputs, metadata and markdown are left out, so two students who ran the same code get the
    same digest; re-saving a notebook does not change it. So is the release's set-up cell: an
    untouched notebook from the student repository has the digest of the starter in assignment/.
    """
    try:
        nb = nbformat.read(str(notebook_path), as_version=4)
    except Exception:
        return None
    code = "\n\0".join(code_cells(nb))
    return hashlib.sha256(code.encode()).hexdigest()[:16]


def code_cells(nb: Any) -> list[str]:
    """A read notebook's code cells, stripped: what a student wrote (no outputs, no set-up cell)."""
    return [cell.source.strip() for cell in nb.cells if cell.cell_type == "code" and not is_setup_cell(cell)]


def shared_code(submissions: Iterable["Submission"],
                starter_notebooks: Iterable[str | Path] = ()) -> dict[str, list[str]]:
    """{student: sorted other students whose code matches in at least one notebook}.

    Notebooks whose code is the starter's (an untouched notebook) never count: every student
    who skipped a section would otherwise match every other.
    """
    starter = {code_digest(p) for p in starter_notebooks} - {None}
    owners: dict[str, set[str]] = {}
    for submission in submissions:
        for notebook in submission.notebooks:
            digest = code_digest(notebook)
            if digest is not None and digest not in starter:
                owners.setdefault(digest, set()).add(submission.student)
    matches: dict[str, set[str]] = {}
    for students in owners.values():
        for student in students:
            matches.setdefault(student, set()).update(students - {student})
    return {student: sorted(others) for student, others in matches.items() if others}
