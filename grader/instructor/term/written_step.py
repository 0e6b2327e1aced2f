"""The written questions in ``grade-class`` and in ``manual``: collect, packet, read sheets, report.

``grade-class`` reads every student's answers from the submitted notebooks (statically, after
grading), writes the ledger and one review packet per question, and puts the stored manual
scores into results.json; the gradebook and the feedback get them through ``written_class``.
Filled sheets are read in whole by ``apply_sheets`` (``--manual`` here, ``manual_command.py``).
"""

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ...items import WRITTEN
from .anonymity import anonymous_id, course_secret, review_order
from .manual_store import MANUAL, Ledger, StoreError, load_ledger, load_scores, save_ledger, save_scores
from .review_packet import PACKETS, write_packet
from .rubrics import Rubric, RubricError, read_rubrics
from .score_sheets import SheetError, read_sheets
from .written_answers import NOT_FOUND, Answer, starter_answers, starter_questions, student_answers
from .written_results import WrittenScore, columns, feedback_lines, gradebook_values, score_student, update_results

if TYPE_CHECKING:
    from ..batch import Outcome


@dataclass
class WrittenClass:
    """The class's written scores as stored now; empty where grade-class never collected answers."""
    rubrics: dict[str, Rubric] = field(default_factory=dict)
    scores: dict[str, list[WrittenScore]] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def columns(self) -> list[str]:
        return columns() if self.scores else []

    def values(self, student: str, auto_score: float | None, auto_max: float | None) -> dict[str, str]:
        found = self.scores.get(student)
        return gradebook_values(found, auto_score, auto_max) if found is not None else {}

    def feedback(self, student: str) -> list[str]:
        found = self.scores.get(student)
        if found is None:
            return []
        notes = [f"- {problem}" for problem in self.problems.get(student, [])]
        return feedback_lines(found, self.rubrics) + ([""] + notes if notes else [])


def written_class(out: Path) -> WrittenClass:
    """What ``out`` holds of the written questions (``StoreError``/``RubricError`` when it is broken)."""
    if not (out / MANUAL / "answers.json").exists():
        return WrittenClass()
    ledger, stored, rubrics = load_ledger(out), load_scores(out), read_rubrics()
    scores = {student: score_student(entry.get("answers", {}), stored.get(student, {}))
              for student, entry in ledger.students.items()}
    problems = {student: list(entry.get("problems", [])) for student, entry in ledger.students.items()}
    return WrittenClass(rubrics, scores, problems)


def check_rubrics() -> str:
    """A rubric problem to stop grade-class with, before any grading, or ""."""
    try:
        read_rubrics()
    except RubricError as error:
        return str(error)
    return ""


def _answers(outcome: "Outcome", starter: dict[str, str],
             questions: dict[str, str]) -> tuple[dict[str, Answer], list[str]]:
    submission = outcome.submission
    if submission.problem or not submission.notebooks:
        return {name: Answer(name, NOT_FOUND) for name in WRITTEN}, []
    base = submission.path if submission.path.is_dir() else submission.path.parent
    return student_answers(list(submission.notebooks), base, starter, questions)


def collect(outcomes: Sequence["Outcome"], out: Path, args: argparse.Namespace, whole_class: bool) -> WrittenClass:
    """Read the answers, write the ledger and (for the whole class, not one shard) the packets,
    and put the stored scores into each results.json."""
    starter_paths = sorted(Path(args.starter).glob("*.ipynb")) if args.starter else []
    starter, questions = starter_answers(starter_paths), starter_questions(starter_paths)
    secret = course_secret(out / MANUAL)
    found: dict[str, dict[str, Answer]] = {}
    ledger = Ledger({"class": str(Path(args.submissions).resolve()), "format": args.format}, {})
    for outcome in outcomes:
        answers, problems = _answers(outcome, starter, questions)
        found[outcome.student] = answers
        ledger.students[outcome.student] = {
            "id": anonymous_id(secret, outcome.student), "problems": problems,
            "answers": {name: {"status": a.status, "digest": a.digest, "notebook": a.notebook, "cell": a.cell}
                        for name, a in answers.items()}}
    save_ledger(out, ledger)
    written = written_class(out)
    if whole_class:
        stored = load_scores(out)
        for name, item in WRITTEN.items():
            by_student = {s: (ledger.students[s]["id"], found[s][name]) for s in found}
            kept = {s: stored[s][name] for s in found if name in stored.get(s, {})}
            write_packet(out / PACKETS, item, written.rubrics[name], questions.get(name, item.opening),
                         by_student, kept, review_order(secret, name, found))
    for outcome in outcomes:
        update_results(outcome.folder / "results.json", written.scores[outcome.student])
    return written


def apply_sheets(sheets: Sequence[str], out: Path) -> str:
    """Read ``sheets`` into the stored scores, all or none; "" or what stopped it."""
    try:
        ledger, rubrics = load_ledger(out), read_rubrics()
        new = read_sheets([Path(s) for s in sheets], ledger, rubrics)
        scores = load_scores(out)
    except (StoreError, RubricError, SheetError) as error:
        return str(error)
    for (student, question), score in new.items():
        scores.setdefault(student, {})[question] = score
    save_scores(out, scores)
    print(f"manual: {len(new)} scores read from {len(sheets)} sheet(s) into {out / MANUAL / 'scores.json'}",
          file=sys.stderr)
    return ""


def add_manual_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--manual", nargs="+", default=[], metavar="SHEET",
                        help="filled score sheets of the written questions (the review packets' CSV files) to read "
                             "into --out's manual/scores.json before grading; all or nothing")


def before_grading(args: argparse.Namespace, out: Path) -> str:
    """What must hold before grade-class grades anyone: the rubrics read, the stored scores
    readable, and the ``--manual`` sheets (if any) read in whole; "" or the problem."""
    problem = check_rubrics()
    if problem:
        return problem
    try:
        load_scores(out)
    except StoreError as error:
        return str(error)
    return apply_sheets(args.manual, out) if args.manual else ""
