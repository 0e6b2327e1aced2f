"""The command line of grading at scale: engine options of ``grade-class`` and the shard commands.

``grade-class`` picks its engine here (this machine's thread pool, submitit's local executor or
Slurm job arrays), runs its GPU workers with ``--train`` and grades one shard with ``--shard``;
``fetch-roster`` and ``merge-shards`` (with ``python -m grader.instructor.shards N`` for the
matrix) are the steps of the sharded re-grade
workflow (.github/workflows/regrade.yml), runnable here as they run there.
"""

import argparse
import os
import sys
from collections.abc import Callable, Container, Sequence
from pathlib import Path

from . import shards
from .arrays import EXECUTORS, ArrayOptions, grade_array
from .batch import NOT_GRADED, BatchOptions, Outcome, finish, grade_all, plan
from .discover import Submission
from .github_comments import DEFAULT_API, ApiError
from .gpus import visible_gpus, worker_slots
from .term.course_file import CourseFileError
from .term.submission_times import owner_of

GradeClassMain = Callable[[list[str]], int]   # the instructor CLI's ``main``, run on an argv

MERGE_MISSING = "no shard graded this submission (its shard failed or has not run): re-run that shard"


def add_engine_arguments(grade: argparse.ArgumentParser) -> None:
    """Options of ``grade-class`` beyond one machine."""
    grade.add_argument("--executor", choices=("threads", *EXECUTORS), default="threads",
                       help="threads: this machine (default); local: submitit's local executor (the Slurm "
                            "code path without Slurm); slurm: job arrays through submitit")
    grade.add_argument("--students-per-task", type=int, default=8, help="students packed into one array task")
    grade.add_argument("--concurrent", type=int, default=None,
                       help="array tasks running at once (default --jobs)")
    grade.add_argument("--partition", default="", help="Slurm partition (default: the cluster's)")
    grade.add_argument("--gpus-per-task", type=int, default=None, help="GPUs per array task (default 1 with --train)")
    grade.add_argument("--time-limit", type=float, default=0.0,
                       help="minutes per array task, a backstop (default: from --timeout and the pack)")
    grade.add_argument("--train", action="store_true",
                       help="run the GPU training checks: one worker per visible GPU (CUDA_VISIBLE_DEVICES), "
                            "more where its memory allows")
    grade.add_argument("--shard", type=int, default=None, help="grade only this shard of the class (0-based)")
    grade.add_argument("--shards", type=int, default=1, help="how many shards the class is split into")
    grade.add_argument("--merge-only", action="store_true",
                       help="grade nothing: write the gradebook, feedback and summary from the student folders "
                            "already in --out (merged shards); the missing are reported")


def check_engine(args: argparse.Namespace) -> str:
    """A usage problem with the engine options, or ""."""
    if args.students_per_task < 1 or (args.concurrent is not None and args.concurrent < 1):
        return "--students-per-task and --concurrent must be at least 1"
    if args.shard is not None:
        try:
            shards.check_shards(args.shard, args.shards)
        except shards.RosterError as error:
            return str(error)
    return ""


def _selected(args: argparse.Namespace, submissions: Sequence[Submission]) -> set[str] | None:
    """This shard's students; a student's later snapshot (``alice@late``) goes with its student."""
    if args.shard is None:
        return None
    chosen = shards.in_shard({owner_of(s.student) for s in submissions}, args.shard, args.shards)
    return {s.student for s in submissions if owner_of(s.student) in chosen}


def _merge_only(submissions: Sequence[Submission], out: str | Path, options: BatchOptions,
                select: Container[str] | None) -> list[Outcome]:
    outcomes, pending = plan(submissions, out, options, select)
    for group in pending.values():
        for outcome in group:
            outcome.status, outcome.problem = NOT_GRADED, MERGE_MISSING
    return finish(outcomes)


