"""The class gradebook: one CSV row per student, totals first, then points per item."""

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..items import ITEMS, Item
from .term.course_grade import GRADE_COLUMNS, grade_values
from .term.overrides import overridden
from .term.written_step import written_class

if TYPE_CHECKING:
    from .batch import Outcome

FIELDS = ["student", "score", "max_score", "percent", "status", "problem", "identical_to", "similar_to", "superseded",
          "notebooks", "seconds", "cached", "origin", "commit", "overrides"]


def item_column(item: Item) -> str:
    return f"{item.section} {item.name} /{item.points:g}"


def row(outcome: "Outcome", identical_to: Iterable[str] = (), similar_to: Iterable[str] = ()) -> dict[str, str | int]:
    submission, run = outcome.submission, outcome.run
    values: dict[str, str | int] = {
        "student": outcome.student,
        "score": "" if run is None else f"{run.score:g}",
        "max_score": "" if run is None else f"{run.max_score:g}",
        "percent": "" if run is None or not run.max_score else f"{100 * run.score / run.max_score:.1f}",
        "status": outcome.status,
        "problem": outcome.problem,
        "identical_to": "; ".join(identical_to),
        "similar_to": "; ".join(similar_to),   # the similarity report's flags (grade-class --similarity)
        "superseded": "; ".join(submission.superseded),
        "notebooks": len(submission.notebooks),
        "seconds": f"{outcome.seconds:.1f}",
        "cached": "yes" if outcome.cached else "",
        "origin": submission.origin,
        "commit": submission.commit,   # the repository commit graded (fetch-roster), where there is one
        "overrides": overridden(run),   # each override in the points (term/overrides.py): item, change, who
    }
    points = run.item_points() if run is not None else {}
    for item in ITEMS.values():   # keyed by item.name
        got = points.get(item.name)
        values[item_column(item)] = "" if got is None or got[1] == 0 else f"{got[0]:g}"
    return values


def write_gradebook(outcomes: Iterable["Outcome"], path: Path,
                    identical: Mapping[str, Sequence[str]] | None = None,
                    similar: Mapping[str, Sequence[str]] | None = None,
                    deadlines: Mapping[str, Mapping[str, str]] | None = None,
                    deadline_fields: Sequence[str] = ()) -> Path:
    """Write the CSV; ``identical`` maps a student to the students whose code matches theirs, ``similar``
    to the flagged partners of the similarity report (flags only: no score changes); ``deadlines`` to
    the course file's columns (``deadline_fields``: submitted at, deadline, penalty, final score...)."""
    identical, similar, deadlines = identical or {}, similar or {}, deadlines or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    written = written_class(path.parent)   # the written questions, where grade-class collected them
    columns = (FIELDS + list(deadline_fields) + GRADE_COLUMNS + [item_column(item) for item in ITEMS.values()]
               + written.columns())
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for outcome in outcomes:
            values = row(outcome, identical.get(outcome.student, ()), similar.get(outcome.student, ()))
            late = deadlines.get(outcome.student, {})
            values.update({name: late.get(name, "") for name in deadline_fields})
            run = outcome.run   # score is autograded; total_score adds the written points scored so far
            values.update(written.values(outcome.student, None if run is None else float(run.score),
                                         None if run is None else float(run.max_score)))
            values.update(grade_values(values))   # the one number to record: term/course_grade.py
            writer.writerow(values)
    return path
