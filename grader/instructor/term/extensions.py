"""The per-student extensions file: a CSV of ``student, due, extra_hours, reason``.

Each row gives one student either a new due date (``due``, in the course's time zone unless it
carries an offset) or extra hours on the course's (``extra_hours``), never both, with the reason
kept for the record. A row naming a student the class does not have is an error naming the line:
a typo would otherwise silently cost that student their extension.
"""

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

COLUMNS = ("student", "due", "extra_hours", "reason")


class ExtensionsError(Exception):
    """The extensions file is not usable; the message names the file and the line."""


@dataclass(frozen=True)
class Extension:
    student: str
    due: datetime | None = None      # a new deadline, or
    extra: timedelta | None = None   # more time on the course's
    reason: str = ""

    def deadline(self, course_due: datetime) -> datetime:
        return self.due if self.due is not None else course_due + (self.extra or timedelta(0))


def student_key(name: str) -> str:
    """A roster entry (``owner/name``) names the student as fetch-roster's folder does."""
    if "/" in name:
        from ..shards import repository_student

        return repository_student(name)
    return name


def _row(path: Path, line: int, row: dict[str, str], zone: ZoneInfo) -> Extension:
    def fail(problem: str) -> ExtensionsError:
        return ExtensionsError(f"{path}, line {line}: {problem}")

    student = (row.get("student") or "").strip()
    due_text, extra_text = (row.get("due") or "").strip(), (row.get("extra_hours") or "").strip()
    if not student:
        raise fail("no student named")
    if bool(due_text) == bool(extra_text):
        raise fail(f"{student}: give either a new due date or extra hours, not {'both' if due_text else 'neither'}")
    reason = (row.get("reason") or "").strip()
    if due_text:
        try:
            due = datetime.fromisoformat(due_text)
        except ValueError:
            raise fail(f"{student}: due {due_text!r} is not a date and time such as 2026-10-17 23:59") from None
        if len(due_text) == 10:   # a date alone: the end of that day, as in the course file
            due = due.replace(hour=23, minute=59, second=59)
        due = due.astimezone(zone) if due.tzinfo else due.replace(tzinfo=zone)
        return Extension(student_key(student), due=due, reason=reason)
    try:
        hours = float(extra_text)
    except ValueError:
        raise fail(f"{student}: extra_hours {extra_text!r} is not a number") from None
    if not 0 <= hours < 24 * 366:
        raise fail(f"{student}: extra_hours must be between 0 and a year, got {extra_text}")
    return Extension(student_key(student), extra=timedelta(hours=hours), reason=reason)


def read_extensions(path: Path, zone: ZoneInfo, students: set[str] | None = None) -> dict[str, Extension]:
    """{student: Extension}; ``students`` (the class, when known) catches rows naming no one in it."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [name.strip() for name in reader.fieldnames or []]
            missing = [c for c in ("student", "due", "extra_hours") if c not in header]
            if missing:
                raise ExtensionsError(f"{path}, line 1: the header must name the columns {', '.join(COLUMNS)}; "
                                      f"missing {', '.join(missing)}")
            reader.fieldnames = header
            found: dict[str, Extension] = {}
            first_line: dict[str, int] = {}
            for row in reader:
                line = reader.line_num
                if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                    continue
                extension = _row(path, line, row, zone)
                if extension.student in found:
                    raise ExtensionsError(f"{path}, line {line}: {extension.student} already has an extension "
                                          f"(line {first_line[extension.student]})")
                if students is not None and extension.student not in students:
                    raise ExtensionsError(f"{path}, line {line}: no student {extension.student!r} in this class")
                found[extension.student], first_line[extension.student] = extension, line
    except OSError as error:
        raise ExtensionsError(f"cannot read the extensions file {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise ExtensionsError(f"{path}: not a readable CSV file: {error}") from None
    return found
