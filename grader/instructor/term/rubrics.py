"""The rubrics of the written questions: one TOML file per question in ``rubrics/``, beside this module.

They live with the instructor tools (not beside ``grader/items.py``) because a student release
leaves ``grader/instructor`` out: a rubric names what a good answer says. Each file is read
strictly, so a typo stops ``grade-class`` with the file and line instead of scoring by a
half-read rubric: criteria are ``[[criterion]]`` tables with ``id``, ``points`` and ``text``, and
their points add up to the question's points in ``grader/items.py``.
"""

import re
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ...items import WRITTEN, WrittenItem

if sys.version_info >= (3, 11):
    import tomllib
else:   # Python 3.10: the same parser, from PyPI (the instructor extra installs it there)
    import tomli as tomllib  # type: ignore[import-not-found, no-redef, unused-ignore]

RUBRICS = Path(__file__).resolve().parent / "rubrics"
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")
_KEYS = {"id", "points", "text"}


class RubricError(Exception):
    """A rubric file that cannot be used as it is; the message names the file (and line)."""


@dataclass(frozen=True)
class Criterion:
    id: str
    points: Fraction
    text: str


@dataclass(frozen=True)
class Rubric:
    item: WrittenItem
    criteria: tuple[Criterion, ...]
    path: Path

    @property
    def points(self) -> Fraction:
        return exact(self.item.points)

    def criterion(self, name: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == name), None)


def exact(value: float | int | str | Fraction) -> Fraction:
    """Points as an exact fraction (0.1 is one tenth, not a binary approximation)."""
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _line_of(text: str, needle: str, start: int = 0) -> int:
    at = text.find(needle, start)
    return text.count("\n", 0, at) + 1 if at >= 0 else 0


def read_rubric(item: WrittenItem, folder: Path = RUBRICS) -> Rubric:
    path = folder / f"{item.name}.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise RubricError(f"{path}: the rubric of {item.name} cannot be read ({error.strerror or error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{path}: not valid TOML: {error}") from None
    extra = set(data) - {"criterion"}
    if extra:
        raise RubricError(f"{path}, line {_line_of(text, sorted(extra)[0])}: unknown key {sorted(extra)[0]!r}; "
                          "a rubric holds only [[criterion]] tables")
    rows = data.get("criterion")
    if not isinstance(rows, list) or not rows:
        raise RubricError(f"{path}: no [[criterion]] table; give at least one (id, points, text)")
    criteria: list[Criterion] = []
    at = 0
    for number, row in enumerate(rows, 1):
        at = text.find("[[criterion]]", at) + 1
        where = f"{path}, line {_line_of(text, '[[criterion]]', at - 1)} (criterion {number})"
        criteria.append(_criterion(row, where, {c.id for c in criteria}))
    total = sum((c.points for c in criteria), Fraction(0))
    if total != exact(item.points):
        raise RubricError(f"{path}: the criteria add up to {float(total):g} points but {item.name} is worth "
                          f"{item.points:g} in grader/items.py; make them agree")
    return Rubric(item, tuple(criteria), path)


def _criterion(row: object, where: str, taken: set[str]) -> Criterion:
    if not isinstance(row, dict):
        raise RubricError(f"{where}: not a table")
    unknown = set(row) - _KEYS
    missing = _KEYS - set(row)
    if unknown or missing:
        raise RubricError(f"{where}: " + "; ".join(
            ([f"unknown key {sorted(unknown)[0]!r}"] if unknown else []) +
            ([f"missing {', '.join(sorted(missing))}"] if missing else [])) + " (keys: id, points, text)")
    name, points, text = row["id"], row["points"], row["text"]
    if not isinstance(name, str) or not _ID.fullmatch(name):
        raise RubricError(f"{where}: id {name!r} must be a letter then letters, digits or underscores (40 at most)")
    if name in taken:
        raise RubricError(f"{where}: id {name!r} is used twice")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
        raise RubricError(f"{where}: points must be a positive number; got {points!r}")
    if not isinstance(text, str) or not text.strip():
        raise RubricError(f"{where}: text must say what earns the points")
    return Criterion(name, exact(points), text.strip())


def read_rubrics(folder: Path = RUBRICS) -> dict[str, Rubric]:
    """Every written question's rubric, by question name; the first problem raises ``RubricError``."""
    return {name: read_rubric(item, folder) for name, item in WRITTEN.items()}
