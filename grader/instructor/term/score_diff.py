"""``diff OLD NEW``: which students' scores a re-grade changed, item by item, and why.

Before a re-grade after a fix to a check is published, the instructor reads what it changes.
OLD and NEW are each a ``gradebook.csv`` or a class folder (``grade-class --out``); a folder says
more: each check's result (results.json) and what was graded (the receipt's notebook hashes and
grader version). The reasons, in the order they are looked for: an override, a manual score, a
late penalty, the submission itself, a check (the same files graded differently).
"""

import argparse
import csv
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ... import receipt
from ...items import WRITTEN
from ...record import item_rows, rounded
from ..batch import RESULTS, student_folders
from ..discover import Submission
from ..results import ResultsError, load
from .course_grade import grade_of

# the gradebook's "7.2 corr2d /4", and a written question's "7.1 7.1_written_1 /2 (written)"
ITEM_COLUMN = re.compile(r"^(\d+\.\d+) (\S+) /([\d.]+)( \(written\))?$")


class DiffInputError(Exception):
    """OLD or NEW is neither a gradebook nor a class folder; the message names it."""


@dataclass
class Standing:
    """One student's side of the comparison."""

    score: str
    items: dict[str, str]                      # "7.2 corr2d" -> points as the gradebook shows them
    overrides: str = ""
    penalty: str = ""
    origin: str = ""
    commit: str = ""
    hashes: tuple[str, ...] | None = None      # the receipt's notebook hashes (class folders)
    grader: str = ""
    checks: dict[str, str] = field(default_factory=dict)   # check name -> "status, points"


