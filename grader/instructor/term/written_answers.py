"""Find each written question's answer in a student's notebooks, read statically (no kernel).

A question is found by its text, not by its place: the Markdown cell that starts with the
notebooks' marker and whose words (compared without case, spacing or punctuation) begin with
the question's opening in ``grader/items.py``; a question the student reworded a little still
matches. Its answer is the Markdown that follows, up to the next code cell, question or heading
(a heading that says "answer" belongs to the answer), and anything written in the question's own
cell after the question. An answer that is empty, only the
"*Your answer:*" prompt, or the starter's own text is "no answer": scored 0 without a reader.
"""

import difflib
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...items import WRITTEN, WrittenItem
from ...section_notebooks import is_canonical

ANSWERED, NO_ANSWER, NOT_FOUND = "answered", "no answer", "question not found"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")   # never SVG: it can carry script
_MARKER = re.compile(r"^\W*written\s+question\s*\(\s*not\s+auto-graded\s*\)\W*", re.IGNORECASE)
_PROMPT = re.compile(r"^\s*[*_]*\s*your\s+answer\s*:?\s*[*_]*\s*:?", re.IGNORECASE)
_HEADING = re.compile(r"^\s*#{1,6}\s")
MATCH_RATIO = 0.8      # how close a reworded opening must stay to the original


@dataclass
class Answer:
    """One student's answer to one question: its Markdown, its images (attachments), where it is."""
    question: str
    status: str
    text: str = ""
    images: dict[str, tuple[str, str]] = field(default_factory=dict)   # attachment name: (mime, base64)
    notebook: str = ""
    cell: int = 0           # the question's cell, 1-based as Jupyter users count
    question_text: str = ""

    @property
    def digest(self) -> str:
        """A hash of what a reader sees, blind to spacing: a changed answer gets a new one."""
        if self.status != ANSWERED:
            return ""
        content = {"text": " ".join(self.text.split()),
                   "images": sorted((name, mime, "".join(data.split())) for name, (mime, data) in self.images.items())}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(part for part in source if isinstance(part, str))
    return source if isinstance(source, str) else ""


def which_question(text: str) -> WrittenItem | None:
    """The written question a marked Markdown cell asks, or None where the cell is not one."""
    match = _MARKER.match(text)
    if not match:
        return None
    asked = _words(text[match.end():])
    best, score = None, 0.0
    for item in WRITTEN.values():
        opening = _words(item.opening)
        if asked.startswith(opening):
            return item
        ratio = difflib.SequenceMatcher(None, opening, asked[:len(opening) + 10]).ratio()
        if ratio > score:
            best, score = item, ratio
    return best if score >= MATCH_RATIO else None


def _ends_answer(cell: dict[str, Any]) -> bool:
    if cell.get("cell_type") == "code":
        return True
    text = _source(cell)
    if _MARKER.match(text):
        return True
    first = text.lstrip().split("\n", 1)[0]
    return bool(_HEADING.match(first)) and "answer" not in first.lower()


