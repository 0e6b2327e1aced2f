"""Find each student's submission in a class folder or in an LMS's zip export.

A class folder holds one entry per student: a sub-folder of notebooks, a single notebook, or a
zip of notebooks. A zip export of the whole class is unpacked first and read the same way.
File names from LMS exports are understood, so that one student's files land in one submission:

- Canvas:      ``login_[LATE_]userid_submissionid_original-name.ipynb`` (flat files)
- Blackboard:  ``assignment_login_attempt_YYYY-MM-DD-HH-MM-SS[_original-name].ipynb`` (flat files)
- Moodle:      ``Full Name_12345_assignsubmission_file_/`` (a folder per student)

When a student appears more than once (``alice/`` and ``alice.ipynb``, or two Blackboard
attempts), the latest one is graded and the others are listed as superseded, not graded.
"""

import os
import re
import shutil
import time
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..notebooks import notebooks_under, visible

MAX_UNPACKED_BYTES = 4 * 2**30     # a zip that claims more than this is refused (zip bomb)
COMMIT_FILE = ".roster-commit"     # fetch-roster writes the cloned commit here, beside the repository's files
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")   # SHA-1 or SHA-256

_CANVAS = re.compile(r"^(?P<student>[^_]+)_(?:LATE_)?\d+_\d+_(?P<name>.+)$", re.I)
_BLACKBOARD = re.compile(
    r"^.+?_(?P<student>[^_]+)_attempt_(?P<attempt>\d{4}(?:-\d\d){5})(?:_(?P<name>.+))?$")
_CANVAS_LATE = re.compile(r"^[^_]+_LATE_\d+_\d+_", re.I)
_MOODLE = re.compile(r"^(?P<student>.+)_\d+_assignsubmission_[a-z]+_?$", re.I)


class ClassFolderError(Exception):
    """The class folder or export cannot be read at all (as opposed to one bad submission)."""


@dataclass
class Submission:
    student: str
    path: Path                  # what ``pytest grader --submission`` gets: a notebook or a folder
    origin: str                 # where it came from, relative to the class folder
    modified: float = 0.0       # newest file time; decides which of a student's entries is graded
    attempt: str = ""           # the LMS's attempt stamp, when it has one
    notebooks: list[Path] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)   # origins of this student's other, older entries
    problem: str = ""           # why it cannot be graded at all
    lms_name: str | None = None  # a flat LMS file's original name (such files of one attempt merge)
    commit: str = ""            # the repository commit fetch-roster cloned, where it cloned one
    lms_late: bool = False      # Canvas's LATE_ marker on a file of this submission (its own deadline)

    @property
    def folder_name(self) -> str:
        return safe_name(self.student)


