"""``course.toml``: the term's deadline, grace period, late policy, extensions file and visibility.

One file, read strictly: an unknown table or key, a date that is not a date, a time zone that is
not an IANA name, a negative penalty, each stops the command with one error naming the file, the
line and the key, before anything is graded or written. ``course.example.toml`` documents every key.
"""

import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .extensions import Extension, ExtensionsError, read_extensions

if sys.version_info >= (3, 11):
    import tomllib
else:   # Python 3.10: the same parser, from PyPI (the instructor extra installs it there)
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

POLICIES = {"none": None, "per_hour": timedelta(hours=1), "per_day": timedelta(days=1)}
UNITS = ("fraction", "points")
VISIBILITIES = ("after_published", "after_due_date")   # Gradescope's names
KEYS = {"deadline": {"due", "timezone", "grace_minutes"},
        "late": {"policy", "penalty", "unit", "cap", "cutoff_hours"},
        "extensions": {"file"},
        "visibility": {"hidden_checks"}}


class CourseFileError(Exception):
    """The course file (or its extensions file) is not usable; the message names file and line."""


@dataclass(frozen=True)
class LatePolicy:
    """A penalty per started hour or day late, as a fraction of the maximum score or in points."""

    period: timedelta | None = None     # None: lateness costs nothing
    penalty: float = 0.0
    unit: str = "fraction"
    cap: float | None = None            # the most ever taken, in ``unit``
    cutoff_hours: float | None = None   # later than this after the student's deadline: not accepted


@dataclass(frozen=True)
class Course:
    path: Path
    due: datetime                       # aware, in ``zone``
    zone: ZoneInfo
    grace: timedelta = timedelta(0)
    late: LatePolicy = LatePolicy()
    extensions: dict[str, Extension] = field(default_factory=dict)
    extensions_file: Path | None = None
    hidden_checks: str = "after_published"

    def deadline_for(self, student: str) -> datetime:
        """The deadline that applies to ``student``: the course's, or their extension's."""
        extension = self.extensions.get(student)
        return extension.deadline(self.due) if extension else self.due


def line_of(text: str, table: str, key: str) -> int | None:
    """The line (1-based) where ``key`` is set inside ``[table]``: tomllib gives values, not places."""
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"\s*\[\s*([^\]\s]+)\s*\]", line)
        if header:
            current = header[1]
            if not key and current == table:
                return number
        elif key and current == table and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return number
    return None


class _Reader:
    """Pulls typed values out of the parsed file, every complaint naming its line and key."""

    def __init__(self, path: Path, text: str, data: dict[str, Any]):
        self.path, self.text, self.data = path, text, data

    def fail(self, table: str, key: str, problem: str) -> CourseFileError:
        line = line_of(self.text, table, key)
        where = f"{self.path}, line {line}" if line else str(self.path)
        return CourseFileError(f"{where}: [{table}] {key}: {problem}" if key else f"{where}: [{table}]: {problem}")

    def get(self, table: str, key: str, default: Any = None) -> Any:
        return self.data.get(table, {}).get(key, default)

    def number(self, table: str, key: str, default: float | None, minimum: float = 0.0) -> float | None:
        value = self.get(table, key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(table, key, f"must be a number, got {value!r}")
        if value < minimum:
            raise self.fail(table, key, f"must be at least {minimum:g}, got {value!r}")
        return float(value)

    def choice(self, table: str, key: str, options: tuple[str, ...] | list[str], default: str) -> str:
        value = self.get(table, key, default)
        if value not in options:
            raise self.fail(table, key, f"must be one of {', '.join(map(repr, options))}, got {value!r}")
        return str(value)


def local_time(value: Any, zone: ZoneInfo) -> datetime | None:
    """A wall-clock time in ``zone`` from a TOML local date-time or date, or a "YYYY-MM-DD HH:MM"
    string; None when it is none of these. A date alone means the end of that day."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time(23, 59, 59))
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is not None:
        return value.astimezone(zone)
    return value.replace(tzinfo=zone)


def _zone(reader: _Reader) -> ZoneInfo:
    name = reader.get("deadline", "timezone")
    if not isinstance(name, str) or not name:
        raise reader.fail("deadline", "timezone", "missing: name the time zone, e.g. \"America/New_York\"")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("deadline", "timezone", f"{name!r} is not an IANA time zone name "
                                                  "(e.g. \"Europe/Paris\", \"UTC\")") from None


def _late(reader: _Reader) -> LatePolicy:
    policy = reader.choice("late", "policy", list(POLICIES), "none")
    unit = reader.choice("late", "unit", UNITS, "fraction")
    penalty = reader.number("late", "penalty", 0.0) or 0.0
    cap = reader.number("late", "cap", None)
    cutoff = reader.number("late", "cutoff_hours", None)
    if unit == "fraction":
        for key, value in (("penalty", penalty), ("cap", cap)):
            if value is not None and value > 1:
                raise reader.fail("late", key, f"a fraction of the score is at most 1, got {value:g} "
                                               "(for points, set unit = \"points\")")
    if policy != "none" and not penalty:
        raise reader.fail("late", "penalty", f"policy {policy!r} needs a penalty above 0 (or policy = \"none\")")
    return LatePolicy(POLICIES[policy], penalty, unit, cap, cutoff)


def _check_keys(reader: _Reader) -> None:
    for table, values in reader.data.items():
        if table not in KEYS:
            raise reader.fail(table, "", f"unknown table; expected {', '.join(f'[{t}]' for t in KEYS)}")
        if not isinstance(values, dict):
            raise reader.fail(table, "", "must be a table ([name] on a line of its own)")
        for key in values:
            if key not in KEYS[table]:
                raise reader.fail(table, key, f"unknown key; [{table}] takes {', '.join(sorted(KEYS[table]))}")


def load_course(path: str | Path, students: set[str] | None = None) -> Course:
    """The course file at ``path`` with its extensions (checked against ``students`` when known)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as error:
        raise CourseFileError(f"cannot read the course file {path}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise CourseFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise CourseFileError(f"{path}: not valid TOML: {error}") from None
    reader = _Reader(path, text, data)
    _check_keys(reader)
    zone = _zone(reader)
    raw_due = reader.get("deadline", "due")
    due = local_time(raw_due, zone)
    if due is None:
        raise reader.fail("deadline", "due", f"must be a date and time such as 2026-10-15T23:59:00, got {raw_due!r}")
    grace = reader.number("deadline", "grace_minutes", 0.0) or 0.0
    hidden = reader.choice("visibility", "hidden_checks", VISIBILITIES, "after_published")
    extensions_file, extensions = None, {}
    name = reader.get("extensions", "file")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise reader.fail("extensions", "file", f"must be a file name, got {name!r}")
        extensions_file = (path.parent / name).resolve()
        try:
            extensions = read_extensions(extensions_file, zone, students)
        except ExtensionsError as error:
            raise CourseFileError(str(error)) from None
    return Course(path, due, zone, timedelta(minutes=grace), _late(reader), extensions, extensions_file, hidden)
