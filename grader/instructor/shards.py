"""Split a class into shards (a GitHub Actions matrix), fetch a shard's repositories, merge shards.

A student's shard is a hash of their name, not their place in a list: a shard that fetches only
its own repositories and a shard that reads the whole class folder pick the same students, and
adding a student to the roster moves no one else. Merging copies each shard's student folders
into one output folder; the gradebook is then written by ``grade-class --merge-only``, the code
that writes it after grading on one machine, so both give the same gradebook.
"""

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from .discover import COMMIT_FILE, safe_name

MAX_SHARDS = 256        # GitHub Actions' cap on the jobs of one matrix


class RosterError(Exception):
    """The roster cannot be read, or a shard setting is out of range."""


def check_shards(index: int, count: int) -> None:
    if not 1 <= count <= MAX_SHARDS:
        raise RosterError(f"--shards must be between 1 and {MAX_SHARDS} (a matrix holds at most {MAX_SHARDS} jobs)")
    if not 0 <= index < count:
        raise RosterError(f"--shard must be between 0 and {count - 1}")


def shard_of(student: str, count: int) -> int:
    """Which of ``count`` shards grades ``student``: stable across runs, machines and rosters."""
    return int.from_bytes(hashlib.sha256(student.encode()).digest()[:8], "big") % count


def in_shard(students: Iterable[str], index: int, count: int) -> set[str]:
    check_shards(index, count)
    return {s for s in students if shard_of(s, count) == index}


def matrix(count: int) -> str:
    """The JSON list a workflow's ``strategy.matrix`` expands into one job per shard."""
    check_shards(0, count)
    return json.dumps(list(range(count)))


def read_repositories(roster: str | Path) -> list[str]:
    """``owner/name`` (or a clone URL or path) per line of a roster file; # starts a comment."""
    try:
        lines = Path(roster).read_text().splitlines()
    except OSError as error:
        raise RosterError(f"cannot read the roster {roster}: {error}") from None
    entries = [line.split("#", 1)[0].strip() for line in lines]
    return [e for e in entries if e]


def _entry_parts(entry: str) -> list[str]:
    trimmed = re.sub(r"(\.git)?/*$", "", entry.split("github.com/", 1)[-1].split(":", 1)[-1])
    return [p for p in trimmed.split("/") if p] or [trimmed]


def repository_student(entry: str) -> str:
    """The folder (and so the student) name of one roster entry: ``owner/name`` -> ``owner-name``."""
    return safe_name("-".join(_entry_parts(entry)[-2:]))


def repository_slug(entry: str) -> str:
    """``owner/name`` of one roster entry (a clone URL or path: its last two parts), "" if it has no owner."""
    parts = _entry_parts(entry)
    return "/".join(parts[-2:]) if len(parts) >= 2 else ""


def clone_url(entry: str, host: str = "https://github.com") -> str:
    return entry if "://" in entry or entry.startswith(("/", ".", "git@")) else f"{host}/{entry}.git"


def fetch_repositories(roster: str | Path, index: int, count: int, into: str | Path,
                       run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> list[tuple[str, str]]:
    """Clone this shard's repositories (shallow) into ``into``/<owner-name>, each with the commit it
    holds recorded; [(entry, problem)] for those that could not be cloned (they are then missing
    from the class, and say so)."""
    check_shards(index, count)
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, list[str]]] = []
    for entry in read_repositories(roster):
        student = repository_student(entry)
        if shard_of(student, count) != index:
            continue
        target = into / student
        shutil.rmtree(target, ignore_errors=True)
        done = run(["git", "clone", "--quiet", "--depth", "1", clone_url(entry), str(target)],
                   capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            failed.append((entry, (done.stderr or "").strip().splitlines()[-1:] or ["git clone failed"]))
            shutil.rmtree(target, ignore_errors=True)
        else:
            _record_commit(target, run)
    return [(entry, lines[0]) for entry, lines in failed]


def _record_commit(clone: Path, run: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    """Drop the clone's ``.git`` and write the commit it holds where ``discover`` reads it (the
    grade-of-record posts each result to the commit graded); a file of that name from the
    student's repository is never kept."""
    head = run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=60)
    shutil.rmtree(clone / ".git", ignore_errors=True)
    planted = clone / COMMIT_FILE
    if planted.is_dir() and not planted.is_symlink():
        shutil.rmtree(planted)
    else:
        planted.unlink(missing_ok=True)
    if head.returncode == 0 and head.stdout.strip():
        planted.write_text(head.stdout.strip() + "\n")


def collect(shard_outputs: Iterable[str | Path], out: str | Path, class_folder: str | Path | None = None) -> int:
    """Copy every shard's ``students/*`` (and, for fetched repositories, ``class/*``) into ``out``,
    in sorted order; returns the number of student folders copied."""
    out = Path(out)
    copied = 0
    for shard in sorted(Path(p) for p in shard_outputs):
        for kind, target in (("students", out / "students"), ("class", class_folder)):
            if target is None or not (shard / kind).is_dir():
                continue
            for entry in sorted((shard / kind).iterdir()):
                destination = Path(target) / entry.name
                shutil.rmtree(destination, ignore_errors=True)
                if entry.is_dir():
                    shutil.copytree(entry, destination)
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(entry, destination)
                copied += kind == "students"
    return copied


if __name__ == "__main__":   # `python -m grader.instructor.shards N`: the matrix, with no package installed
    import sys

    try:
        print(f"shards={matrix(int(sys.argv[1]))}")
    except (IndexError, ValueError, RosterError) as error:
        sys.exit(f"usage: python -m grader.instructor.shards N (1 to {MAX_SHARDS}): {error}")
