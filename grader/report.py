"""Step 7 of the pipeline: the terminal table and the Gradescope results.json, both rendered
from the grading record (``grader/record.py``)."""

import json
import os
import tempfile
from pathlib import Path

from .hidden_visibility import DEFAULT, checked
from .record import GradingRecord, apportioned, exact


def as_record(record_or_results, execution_time=0.0, notes=(), error=None, sandbox=None):
    """A ``GradingRecord`` as it is, or one made of a list of ``CheckResult`` and the rest."""
    if isinstance(record_or_results, GradingRecord):
        return record_or_results
    return GradingRecord(list(record_or_results), list(notes), error or "", sandbox or "", execution_time)


def gradescope_json(record_or_results, execution_time=0.0, notes=(), error=None, sandbox=None,
                    hidden_visibility=DEFAULT):
    """Gradescope's results.json, with the record (hidden checks' feedback left out) in
    ``extra_data.record``; ``extra_data.sandbox`` says whether every kernel ran confined. Hidden
    checks get ``hidden_visibility`` (hidden_visibility.py: the course's choice, said in every report)."""
    record = as_record(record_or_results, execution_time, notes, error, sandbox)
    hidden_visibility = checked(hidden_visibility)
    tests = []
    scores = apportioned(r.points for r in record.checks)   # they add up to the total, as Gradescope adds them
    maxima = apportioned(r.max_points for r in record.checks)
    for r, score, max_score in zip(record.checks, scores, maxima):
        output = f"**{r.label}**" if r.secret else f"**{r.label}**\n\n{r.feedback}".strip()
        test = {"name": r.name, "score": score, "max_score": max_score,
                "status": "passed" if r.passed else "failed", "output": output,
                "output_format": "md", "visibility": hidden_visibility if r.hidden else "visible",
                # exact shares, so tools that add the checks up again get the item's total exactly
                "extra_data": {"points": str(exact(r.points)), "max_points": str(exact(r.max_points))}}
        if r.skipped:
            del test["status"]  # neither passed nor failed: it did not run here (0 of 0 points)
        tests.append(test)
    payload = {"score": record.score, "max_score": record.max_score,
               "execution_time": round(record.seconds, 2), "output_format": "md", "tests": tests,
               "extra_data": {"sandbox": record.sandbox or f"confined: {record.limits or 'Landlock'}",
                              "record": record.without_hidden_feedback().to_dict()}}
    lines = []
    if record.error:
        lines.append(f"**Grading did not finish:** {record.error}")
    lines.extend(f"- {note.text}" for note in record.notes)
    if lines:
        payload["output"] = "\n".join(lines)
    return payload


def write_results(path, payload):
    """Write atomically, so a crash never leaves half a file for the publisher to read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)


def score_table(record_or_results):
    """The terminal score table (``score_table.py``), from a record or a list of check results."""
    from .score_table import score_table as table

    return table(as_record(record_or_results))
