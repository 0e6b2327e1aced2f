"""What the written answers leave in the output folder, apart from every autograded result.

``manual/answers.json`` (the ledger): each student's anonymous id and, per question, the answer's
status and hash as the last ``grade-class`` read them, plus how that run was called, so
``manual`` can rebuild the gradebook without grading. ``manual/scores.json``: the scores read from
filled sheets, each with the hash of the answer its reader saw. ``grade-class`` rewrites the
ledger and never touches the scores; only ``--manual``/``manual`` add to them. Both are written
whole or not at all (a temporary file, then a rename).
"""

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANUAL = "manual"
LEDGER, SCORES = "answers.json", "scores.json"
VERSION = 1


class StoreError(Exception):
    """A ledger or score file that cannot be read; the message names it."""


@dataclass
class StoredScore:
    points: str                 # exact, as a fraction: "3/2"
    criteria: dict[str, str]    # criterion id: points given
    comment: str
    digest: str                 # the hash of the answer that was read (the sheet's "answer" column)
    source: str                 # "sheet.csv, row 4"


@dataclass
class Ledger:
    run: dict[str, Any] = field(default_factory=dict)        # class folder, format, options of grade-class
    students: dict[str, dict[str, Any]] = field(default_factory=dict)   # student: {"id", "answers": {q: {...}}}

    def ids(self) -> dict[str, str]:
        """{anonymous id: student}."""
        return {str(entry["id"]): student for student, entry in self.students.items()}


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise StoreError(f"{path} cannot be read ({error}); restore it from a backup") from None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise StoreError(f"{path} is not a version-{VERSION} file of this grader")
    return data


def save_ledger(out: Path, ledger: Ledger) -> None:
    _write(out / MANUAL / LEDGER, {"version": VERSION, **asdict(ledger)})


def load_ledger(out: Path) -> Ledger:
    data = _read(out / MANUAL / LEDGER)
    if data is None:
        raise StoreError(f"{out / MANUAL / LEDGER} does not exist: run grade-class with --out {out} first "
                         "(it writes the review packets the sheets come from)")
    return Ledger(dict(data.get("run", {})), dict(data.get("students", {})))


def load_scores(out: Path) -> dict[str, dict[str, StoredScore]]:
    """{student: {question: score}} ({} before any sheet was read)."""
    data = _read(out / MANUAL / SCORES) or {"scores": {}}
    try:
        return {student: {question: StoredScore(**score) for question, score in questions.items()}
                for student, questions in data["scores"].items()}
    except (TypeError, AttributeError, KeyError) as error:
        raise StoreError(f"{out / MANUAL / SCORES} is malformed ({error}); restore it from a backup") from None


def save_scores(out: Path, scores: dict[str, dict[str, StoredScore]]) -> None:
    _write(out / MANUAL / SCORES, {"version": VERSION, "scores": {
        student: {question: asdict(score) for question, score in sorted(questions.items())}
        for student, questions in sorted(scores.items())}})
