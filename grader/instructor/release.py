"""Build the student-facing repository from this one.

It holds the blank notebooks (outputs stripped, a set-up cell first), the course library, the
grader with its public checks, a README for students and the auto-grade workflow, pinned to the
instructor's repository. It never holds ``solutions/``, the hidden checks, the instructor tools
or the project's own tests; ``check_release`` verifies that after every build.
"""

import re
import shutil
import subprocess
from pathlib import Path

import nbformat

from ..checks import WITHHELD_MODULES as CHECK_MODULES_KEPT
from ..notebooks import clear_outputs
from ..setup_cell import add_setup_cell, install_url
from .fingerprint import ROOT
from .release_checks import placeholder_problem, source_problem
from .release_store import write_release_store

COPIED_TREES = ("assignment", "d2l", "grader")
COPIED_FILES = (".gitignore",)
INSTRUCTOR_ONLY = ("# >>> instructor only", "# <<< instructor only")   # Makefile lines a release leaves out
WITHHELD_MODULES = tuple(f"grader/checks/{name}.py" for name in CHECK_MODULES_KEPT)   # the course keeps these
LEFT_OUT = ("grader/instructor", "grader/stored", *WITHHELD_MODULES)
FORBIDDEN = ("solutions", "tests", "benchmarks", "grader/instructor", *WITHHELD_MODULES)
# What the feedback workflow publishes with (ci-report and the report modules it imports), shipped
# so a student's workflow needs nothing from the instructor's repository.
SHIPPED_TOOLS = tuple(f"grader/instructor/{name}.py" for name in ("__init__", "classroom", "feedback", "results",
                                                                  "figures"))
STORE = Path("grader/stored")   # written for the release: the references' reports, the checks left out
# What a release is made from: a change to any of these that is not committed is refused (release_checks.py).
RELEASE_INPUTS = ("assignment", "d2l", "grader", "solutions", "pyproject.toml", "Makefile", ".gitignore",
                  "docs/students.md", ".github/workflows")
WORKFLOW = Path(".github/workflows/autograde.yml")
STUDENT_README = ROOT / "docs" / "students.md"   # the students' page is the release's README
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_REF = re.compile(r"^[\w][\w./-]*$")


class ReleaseError(Exception):
    """The release cannot be built as asked (bad option, unexpected source tree)."""


def _skipped(relative: Path) -> bool:
    text = relative.as_posix()
    return ("__pycache__" in relative.parts or relative.suffix == ".pyc" or ".ipynb_checkpoints" in relative.parts
            or (text not in SHIPPED_TOOLS and any(text == left or text.startswith(left + "/") for left in LEFT_OUT)))


def release_files(root: str | Path = ROOT) -> list[Path]:
    """Relative paths of the files copied as they are (notebooks are stripped on the way)."""
    root = Path(root)
    found = [Path(name) for name in COPIED_FILES if (root / name).is_file()]
    for tree in COPIED_TREES:
        if not (root / tree).is_dir():
            raise ReleaseError(f"{root / tree} is missing: is {root} the instructor's repository?")
        found += [p.relative_to(root) for p in sorted((root / tree).rglob("*")) if p.is_file()]
    return [p for p in found if not _skipped(p)]


def strip_outputs(source: str | Path, target: str | Path) -> None:
    nb = clear_outputs(nbformat.read(str(source), as_version=4))
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, str(target))


# The project's own code-health tools: their settings name instructor files, and a student's
# set-up installs neither.
INSTRUCTOR_TABLES = re.compile(r"^\[\[?tool\.(?:ruff|mypy)\b")
INSTRUCTOR_EXTRAS = ("lint", "instructor")   # code health; grading a class (the release ships no class tools)


def student_pyproject(text: str) -> str:
    """The project file without the ``solutions`` package, which the release does not ship, and
    without the instructor's lint extra and tool settings."""
    pattern = re.compile(r"^((?:packages|include)[ \t]*=[ \t]*)\[(.*)\][ \t]*$", re.M)
    match = pattern.search(text)
    if not match:
        raise ReleaseError("pyproject.toml has no 'packages = [...]' or 'include = [...]' line to drop solutions from")
    names = [n.strip() for n in match[2].split(",") if n.strip()]
    kept = [n for n in names if n.strip("\"'").rstrip("*") != "solutions"]
    return without_instructor_tools(text[:match.start()] + f"{match[1]}[{', '.join(kept)}]" + text[match.end():])


def without_instructor_tools(text: str) -> str:
    """``text`` less the ``[tool.ruff*]``/``[tool.mypy*]`` tables and the lint extra, each with the
    comment lines just above it."""
    kept: list[str] = []
    comments: list[str] = []
    dropping = False
    for line in text.splitlines(keepends=True):
        if line.startswith("#"):
            comments.append(line)
            continue
        if line.startswith("["):
            dropping = bool(INSTRUCTOR_TABLES.match(line))
        drop = dropping or line.split("=")[0].strip() in INSTRUCTOR_EXTRAS
        if not drop:
            kept += comments + [line]
        comments = []
    return "".join(kept + comments).rstrip("\n") + "\n"


def student_makefile(text: str) -> str:
    """The Makefile without its instructor-only parts (tests, grading a class, releasing), which
    would only fail in a student's copy; ``ReleaseError`` if the markers do not pair up."""
    kept: list[str] = []
    inside = False
    for line in text.splitlines(keepends=True):
        if line.startswith(INSTRUCTOR_ONLY[0]) or line.startswith(INSTRUCTOR_ONLY[1]):
            if inside == line.startswith(INSTRUCTOR_ONLY[0]):
                raise ReleaseError(f"Makefile: {line.strip()!r} does not pair up with its other marker")
            inside = not inside
        elif not inside:
            kept.append(line)
    if inside:
        raise ReleaseError(f"Makefile: {INSTRUCTOR_ONLY[0]!r} is never closed")
    return "".join(kept)


