"""``fetch-roster --course``: each student's repository as it stood at *their* deadline, and later.

Every commit on the default branch gets an arrival time: the first push GitHub recorded that
carried it (a push carries its head and every ancestor not pushed before), else the auto-grade run
a push of it started, else, labelled as such, its own commit date. Then, per student:

- ``<student>/`` holds the newest commit that arrived by their deadline plus grace (extension
  included): what is graded "as of the deadline";
- ``<student>@late/`` holds the newest commit that arrived later but before the hard cutoff, when
  there is one: graded too, and its penalty applied (``late_policy``); nothing past the cutoff is
  fetched at all. A student with nothing on time gets their late work in ``<student>/``.

Each snapshot's commit, time and the time's source go to ``.roster-times-<shard>.json`` at the
folder's root (``submission_times``), out of the students' reach.
"""

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from ..discover import COMMIT_FILE
from ..shards import check_shards, clone_url, read_repositories, repository_slug, repository_student, shard_of
from .course_file import Course
from .push_records import Push, Request, run_created, safe_pushes
from .submission_times import LATE_SUFFIX, SubmissionTime, write_roster_times

COMMIT_DATE_SOURCE = "commit date (written by the student's machine: no push record found)"
MAX_RUN_LOOKUPS = 20      # commits without a push event whose auto-grade run is looked up
Run = Callable[..., subprocess.CompletedProcess[str]]
Arrivals = dict[str, tuple[datetime, str]]


