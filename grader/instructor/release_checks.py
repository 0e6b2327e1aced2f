"""What must hold before a release is built: a committed source tree and real repository names.

A release ships the working tree's files, while the grade of record grades with a commit of the
grader repository. Built from uncommitted changes, the two drift apart (an ``items.py`` edited
but not committed gives students 5 points for corr2d in their feedback while the grade of record,
at the pinned commit, still gives 4). So the release is built from a clean checkout only, and
pins the commit it was built from (HEAD). ``allow_dirty`` (``--allow-dirty``) builds anyway, for
the project's own tests and for trying a release out: it still pins HEAD, which then does not
hold what the release ships, and the command says so.

The documentation's example names (``you/convnet-homework``, ``OWNER/NAME``) are refused too: a
release pinned to them installs from, and tells students to push to, repositories that are not yours.
"""

import subprocess
from collections.abc import Sequence
from pathlib import Path

PLACEHOLDER_OWNERS = {"you", "owner", "your-org", "your-name", "yourname", "your-username", "username", "org"}
PLACEHOLDER_NAMES = {"name", "repo", "repository"}
SHOWN = 8   # changed files named in the message; the rest are counted


def _git(root: str | Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None


def changed_files(root: str | Path, inputs: Sequence[str]) -> list[str] | None:
    """``git status --porcelain`` lines (``M grader/items.py``, ``?? grader/new.py``) for changes
    under ``inputs`` (the paths a release reads): tracked edits, staged changes and untracked files
    git does not ignore. None when ``root`` is not a git checkout."""
    done = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *inputs)
    if done is None or done.returncode != 0:
        return None
    entries = done.stdout.split("\0")
    changes: list[str] = []
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]
        if "R" in status or "C" in status:
            index += 1   # a rename or copy is followed by its old path
        changes.append(f"{status.strip()} {path}")
    return changes


def resolve(root: str | Path, ref: str) -> str | None:
    """The commit ``ref`` names in ``root``'s repository, or None where it names none (yet)."""
    done = _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    return done.stdout.strip() if done is not None and done.returncode == 0 and done.stdout.strip() else None


def branch(root: str | Path) -> str:
    """The checked-out branch, where the pinned commit is pushed to ("main" when detached)."""
    done = _git(root, "rev-parse", "--abbrev-ref", "HEAD")
    name = done.stdout.strip() if done is not None and done.returncode == 0 else ""
    return name if name and name != "HEAD" else "main"


def source_problem(root: str | Path, inputs: Sequence[str], grader_ref: str | None) -> str:
    """Why the release must not be built from ``root`` as it stands, or ""."""
    head = resolve(root, "HEAD")
    changes = changed_files(root, inputs)
    if head is None or changes is None:
        return (f"{root} is not a git checkout with a commit: a release pins the commit it is built from. "
                "Build it from a clone of your grader repository")
    if changes:
        shown = ", ".join(changes[:SHOWN]) + (f" and {len(changes) - SHOWN} more" if len(changes) > SHOWN else "")
        return (f"the working tree has changes that are not committed: {shown}. The release would ship them, "
                f"but the commit it pins ({head[:12]}) does not hold them, so students' feedback and the grade "
                "of record would disagree. Commit them (or set them aside) and build again; --allow-dirty "
                "builds anyway, to try a release out, never to publish one")
    pinned = resolve(root, grader_ref) if grader_ref else head
    if pinned is not None and pinned != head:
        return (f"--grader-ref {grader_ref} is commit {pinned[:12]}, but this checkout is at {head[:12]}: the "
                f"release is built from the checkout. Check out {grader_ref} and build again, or leave "
                "--grader-ref out to pin the checkout's commit")
    return ""


def placeholder_problem(option: str, repository: str | None) -> str:
    """A message when ``repository`` is one of the documentation's example names, else ""."""
    owner, _, name = (repository or "").lower().partition("/")
    if owner in PLACEHOLDER_OWNERS or name in PLACEHOLDER_NAMES:
        return (f"{option} {repository} is the documentation's example name: give the real owner/name of "
                "your repository on GitHub")
    return ""
