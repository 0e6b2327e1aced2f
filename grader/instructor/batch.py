"""Grade many submissions: one ``pytest grader`` subprocess each, several at a time, results cached.

Each student runs in a process of their own (and their notebooks in kernels of their own), so a
crash, a hang or a memory blow-up costs that student's run only: it is stopped at the
per-student timeout, recorded with its reason, and the batch goes on. A thread pool waits on
the subprocesses; the grading itself happens in them.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from .fingerprint import ROOT, grader_version, submission_key
from .progress import Progress
from .results import ResultsError, load

RESULTS, EXECUTED, LOG, KEY = "results.json", "executed", "grading.log", "grading-key"
GRADED, PROBLEMS, ERROR, TIMEOUT, NOT_GRADED = "graded", "graded with problems", "error", "timeout", "not graded"


@dataclass
class BatchOptions:
    jobs: int = 2
    timeout: float = 1800.0             # seconds per student, kernels and all
    pytest_args: tuple = ()             # passed on to ``pytest grader`` (e.g. "-k", "pool2d")
    force: bool = False                 # grade again even when nothing changed
    require_sandbox: bool = True        # a machine that cannot confine student code grades no one


@dataclass
class Outcome:
    submission: object                  # discover.Submission
    folder: Path                        # this student's output folder
    status: str
    problem: str = ""
    seconds: float = 0.0
    cached: bool = False
    run: object = None                  # results.GradedRun (the grading record), when the grader wrote one
    same_run_as: list = field(default_factory=list)  # students whose identical files were graded once

    @property
    def student(self):
        return self.submission.student


def _child_environment(jobs):
    """Share the cores: torch in each kernel would otherwise start a thread per core."""
    env = dict(os.environ)
    threads = str(max(1, (os.cpu_count() or 1) // max(jobs, 1)))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(name, threads)
    return env


def _stop(process):
    """Kill the grader and everything it started (its kernels run in sessions of their own)."""
    victims = []
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


def _last_line(path):
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return lines[-1][:300] if lines else ""


def run_grader(submission_path, folder, options, env=None):
    """Grade one submission into ``folder``; (status, problem, seconds). Never raises for the
    submission's sake: a grader that crashes or hangs is reported, not propagated."""
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
            return TIMEOUT, f"grading took longer than {options.timeout:g} s and was stopped", time.monotonic() - started
    seconds = time.monotonic() - started
    if not (folder / RESULTS).exists():
        return ERROR, f"the grader exited with status {code} and wrote no results: {_last_line(folder / LOG)}", seconds
    return GRADED, "", seconds


def _classify(outcome):
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


def _copy_run(source, target):
    target.mkdir(parents=True, exist_ok=True)
    for name in (RESULTS, LOG, KEY):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    shutil.rmtree(target / EXECUTED, ignore_errors=True)
    if (source / EXECUTED).exists():
        shutil.copytree(source / EXECUTED, target / EXECUTED)


def student_folders(submissions, out):
    """{student: output folder}; names that clean up to the same folder get a suffix."""
    folders, taken = {}, set()
    for submission in submissions:
        name, n = submission.folder_name, 1
        while name.lower() in taken:
            n += 1
            name = f"{submission.folder_name}-{n}"
        taken.add(name.lower())
        folders[submission.student] = Path(out) / "students" / name
    return folders


def grade_all(submissions, out, options, progress_stream=None):
    """Grade every submission (reusing unchanged results); one ``Outcome`` per submission."""
    version = grader_version()
    settings = {"pytest_args": list(options.pytest_args), "require_sandbox": options.require_sandbox}
    folders = student_folders(submissions, out)
    outcomes, pending = [], {}
    for submission in submissions:
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

    progress = Progress(sum(len(group) for group in pending.values()), progress_stream)
    env = _child_environment(options.jobs)
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        futures = {pool.submit(run_grader, group[0].submission.path, group[0].folder, options, env): key
                   for key, group in pending.items()}
        for future in as_completed(futures):
            key = futures[future]
            first = pending[key][0]
            status, problem, seconds = future.result()
            if status == GRADED:
                (first.folder / KEY).write_text(key)  # only a finished run is worth reusing
            for outcome in pending[key]:
                if outcome is not first:
                    _copy_run(first.folder, outcome.folder)
                outcome.status, outcome.problem, outcome.seconds = status, problem, seconds
                outcome.same_run_as = [o.student for o in pending[key] if o is not outcome]
                if status == GRADED:
                    _classify(outcome)
                score = f"{outcome.run.score:g}/{outcome.run.max_score:g}" if outcome.run else outcome.status
                progress.advance(f"{outcome.student}: {score} ({seconds:.0f} s)", outcome.status != GRADED)
    progress.close()
    return sorted(outcomes, key=lambda o: o.student.lower())