def safe_name(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "student"


def recorded_commit(folder: Path) -> str:
    """The commit fetch-roster cloned into ``folder``, or "": where the results are posted back."""
    try:
        text = (folder / COMMIT_FILE).read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""
    return text if _COMMIT.fullmatch(text) else ""




def unpack(archive: Path, target: Path) -> Path:
    """Extract a zip safely: no paths outside ``target``, no links, a cap on the total size;
    each file keeps the time stored in the zip (it tells which submission is the latest)."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                relative = Path(member.filename)
                if (relative.is_absolute() or ".." in relative.parts
                        or (member.external_attr >> 16) & 0o170000 == 0o120000):
                    raise ClassFolderError(f"{archive.name} holds an unsafe entry: {member.filename!r}")
            members = [m for m in bundle.infolist() if not m.is_dir() and visible(Path(m.filename))]
            if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
                raise ClassFolderError(f"{archive.name} unpacks to more than {MAX_UNPACKED_BYTES // 2**30} GiB")
            target.mkdir(parents=True, exist_ok=True)
            for member in members:
                destination = target / member.filename
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                stamp = time.mktime(member.date_time + (0, 0, -1))
                os.utime(destination, (stamp, stamp))
    except zipfile.BadZipFile as error:
        raise ClassFolderError(f"{archive.name} is not a readable zip file: {error}") from None
    return target


def _single_folder(root: Path) -> Path:
    """Descend through a zip's wrapping folder (``export/`` holding everything), but not into
    the folder of a class's only student: one holding nothing but plainly named notebooks."""
    while True:
        entries = [e for e in root.iterdir() if visible(Path(e.name))]
        if len(entries) != 1 or not entries[0].is_dir():
            return root
        inner = [e for e in entries[0].iterdir() if visible(Path(e.name))]
        wrapper = any(e.is_dir() or e.suffix == ".zip" or (e.suffix == ".ipynb" and _flat_name(e.stem)[2])
                      for e in inner)
        if not wrapper:
            return root
        root = entries[0]


def _newest(paths: Iterable[Path]) -> float:
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _entry(root: Path, entry: Path, workdir: Path) -> Submission | None:
    """A candidate submission for one top-level entry of the class folder, or None to ignore it."""
    origin = str(entry.relative_to(root))
    if entry.is_dir():
        moodle = _MOODLE.match(entry.name)
        student = moodle["student"] if moodle else entry.name
        path = entry
        if not notebooks_under(entry):
            archives = sorted(entry.rglob("*.zip"))
            if archives:  # a student who uploaded a zip of their notebooks
                path = workdir / "students-unpacked" / safe_name(origin)
                for archive in archives:
                    try:
                        unpack(archive, path / archive.stem)
                    except ClassFolderError as error:
                        return Submission(student, entry, origin, problem=str(error))
        candidate = _candidate(student, path, origin)
        candidate.commit = recorded_commit(entry)
        return candidate
    if entry.suffix == ".zip":
        student = _flat_name(entry.stem)[0]
        try:
            path = unpack(entry, workdir / "students-unpacked" / safe_name(origin))
        except ClassFolderError as error:
            return Submission(student, entry, origin, problem=str(error))
        candidate = _candidate(student, path, origin)
        candidate.modified = max(candidate.modified, entry.stat().st_mtime)
        return candidate
    if entry.suffix == ".ipynb":
        student, attempt, original = _flat_name(entry.stem)
        candidate = _candidate(student, entry, origin)
        candidate.attempt = attempt
        candidate.lms_name = original
        candidate.lms_late = bool(_CANVAS_LATE.match(entry.stem))
        return candidate
    return None  # grade sheets, text receipts and other LMS by-products


def _flat_name(stem: str) -> tuple[str, str, str | None]:
    """(student, attempt stamp, original file stem) from a file name, LMS prefixes understood."""
    board = _BLACKBOARD.match(stem)
    if board:
        return board["student"], board["attempt"], board["name"] or board["student"]
    canvas = _CANVAS.match(stem)
    if canvas:
        return canvas["student"], "", canvas["name"]
    return stem, "", None


def _candidate(student: str, path: Path, origin: str) -> Submission:
    found = notebooks_under(path)
    problem = "" if found else "no notebooks (.ipynb) in this submission"
    return Submission(student, path, origin, _newest(found), notebooks=found, problem=problem)


def _merge_lms_files(student: str, group: list[Submission], workdir: Path) -> Submission:
    """Several flat files of one LMS attempt are one submission: stage them under their own names."""
    folder = workdir / "students-staged" / safe_name(student) / (group[0].attempt or "files")
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in group:
        shutil.copy2(candidate.path, folder / f"{candidate.lms_name}.ipynb")
    merged = _candidate(student, folder, ", ".join(c.origin for c in group))
    merged.attempt = group[0].attempt
    merged.modified = max(c.modified for c in group)
    merged.lms_late = any(c.lms_late for c in group)
    return merged


def discover(source: str | Path, workdir: str | Path) -> list[Submission]:
    """The submissions in a class folder or zip export, one per student, sorted by student."""
    source, workdir = Path(source), Path(workdir)
    if not source.exists():
        raise ClassFolderError(f"{source} does not exist")
    if source.is_file():
        if source.suffix != ".zip":
            raise ClassFolderError(f"{source} is neither a folder of submissions nor a zip export")
        root = _single_folder(unpack(source, workdir / "export"))
    else:
        root = source
    candidates = [c for e in sorted(root.iterdir()) if visible(Path(e.name)) for c in [_entry(root, e, workdir)] if c]
    if not candidates:
        raise ClassFolderError(f"no submissions in {source}: expected one folder, notebook or zip per student")
    by_student: dict[str, list[Submission]] = {}
    for candidate in candidates:
        by_student.setdefault(candidate.student, []).append(candidate)
    chosen = []
    for student, entries in sorted(by_student.items()):
        lms = [e for e in entries if e.lms_name]
        attempts: dict[str, list[Submission]] = {}
        for entry in lms:
            attempts.setdefault(entry.attempt, []).append(entry)
        merged = [_merge_lms_files(student, group, workdir) for _, group in sorted(attempts.items())]
        contenders = [e for e in entries if not e.lms_name] + merged
        contenders.sort(key=lambda e: (e.attempt, e.modified, e.origin))
        latest = contenders[-1]
        latest.superseded = [e.origin for e in contenders[:-1]]
        chosen.append(latest)
    return chosen
