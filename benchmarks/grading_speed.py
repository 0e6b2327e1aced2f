"""Wall time of grading the complete reference submission vs. merely executing it.

    python benchmarks/grading_speed.py [--repeat N]

Builds the solved assignment in a temporary folder (marked cells filled from solutions/),
then, in one run: (a) executes every notebook with plain nbclient, one fresh kernel each, and
(b) runs ``pytest grader`` on the same folder, one kernel at a time and with the default
number of kernels at once. Prints both times, their ratio, and the score.
Training is capped the same way in both (D2L_MAX_EPOCHS=1, D2L_MAX_BATCHES=2).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader.kernel import ExecutionLimits
from solutions.fill import solved

REPO = Path(__file__).resolve().parents[1]


def build_solved(target):
    for path in sorted((REPO / "assignment").glob("*.ipynb")):
        nbformat.write(solved(nbformat.read(str(path), as_version=4)), str(target / path.name))
    return sorted(target.glob("*.ipynb"))


def execute_plain(paths, workdir):
    started = time.perf_counter()
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    return time.perf_counter() - started


def grade(folder, results, parallel_kernels):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(folder), "--results", str(results),
                    "--parallel-kernels", str(parallel_kernels), "-q", "-p", "no:cacheprovider"],
                   cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    os.environ.update({"D2L_MAX_EPOCHS": "1", "D2L_MAX_BATCHES": "2"})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        paths = build_solved(folder)
        results = Path(tmp) / "results.json"
        for run in range(args.repeat):
            plain = execute_plain(paths, Path(tmp))
            print(f"run {run + 1}: {len(paths)} notebooks | execute only (nbclient, one after another) {plain:6.1f} s")
            for parallel in sorted({1, ExecutionLimits.parallel_kernels}):
                graded = grade(folder, results, parallel)
                payload = json.loads(results.read_text())
                print(f"       grade (pytest grader, {parallel} kernel(s) at a time) {graded:6.1f} s | "
                      f"ratio {graded / plain:4.2f} | score {payload['score']:g}/{payload['max_score']:g} "
                      f"over {len(payload['tests'])} checks")


if __name__ == "__main__":
    main()
