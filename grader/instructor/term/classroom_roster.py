"""GitHub Classroom's ``classroom_roster.csv`` and who in it each graded student is.

Classroom's roster download has the columns ``identifier`` (what the instructor entered: an
email, a student number), ``github_username``, ``github_id`` and ``name``; a row whose student has
not accepted the assignment has no user name. A graded student is named by their repository
(``ORG-hw2-alice`` after fetch-roster, ``hw2-alice``) or by the identifier itself (an LMS export),
so a student matches the row whose identifier is their name, or whose user name their name is or
ends with (after a hyphen); the longest user name wins, and a tie is an error, never a guess.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .csv_input import open_table

REQUIRED = ("identifier", "github_username")


class RosterError(Exception):
    """The roster is not usable, or a student matches two of its rows; the message names file and line."""


@dataclass(frozen=True)
class RosterEntry:
    identifier: str
    github_username: str
    name: str
    line: int

    def split_name(self) -> tuple[str, str]:
        """(last name, first name) from "First Last", as Blackboard's columns want them."""
        parts = self.name.split()
        return (parts[-1], " ".join(parts[:-1])) if len(parts) > 1 else (self.name, "")


def read_roster(path: str | Path) -> list[RosterEntry]:
    path = Path(path)
    reader, _ = open_table(path, "GitHub Classroom's roster", REQUIRED, RosterError)
    entries: list[RosterEntry] = []
    seen: dict[str, int] = {}
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        entry = RosterEntry((row.get("identifier") or "").strip(), (row.get("github_username") or "").strip(),
                            (row.get("name") or "").strip(), reader.line_num)
        if not entry.identifier and not entry.github_username:
            continue
        if not entry.identifier:
            raise RosterError(f"{where}: {entry.github_username} has no identifier")
        keys = [f"identifier {entry.identifier}"]
        keys += [f"GitHub user {entry.github_username.lower()}"] if entry.github_username else []
        for key in keys:
            if key in seen:
                raise RosterError(f"{where}: {key} is also on line {seen[key]}")
            seen[key] = entry.line
        entries.append(entry)
    return entries


def match(student: str, roster: Iterable[RosterEntry]) -> RosterEntry | None:
    """The roster row of a graded ``student``, or None."""
    name = student.lower()
    exact = [e for e in roster if e.identifier == student or (e.github_username and e.github_username.lower() == name)]
    if exact:
        return exact[0]
    ending = [e for e in roster if e.github_username and name.endswith("-" + e.github_username.lower())]
    if not ending:
        return None
    longest = max(len(e.github_username) for e in ending)
    best = [e for e in ending if len(e.github_username) == longest]
    if len(best) > 1:
        lines = " and ".join(str(e.line) for e in best)
        raise RosterError(f"{student} matches roster lines {lines} equally; rename one of them")
    return best[0]
