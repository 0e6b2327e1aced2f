"""A class folder as ``grade-class --out`` leaves it, made without grading: each student's
results.json (and receipt) written by the grader's own writers, and the gradebook over them."""

import json
from fractions import Fraction
from pathlib import Path

from grader.instructor.batch import GRADED, NOT_GRADED, Outcome, student_folders
from grader.instructor.discover import Submission
from grader.instructor.gradebook import write_gradebook
from grader.instructor.results import load
from grader.record import CheckResult
from grader.report import gradescope_json, write_results


def check(item, section, title, points, full, status="passed", feedback="", hidden=False):
    return CheckResult(f"{section} {item}: {title}", item, section, Fraction(points), Fraction(full), status,
                       feedback, hidden)


def solved_checks(corr2d=4, pool2d=4):
    """A small record: corr2d (4 points) in two checks, pool2d (4) in one."""
    return [check("corr2d", "7.2", "the book's example", min(corr2d, 1), 1, "passed" if corr2d >= 1 else "failed"),
            check("corr2d", "7.2", "generated inputs", max(corr2d - 1, 0), 3, "passed" if corr2d == 4 else "failed"),
            check("pool2d", "7.5", "max and avg", pool2d, 4, "passed" if pool2d == 4 else "failed")]


def write_class(out, students, grader="git v1", origin=None):
    """``students``: {name: (checks or None, notebook sha)}; None checks: not graded. Returns ``out``."""
    out = Path(out)
    submissions = [Submission(name, out, (origin or {}).get(name, f"{name}/"),
                              notebooks=[Path("7.2.ipynb")] if students[name][0] is not None else [])
                   for name in students]
    folders = student_folders(submissions, out)
    outcomes = []
    for submission in submissions:
        checks, sha = students[submission.student]
        folder = folders[submission.student]
        outcome = Outcome(submission, folder, GRADED if checks is not None else NOT_GRADED,
                          "" if checks is not None else "no notebook found")
        if checks is not None:
            write_results(folder / "results.json", json.loads(json.dumps(gradescope_json(checks))))
            (folder / "receipt.json").write_text(json.dumps({"grader": grader, "notebooks": [
                {"file": "7.2.ipynb", "sha256": sha}]}))
            outcome.run = load(folder / "results.json")
        outcomes.append(outcome)
    write_gradebook(outcomes, out / "gradebook.csv")
    return out
