"""The terminal score table: one row per item, with the course's points for it, so a student can
match every row and the total with the syllabus (``grader/items.py``), whatever was selected.

In a student's copy the hidden checks are placeholders that score 0 of 0; their share of each
item's points is shown in a column of its own, so "3.33 / 4.00, 0.67 course-only" reads as the
syllabus's 4 points of which this copy can score 3.33.
"""

from collections.abc import Iterable
from fractions import Fraction
from functools import cache

from .handin import done_line
from .record import WITHHELD, CheckResult, GradingRecord


@cache
def _checks_by_name():
    from .checks import ALL_CHECKS  # torch and hypothesis: only when a table is drawn

    return {check.test_name: check for check in ALL_CHECKS}


def course_points(result: CheckResult) -> Fraction:
    """What the course's grader gives this check at most: its own maximum, or for a placeholder
    of a check only the course runs, that check's share of its item (0 if no longer graded)."""
    if result.status != WITHHELD:
        return result.max_points
    from .scoring import check_points

    check = _checks_by_name().get(result.name)
    return check_points(check) if check is not None else Fraction(0)


def course_total(results: Iterable[CheckResult]) -> Fraction:
    """What the course's grader gives these results at most (placeholders at their real share)."""
    return sum((course_points(result) for result in results), Fraction(0))


def score_table(record: GradingRecord) -> str:
    """Section, item, points out of the course's points, the part only the course scores, what went wrong;
    the total; how many items are done."""
    rows = record.item_rows()
    course: dict[str, Fraction] = {}
    for result in record.checks:
        course[result.item or result.name] = course.get(result.item or result.name, Fraction(0)) + course_points(result)
    kept = {item: course[item] - full for (_, item), (_, full, _) in rows.items()}
    kept_any = any(kept.values())
    width = max([len(item) for _, item in rows] + [5])
    extra = f" {'course-only':>11}" if kept_any else ""
    lines = [f"{'sec':<4} {'item':<{width}} {'points':>13}{extra}  status", "-" * (width + 34 + len(extra))]
    for (section, item), (got, _, problems) in rows.items():
        status = "ok" if not problems else ", ".join(problems)
        only = (f" {float(kept[item]):>11.2f}" if kept[item] else " " * 12) if kept_any else ""
        lines.append(f"{section:<4} {item:<{width}} {float(got):>6.2f} / {float(course[item]):<5.2f}{only} {status}")
    score, local_max = record.totals()
    full_marks = sum(course.values(), Fraction(0))
    lines.append(lines[1])
    only = f" {float(full_marks - local_max):>11.2f}" if kept_any else ""
    lines.append(f"{'':<4} {'total':<{width}} {float(score):>6.2f} / {float(full_marks):<5.2f}{only}")
    lines.append(done_line(record.checks))
    if kept_any:
        lines.append(f"course-only: points of checks only the course's grader runs (hidden checks; your push is "
                     f"graded by it). This copy scores the other {float(local_max):.2f} of the "
                     f"{float(full_marks):.2f}.")
    return "\n".join(lines)
