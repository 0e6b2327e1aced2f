"""A receipt a student can keep: what was graded, by which grader, with what score.

Written beside results.json by every grading (``pytest grader --results``, so CI and Gradescope
too, and again by ``grade-class`` with the submission's time and its source): each notebook's
SHA-256, the commit and its time when known, the grader's version, the items graded and the
score. Should a grade ever be disputed, the hashes say exactly which files it was for, and
anyone can check them (``sha256sum notebook.ipynb``) against the files in hand.
"""

import hashlib
import json
import os
import subprocess
import tempfile
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .record import GradingRecord

ROOT = Path(__file__).resolve().parents[1]
JSON_NAME, TEXT_NAME = "receipt.json", "receipt.txt"
COMMIT_FILE = ".roster-commit"   # written by fetch-roster beside a cloned repository's files


def _git(folder: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def grader_version(root: Path = ROOT) -> str:
    """``git describe`` of the grader's checkout, else the installed package's version."""
    described = _git(root, "describe", "--tags", "--always", "--dirty")
    if described:
        return f"git {described}"
    try:
        return f"package {metadata.version('convnet-homework')}"
    except metadata.PackageNotFoundError:
        return "unknown"


def submission_commit(submission: Path) -> tuple[str, str]:
    """(commit, its commit date) of the repository holding the submission, or fetch-roster's record
    of the commit it cloned; ("", "") when it is in neither."""
    folder = submission if submission.is_dir() else submission.parent
    recorded = folder / COMMIT_FILE
    if recorded.is_file():
        return recorded.read_text(encoding="ascii", errors="replace").strip()[:64], ""
    top = _git(folder, "rev-parse", "--show-toplevel")
    if not top or Path(top).resolve() == ROOT:
        return "", ""   # not in a repository, or in the grader's own (an unpacked export under it)
    commit = _git(folder, "rev-parse", "HEAD")
    return (commit, _git(folder, "log", "-1", "--format=%cI", "HEAD")) if commit else ("", "")


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def build(record: GradingRecord, notebooks: list[Path], base: Path, **known: str) -> dict[str, Any]:
    """The receipt of one grading; ``known`` adds what the caller knows (commit, submitted_at, ...)."""
    commit, committed_at = submission_commit(base)
    receipt: dict[str, Any] = {
        "graded_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "grader": grader_version(),
        "commit": commit,
        "commit_date": committed_at,   # the student's machine wrote it: a claim, not a proof
        "notebooks": [{"file": _relative(p, base), "sha256": digest(p)} for p in notebooks if p.is_file()],
        "items": sorted({check.item for check in record.checks}),   # what this grading checked
        "score": record.score,
        "max_score": record.max_score,
        "error": record.error,
    }
    receipt.update({key: value for key, value in known.items() if value})
    return receipt


def _relative(path: Path, base: Path) -> str:
    folder = base if base.is_dir() else base.parent
    try:
        return str(path.resolve().relative_to(folder.resolve()))
    except ValueError:
        return path.name


def text(receipt: dict[str, Any]) -> str:
    """The receipt as a few lines of plain text (the CI summary shows the same)."""
    lines = [f"Graded {receipt.get('graded_at', '')} by the grader at {receipt.get('grader', '')}",
             f"Score: {receipt.get('score', 0):g} / {receipt.get('max_score', 0):g}"]
    if receipt.get("commit"):
        lines.append(f"Commit: {receipt['commit']}" + (f" (commit date {receipt['commit_date']}, set by the "
                                                       "committer's machine)" if receipt.get("commit_date") else ""))
    if receipt.get("submitted_at"):
        lines.append(f"Submitted at: {receipt['submitted_at']} (source: {receipt.get('time_source', 'unknown')})")
    if receipt.get("error"):
        lines.append(f"Grading did not finish: {receipt['error']}")
    lines.append(f"Items graded: {', '.join(receipt.get('items', [])) or 'none'}")
    lines.append("Notebooks (SHA-256):")
    lines += [f"  {n['sha256']}  {n['file']}" for n in receipt.get("notebooks", [])]
    return "\n".join(lines) + "\n"


def _atomic(path: Path, content: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".receipt-")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
    os.replace(tmp, path)


def write(folder: Path, receipt: dict[str, Any]) -> Path:
    """``receipt.json`` and ``receipt.txt`` in ``folder``; the JSON's path."""
    folder.mkdir(parents=True, exist_ok=True)
    _atomic(folder / JSON_NAME, json.dumps(receipt, indent=2) + "\n")
    _atomic(folder / TEXT_NAME, text(receipt))
    return folder / JSON_NAME


def read(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / JSON_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
