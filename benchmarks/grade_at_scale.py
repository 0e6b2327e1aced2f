"""Throughput of grading a class through submitit's local executor (the Slurm code path) against
``grade-class`` on this machine's thread pool, and what 1,000 students cost on N CPU nodes or K GPUs.

    .venv/bin/python benchmarks/grade_at_scale.py [--students 100] [--baseline 20] [--jobs 2]

The synthetic class: small one-section notebooks (the corr2d item, its checks only selected),
solved, blank and mutants (wrong loop bounds, a transposed kernel, convolution instead of
cross-correlation, zeros, a crash), every file distinct so nothing is deduplicated. The baseline
grades the first ``--baseline`` students with ``grade-class --executor threads``.
"""

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from notebook_factory import IMPORTS, write_notebook  # noqa: E402

from grader.instructor.__main__ import main  # noqa: E402

LOOP = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
        "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
        "            Y[i, j] = (X[i:i + h, j:j + w] * {kernel}).sum()\n    return Y")
VARIANTS = {
    "solved": LOOP.format(kernel="K"),
    "blank": "def corr2d(X, K):\n    raise NotImplementedError",
    "transposed": LOOP.format(kernel="K.T"),
    "convolution": LOOP.format(kernel="K.flip(0).flip(1)"),
    "zeros": "def corr2d(X, K):\n    h, w = K.shape\n    return torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))",
    "bounds": LOOP.format(kernel="K").replace("X.shape[0] - h + 1", "X.shape[0] - h"),
    "crash": "def corr2d(X, K):\n    return X @ K @ X",
}
SELECT = "-k corr2d:"
GPU_SECONDS_PER_STUDENT = 90.0       # the training check on one GPU (issue 21's measurement)


def make_class(root, count):
    kinds = list(VARIANTS)
    for n in range(count):
        kind = kinds[n % len(kinds)]
        write_notebook(root / f"s{n:04d}-{kind}.ipynb", IMPORTS, f"# student {n}", VARIANTS[kind])
    return root


def timed(argv):
    started = time.monotonic()
    assert main(argv) == 0, argv
    return time.monotonic() - started


def scores(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student"]: (row["score"], row["max_score"]) for row in csv.DictReader(handle)}


def cost_model(core_seconds):
    print("\nCost model, 1,000 students (CPU checks; measured "
          f"{core_seconds:.1f} core-seconds per student for the selected checks):")
    for nodes, cores in ((1, 2), (1, 32), (4, 32), (16, 32)):
        hours = 1000 * core_seconds / (nodes * cores) / 3600
        core_hours = 1000 * core_seconds / 3600
        print(f"  {nodes:>3} CPU node(s) x {cores:>2} cores: {hours:6.2f} h wall, {core_hours:6.1f} core-hours")
    for shards in (16, 64, 256):   # GitHub-hosted ubuntu-latest: 4 cores (public), 2 (private)
        minutes = 1000 / shards * core_seconds / 4 / 60 + 4   # + ~4 min set-up per shard
        print(f"  Actions, {shards:>3} shards x 4 cores: {minutes:6.1f} min wall, "
              f"{shards * minutes:7.0f} runner-minutes")
    for gpus, per_gpu in ((1, 1), (4, 1), (8, 1), (8, 4)):
        hours = 1000 * GPU_SECONDS_PER_STUDENT / (gpus * per_gpu) / 3600
        print(f"  training check, {gpus} GPU(s) x {per_gpu} student(s) each: {hours:6.2f} h wall, "
              f"{1000 * GPU_SECONDS_PER_STUDENT / per_gpu / 3600:5.1f} GPU-hours")


def run(args):
    cores = args.jobs
    with tempfile.TemporaryDirectory(prefix="grade-at-scale-") as base:
        base = Path(base)
        whole = make_class(base / "class", args.students)
        part = base / "baseline-class"
        part.mkdir()
        for path in sorted(whole.iterdir())[:args.baseline]:
            (part / path.name).write_bytes(path.read_bytes())
        common = ["--jobs", str(cores), "--pytest-args", SELECT]
        threads = timed(["grade-class", str(part), "--out", str(base / "threads"), *common])
        local = timed(["grade-class", str(whole), "--out", str(base / "local"), "--executor", "local",
                       "--students-per-task", str(args.per_task), "--concurrent", str(cores), *common])
        same = all(scores(base / "local")[s] == v for s, v in scores(base / "threads").items())
        rate_threads = args.baseline / (threads / 60) / cores
        rate_local = args.students / (local / 60) / cores
        print(f"\n{args.students} students, {cores} cores, checks: {SELECT}")
        print(f"  grade-class (threads), {args.baseline} students: {threads:7.1f} s, "
              f"{rate_threads:5.2f} students/min/core")
        print(f"  submitit local executor, {args.students} students ({args.per_task} per task): {local:7.1f} s, "
              f"{rate_local:5.2f} students/min/core")
        print(f"  same scores for the students both graded: {same}")
        cost_model(local * cores / args.students)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--baseline", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument("--per-task", type=int, default=8)
    run(parser.parse_args())