def grade_outcomes(args: argparse.Namespace, submissions: Sequence[Submission], out: str | Path,
                   options: BatchOptions) -> list[Outcome]:
    """Grade with the engine ``args`` name; one ``Outcome`` per (selected) submission."""
    select = _selected(args, submissions)
    if args.merge_only:
        return _merge_only(submissions, out, options, select)
    if args.executor == "threads":
        slots: list[dict[str, str]] | None = None
        if args.train:
            slots = worker_slots(visible_gpus())
            if not slots:
                raise SystemExit("grade-class --train: no GPU is visible (nvidia-smi, CUDA_VISIBLE_DEVICES)")
        return grade_all(submissions, out, options, select=select, slots=slots)
    array = ArrayOptions(executor=args.executor, students_per_task=args.students_per_task,
                         concurrent=args.concurrent or args.jobs, partition=args.partition,
                         gpus_per_task=args.gpus_per_task if args.gpus_per_task is not None else int(args.train),
                         time_limit_min=args.time_limit)
    return grade_array(submissions, out, options, array, select=select)


def fetch_roster(args: argparse.Namespace) -> int:
    try:
        if args.course:   # as of each student's deadline, from GitHub's push record (ROSTER_TOKEN)
            from .term.deadline_snapshots import fetch_for_course

            failed = fetch_for_course(args.roster, args.shard, args.shards, args.into, args.course, args.api_url,
                                      os.environ.get("ROSTER_TOKEN", ""))
        else:
            failed = shards.fetch_repositories(args.roster, args.shard, args.shards, args.into)
    except (shards.RosterError, CourseFileError, ApiError) as error:
        print(f"fetch-roster: {error}", file=sys.stderr)
        return 2
    for entry, problem in failed:
        print(f"fetch-roster: could not clone {entry}: {problem}", file=sys.stderr)
    fetched = [p for p in Path(args.into).iterdir() if not p.name.startswith(".")]   # not the times record
    print(f"shard {args.shard}/{args.shards}: {len(fetched)} folders in {args.into}")
    return 0


def merge_shards(args: argparse.Namespace, grade_class_main: GradeClassMain) -> int:
    """Collect the shards' student folders into --out, then let grade-class write the gradebook."""
    out = Path(args.out)
    roster = Path(args.roster)
    class_folder = roster if roster.is_dir() else out / "class"
    copied = shards.collect(args.shard_outputs, out, None if roster.is_dir() else class_folder)
    print(f"merged {copied} student folders from {len(args.shard_outputs)} shards", file=sys.stderr)
    argv = ["grade-class", str(class_folder), "--out", str(out), "--merge-only", "--format", args.format,
            "--pytest-args", args.pytest_args, *(["--allow-unsandboxed"] if args.allow_unsandboxed else []),
            *(["--course", args.course] if args.course else [])]
    return grade_class_main(argv)


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", grade_class_main: GradeClassMain,
                 formats: Sequence[str]) -> None:
    fetch = commands.add_parser("fetch-roster", help="clone one shard's repositories from a roster file")
    fetch.add_argument("roster", help="text file: owner/name (or a clone URL) per line")
    fetch.add_argument("--shard", type=int, required=True)
    fetch.add_argument("--shards", type=int, required=True)
    fetch.add_argument("--into", required=True, help="folder to clone into, one sub-folder per repository")
    fetch.add_argument("--course", default=None, help="course.toml: fetch each repository as of its student's "
                                                      "deadline, and the late work before the cutoff")
    fetch.add_argument("--api-url", default=DEFAULT_API, help="GitHub's REST API, for the push record")
    fetch.set_defaults(handler=fetch_roster)

    merge = commands.add_parser("merge-shards", help="merge shards' results into one gradebook")
    merge.add_argument("roster", help="the class folder the shards graded, or the roster file they fetched")
    merge.add_argument("shard_outputs", nargs="+", help="each shard's --out folder (its uploaded artifact)")
    merge.add_argument("--out", required=True)
    merge.add_argument("--format", choices=formats, default="md")
    merge.add_argument("--pytest-args", default="", help="as the shards were given (part of the cache key)")
    merge.add_argument("--allow-unsandboxed", action="store_true", help="as the shards were given")
    merge.add_argument("--course", default=None, help="course.toml: the deadline columns and penalties")
    merge.set_defaults(handler=lambda args: merge_shards(args, grade_class_main))
