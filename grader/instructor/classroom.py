"""What the auto-grade workflow publishes: the job summary, the feedback report, and the points
in the form GitHub Classroom reads.

GitHub Classroom's reporter action (classroom-resources/autograding-grading-reporter@v1) reads,
for each runner id listed in its ``runners`` input, an environment variable ``<ID>_RESULTS``
holding base64-encoded JSON: ``{"version": 1, "status", "max_score", "tests": [{"name",
"status", "score", ...}]}``. It adds up the tests' ``score`` and the runners' ``max_score``
and posts "Points X/Y" as the workflow run's notice, which is what Classroom shows as the
grade (its src/notify-classroom.js; see also GitHub's "Use autograding" page,
docs.github.com/en/education/manage-coursework-with-github-classroom/teach-with-github-classroom/use-autograding).
This module writes that JSON from the grader's results.json; the workflow passes it on.

It is also ``ci-report``'s home, runnable on its own (``python -m grader.instructor.classroom
RESULTS ...``): the student release ships this module and the report modules it needs (not the
rest of the instructor tools), so the feedback workflow publishes with the release's own code.
"""

import argparse
import base64
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .feedback import FORMATS, score_lines, write_report
from .results import GradedRun, ResultsError, load

TITLE = "Autograding"


def classroom_result(run: GradedRun | None, error: str = "") -> dict[str, Any]:
    """The runner result for Classroom's reporter: one test holding the total.

    One test, not one per check, because the reporter adds the tests' scores in JavaScript
    floats (0.1 + 0.2 shows as 0.30000000000000004); the score table goes in its message.
    """
    if run is None or run.error or error:
        status = "error"
    else:
        status = "pass" if all(c.passed or c.skipped for c in run.checks) else "fail"
    if run is None:
        message = error or "grading did not finish"
    else:
        from ..report import score_table

        message = "\n".join(filter(None, [run.error, score_table(run)]))
    score, max_score = (round(run.score, 2), round(run.max_score, 2)) if run else (0, 0)
    test = {"name": "pytest grader", "status": status if status != "error" else "fail", "score": score,
            "max_score": max_score, "message": message, "line_no": 0}
    return {"version": 1, "status": status, "max_score": max_score, "tests": [test]}


def encode(result: Mapping[str, Any]) -> str:
    return base64.b64encode(json.dumps(result).encode()).decode()


def points_line(run: GradedRun | None) -> str:
    return f"Points {run.score:g}/{run.max_score:g}" if run else "Points 0/0"


def job_summary(run: GradedRun | None, error: str = "", heading: str = TITLE) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: the total, the table per item, what went wrong."""
    if run is None:
        return f"## {heading}: grading did not finish\n\n{error}\n"
    lines = [f"## {heading}: {run.score:g} / {run.max_score:g} points", ""]
    if run.problems:
        lines += ["**Problems:**", ""] + [f"- {p}" for p in run.problems] + [""]
    lines += score_lines(run)
    skipped = [c for c in run.checks if c.skipped]
    if skipped:
        reasons = sorted({c.feedback for c in skipped})
        lines += ["", f"{len(skipped)} check(s) did not run here (0 of 0 points): " + "; ".join(reasons)]
    lines += ["", "The feedback report and the executed notebooks are in this run's artifacts."]
    return "\n".join(lines) + "\n"


def receipt_section(folder: Path) -> str:
    """The receipt ``pytest grader`` left beside results.json, for the run's summary ("" if none)."""
    from ..receipt import read, text

    receipt = read(folder)
    return "" if receipt is None else f"\n### Receipt (keep it: it names the files graded)\n\n```\n{text(receipt)}```\n"


def append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def set_output(path: str | None, name: str, value: str) -> None:
    """A step output, as GitHub Actions reads it from ``$GITHUB_OUTPUT``."""
    if path:
        append(path, f"{name}={value}\n")



def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``ci-report``'s options (the same under ``python -m grader.instructor ci-report``)."""
    parser.add_argument("results", help="results.json written by pytest grader --results")
    parser.add_argument("--summary", default=None, help="append the score table here ($GITHUB_STEP_SUMMARY)")
    parser.add_argument("--output", default=None, help="write the Classroom result here ($GITHUB_OUTPUT)")
    parser.add_argument("--feedback", default=None, help="folder for the feedback report")
    parser.add_argument("--format", choices=FORMATS, default="md")
    parser.add_argument("--executed", default=None, help="folder of executed notebooks (pytest grader --executed-dir)")
    parser.add_argument("--submission", default=None, help="the submitted notebooks (for the student's own curves)")
    parser.add_argument("--student", default=os.environ.get("GITHUB_ACTOR", "you"), help="name in the report's title")
    parser.add_argument("--heading", default=TITLE, help="title of the job summary")


def ci_report(args: argparse.Namespace) -> int:
    """Publish one graded push: table in the log, job summary, feedback report, Classroom points."""
    try:
        run, error = load(args.results), ""
    except ResultsError as problem:
        run, error = None, str(problem)
    if run is not None:
        from ..report import score_table

        print(score_table(run))
    else:
        print(f"grading did not finish: {error}")
    print(points_line(run))
    append(args.summary, job_summary(run, error, args.heading) + receipt_section(Path(args.results).parent))
    set_output(args.output, "result", encode(classroom_result(run, error)))
    if args.feedback:
        submitted = sorted(Path(args.submission).rglob("*.ipynb")) if args.submission else []
        path = write_report(args.student, run, args.feedback, args.format, args.executed, submitted, error)
        print(f"feedback report: {path}")
    return 0 if run is not None else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.instructor.classroom",
                                     description="publish a results.json in GitHub Actions (ci-report)")
    add_arguments(parser)
    return ci_report(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
