"""Which students' code is alike beyond what the book and the starter gave them.

copydetect fingerprints each student's code cells, one document per section (winnowing over
code with names and strings normalised, as MOSS does), so renamed variables and reordered cells
still match. The starter notebooks and the book's own chapter 7-8 code (book_code.txt) are given
as boilerplate: their fingerprints are removed before comparing, so students who kept them are
not alike for that. The result is for a person to read: it flags, it never changes a score.
"""

import io
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat
import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.utils import get_token_coverage

from ..submission import section_of
from .fingerprint import code_cells

if TYPE_CHECKING:
    from .discover import Submission

BOOK_CODE = Path(__file__).with_name("book_code.txt")
CELL_MARK = "# %%"                 # separates the cells of book_code.txt
NOISE = 25                         # copydetect's k: shared runs shorter than this (normalised) are noise
# Between cells: longer than a fingerprint once normalised (copydetect keeps keywords and
# punctuation), so no fingerprint spans two cells; those that touch it are dropped as well, so that
# where cells meet is never a match by itself.
SEPARATOR = "\n\n" + "pass;" * 6 + "\n\n"
_JOIN = re.compile(re.escape(SEPARATOR.strip()))
DEFAULT_THRESHOLD = 0.5            # share of a student's own code found in another's that is flagged
MIN_SHARED = 50                    # normalised characters in common below which a pair is not listed
MAX_NOTEBOOK_BYTES = 100 * 2**20   # a larger notebook is not read (outputs are not compared anyway)
MAX_CODE_CHARS = 400_000           # per student and section; code beyond it is left out
UNKNOWN_SECTION = "no section"     # notebooks whose section cannot be told are compared together


@dataclass(frozen=True)
class Document:
    """One student's code for one section: the cells joined by SEPARATOR, and where each starts."""

    student: str
    section: str
    cells: tuple[str, ...]

    @property
    def text(self) -> str:
        return "".join(SEPARATOR + cell for cell in self.cells) + SEPARATOR

    def cell_spans(self) -> list[tuple[int, int]]:
        spans, at = [], 0
        for cell in self.cells:
            at += len(SEPARATOR)
            spans.append((at, at + len(cell)))
            at += len(cell)
        return spans


@dataclass(frozen=True)
class Pair:
    """Two students' code for one section, and how much of each one's own code the other has."""

    section: str
    documents: tuple[Document, Document]
    shares: tuple[float, float]      # of each one's code beyond the boilerplate, found in the other's
    shared: int                      # normalised characters in common
    slices: tuple[Any, Any]          # copydetect's (starts, ends) of the common code in each text

    @property
    def students(self) -> tuple[str, str]:
        return self.documents[0].student, self.documents[1].student

    @property
    def similarity(self) -> float:
        return max(self.shares)


@dataclass
class Comparison:
    pairs: list[Pair] = field(default_factory=list)       # most alike first
    notes: list[str] = field(default_factory=list)        # what could not be read, and why
    documents: int = 0


def book_cells(path: Path = BOOK_CODE) -> list[str]:
    """The book's code cells, as book_code.txt holds them (its header comment left out)."""
    chunks: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() == CELL_MARK:
            chunks.append([])
        else:
            chunks[-1].append(line)
    return [cell for chunk in chunks[1:] if (cell := "\n".join(chunk).strip())]


def fingerprint(name: str, text: str, boilerplate: Any = None, window: int = 1) -> CodeFingerprint:
    """copydetect's fingerprint of ``text``, less those that touch a separator between cells."""
    found = CodeFingerprint(f"{name}.py", NOISE, window, boilerplate=boilerplate, fp=io.StringIO(text),
                            language="python")
    joins = np.zeros(len(found.filtered_code) + NOISE, dtype=np.int64)
    for match in _JOIN.finditer(found.filtered_code):
        joins[match.start():match.end()] = 1
    touched = np.concatenate([[0], np.cumsum(joins)])    # touched[j] - touched[i]: join characters in [i, j)
    kept = {h: clear for h, starts in found.hash_idx.items()
            if (clear := [i for i in starts if touched[i + NOISE] == touched[i]])}
    found.hash_idx, found.hashes = kept, set(kept)
    found.token_coverage = get_token_coverage(kept, NOISE, len(found.filtered_code))
    return found


def _read(path: Path) -> tuple[Any, str]:
    """(the notebook, "") or (None, why it cannot be read)."""
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None, f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB"
        nb = nbformat.read(str(path), as_version=4)
        code_cells(nb)
    except Exception as error:  # invalid JSON, unknown format, cells without source, unreadable file
        return None, f"{type(error).__name__}: {str(error)[:200]}"
    return nb, ""


