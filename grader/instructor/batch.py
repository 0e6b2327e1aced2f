"""Grade many submissions: one ``pytest grader`` subprocess each, several at a time, results cached.

Each student runs in a process of their own (and their notebooks in kernels of their own), so a
crash, a hang or a memory blow-up costs that student's run only: it is stopped at the
per-student timeout, recorded with its reason, and the batch goes on. A thread pool waits on
the subprocesses; the grading itself happens in them.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .discover import Submission
from .fingerprint import ROOT, grader_version, submission_key
from .progress import Progress
from .results import GradedRun, ResultsError, load

RESULTS, EXECUTED, LOG, KEY, DONE = "results.json", "executed", "grading.log", "grading-key", "done.json"
GRADED, PROBLEMS, ERROR, TIMEOUT, NOT_GRADED = "graded", "graded with problems", "error", "timeout", "not graded"


@dataclass
class BatchOptions:
    jobs: int = 2
    timeout: float = 1800.0             # seconds per student, kernels and all
    pytest_args: tuple[str, ...] = ()   # passed on to ``pytest grader`` (e.g. "-k", "pool2d")
    force: bool = False                 # grade again even when nothing changed
    require_sandbox: bool = True        # a machine that cannot confine student code grades no one


@dataclass
class Outcome:
    submission: Submission
    folder: Path                        # this student's output folder
    status: str
    problem: str = ""
    seconds: float = 0.0
    cached: bool = False
    run: GradedRun | None = None        # the grading record, when the grader wrote one
    same_run_as: list[str] = field(default_factory=list)  # students whose identical files were graded once

    @property
    def student(self) -> str:
        return self.submission.student


Pending = dict[str, list[Outcome]]   # {cache key: the outcomes of the students sharing those files}


def child_environment(jobs: int) -> dict[str, str]:
    """Share the cores: torch in each kernel would otherwise start a thread per core."""
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // max(jobs, 1)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kill the grader and everything it started (its kernels run in sessions of their own)."""
    victims: list[Any] = []   # psutil.Process objects
    try:
        import psutil

        victims = psutil.Process(process.pid).children(recursive=True)
    except Exception:
        pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    for child in victims:
        try:
            child.kill()
        except Exception:
            pass
    process.wait()


