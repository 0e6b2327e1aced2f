"""The review packets: per written question, one self-contained HTML page of every answer, under
anonymous ids in a stable pseudo-random order, and the score sheet (CSV) a reader fills.

The page loads nothing: a Content-Security-Policy allows only its own inline style and ``data:``
images, and every student byte goes through ``answer_html`` (escaped, images only from the
notebook). Answers that are empty or the starter's are listed by count only: they score 0
without a reader. Rows already scored are filled in from the stored scores, so a sheet stays
the record of its question; a row whose answer changed since it was scored is left blank, with
the old score in its ``previous`` column, so an unchanged sheet never re-approves a new answer.
"""

import csv
import html
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

from ...items import WrittenItem
from .answer_html import answer_html
from .manual_store import StoredScore
from .rubrics import Rubric
from .written_answers import ANSWERED, Answer

PACKETS = "written"
FIXED = ["anonymous_id", "question", "answer"]
TAIL = ["points", "comment", "previous"]
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
STYLE = ("body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;line-height:1.45}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}"
         "article{border-top:2px solid #888;margin-top:1.5em}code,pre{background:#f3f3f3}"
         "code.tex,pre.tex{color:#1a4d8f}img{max-width:100%}.blocked{color:#a33}.flag{color:#a33;font-weight:bold}"
         "pre{padding:.5em;overflow-x:auto;white-space:pre-wrap}")


def sheet_header(rubric: Rubric) -> list[str]:
    return FIXED + [c.id for c in rubric.criteria] + TAIL


def _rubric_table(rubric: Rubric) -> str:
    rows = "".join(f"<tr><td><code>{html.escape(c.id)}</code></td><td>{float(c.points):g}</td>"
                   f"<td>{html.escape(c.text)}</td></tr>" for c in rubric.criteria)
    return f"<table><tr><th>criterion</th><th>points</th><th>what earns them</th></tr>{rows}</table>"


def _previous(kept: StoredScore) -> str:
    return f"{float(Fraction(kept.points)):g} points from {kept.source}, given to an earlier answer"


def write_packet(folder: Path, item: WrittenItem, rubric: Rubric, question: str,
                 answers: Mapping[str, tuple[str, Answer]], stored: Mapping[str, StoredScore],
                 order: list[str]) -> tuple[Path, Path]:
    """The page and the sheet of one question. ``answers``: {student: (anonymous id, answer)};
    ``order``: the students in this question's reading order; ``stored``: {student: score}."""
    folder.mkdir(parents=True, exist_ok=True)
    read = [s for s in order if answers[s][1].status == ANSWERED]
    skipped = len(order) - len(read)
    articles, rows = [], []
    for student in read:
        anonymous, answer = answers[student]
        kept = stored.get(student)
        flag = ""
        if kept is not None and kept.digest != answer.digest:
            flag = (f'<p class="flag">answer changed since it was scored ({html.escape(_previous(kept))}): '
                    "score it again</p>")
        elif kept is not None:
            flag = f"<p>scored: {float(Fraction(kept.points)):g} / {item.points:g}</p>"
        articles.append(f'<article id="{anonymous}"><h3>{anonymous}</h3>{flag}'
                        f"<p><small>answer {answer.digest}</small></p>\n"
                        f"{answer_html(answer.text, answer.images)}</article>")
        row = {"anonymous_id": anonymous, "question": item.name, "answer": answer.digest}
        if kept is not None and kept.digest == answer.digest:
            row.update({"points": f"{float(Fraction(kept.points)):g}" if not kept.criteria else "",
                        "comment": kept.comment, **kept.criteria})
        elif kept is not None:
            row["previous"] = _previous(kept) + "; the answer changed since"
        rows.append(row)
    title = f"{item.section} {item.name}: written question ({item.points:g} points)"
    page = (f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n<section>{answer_html(question)}</section>\n"
            f"<h2>Rubric</h2>\n{_rubric_table(rubric)}\n"
            f"<p>Score in <code>{html.escape(item.name)}.csv</code>, one row per answer: in each criterion's column "
            f"<code>y</code> (met), <code>n</code> or a number of points up to the criterion's, or only a total in "
            f"<code>points</code>; a <code>comment</code> goes to the student. Read it back with "
            f"<code>python -m grader.instructor manual SHEET… --out OUT</code>.</p>\n"
            f"<h2>{len(read)} answers</h2>\n<p>{skipped} students gave no answer (empty, the starter's text, or the "
            f"question removed): they score 0 and are not listed.</p>\n" + "\n".join(articles) + "\n</body></html>\n")
    page_path, sheet_path = folder / f"{item.name}.html", folder / f"{item.name}.csv"
    page_path.write_text(page, encoding="utf-8")
    with open(sheet_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=sheet_header(rubric))
        writer.writeheader()
        writer.writerows(rows)
    return page_path, sheet_path