def _git(run: Run, clone: Path, *args: str) -> list[str]:
    done = run(["git", "-C", str(clone), *args], capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError((done.stderr or "").strip().splitlines()[-1:] or [f"git {args[0]} failed"])
    return [line for line in done.stdout.splitlines() if line.strip()]


def arrivals(run: Run, clone: Path, history: Sequence[str], records: Sequence[Push], fallback: bool = True) -> Arrivals:
    """{commit: (arrival time, source)}: every commit of ``history`` (``fallback``: those no record
    covers by their commit date), else only the commits the records cover."""
    known = set(history)
    found: Arrivals = {}
    for push in sorted(records, key=lambda p: p.at):
        if push.head in known:
            for commit in _git(run, clone, "rev-list", push.head):
                found.setdefault(commit, (push.at, push.source))
    for line in _git(run, clone, "log", "--format=%H %cI", "HEAD") if fallback else []:
        commit, _, stamp = line.partition(" ")
        found.setdefault(commit, (datetime.fromisoformat(stamp), COMMIT_DATE_SOURCE))
    return found


def run_records(request: Request, repository: str, history: Sequence[str], covered: set[str]) -> list[Push]:
    """Auto-grade runs for the newest commits that no push event covers."""
    records: list[Push] = []
    for commit in [c for c in history if c not in covered][:MAX_RUN_LOOKUPS]:
        try:
            record = run_created(request, repository, commit)
        except Exception:
            break
        if record:
            records.append(record)
    return records


def choose(history: Sequence[str], found: Arrivals, on_time_until: datetime,
           accepted_until: datetime | None) -> tuple[str | None, str | None]:
    """(newest commit that arrived on time, newest that arrived later but before the cutoff)."""
    on_time = next((c for c in history if found[c][0] <= on_time_until), None)
    accepted = next((c for c in history if accepted_until is None or found[c][0] <= accepted_until), None)
    return on_time, (accepted if accepted != on_time else None)


def export(run: Run, clone: Path, commit: str, target: Path) -> None:
    """Write ``commit``'s files into ``target`` with the commit recorded (a planted record replaced)."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    run(["git", "--git-dir", str(clone / ".git"), "--work-tree", str(target), "checkout", "-f", commit, "--", "."],
        capture_output=True, text=True, timeout=600, check=True)
    planted = target / COMMIT_FILE
    if planted.is_dir() and not planted.is_symlink():
        shutil.rmtree(planted)
    else:
        planted.unlink(missing_ok=True)
    planted.write_text(commit + "\n")


def snapshot_student(run: Run, clone: Path, student: str, slug: str, course: Course, into: Path,
                     request: Request | None) -> dict[str, SubmissionTime]:
    """Export one student's snapshots into ``into``; their times, keyed by folder name."""
    history = _git(run, clone, "rev-list", "--topo-order", "HEAD")
    branch = _git(run, clone, "symbolic-ref", "--short", "HEAD")[0]
    records, note = (safe_pushes(request, slug, branch) if request and slug
                     else ([], "no push record: no GitHub token or repository name"))
    if request and slug:
        records += run_records(request, slug, history, set(arrivals(run, clone, history, records, fallback=False)))
    found = arrivals(run, clone, history, records)
    deadline = course.deadline_for(student)
    cutoff = course.late.cutoff_hours
    accepted_until = None if cutoff is None else deadline + max(timedelta(hours=cutoff), course.grace)
    on_time, late = choose(history, found, deadline + course.grace, accepted_until)
    pushed_on_time = [p for p in records if p.at <= deadline + course.grace]
    if pushed_on_time and pushed_on_time[-1].head not in found:
        note = (f"the commit pushed by the deadline ({pushed_on_time[-1].head[:12]}) is no longer in the "
                "repository (history rewritten); the newest on-time commit still there is graded")
    times: dict[str, SubmissionTime] = {}
    for folder, commit in ((student, on_time or late), (student + LATE_SUFFIX, late if on_time else None)):
        if commit is None:
            continue
        export(run, clone, commit, into / folder)
        at, source = found[commit]
        times[folder] = SubmissionTime(at, source, commit, student, note)
    if not times:   # nothing before the cutoff: the student still gets a row, with the reason
        (into / student).mkdir(parents=True, exist_ok=True)
        times[student] = SubmissionTime(None, "not accepted", "", student,
                                        "nothing arrived before the hard cutoff: not accepted")
    return times


def fetch_as_of_deadline(roster: str | Path, index: int, count: int, into: str | Path, course: Course,
                         request: Request | None, run: Run = subprocess.run) -> list[tuple[str, str]]:
    """Clone this shard's repositories with their history and export each student's snapshots;
    [(entry, problem)] for the repositories that could not be read (reported, never dropped)."""
    check_shards(index, count)
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    failed: list[tuple[str, str]] = []
    times: dict[str, SubmissionTime] = {}
    for entry in read_repositories(roster):
        student = repository_student(entry)
        if shard_of(student, count) != index:
            continue
        for stale in (into / student, into / (student + LATE_SUFFIX)):
            shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(prefix="roster-") as scratch:
            clone = Path(scratch) / "repository"
            done = run(["git", "clone", "--quiet", "--no-checkout", clone_url(entry), str(clone)],
                       capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                failed.append((entry, ((done.stderr or "").strip().splitlines() or ["git clone failed"])[-1]))
                continue
            try:
                times.update(snapshot_student(run, clone, student, repository_slug(entry), course, into, request))
            except (RuntimeError, subprocess.SubprocessError, ValueError) as error:
                failed.append((entry, f"could not read its history: {error}"))
    write_roster_times(into, index, times)
    return failed


def fetch_for_course(roster: str | Path, index: int, count: int, into: str | Path, course_path: str | Path,
                     api_url: str, token: str) -> list[tuple[str, str]]:
    """``fetch-roster --course``: the course file checked against the roster first (an extension for
    a student not in it is an error naming its line), then ``fetch_as_of_deadline``."""
    from ..github_comments import check_api_url
    from .course_file import load_course
    from .push_records import client

    course = load_course(course_path, {repository_student(entry) for entry in read_repositories(roster)})
    request = client(check_api_url(api_url), token) if token else None
    return fetch_as_of_deadline(roster, index, count, into, course, request)
