"""What Gradescope's ``submission_metadata.json`` says about one submission, kept for the record.

Gradescope writes the file next to the submission (due dates, when it was submitted, earlier
submissions). The autograder carries the useful part into ``results.json``'s ``extra_data`` so
that staff see lateness beside the score; it never changes a score (late penalties are the
course's policy, set in Gradescope). The file is outside our control, so a missing field, a
malformed date or a file that is not JSON gives a note, never a crash.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 time as Gradescope writes it ('2026-10-01T23:59:00.000000-07:00'), else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):   # Python 3.10's fromisoformat does not read the 'Z' suffix
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None   # a naive time cannot be compared safely


def _hours_after(moment: datetime | None, deadline: datetime | None) -> float | None:
    if moment is None or deadline is None:
        return None
    return round((moment - deadline).total_seconds() / 3600, 2)


def _previous(entries: object) -> tuple[int, float | None]:
    """How many earlier submissions, and the best score among those that have one."""
    if not isinstance(entries, list):
        return 0, None
    scores = [float(e["score"]) for e in entries
              if isinstance(e, dict) and isinstance(e.get("score"), (int, float)) and not isinstance(e["score"], bool)]
    return len(entries), (max(scores) if scores else None)


def summarize(metadata: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the fields kept for ``extra_data``, notes on fields that could not be read)."""
    notes: list[str] = []
    assignment = metadata.get("assignment")
    if not isinstance(assignment, dict):
        notes.append("submission_metadata.json has no 'assignment' object: due dates unknown")
        assignment = {}
    submitted = parse_time(metadata.get("created_at"))
    due = parse_time(assignment.get("due_date"))
    late_due = parse_time(assignment.get("late_due_date"))
    for field, raw, parsed in (("created_at", metadata.get("created_at"), submitted),
                               ("assignment.due_date", assignment.get("due_date"), due)):
        if parsed is None and (raw is not None or field == "created_at" or assignment):
            notes.append(f"submission_metadata.json: {field} is not an ISO 8601 time with a time zone: {raw!r}")
    if assignment.get("late_due_date") is not None and late_due is None:
        notes.append("submission_metadata.json: assignment.late_due_date is not an ISO 8601 time with a time zone: "
                     f"{assignment.get('late_due_date')!r}")
    count, best = _previous(metadata.get("previous_submissions"))
    hours_late = _hours_after(submitted, due)
    kept = {
        "submission_id": metadata.get("id") if isinstance(metadata.get("id"), (int, str)) else None,
        "assignment_title": assignment.get("title") if isinstance(assignment.get("title"), str) else None,
        "submitted_at": submitted.isoformat() if submitted else None,
        "due_date": due.isoformat() if due else None,
        "late_due_date": late_due.isoformat() if late_due else None,
        "late": None if hours_late is None else hours_late > 0,
        "hours_late": None if hours_late is None else max(hours_late, 0.0),
        "after_late_due_date": None if submitted is None or late_due is None else submitted > late_due,
        "previous_submissions": count,
        "best_previous_score": best,
    }
    return kept, notes


def read_metadata(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """``summarize`` of the file at ``path``; a missing or unreadable file gives one note and no fields."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, [f"no {path.name}: due dates unknown (normal outside Gradescope)"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        return {}, [f"{path.name} could not be read ({type(error).__name__}: {error}); graded anyway"]
    if not isinstance(data, dict):
        return {}, [f"{path.name} is not a JSON object; graded anyway"]
    return summarize(data)


def staff_lines(kept: dict[str, Any]) -> list[str]:
    """One or two plain lines for the autograder's log, which staff see."""
    if not kept.get("submitted_at"):
        return []
    when = f"submitted {kept['submitted_at']}"
    if kept.get("late"):
        when += f", {kept['hours_late']} h after the due date ({kept['due_date']})"
        if kept.get("after_late_due_date"):
            when += ", after the late due date too"
    elif kept.get("late") is False:
        when += " (before the due date)"
    return [when, f"earlier submissions: {kept.get('previous_submissions', 0)}"]