def _read_gradebook(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise DiffInputError(f"cannot read {path}: {error}") from None
    if rows and "student" not in rows[0]:
        raise DiffInputError(f"{path}, line 1: not a gradebook (no student column)")
    return rows


def _standing(row: dict[str, str]) -> Standing:
    items = {f"{m[1]} {m[2]}": (value or "") for column, value in row.items() if column
             for m in [ITEM_COLUMN.match(column)] if m}
    score = grade_of(row) or ""
    return Standing(score, items, row.get("overrides", ""), row.get("penalty", ""), row.get("origin", ""),
                    row.get("commit", ""))


def _add_folder_details(standing: Standing, folder: Path) -> None:
    stamp = receipt.read(folder)
    if stamp:
        notebooks = stamp.get("notebooks") or []
        standing.hashes = tuple(sorted(str(n.get("sha256", "")) for n in notebooks if isinstance(n, dict)))
        standing.grader = str(stamp.get("grader", ""))
    try:
        run = load(folder / RESULTS)
    except ResultsError:
        return
    standing.checks = {c.name: f"{c.label}, {rounded(c.points, 2):g}/{rounded(c.max_points, 2):g}"
                       for c in run.checks}
    for (section, item), (got, full, _) in item_rows(run.checks).items():
        key = f"{section} {item}"
        if key in standing.items and full:   # the gradebook's own figure, to compare like with like
            continue
        standing.items.setdefault(key, "" if not full else f"{rounded(got):g}")


def load_side(path: str | Path) -> dict[str, Standing]:
    """{student: Standing} from a gradebook CSV or a class folder."""
    path = Path(path)
    if path.is_dir():
        rows = _read_gradebook(path / "gradebook.csv")
        folders = student_folders([Submission(r["student"], path, r.get("origin", "")) for r in rows], path)
        sides = {}
        for row in rows:
            sides[row["student"]] = standing = _standing(row)
            _add_folder_details(standing, folders[row["student"]])
        return sides
    if not path.is_file():
        raise DiffInputError(f"{path} is neither a gradebook (CSV) nor a class folder")
    return {row["student"]: _standing(row) for row in _read_gradebook(path)}


def _check_changes(old: Standing, new: Standing, section_item: str) -> list[str]:
    item = section_item.split(" ", 1)[1]
    names = [n for n in dict.fromkeys([*old.checks, *new.checks]) if f" {item}: " in f" {n}"
             and old.checks.get(n) != new.checks.get(n)]
    return [f"{n.split(': ', 1)[-1]}: {old.checks.get(n, 'absent')} -> {new.checks.get(n, 'absent')}"
            for n in names]


def _reasons(old: Standing, new: Standing, section_item: str) -> list[str]:
    item = section_item.split(" ", 1)[1]
    found = []
    if _mentions(old.overrides, item) != _mentions(new.overrides, item):
        found.append(f"an override ({_mentions(old.overrides, item) or 'none'} -> "
                     f"{_mentions(new.overrides, item) or 'none'})")
    if item in WRITTEN:
        found.append("a manual score")
    if found:
        return found
    if old.hashes is not None and new.hashes is not None:
        if old.hashes != new.hashes:
            return ["the submission changed (its notebooks' SHA-256 differ)"]
    elif (old.origin, old.commit) != (new.origin, new.commit):
        return [f"the submission changed ({old.commit or old.origin or '?'} -> {new.commit or new.origin or '?'})"]
    grader = f" (grader {old.grader} -> {new.grader})" if old.grader != new.grader else ""
    details = _check_changes(old, new, section_item)
    return [f"a check changed{grader}" + (f": {'; '.join(details)}" if details else "")]


def _mentions(overrides: str, item: str) -> str:
    return "; ".join(part.strip() for part in overrides.split(";") if part.strip().startswith(f"{item} "))


def compare(old: dict[str, Standing], new: dict[str, Standing]) -> list[str]:
    """The report's lines; none when nothing changed."""
    lines: list[str] = []
    for student in sorted(set(old) | set(new), key=str.lower):
        if student not in new:
            lines.append(f"{student}: removed (was {old[student].score or 'not graded'})")
            continue
        if student not in old:
            lines.append(f"{student}: added ({new[student].score or 'not graded'})")
            continue
        before, after = old[student], new[student]
        changed = [key for key in dict.fromkeys([*before.items, *after.items])
                   if before.items.get(key, "") != after.items.get(key, "")]
        if not changed and before.score == after.score:
            continue
        lines.append(f"{student}: score {before.score or '-'} -> {after.score or '-'}")
        for key in changed:
            was, now = before.items.get(key, "") or "-", after.items.get(key, "") or "-"
            lines.append(f"  {key}: {was} -> {now}: {'; '.join(_reasons(before, after, key))}")
        if before.penalty != after.penalty:
            lines.append(f"  a penalty: {before.penalty or '0'} -> {after.penalty or '0'}")
    return lines


def run_diff(args: argparse.Namespace) -> int:
    try:
        old, new = load_side(args.old), load_side(args.new)
    except DiffInputError as error:
        print(f"diff: {error}", file=sys.stderr)
        return 2
    lines = compare(old, new)
    print("\n".join(lines) if lines else f"no score changed ({len(new)} students)")
    return 1 if lines else 0


def print_changes(old: str | Path, new: str | Path) -> None:
    """``grade-class --diff OLD``: after grading, what changed against OLD (a copy kept from before)."""
    try:
        lines = compare(load_side(old), load_side(new))
    except DiffInputError as error:
        print(f"grade-class --diff: {error}", file=sys.stderr)
        return
    print("\n".join([f"\nChanges against {old}:", *lines]) if lines else f"\nNo score changed against {old}.")


def add_diff_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--diff", default=None, metavar="OLD",
                        help="after grading, list what changed against OLD (a copy of an earlier --out folder, or "
                             "its gradebook.csv), by item with the reason, as the diff command does")


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    command = commands.add_parser("diff", help="list every student whose score changed between two gradebooks or "
                                               "class folders, by item, with the reason (exit 1 when any did)")
    command.add_argument("old", help="gradebook.csv or grade-class --out folder, before")
    command.add_argument("new", help="gradebook.csv or grade-class --out folder, after")
    command.set_defaults(handler=run_diff)
