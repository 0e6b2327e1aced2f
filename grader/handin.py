"""What a student checks before handing in: how many items are done, and which written questions
still have no answer. Shared by the score table and the check cell, so both count alike.

An item is done when every one of its checks that ran here passed. The 23 items are those a
student defines; the two training runs (``--train``, on a GPU) are extras and not counted.
"""

import json
import re
from collections.abc import Iterable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .items import ITEMS
from .record import CheckResult, Note
from .section_notebooks import canonical_name, duplicate_notes, is_canonical
from .selection import gradable_items

QUESTION = "**Written question (not auto-graded)"   # how the notebooks mark a question a person reads
_ANSWER_PROMPT = re.compile(r"^\s*[*_]*\s*your answer\s*:?\s*[*_]*\s*:?", re.IGNORECASE)


def done_items(checks: Iterable[CheckResult]) -> tuple[list[str], list[str]]:
    """(items done, items graded) among the checks' items that a student defines."""
    by_item: dict[str, list[CheckResult]] = {}
    for check in checks:
        by_item.setdefault(check.item, []).append(check)
    graded = [name for name in gradable_items() if name in by_item]
    done = [name for name in graded if _done(by_item[name])]
    return done, graded


def _done(checks: list[CheckResult]) -> bool:
    ran = [c for c in checks if not c.skipped]
    return bool(ran) and all(c.passed for c in ran)


def done_line(checks: Iterable[CheckResult], scope: str = "") -> str:
    """"N of 23 items done", or for part of the homework "N of M items <scope> done (23 in all)"."""
    done, graded = done_items(checks)
    everything = len(gradable_items())
    if len(graded) == everything and not scope:
        return f"{len(done)} of {everything} items done (every check of theirs that runs here passes)."
    scope = scope or "graded here"
    return (f"{len(done)} of {len(graded)} item{'' if len(graded) == 1 else 's'} {scope} done; "
            f"the homework has {everything}.")


def unanswered_questions(nb: Any) -> list[str]:
    """The first words of each written question in ``nb`` whose answer is still empty: the Markdown
    cells after the question, up to the next code cell, heading or question, hold nothing but the
    "*Your answer:*" prompt."""
    cells = list(getattr(nb, "cells", None) or [])
    missing = []
    for index, cell in enumerate(cells):
        source = _text(cell)
        if cell.get("cell_type") != "markdown" or not source.lstrip().startswith(QUESTION):
            continue
        answer = []
        for later in cells[index + 1:]:
            text = _text(later)
            if later.get("cell_type") != "markdown" or text.lstrip().startswith(("#", QUESTION)):
                break
            answer.append(_ANSWER_PROMPT.sub("", text, count=1).strip())
        if not any(answer):
            missing.append(_opening(source))
    return missing


def _text(cell: Any) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _opening(question: str, words: int = 8) -> str:
    body = question.lstrip()[len(QUESTION):].lstrip("*). ").split()
    return " ".join(body[:words]) + (" …" if len(body) > words else "")


def unanswered_note(label: str, nb: Any) -> str | None:
    """The reminder for one notebook, or None when every written question has an answer."""
    missing = unanswered_questions(nb)
    if not missing:
        return None
    quoted = "; ".join(f"“{opening}”" for opening in missing)
    count = f"{len(missing)} written question{'s' if len(missing) > 1 else ''}"
    return f"{label}: {count} not answered yet (read by a person, not auto-graded): {quoted}"


def hand_in_notes(session: Any) -> list[Note]:
    """A grading session's notes on what was handed in: which notebook was graded where several
    define an item, which notebooks ``--item`` left unrun, and the written questions still
    unanswered in the notebooks that ran."""
    chosen = {}
    for name in [name for name in session.items or ITEMS if not ITEMS[name].training]:
        found = session.definitions(name)
        if len(found) > 1:
            chosen[name] = (found[0][0].label, [entry.label for entry, _, _ in found[1:]])
    notes = [Note("duplicate", text, label)
             for label, text in duplicate_notes(chosen, {name: ITEMS[name].section for name in chosen})]
    if session.not_run:
        notes.append(Note("not-run", f"not run, as they define none of the items asked for "
                                     f"({', '.join(session.items)}): {', '.join(session.not_run)}"))
    for entry in session.notebooks:
        text = None if entry.label in session.not_run else unanswered_note(entry.label, getattr(entry, "nb", None))
        if text:
            notes.append(Note("unanswered", text, entry.label))
    return notes


# ---- the check cell's own hand-in lines (``d2l.check()`` with no argument) --------------------
def notebook_file(namespace: dict[str, Any]) -> Path | None:
    """The notebook file the check cell runs in, where the front end tells the kernel: JupyterLab
    and Notebook 7 (``__session__``), VS Code (``__vsc_ipynb_file__``); None elsewhere (Colab)."""
    for key in ("__vsc_ipynb_file__", "__session__"):
        value = namespace.get(key)
        if isinstance(value, str) and value.endswith(".ipynb"):
            path = Path(value)
            for candidate in (path, Path.cwd() / path.name):
                if candidate.is_file():
                    return candidate
    return None


def check_cell_lines(results: list[CheckResult], path: Path | None) -> list[str]:
    """What ``d2l.check()`` adds under its table: the items of this notebook done, and where the
    notebook's file is known, its unanswered written questions (as last saved) and, for a copy,
    which notebook the grader grades instead."""
    done, graded = done_items(results)
    lines = [f"{len(done)} of this notebook's {len(graded)} item{'' if len(graded) == 1 else 's'} done; the "
             f"homework has {len(gradable_items())} (`make grade` counts them all)."] if graded else []
    if path is None:
        return lines
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return lines
    missing = unanswered_questions(SimpleNamespace(cells=nb.get("cells", []) if isinstance(nb, dict) else []))
    if missing:
        lines.append(f"Written question{'s' if len(missing) > 1 else ''} not answered yet (as last saved): "
                     + "; ".join(f"“{opening}”" for opening in missing))
    sections = {ITEMS[name].section for name in graded}
    if len(sections) == 1 and not is_canonical(path.name, *sections):
        own = canonical_name(*sections)
        lines.append(f"This notebook is saved as `{path.name}`. Where it is handed in beside `{own}`, the grader "
                     f"grades `{own}` and ignores this one: keep your work in `assignment/{own}`.")
    return lines
