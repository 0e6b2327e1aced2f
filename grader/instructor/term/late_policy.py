"""How late a submission is against the deadline that applies to its student, and what that costs.

The rule (written out in docs/instructors.md, "Deadlines and late work"):

- On time means arriving no later than the student's deadline plus the grace period. Past the
  grace period, lateness counts from the deadline itself (grace forgives, it does not move it).
- Each *started* hour or day late (``per_hour``/``per_day``) costs ``penalty``: a fraction of the
  maximum score or points, at most ``cap`` in all, never more than the score itself.
- Work arriving more than ``cutoff_hours`` after the deadline is not accepted: it earns 0 and,
  for a roster, is never even graded (``deadline_snapshots`` stops at the cutoff).
- A student with work on time and later work is graded on both; the better of the on-time score
  and the late score after its penalty counts (a late fix can only help, never hurt).
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from .course_file import Course


@dataclass(frozen=True)
class Lateness:
    deadline: datetime                 # the deadline that applied (extension included)
    submitted_at: datetime | None      # None: no time known, so no penalty either
    hours_late: float = 0.0            # 0 when on time or within the grace period
    penalty: float = 0.0               # points taken
    accepted: bool = True              # False past the hard cutoff

    def final(self, raw: float) -> float:
        return 0.0 if not self.accepted else max(0.0, raw - self.penalty)


def assess(course: Course, student: str, submitted_at: datetime | None, max_score: float) -> Lateness:
    deadline = course.deadline_for(student)
    if submitted_at is None or submitted_at <= deadline + course.grace:
        return Lateness(deadline, submitted_at)
    late = course.late
    hours = (submitted_at - deadline).total_seconds() / 3600
    if late.cutoff_hours is not None and hours > max(late.cutoff_hours, course.grace.total_seconds() / 3600):
        return Lateness(deadline, submitted_at, hours, 0.0, accepted=False)
    if late.period is None:
        return Lateness(deadline, submitted_at, hours)
    periods = math.ceil(hours * 3600 / late.period.total_seconds())
    taken = periods * late.penalty
    if late.cap is not None:
        taken = min(taken, late.cap)
    points = taken * max_score if late.unit == "fraction" else taken
    return Lateness(deadline, submitted_at, hours, points)


@dataclass(frozen=True)
class Candidate:
    """One graded snapshot of a student's work and what it earns after its lateness."""

    label: str            # "as of the deadline", "latest", "submitted"
    raw: float
    lateness: Lateness

    @property
    def final(self) -> float:
        return self.lateness.final(self.raw)


def counted(candidates: Sequence[Candidate]) -> Candidate:
    """The snapshot whose score counts: the best final score; on a tie the earlier one (on time)."""
    return max(candidates, key=lambda c: c.final)