def pinned_workflow(text: str, grader_repo: str | None, grader_ref: str | None) -> str:
    """The feedback workflow with the repository its grader comes from written in: the public
    starter repository (the release itself, public checks only), never the instructor's, so the
    student's workflow needs no token. ``grader_ref`` None: that repository's default branch."""
    if not _REPO.match(grader_repo or ""):
        raise ReleaseError(f"the feedback grader's repository must look like owner/name, got {grader_repo!r}")
    if grader_ref is not None and not _REF.match(grader_ref):
        raise ReleaseError(f"the feedback grader's ref must be a commit, tag or branch name, got {grader_ref!r}")
    for name, value in (("GRADER_REPOSITORY", grader_repo), ("GRADER_REF", grader_ref or '""')):
        text, count = re.subn(rf"^(\s*{name}:).*$", rf"\g<1> {value}", text, flags=re.M)
        if count != 1:
            raise ReleaseError(f"{WORKFLOW} should set {name} exactly once (found {count})")
    return text


def starter_install_url(starter_repo: str | None, starter_ref: str | None, grader_repo: str | None) -> str:
    """Where the notebooks' set-up cell installs the course library from: the public repository
    students get this release from, never the grader's (it holds solutions/, and may be private)."""
    if not starter_repo:
        raise ReleaseError("--starter-repo is required: owner/name of the public repository this release is "
                           "published to (on Colab the notebooks' set-up cell installs the course library from it)")
    if not _REPO.match(starter_repo):
        raise ReleaseError(f"--starter-repo must look like owner/name, got {starter_repo!r}")
    if starter_ref is not None and not _REF.match(starter_ref):
        raise ReleaseError(f"--starter-ref must be a commit, tag or branch name, got {starter_ref!r}")
    if starter_repo.lower() == (grader_repo or "").lower():
        raise ReleaseError("--starter-repo must not be the grader's repository: it holds solutions/, and the "
                           "set-up cell would install from it")
    return install_url(starter_repo, starter_ref)


def head_commit(root: str | Path = ROOT) -> str | None:
    try:
        run = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return run.stdout.strip() if run.returncode == 0 else None


def _prepare(out: str | Path, root: str | Path, force: bool) -> tuple[Path, Path]:
    out, root = Path(out).resolve(), Path(root).resolve()
    inside_sources = [root / t for t in (*COPIED_TREES, "solutions")]
    if out == root or out in root.parents or any(t == out or t in out.parents for t in inside_sources):
        raise ReleaseError(f"{out} overlaps the source repository's files; build the release elsewhere")
    if out.exists() and any(e.name != ".git" for e in out.iterdir()):
        if not force:
            raise ReleaseError(f"{out} is not empty; pass --force to replace its contents (.git is kept)")
        for entry in out.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out, root


def build_release(out: str | Path, grader_repo: str | None, grader_ref: str | None = None, root: str | Path = ROOT,
                  force: bool = False, starter_repo: str | None = None, starter_ref: str | None = None,
                  allow_dirty: bool = False) -> list[Path]:
    """Write the student repository into ``out``; returns the relative paths written. ``starter_repo``
    (required) is where it is published; ``starter_ref`` None means that repository's default branch.
    Refused, with nothing written, for the docs' example names and, unless ``allow_dirty``, for a
    source tree with uncommitted changes (release_checks.py says why)."""
    setup_url = starter_install_url(starter_repo, starter_ref, grader_repo)
    problem = (placeholder_problem("--grader-repo", grader_repo) or placeholder_problem("--starter-repo", starter_repo)
               or ("" if allow_dirty else source_problem(root, RELEASE_INPUTS, grader_ref)))
    if problem:
        raise ReleaseError(problem)
    out, root = _prepare(out, root, force)
    grader_ref = grader_ref or head_commit(root)
    if not grader_ref:
        raise ReleaseError("no --grader-ref given and the source is not a git checkout to take HEAD from")
    workflow = pinned_workflow((root / WORKFLOW).read_text(), starter_repo, starter_ref)
    written: list[Path] = []
    for relative in release_files(root):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.suffix == ".ipynb":
            strip_outputs(root / relative, target)
            if relative.parts[0] == "assignment":
                add_setup_cell(target, setup_url)
        else:
            shutil.copy2(root / relative, target)
        written.append(relative)
    generated = {Path("pyproject.toml"): student_pyproject((root / "pyproject.toml").read_text()),
                 Path("Makefile"): student_makefile((root / "Makefile").read_text()),
                 Path("README.md"): STUDENT_README.read_text(), WORKFLOW: workflow}
    for relative, text in generated.items():
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        (out / relative).write_text(text)
        written.append(relative)
    written += [path.relative_to(out) for path in write_release_store(out / STORE)]
    check_release(out)
    return sorted(written)


def check_release(out: str | Path) -> None:
    """Refuse a release that holds anything a student must not see."""
    out = Path(out)
    leaks = [p.relative_to(out).as_posix() for p in out.rglob("*")
             if ".git" not in p.relative_to(out).parts[:1]
             and p.relative_to(out).as_posix() not in (*SHIPPED_TOOLS, "grader/instructor")
             and any(p.relative_to(out).as_posix() == f or p.relative_to(out).as_posix().startswith(f + "/")
                     for f in FORBIDDEN)]
    if leaks:
        raise ReleaseError(f"the release would contain files students must not see: {', '.join(sorted(leaks)[:5])}")
    missing = [str(p) for p in (WORKFLOW, Path("README.md"), Path("grader/conftest.py")) if not (out / p).is_file()]
    if missing:
        raise ReleaseError(f"the release lacks {', '.join(missing)}")
