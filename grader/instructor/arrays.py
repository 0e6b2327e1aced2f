"""Grade a class as a job array through submitit: Slurm on a cluster, its local executor elsewhere.

The engine only runs ``grade_pack`` somewhere: each array task grades a pack of students one
after another, every student in a fresh ``pytest grader`` process of their own (the sandbox's
Landlock rules are one-way, so no process is ever reused for a second student). Results land in
each student's folder on the shared file system, with a ``done.json`` marker; the driver here
watches those markers for progress and reads the results back, so whatever the engine does to a
task (kills it, runs out its time), re-running grades only the students without a finished run.
"""

import math
import time
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .batch import (
    DONE,
    ERROR,
    BatchOptions,
    Outcome,
    Pending,
    child_environment,
    finish,
    grade_student,
    plan,
    read_marker,
    settle,
)
from .discover import Submission
from .progress import Progress

EXECUTORS = ("local", "slurm")
POLL_SECONDS = 1.0


@dataclass
class ArrayOptions:
    executor: str = "local"           # "local" (submitit's LocalExecutor) or "slurm"
    students_per_task: int = 8        # packed into one array task, so short tasks do not flood Slurm
    concurrent: int = 2               # array tasks running at once (Slurm's %N)
    partition: str = ""               # Slurm partition; "" for the cluster's default
    gpus_per_task: int = 0            # --train on Slurm: GPUs of one array task
    cpus_per_task: int = 2
    time_limit_min: float = 0.0       # the engine's backstop; 0: derived from the per-student timeout
    folder: str = ""                  # submitit's logs and pickles; "" for OUT/submitit


def grade_pack(items: Iterable[tuple[str, str, str]], options: BatchOptions,
               env_overrides: Mapping[str, str] | None = None) -> list[str]:
    """One array task: grade each (submission path, folder, key) in turn; never raises for a student."""
    env = {**child_environment(1), **(env_overrides or {})}
    return [grade_student(Path(path), Path(folder), key, options, env)[0] for path, folder, key in items]


def packs(pending: Pending, array: ArrayOptions) -> list[list[str]]:
    """Split the pending groups into array tasks. Locally every task starts at once, so the packs
    are made large enough that no more than ``concurrent`` run together."""
    keys = list(pending)
    size = max(1, array.students_per_task)
    if array.executor == "local":
        size = max(size, math.ceil(len(keys) / max(1, array.concurrent)))
    return [keys[i:i + size] for i in range(0, len(keys), size)]


def make_executor(array: ArrayOptions, options: BatchOptions, pack_size: int) -> Any:   # a submitit.AutoExecutor
    """A submitit executor with the class's limits: the per-student timeout is the grader's own,
    the task's time limit only a backstop (every student of the pack at their limit, and a retry)."""
    import submitit

    folder = Path(array.folder)
    executor = submitit.AutoExecutor(folder=folder, cluster="local" if array.executor == "local" else "slurm")
    backstop = array.time_limit_min or math.ceil(2 * pack_size * options.timeout / 60) + 5
    parameters = {"timeout_min": int(math.ceil(backstop)), "cpus_per_task": array.cpus_per_task,
                  "name": "grade-class", "slurm_array_parallelism": max(1, array.concurrent)}
    if array.gpus_per_task:
        parameters["gpus_per_node"] = array.gpus_per_task
    if array.partition:
        parameters["slurm_partition"] = array.partition
    executor.update_parameters(**parameters)
    return executor


def _job_failure(job: Any) -> str:   # a submitit.Job
    try:
        job.result()
    except Exception as error:  # submitit raises what the task raised, or why the task died
        text = str(error).strip().splitlines()
        return text[-1][:300] if text else type(error).__name__
    return ""


def grade_array(submissions: Sequence[Submission], out: str | Path, options: BatchOptions, array: ArrayOptions,
                progress_stream: TextIO | None = None, select: Container[str] | None = None) -> list[Outcome]:
    """Grade the class through submitit; the same ``Outcome`` list as ``batch.grade_all``."""
    outcomes, pending = plan(submissions, out, options, select)
    progress = Progress(sum(len(group) for group in pending.values()), progress_stream)
    if pending:
        array.folder = array.folder or str(Path(out) / "submitit")
        for group in pending.values():
            (group[0].folder / DONE).unlink(missing_ok=True)   # markers of an earlier run do not count
        task_keys = packs(pending, array)
        executor = make_executor(array, options, max(len(k) for k in task_keys))
        items = [[(str(pending[k][0].submission.path), str(pending[k][0].folder), k) for k in keys]
                 for keys in task_keys]
        jobs = executor.map_array(grade_pack, items, [options] * len(items))
        _watch(jobs, task_keys, pending, progress)
    progress.close()
    return finish(outcomes)


def _watch(jobs: Sequence[Any], task_keys: list[list[str]], pending: Pending, progress: Progress) -> None:
    """Advance the class's progress as markers appear; a task that ended leaves its unfinished
    students marked as errors, to be graded by the next run."""
    waiting = {key: job for job, keys in zip(jobs, task_keys) for key in keys}
    while waiting:
        for key, job in list(waiting.items()):
            group = pending[key]
            finished = job.done()   # first: a task writes its markers before it ends
            found = read_marker(group[0].folder, key)
            if found is not None:
                settle(group, *found, progress)
            elif finished:
                why = _job_failure(job) or "it ended without a result"
                settle(group, ERROR, f"its array task ended before this student was graded ({why}); "
                                     "run grade-class again to grade only the missing students", 0.0, progress)
            else:
                continue
            del waiting[key]
        if waiting:
            time.sleep(POLL_SECONDS)
