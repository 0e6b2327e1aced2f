"""Each student's written questions as scored: the gradebook's columns, the feedback section and
the tests added to results.json. Autograded results are never changed here: the gradebook's
``score`` stays the autograded score and ``total_score`` adds the written points scored so far.

A score whose answer has changed since it was read keeps its points and is flagged "answer
changed since it was scored" everywhere it shows, until a reader scores the new answer.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from ...items import WRITTEN
from .manual_store import StoredScore
from .rubrics import Rubric, exact
from .written_answers import ANSWERED, NO_ANSWER

NOT_SCORED, SCORED, CHANGED = "not scored yet", "scored", "answer changed since it was scored"
TAG = "written"   # marks the tests this module adds to results.json, so a rebuild replaces them


@dataclass
class WrittenScore:
    question: str
    max_points: Fraction
    state: str                       # no answer | question not found | not scored yet | scored | answer changed…
    points: Fraction | None = None   # None: waiting for a reader
    comment: str = ""
    criteria: dict[str, str] = field(default_factory=dict)


def score_student(answers: Mapping[str, Mapping[str, Any]], stored: Mapping[str, StoredScore]) -> list[WrittenScore]:
    """Every written question for one student, from the ledger's answers and the stored scores."""
    scores = []
    for name, item in WRITTEN.items():
        answer = answers.get(name, {})
        status, digest = str(answer.get("status", NO_ANSWER)), str(answer.get("digest", ""))
        kept = stored.get(name)
        maximum = exact(item.points)
        if kept is not None and kept.digest != digest:
            scores.append(WrittenScore(name, maximum, CHANGED, Fraction(kept.points), kept.comment, kept.criteria))
        elif kept is not None:
            scores.append(WrittenScore(name, maximum, SCORED, Fraction(kept.points), kept.comment, kept.criteria))
        elif status != ANSWERED:
            scores.append(WrittenScore(name, maximum, status, Fraction(0)))
        else:
            scores.append(WrittenScore(name, maximum, NOT_SCORED))
    return scores


def written_column(name: str) -> str:
    item = WRITTEN[name]
    return f"{item.section} {name} /{item.points:g} (written)"


SUMMARY_COLUMNS = ["written_score", "written_max", "written_unscored", "written_flags", "total_score", "total_max"]


def columns() -> list[str]:
    return [written_column(name) for name in WRITTEN] + SUMMARY_COLUMNS


def gradebook_values(scores: list[WrittenScore], auto_score: float | None, auto_max: float | None) -> dict[str, str]:
    """This student's written columns; ``total_*`` = autograded + written (empty when not graded)."""
    values = {written_column(s.question): "" if s.points is None else f"{float(s.points):g}" for s in scores}
    got = sum((s.points for s in scores if s.points is not None), Fraction(0))
    top = sum((s.max_points for s in scores), Fraction(0))
    flags = [f"{s.question}: {s.state}" for s in scores if s.state == CHANGED]
    values.update({"written_score": f"{float(got):g}", "written_max": f"{float(top):g}",
                   "written_unscored": str(sum(s.points is None for s in scores)),
                   "written_flags": "; ".join(flags),
                   "total_score": "" if auto_score is None else f"{auto_score + float(got):g}",
                   "total_max": "" if auto_max is None else f"{auto_max + float(top):g}"})
    return values


def _state_text(score: WrittenScore, rubric: Rubric | None) -> str:
    """One line: the points, then what earned them, the reader's comment and any flag."""
    if score.points is None:
        return "not scored yet"
    parts = [f"{float(score.points):g} / {float(score.max_points):g}"]
    if score.state not in (SCORED, CHANGED):
        return f"{parts[0]}: {score.state}"
    if score.criteria and rubric is not None:
        parts += [f"{c.id} {score.criteria.get(c.id, '0')}/{float(c.points):g}" for c in rubric.criteria]
    if score.comment:
        parts.append(f"comment: {' '.join(score.comment.split())}")
    if score.state == CHANGED:
        parts.append("your answer changed since it was scored: it will be read again")
    return "; ".join(parts)


def feedback_lines(scores: list[WrittenScore], rubrics: Mapping[str, Rubric]) -> list[str]:
    """The feedback report's section on the written questions (Markdown)."""
    got = sum((s.points for s in scores if s.points is not None), Fraction(0))
    top = sum((s.max_points for s in scores), Fraction(0))
    waiting = sum(s.points is None for s in scores)
    lines = ["", "## Written questions (read by a person)", "",
             f"**{float(got):g} / {float(top):g}** scored so far, not part of the autograded score above"
             + (f"; {waiting} answer{'s' if waiting != 1 else ''} still to be read." if waiting else "."), ""]
    for score in scores:
        item = WRITTEN[score.question]
        text = _state_text(score, rubrics.get(score.question)).replace("|", "\\|")
        lines.append(f"- {item.section} {score.question} ({item.opening} …): {text}")
    return lines


def results_tests(scores: list[WrittenScore]) -> list[dict[str, Any]]:
    """One Gradescope test per written question that has points (scored, or no answer)."""
    tests = []
    for score in scores:
        if score.points is None:
            continue
        item = WRITTEN[score.question]
        output = [score.state] + ([f"Comment: {score.comment}"] if score.comment else [])
        tests.append({"name": f"{item.section} {score.question}: written question (read by a person)",
                      "score": float(score.points), "max_score": float(score.max_points),
                      "status": "passed" if score.points == score.max_points else "failed",
                      "output": "\n\n".join(output), "output_format": "text", "visibility": "visible",
                      "tags": [TAG]})
    return tests


def update_results(path: Path, scores: list[WrittenScore]) -> bool:
    """Put the written tests into a results.json (replacing this module's earlier ones) and make its
    ``score`` the autograded score plus them; the grading record inside is left as it was.
    False when there is no results.json to update."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(payload, dict) or not isinstance(payload.get("tests"), list):
        return False
    autograded = [t for t in payload["tests"] if not (isinstance(t, dict) and TAG in (t.get("tags") or []))]
    added = results_tests(scores)
    extra = payload.setdefault("extra_data", {})
    auto = extra.get("autograded_score", payload.get("score", 0))
    payload["tests"] = autograded + added
    payload["score"] = round(float(auto) + sum(t["score"] for t in added), 4)
    extra["autograded_score"] = auto
    extra["written"] = {s.question: {"state": s.state, "points": None if s.points is None else str(s.points)}
                        for s in scores}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return True
