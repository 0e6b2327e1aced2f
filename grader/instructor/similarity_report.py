"""The similarity report: one self-contained HTML page, pairs ranked, flagged pairs side by side.

Student code and names are hostile input: every piece of them is escaped, and the page's own
Content-Security-Policy forbids scripts and anything fetched, so a notebook cannot run code in the
instructor's browser. Also the ``similarity`` command and grade-class's ``--similarity`` options.
"""

import argparse
import shutil
import sys
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .discover import ClassFolderError, discover
from .similarity import DEFAULT_THRESHOLD, MIN_SHARED, Comparison, Document, Pair, compare_class, flagged, similar_to

if TYPE_CHECKING:
    from .discover import Submission

REPORT_NAME = "similarity.html"
MAX_LISTED = 500         # pairs in the ranking table
MAX_SIDE_BY_SIDE = 100   # flagged pairs shown with their code

_STYLE = """body{font-family:sans-serif;margin:2em;max-width:110em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.flag{background:#fdd}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}pre{background:#f6f6f6;padding:.4em;margin:.3em 0;
overflow-x:auto;white-space:pre-wrap}mark{background:#fb5}"""
_HEAD = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
         f"<title>Similarity report</title><style>{_STYLE}</style></head><body>\n")


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """text[start:end], escaped, with the parts inside ``spans`` (offsets in text) marked."""
    out, at = [], start
    for left, right in spans:
        left, right = max(left, at), min(right, end)
        if left >= right:
            continue
        out += [escape(text[at:left]), "<mark>", escape(text[left:right]), "</mark>"]
        at = right
    out.append(escape(text[at:end]))
    return "".join(out)


def code_html(document: Document, slices: Any) -> str:
    """The cells that share code with the other student's, one <pre> each, the shared code marked."""
    text = document.text
    starts, ends = (list(map(int, row)) for row in slices) if len(slices[0]) else ([], [])
    spans = sorted(zip(starts, ends))
    cells = document.cell_spans()
    shown = [(left, right) for left, right in cells if any(a < right and b > left for a, b in spans)]
    hidden = len(cells) - len(shown)
    return "".join(f"<pre>{_marked(text, left, right, spans)}</pre>" for left, right in shown) + (
        f"<p>{hidden} other cell{'s' if hidden != 1 else ''}: nothing in common</p>" if hidden else "")


def _pair_row(rank: int, pair: Pair, shown: bool) -> str:
    (a, b), (share_a, share_b) = pair.students, pair.shares
    link = f'<a href="#pair-{rank}">{rank}</a>' if shown else str(rank)
    css = ' class="flag"' if shown else ""
    return (f"<tr{css}><td>{link}</td><td>{escape(pair.section)}</td><td>{escape(a)}</td><td>{share_a:.0%}</td>"
            f"<td>{escape(b)}</td><td>{share_b:.0%}</td><td>{pair.shared}</td></tr>\n")


def _side_by_side(rank: int, pair: Pair) -> str:
    (a, b), (share_a, share_b) = pair.students, pair.shares
    columns = "".join(f"<div><h4>{escape(doc.student)}</h4>{code_html(doc, pair.slices[i])}</div>"
                      for i, doc in enumerate(pair.documents))
    return (f'<section id="pair-{rank}"><h3>{rank}. {escape(pair.section)}: {escape(a)} ({share_a:.0%} of their '
            f"code found in the other's) and {escape(b)} ({share_b:.0%})</h3>"
            f'<div class="side">{columns}</div></section>\n')


