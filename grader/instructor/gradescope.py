"""``python -m grader.instructor gradescope --out autograder.zip``: the autograder Gradescope runs.

Gradescope's programming assignments run an instructor-uploaded zip in a container of their own:
``setup.sh`` builds the image once, ``run_autograder`` grades each submission. Students only
upload files and never see the zip, so it carries the course's whole grader: every check (hidden
ones too) and ``solutions/`` as the oracle. The two scripts live in ``gradescope_files/``; the
grading itself is ``gradescope_run.py``. The zip holds no virtualenv, build output, tests, git
data or caches, and Fashion-MNIST only when ``--data`` bundles it (else ``setup.sh`` downloads it).
"""

import argparse
import stat
import sys
import zipfile
from pathlib import Path

from d2l.fashion_mnist_fetch import FILES, find_file, missing_files

from ..hidden_visibility import DEFAULT as VISIBILITY_DEFAULT
from ..hidden_visibility import FILE_NAME as VISIBILITY_FILE
from ..hidden_visibility import checked
from .fingerprint import ROOT
from .term.course_file import CourseFileError, load_course

SCRIPTS = Path(__file__).with_name("gradescope_files")
SCRIPT_NAMES = ("setup.sh", "run_autograder")
TREES = ("d2l", "grader", "solutions")             # what grading imports; no tests, benchmarks, docs
FILES_AT_ROOT = ("pyproject.toml", "README.md", "LICENSE")   # pip reads the first two to install
DATA_FOLDER = "fashion-mnist"
# Never shipped, wherever they turn up in the trees above.
SKIPPED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".ipynb_checkpoints",
                 ".git", ".venv", "build", "dist"}
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")


class GradescopeError(Exception):
    """The autograder cannot be built as asked."""


def _skipped(relative: Path) -> bool:
    return (any(part in SKIPPED_PARTS or part.endswith(SKIPPED_SUFFIXES) for part in relative.parts)
            or relative.name.startswith(".") or relative.suffix in SKIPPED_SUFFIXES)


def source_files(root: str | Path = ROOT) -> list[Path]:
    """Relative paths of the project files the autograder's source holds."""
    root = Path(root)
    found = [Path(name) for name in FILES_AT_ROOT if (root / name).is_file()]
    for tree in TREES:
        if not (root / tree).is_dir():
            raise GradescopeError(f"{root / tree} is missing: is {root} the instructor's repository?")
        found += [p.relative_to(root) for p in sorted((root / tree).rglob("*")) if p.is_file() and not p.is_symlink()]
    for required in ("pyproject.toml", "README.md"):
        if not (root / required).is_file():
            raise GradescopeError(f"{root / required} is missing: setup.sh installs the grader with pip, "
                                  "which needs it")
    return [p for p in found if not _skipped(p)]


def data_files(data: str | Path) -> list[Path]:
    """The four Fashion-MNIST files in ``data``; an error naming what is missing."""
    data = Path(data)
    if not data.is_dir():
        raise GradescopeError(f"--data {data}: not a folder")
    missing = missing_files(data)
    if missing:
        raise GradescopeError(f"--data {data}: missing {', '.join(missing)} (get them with "
                              f"`python -m d2l.fashion_mnist_fetch --dir {data}`)")
    return [find_file(data, name) for name in FILES]   # each .gz file, or its uncompressed twin


def _add(archive: zipfile.ZipFile, path: Path, name: str, executable: bool = False) -> None:
    """One file with fixed permissions: Gradescope unpacks as root and runs the scripts directly."""
    info = zipfile.ZipInfo.from_file(path, name)
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    with path.open("rb") as handle:
        archive.writestr(info, handle.read())


def build_autograder(out: str | Path, data: str | Path | None = None, root: str | Path = ROOT,
                     force: bool = False, hidden_visibility: str = VISIBILITY_DEFAULT) -> list[str]:
    """Write the autograder zip to ``out``; the names it holds, the scripts at its root. A
    ``hidden_visibility`` other than the default is written beside them for ``run_autograder``."""
    out, root = Path(out), Path(root)
    if out.suffix != ".zip":
        raise GradescopeError(f"--out {out}: Gradescope takes a .zip file")
    if out.exists() and not force:
        raise GradescopeError(f"{out} exists; pass --force to replace it")
    if any(out.resolve().is_relative_to((root / tree).resolve()) for tree in TREES):
        raise GradescopeError(f"--out {out}: inside the sources it packs; write it elsewhere (e.g. build/)")
    entries = [(SCRIPTS / name, name, True) for name in SCRIPT_NAMES]
    entries += [(root / rel, rel.as_posix(), False) for rel in source_files(root)]
    if data is not None:
        entries += [(path, f"{DATA_FOLDER}/{path.name}", False) for path in data_files(data)]
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for path, name, executable in entries:
            _add(archive, path, name, executable)
        if checked(hidden_visibility) != VISIBILITY_DEFAULT:
            archive.writestr(VISIBILITY_FILE, hidden_visibility + "\n")
    partial.replace(out)
    extra = [VISIBILITY_FILE] if hidden_visibility != VISIBILITY_DEFAULT else []
    return [name for _, name, _ in entries] + extra


def gradescope_command(args: argparse.Namespace) -> int:
    try:
        visibility = load_course(args.course).hidden_checks if args.course else VISIBILITY_DEFAULT
        written = build_autograder(args.out, args.data, force=args.force, hidden_visibility=visibility)
    except (GradescopeError, CourseFileError) as error:
        print(f"gradescope: {error}", file=sys.stderr)
        return 2
    data = "with Fashion-MNIST" if args.data else "without Fashion-MNIST (setup.sh downloads it)"
    print(f"wrote {args.out}: {len(written)} files, {data}. Upload it as the autograder of a Gradescope "
          "programming assignment (docs/instructors.md, section Gradescope); it holds solutions/: never share it")
    return 0


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``gradescope`` on the instructor command line."""
    command = commands.add_parser("gradescope", help="build the autograder zip for a Gradescope programming assignment")
    command.add_argument("--out", required=True, help="the zip to write, e.g. build/autograder.zip")
    command.add_argument("--data", default=None,
                         help="a folder with the four Fashion-MNIST files to bundle (default: setup.sh downloads them)")
    command.add_argument("--force", action="store_true", help="replace --out if it exists")
    command.add_argument("--course", default=None,
                         help="course.toml: its [visibility] hidden_checks decides when Gradescope shows hidden checks")
    command.set_defaults(handler=gradescope_command)
