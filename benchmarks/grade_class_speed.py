"""Wall time of grading a small class with ``python -m grader.instructor grade-class``.

    python benchmarks/grade_class_speed.py [--students N] [--jobs J]

Builds a class folder in a temporary directory from the real assignment: solved submissions
(the notebooks filled from solutions/), blank ones, one with an unreadable notebook, and a
byte-identical copy of a solved one; then grades it twice with the instructor command (the
second run finds everything unchanged) and prints submissions, jobs and both wall times.
"""

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from solutions.fill import solved

REPO = Path(__file__).resolve().parents[1]


def build_class(root, students):
    blanks = sorted((REPO / "assignment").glob("*.ipynb"))
    kinds = ["solved", "blank", "broken", "duplicate"]
    for n in range(students):
        kind = kinds[n % len(kinds)]
        folder = root / f"student{n + 1:02d}-{kind}"
        folder.mkdir(parents=True)
        if kind == "duplicate":
            source = next(root.glob("student*-solved"))
            for path in source.glob("*.ipynb"):
                shutil.copy(path, folder / path.name)
            continue
        for path in blanks:
            nb = nbformat.read(str(path), as_version=4)
            nbformat.write(solved(nb) if kind == "solved" else nb, str(folder / path.name))
        if kind == "broken":
            (folder / blanks[0].name).write_text('{"cells": [ not a notebook')


def grade(folder, out, jobs):
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "grader.instructor", "grade-class", str(folder), "--out", str(out),
                          "--jobs", str(jobs)], cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"grade-class failed:\n{run.stdout}\n{run.stderr}")
    return seconds, run.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp) / "class", Path(tmp) / "out"
        build_class(folder, args.students)
        first, report = grade(folder, out, args.jobs)
        again, _ = grade(folder, out, args.jobs)
        print(report.strip())
        with open(out / "gradebook.csv", newline="") as handle:
            for row in csv.DictReader(handle):
                print(f"  {row['student']:<24} {row['score']:>5} / {row['max_score']:<5} {row['status']} "
                      f"{row['seconds']} s")
        print(f"\nsubmissions {args.students}, jobs {args.jobs}: first run {first:.1f} s "
              f"({first / args.students:.1f} s per submission), unchanged re-run {again:.1f} s")


if __name__ == "__main__":
    main()