def _last_line(path: Path) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def run_grader(submission_path: str | Path, folder: str | Path, options: BatchOptions,
               env: Mapping[str, str] | None = None) -> tuple[str, str, float]:
    """Grade one submission into ``folder``; (status, problem, seconds). Never raises for the
    submission's sake: a grader that crashes or hangs is reported, not propagated."""
    folder, submission_path = Path(folder).resolve(), Path(submission_path).resolve()   # it runs from ROOT
    folder.mkdir(parents=True, exist_ok=True)
    for stale in (folder / RESULTS, folder / KEY):
        stale.unlink(missing_ok=True)
    shutil.rmtree(folder / EXECUTED, ignore_errors=True)
    command = [sys.executable, "-m", "pytest", str(ROOT / "grader"), "--submission", str(submission_path),
               "--results", str(folder / RESULTS), "--executed-dir", str(folder / EXECUTED),
               "-q", "-p", "no:cacheprovider", *(["--require-sandbox"] if options.require_sandbox else []),
               *options.pytest_args]
    started = time.monotonic()
    with open(folder / LOG, "wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        try:
            code = process.wait(timeout=options.timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            return (TIMEOUT, f"grading took longer than {options.timeout:g} s and was stopped",
                    time.monotonic() - started)
    seconds = time.monotonic() - started
    if not (folder / RESULTS).exists():
        return ERROR, f"the grader exited with status {code} and wrote no results: {_last_line(folder / LOG)}", seconds
    return GRADED, "", seconds


def _classify(outcome: Outcome) -> Outcome:
    """Read the results the grader wrote and say whether the submission as a whole was gradable."""
    try:
        outcome.run = load(outcome.folder / RESULTS)
    except ResultsError as error:
        outcome.status, outcome.problem = ERROR, str(error)
        return outcome
    problems = outcome.run.problems
    if outcome.run.error:
        outcome.status = ERROR
    elif problems:
        outcome.status = PROBLEMS
    outcome.problem = "; ".join(problems)
    return outcome


def _copy_run(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in (RESULTS, LOG, KEY):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    shutil.rmtree(target / EXECUTED, ignore_errors=True)
    if (source / EXECUTED).exists():
        shutil.copytree(source / EXECUTED, target / EXECUTED)


def student_folders(submissions: Iterable[Submission], out: str | Path) -> dict[str, Path]:
    """{student: output folder}; names that clean up to the same folder get a suffix."""
    folders: dict[str, Path] = {}
    taken: set[str] = set()
    for submission in submissions:
        name, n = submission.folder_name, 1
        while name.lower() in taken:
            n += 1
            name = f"{submission.folder_name}-{n}"
        taken.add(name.lower())
        folders[submission.student] = Path(out) / "students" / name
    return folders


def run_with_retry(submission_path: str | Path, folder: str | Path, options: BatchOptions,
                   env: Mapping[str, str] | None = None) -> tuple[str, str, float, int]:
    """``run_grader``, once more when the grader itself crashed (exited without results): a crash
    is more often the machine's (a killed process, a full disk) than the submission's. A timeout
    is the grader's own limit and is not retried. (status, problem, seconds, attempts)."""
    status, problem, seconds = run_grader(submission_path, folder, options, env)
    if status != ERROR:
        return status, problem, seconds, 1
    status, retried, more = run_grader(submission_path, folder, options, env)
    return status, f"{retried} (also on a second try)" if status == ERROR else retried, seconds + more, 2


def write_marker(folder: Path, key: str, status: str, problem: str, seconds: float, attempts: int) -> None:
    """Say, atomically, that this student is finished in this run (any engine's driver polls for it)."""
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (DONE + ".partial")
    partial.write_text(json.dumps({"key": key, "status": status, "problem": problem, "seconds": seconds,
                                   "attempts": attempts}))
    os.replace(partial, folder / DONE)


def read_marker(folder: Path, key: str) -> tuple[str, str, float] | None:
    """(status, problem, seconds) of a finished grading of ``key`` in ``folder``, or None."""
    try:
        data = json.loads((folder / DONE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    return data.get("status", ERROR), str(data.get("problem", "")), float(data.get("seconds", 0.0))


def grade_student(submission_path: Path, folder: Path, key: str, options: BatchOptions,
                  env: Mapping[str, str] | None = None) -> tuple[str, str, float]:
    """What every engine runs for one student: grade (retrying a crash once), keep the cache key
    only for a finished run, leave the marker. Runs in a thread here, in an array task on Slurm."""
    (folder / DONE).unlink(missing_ok=True)
    status, problem, seconds, attempts = run_with_retry(submission_path, folder, options, env)
    if status == GRADED:
        (folder / KEY).write_text(key)   # only a finished run is worth reusing
    write_marker(folder, key, status, problem, seconds, attempts)
    return status, problem, seconds


def plan(submissions: Sequence[Submission], out: str | Path, options: BatchOptions,
         select: Container[str] | None = None) -> tuple[list[Outcome], Pending]:
    """Every submission's ``Outcome`` (cached ones already read back) and what still needs grading:
    {cache key: [outcomes sharing those files]}. ``select`` (students) grades only a shard of the
    class; folder names are still chosen over the whole class, so every shard names alike."""
    version = grader_version()
    settings = {"pytest_args": list(options.pytest_args), "require_sandbox": options.require_sandbox}
    folders = student_folders(submissions, out)
    outcomes: list[Outcome] = []
    pending: Pending = {}
    for submission in submissions:
        if select is not None and submission.student not in select:
            continue
        outcome = Outcome(submission, folders[submission.student], GRADED)
        outcomes.append(outcome)
        if submission.problem:
            outcome.status, outcome.problem = NOT_GRADED, submission.problem
            continue
        key = submission_key(submission.path, submission.notebooks, version, settings)
        key_file = outcome.folder / KEY
        if not options.force and key_file.exists() and key_file.read_text().strip() == key:
            outcome.cached = True
            _classify(outcome)
            if outcome.run is not None:
                outcome.seconds = outcome.run.seconds
                continue
            outcome.cached, outcome.status, outcome.problem = False, GRADED, ""
        pending.setdefault(key, []).append(outcome)
    return outcomes, pending


def settle(group: list[Outcome], status: str, problem: str, seconds: float, progress: Progress) -> None:
    """Give every student of one graded group (identical files) the run's outcome."""
    first = group[0]
    for outcome in group:
        if outcome is not first:
            _copy_run(first.folder, outcome.folder)
        outcome.status, outcome.problem, outcome.seconds = status, problem, seconds
        outcome.same_run_as = [o.student for o in group if o is not outcome]
        if status == GRADED:
            _classify(outcome)
        score = f"{outcome.run.score:g}/{outcome.run.max_score:g}" if outcome.run else outcome.status
        progress.advance(f"{outcome.student}: {score} ({seconds:.0f} s)", outcome.status != GRADED)


def finish(outcomes: Iterable[Outcome]) -> list[Outcome]:
    return sorted(outcomes, key=lambda o: o.student.lower())


def _slot_env(base: dict[str, str],
              slots: Sequence[Mapping[str, str]]) -> tuple[Callable[[], None], Callable[[], dict[str, str]]]:
    """Each pool thread keeps one slot (a GPU, for training) for its life: no queue needed."""
    taken, local = iter(range(len(slots))), threading.local()

    def claim() -> None:
        local.env = {**base, **slots[next(taken)]}

    return claim, lambda: getattr(local, "env", base)


def grade_all(submissions: Sequence[Submission], out: str | Path, options: BatchOptions,
              progress_stream: TextIO | None = None, select: Container[str] | None = None,
              slots: Sequence[Mapping[str, str]] | None = None) -> list[Outcome]:
    """Grade every submission on this machine (reusing unchanged results); one ``Outcome`` each.
    ``slots``: one environment per worker (``gpus.worker_slots``); default ``options.jobs`` alike."""
    outcomes, pending = plan(submissions, out, options, select)
    progress = Progress(sum(len(group) for group in pending.values()), progress_stream)
    slots = slots or [{}] * max(1, options.jobs)
    claim, env_of = _slot_env(child_environment(len(slots)), slots)

    def work(key: str, group: list[Outcome]) -> tuple[str, str, float]:
        return grade_student(group[0].submission.path, group[0].folder, key, options, env_of())

    with ThreadPoolExecutor(max_workers=len(slots), initializer=claim) as pool:
        futures = {pool.submit(work, key, group): key for key, group in pending.items()}
        for future in as_completed(futures):
            settle(pending[futures[future]], *future.result(), progress)
    progress.close()
    return finish(outcomes)
