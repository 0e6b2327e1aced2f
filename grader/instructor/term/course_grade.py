"""The one number a course records per student, made from the gradebook's own columns.

Several columns hold parts of it (``score`` autograded, ``final_score`` after the late policy,
``written_score`` from the TA's sheets, overrides already inside ``score``). Reading them in one
place keeps the gradebook's ``grade`` column, ``diff`` and the LMS exports from disagreeing.
The late policy applies to the autograded part only: the written answers are read and scored by
people from the submission that counted, and the course file's penalties are defined on the
autograded score (docs/instructors.md, "Deadlines and late work").
"""

from collections.abc import Mapping

GRADE_COLUMNS = ["grade", "grade_max"]


def grade_of(row: Mapping[str, str | int]) -> str | None:
    """The autograded score after any late penalty plus the written points scored; None when the
    student has no score (never graded, or nothing could run)."""
    base = str(row.get("final_score") or row.get("score") or "")
    if not base:
        return None
    written = str(row.get("written_score") or "")
    return f"{float(base) + float(written):g}" if written else base


def max_of(row: Mapping[str, str | int]) -> str:
    return str(row.get("total_max") or row.get("max_score") or "")


def grade_values(row: Mapping[str, str | int]) -> dict[str, str]:
    return {"grade": grade_of(row) or "", "grade_max": max_of(row)}