def boilerplate(starter_notebooks: Iterable[str | Path], book: Sequence[str]) -> Any:
    """Every fingerprint of the book's and the starter's cells, each cell on its own between separators."""
    cells = list(book)
    for path in starter_notebooks:
        nb, _ = _read(Path(path))
        cells += code_cells(nb) if nb is not None else []
    hashes = [h for cell in cells for h in fingerprint("boilerplate", SEPARATOR + cell + SEPARATOR).hashes]
    return np.unique(np.array(hashes, dtype=np.int64))


def documents(submission: "Submission") -> tuple[list[Document], list[str]]:
    """One document per section the student's notebooks cover, and notes on what could not be read."""
    by_section: dict[str, list[str]] = {}
    notes = []
    for path in submission.notebooks:
        nb, problem = _read(Path(path))
        if nb is None:
            notes.append(f"{submission.student}: {Path(path).name} not compared ({problem})")
            continue
        section = section_of(Path(path), nb) or UNKNOWN_SECTION
        by_section.setdefault(section, []).extend(cell for cell in code_cells(nb) if cell)
    found = []
    for section, cells in sorted(by_section.items()):
        kept, size = [], 0
        for cell in cells:
            if size + len(cell) > MAX_CODE_CHARS:
                notes.append(f"{submission.student}: {section} has more than {MAX_CODE_CHARS} characters "
                             "of code; the rest is not compared")
                break
            kept.append(cell)
            size += len(cell)
        if kept:
            found.append(Document(submission.student, section, tuple(kept)))
    return found, notes


def _pair(first: Document, second: Document, prints: tuple[CodeFingerprint, CodeFingerprint]) -> Pair | None:
    if prints[0].hashes.isdisjoint(prints[1].hashes):
        return None
    shared, shares, slices = compare_files(*prints)
    if shared < MIN_SHARED:
        return None
    return Pair(first.section, (first, second), (float(shares[0]), float(shares[1])), int(shared),
                (slices[0], slices[1]))


def _fingerprint_or_note(document: Document, common: Any, notes: list[str]) -> CodeFingerprint | None:
    """The document's fingerprint, or None and a note: one student's odd code never stops the comparison."""
    try:
        return fingerprint(f"{document.student}-{document.section}", document.text, common)
    except Exception as error:  # the tokenizer on hostile text: noted like an unreadable notebook
        notes.append(f"{document.student}: {document.section} not compared ({type(error).__name__}: "
                     f"{str(error)[:200]})")
        return None


def compare_class(submissions: Iterable["Submission"], starter_notebooks: Iterable[str | Path] = (),
                  book: Sequence[str] | None = None) -> Comparison:
    """Every pair of students, section by section, whose code has more than the boilerplate in common
    (the book's code: book_code.txt unless ``book`` gives other cells)."""
    result = Comparison()
    by_section: dict[str, list[Document]] = {}
    for submission in submissions:
        if submission.problem:
            result.notes.append(f"{submission.student}: not compared ({submission.problem})")
            continue
        found, notes = documents(submission)
        result.notes += notes
        for document in found:
            by_section.setdefault(document.section, []).append(document)
    common = boilerplate(starter_notebooks, book_cells() if book is None else book)
    for docs in by_section.values():   # pairs are sorted below
        printed = [(d, _fingerprint_or_note(d, common, result.notes)) for d in docs]
        kept = [(d, p) for d, p in printed if p is not None]
        result.documents += len(kept)
        for (first, first_print), (second, second_print) in itertools.combinations(kept, 2):
            pair = _pair(first, second, (first_print, second_print))
            if pair is not None:
                result.pairs.append(pair)
    result.pairs.sort(key=lambda p: (-p.similarity, -p.shared, p.section, p.students))
    return result


def flagged(comparison: Comparison, threshold: float = DEFAULT_THRESHOLD) -> list[Pair]:
    """The pairs where at least ``threshold`` of one student's own code is found in the other's."""
    return [pair for pair in comparison.pairs if pair.similarity >= threshold]


def similar_to(pairs: Iterable[Pair]) -> dict[str, list[str]]:
    """{student: ["partner (section: share of the student's own code found in the partner's)", ...]}."""
    entries: dict[str, dict[str, list[str]]] = {}
    for pair in pairs:
        for me, (student, partner) in enumerate((pair.students, pair.students[::-1])):
            entries.setdefault(student, {}).setdefault(partner, []).append(
                f"{pair.section}: {pair.shares[me]:.0%}")
    return {student: [f"{partner} ({', '.join(sections)})" for partner, sections in sorted(partners.items())]
            for student, partners in sorted(entries.items())}