def render(comparison: Comparison, threshold: float, source: str = "") -> str:
    """The whole page."""
    shown = {id(pair) for pair in flagged(comparison, threshold)[:MAX_SIDE_BY_SIDE]}
    listed = comparison.pairs[:MAX_LISTED]
    parts = [_HEAD, f"<h1>Similarity report{': ' + escape(source) if source else ''}</h1>\n",
             f"<p>{comparison.documents} student-section documents compared, code cells only; the starter "
             "notebooks and the book's own code are boilerplate and never count. A share is how much of a "
             "student's own code (beyond that boilerplate) is found in the other's, with names and strings "
             f"normalised. Pairs where a share reaches {threshold:.0%} are flagged and shown side by side "
             f"(shared code marked); pairs sharing fewer than {MIN_SHARED} normalised characters are not listed. "
             "This report flags; it never changes a score.</p>\n"]
    if not listed:
        parts.append("<p>No two students' code has anything in common beyond the boilerplate.</p>\n")
    else:
        more = len(comparison.pairs) - len(listed)
        parts += [f"<h2>Pairs, most alike first{f' (the first {len(listed)}; {more} more)' if more else ''}</h2>\n",
                  "<table><tr><th>#</th><th>section</th><th>student</th><th>share</th><th>student</th>"
                  "<th>share</th><th>characters in common</th></tr>\n"]
        parts += [_pair_row(rank, pair, id(pair) in shown) for rank, pair in enumerate(listed, 1)]
        parts.append("</table>\n<h2>Flagged pairs side by side</h2>\n")
        parts += [_side_by_side(rank, pair) for rank, pair in enumerate(comparison.pairs, 1) if id(pair) in shown]
        if not shown:
            parts.append("<p>None.</p>\n")
    if comparison.notes:
        parts.append("<h2>Not compared</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in comparison.notes)
                     + "</ul>\n")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_similarity(submissions: Sequence["Submission"], starter: Sequence[Path], out: Path,
                     threshold: float = DEFAULT_THRESHOLD, source: str = "") -> tuple[Path, dict[str, list[str]]]:
    """Compare the class, write ``out/similarity.html``; the report's path and the gradebook column."""
    comparison = compare_class(submissions, starter)
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_NAME
    path.write_text(render(comparison, threshold, source), encoding="utf-8")
    return path, similar_to(flagged(comparison, threshold))


def threshold_value(text: str) -> float:
    """argparse type: a share between 0 and 1, or a percentage such as 60%."""
    value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a share in (0, 1] or a percentage such as 60%")
    return value


def add_similarity_options(grade: argparse.ArgumentParser) -> None:
    grade.add_argument("--similarity", action="store_true",
                       help=f"also compare the students' code (OUT/{REPORT_NAME}, the similar_to column)")
    grade.add_argument("--similarity-threshold", type=threshold_value, default=DEFAULT_THRESHOLD,
                       help=f"share of a student's own code found in another's that is flagged "
                            f"(default {DEFAULT_THRESHOLD:g})")


def similarity_command(args: argparse.Namespace) -> int:
    """``similarity CLASS --out DIR``: the report alone, without grading."""
    out = Path(args.out)
    work = out / "similarity-work"
    shutil.rmtree(work, ignore_errors=True)  # unpacked zips: made afresh, so removed files do not linger
    try:
        submissions = discover(args.submissions, work)
    except ClassFolderError as error:
        print(f"similarity: {error}", file=sys.stderr)
        return 2
    starter = sorted(Path(args.starter).glob("*.ipynb")) if args.starter else []
    path, similar = write_similarity(submissions, starter, out, args.similarity_threshold, str(args.submissions))
    print(f"similarity report: {path}")
    for student, partners in similar.items():
        print(f"  {student}: {'; '.join(partners)}")
    return 0


def add_similarity_command(commands: Any, starter_default: str) -> None:
    command = commands.add_parser("similarity", help="compare the students' code (an HTML report), without grading")
    command.add_argument("submissions", help="the class folder or zip export, as for grade-class")
    command.add_argument("--out", required=True, help=f"where {REPORT_NAME} goes")
    command.add_argument("--starter", default=starter_default,
                         help="the blank notebooks, whose code never counts (default: assignment/)")
    command.add_argument("--similarity-threshold", type=threshold_value, default=DEFAULT_THRESHOLD,
                         help=f"share of a student's own code found in another's that is flagged "
                              f"(default {DEFAULT_THRESHOLD:g})")
    command.set_defaults(handler=similarity_command)