def _images(cell: dict[str, Any]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    attachments = cell.get("attachments")
    if not isinstance(attachments, dict):
        return found
    for name, bundle in attachments.items():
        if not isinstance(name, str) or not isinstance(bundle, dict):
            continue
        for mime in IMAGE_TYPES:
            data = bundle.get(mime)
            if isinstance(data, list):
                data = "".join(part for part in data if isinstance(part, str))
            if isinstance(data, str) and data:
                found[name] = (mime, data)
                break
    return found


def bare(text: str) -> str:
    """An answer without the prompt and spacing: what tells an answer from none."""
    return " ".join(_PROMPT.sub("", text, count=1).split())


def _after_question(text: str, question: str) -> str:
    """What a student wrote in the question's own cell after the question (as the starter asks it):
    the words are matched one by one, so re-wrapping or spacing does not matter."""
    asked = re.findall(r"[a-z0-9]+", question.lower())
    words = list(re.finditer(r"[A-Za-z0-9]+", text))
    if not asked or len(words) <= len(asked) or [w[0].lower() for w in words[:len(asked)]] != asked:
        return ""
    return text[words[len(asked) - 1].end():].lstrip(" \t.?!)*_$`").strip()


def answers_in_notebook(cells: list[Any], label: str, starter: dict[str, str] | None = None,
                        questions: dict[str, str] | None = None) -> list[Answer]:
    """Every written question found in one notebook's cells, with its answer; ``starter`` and
    ``questions``: what the blank notebooks hold under and in each question's cell."""
    found = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        item = which_question(_source(cell))
        if item is None:
            continue
        inline = _after_question(_source(cell), (questions or {}).get(item.name, ""))
        parts: list[str] = [inline] if inline else []
        images: dict[str, tuple[str, str]] = _images(cell) if inline else {}
        for later in cells[index + 1:]:
            if not isinstance(later, dict) or _ends_answer(later):
                break
            if later.get("cell_type") == "markdown" and (bare(_source(later)) or _images(later)):
                parts.append(_source(later))   # a lone "*Your answer:*" prompt adds nothing
                images.update(_images(later))
        text = "\n\n".join(part.strip("\n") for part in parts).strip()
        empty = not bare(text) and not images
        unchanged = bool(starter) and bare(text) == bare((starter or {}).get(item.name, "\0")) and not images
        status = NO_ANSWER if empty or unchanged else ANSWERED
        found.append(Answer(item.name, status, text if status == ANSWERED else "",
                            images if status == ANSWERED else {}, label, index + 1, _source(cell).strip()))
    return found


def read_cells(path: Path) -> list[Any]:
    """A notebook's cells, read as plain JSON (no schema: a half-broken notebook still has answers);
    raises ``ValueError`` saying why when it is no notebook at all."""
    try:
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as error:
        why = f"{type(error).__name__}: {str(error)[:200]}"
        raise ValueError(f"{path.name} cannot be read as a notebook ({why})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise ValueError(f"{path.name} has no list of cells")
    return cells


def _starter_questions(starter: list[Path]) -> Iterator[tuple[str, str, str | None]]:
    """(question, its cell's text, the cell after it or None) for each question of the blank notebooks."""
    for path in starter:
        try:
            cells = read_cells(path)
        except ValueError:
            continue
        for index, cell in enumerate(cells):
            item = which_question(_source(cell)) if isinstance(cell, dict) else None
            if item is not None:
                after = cells[index + 1] if index + 1 < len(cells) else None
                yield item.name, _source(cell), _source(after) if isinstance(after, dict) else None


def starter_answers(starter: list[Path]) -> dict[str, str]:
    """What the blank notebooks hold under each question: an answer equal to it is no answer."""
    texts: dict[str, str] = {}
    for name, _, after in _starter_questions(starter):
        if after is not None:
            texts.setdefault(name, after)
    return texts


def starter_questions(starter: list[Path]) -> dict[str, str]:
    """Each question's text as the blank notebooks ask it (the packet shows this, not a student's copy)."""
    texts: dict[str, str] = {}
    for name, question, _ in _starter_questions(starter):
        texts.setdefault(name, question.strip())
    return texts


def student_answers(notebooks: list[Path], base: Path, starter: dict[str, str],
                    questions: dict[str, str] | None = None) -> tuple[dict[str, Answer], list[str]]:
    """({question: answer} for every written question, problems reading the notebooks). Where
    several notebooks ask a question (a copy beside the original), the section's own notebook
    wins, then one that holds an answer, then the first by path."""
    candidates: dict[str, list[Answer]] = {}
    problems = []
    for path in sorted(notebooks):
        label = path.relative_to(base).as_posix() if path.is_relative_to(base) else path.name
        try:
            cells = read_cells(path)
        except ValueError as error:
            problems.append(f"written answers: {error}")
            continue
        for answer in answers_in_notebook(cells, label, starter, questions):
            candidates.setdefault(answer.question, []).append(answer)
    chosen = {}
    for name, item in WRITTEN.items():
        options = candidates.get(name, [])
        options.sort(key=lambda a: (not is_canonical(a.notebook, item.section), a.status != ANSWERED))
        chosen[name] = options[0] if options else Answer(name, NOT_FOUND)
    return chosen, problems
