"""What a check cell shows: points per item, every check's result, and for each one that did not
pass, the grader's own feedback (the failing call as code, what came back, what was expected).

The same results as ``pytest grader`` reports; rendered as HTML for Jupyter, VS Code and Colab,
and as plain text elsewhere.
"""

import html

from .markup import fragment
from .record import PASSED, SKIPPED, WITHHELD, item_points, totals
from .score_table import course_total

MARKS = {PASSED: ("✓", "#1a7f37"), SKIPPED: ("–", "#6e7781"), WITHHELD: ("–", "#6e7781")}
FAILED_MARK = ("✗", "#cf222e")
PREVIEW = ("A preview on the definitions live in this kernel now. The score that counts comes from the "
           "grader, which runs the notebook from the top in a fresh kernel (`pytest grader`, or your push).")
STYLE = ("font-family:system-ui,sans-serif;line-height:1.4;border:1px solid #d0d7de;border-radius:6px;"
         "padding:.5em 1em;margin:.3em 0")


def _title(result):
    prefix = f"{result.section} {result.item}: "
    return result.name[len(prefix):] if result.name.startswith(prefix) else result.name


def _points(got, full):
    return f"{float(got):.2f} / {float(full):.2f}"


def _course_points(results):
    """Points out of the course's maximum, as the score table shows them, plus the part of that
    maximum only the course's grader scores (hidden checks, in a student's copy)."""
    got, local = totals(results)
    course = course_total(results)
    kept = course - local
    return _points(got, course), (f" ({float(kept):.2f} of them only the course's grader scores)" if kept else "")


class CheckMessage:
    """What a check cell shows when there is nothing to check: a sentence, not a traceback."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def _repr_html_(self):
        return f'<div style="{STYLE}">{fragment(self.text)}</div>'


class CheckReport:
    """The results of one check cell; ``item_points()`` gives the points per item for tests and tools."""

    def __init__(self, results, items, seconds):
        self.results, self.items, self.seconds = list(results), list(items), seconds
        self.footnotes: list[str] = []   # Markdown lines under the items (``handin.check_cell_lines``)
        self.points, self.max_points = totals(self.results)

    def item_points(self):
        found = item_points(self.results)
        return {item: found[item] for item in self.items}

    def _by_item(self):
        return [(item, [r for r in self.results if r.item == item]) for item in self.items]

    def __repr__(self):
        if not self.items:
            return "d2l.check: this notebook defines no graded item yet"
        points, kept = _course_points(self.results)
        lines = [f"d2l.check: {points} points{kept}"]
        for item, results in self._by_item():
            lines.append(f"\n{item}: {''.join(_course_points(results))}")
            for r in results:
                mark = MARKS.get(r.status, FAILED_MARK)[0]
                lines.append(f"  {mark} {_title(r)} ({_points(r.points, r.max_points)})"
                             + ("" if r.passed else f": {r.headline}"))
                if not r.passed and not r.hidden and not r.skipped and r.feedback:
                    lines.extend("      " + line for line in r.feedback.splitlines())
        lines.extend(["", *(note.replace("`", "") for note in self.footnotes)] if self.footnotes else [])
        lines.append("\n" + PREVIEW.replace("`", ""))
        return "\n".join(lines)

    def _repr_html_(self):
        if not self.items:
            return f'<div style="{STYLE}">d2l.check: this notebook defines no graded item yet.</div>'
        points, kept = _course_points(self.results)
        parts = [f'<div style="{STYLE}"><b>d2l.check</b>: <b>{points}</b> points{html.escape(kept)} '
                 f'<span style="color:#6e7781">({self.seconds:.1f} s)</span>']
        for item, results in self._by_item():
            shown = html.escape("".join(_course_points(results)))
            parts.append(f'<div style="margin-top:.6em"><b><code>{html.escape(item)}</code></b> '
                         f'{shown}<ul style="margin:.2em 0;padding-left:1.2em;list-style:none">')
            for r in results:
                mark, colour = MARKS.get(r.status, FAILED_MARK)
                status = "" if r.passed else f" — <b>{html.escape(r.headline)}</b>"
                parts.append(f'<li><span style="color:{colour}">{mark}</span> {html.escape(_title(r))} '
                             f'<span style="color:#6e7781">({_points(r.points, r.max_points)})</span>{status}')
                if not r.passed and not r.hidden and not r.skipped and r.feedback:
                    parts.append(f'<div style="margin:.2em 0 .5em 1.2em">{fragment(r.feedback)}</div>')
                parts.append("</li>")
            parts.append("</ul></div>")
        parts.extend(f'<div style="margin-top:.4em">{fragment(note)}</div>' for note in self.footnotes)
        parts.append(f'<div style="color:#6e7781;font-size:90%">{fragment(PREVIEW)}</div></div>')
        return "\n".join(parts)


class CheckProgress:
    """What a check cell shows while it runs: what it is checking, and each check as it completes.

    Shown once through a display handle and updated in place (Jupyter, VS Code and Colab replace
    the output; a terminal front end prints each update as a line of text). When the checks are
    done it shrinks to one line, and the report the cell returns shows the results."""

    def __init__(self, items, planned):
        self.items, self.planned, self.results = list(items), planned, []
        self.seconds = None
        self.handle = None

    def show(self):
        try:
            from IPython.display import display
            self.handle = display(self, display_id=True)
        except Exception:   # no display machinery: the report at the end is all there is
            self.handle = None
        return self

    def add(self, result):
        self.results.append(result)
        self._update()

    def finish(self, seconds):
        self.seconds = seconds
        self._update()

    def _update(self):
        if self.handle is not None:
            try:
                self.handle.update(self)
            except Exception:
                self.handle = None

    def _heading(self):
        names = ", ".join(self.items) if len(self.items) <= 4 else f"{len(self.items)} items"
        if self.seconds is not None:
            return f"d2l.check: {len(self.results)} checks of {names} ran in {self.seconds:.1f} s"
        return f"d2l.check: checking {names} ({len(self.results)} of {self.planned} checks done)"

    def _lines(self):
        return [(MARKS.get(r.status, FAILED_MARK), f"{r.item}: {_title(r)}") for r in self.results]

    def __repr__(self):
        if self.seconds is not None:
            return self._heading()
        return "\n".join([self._heading(), *(f"  {mark} {text}" for (mark, _), text in self._lines())])

    def _repr_html_(self):
        heading = f'<span style="color:#6e7781">{html.escape(self._heading())}</span>'
        if self.seconds is not None:
            return f"<div>{heading}</div>"
        rows = "".join(f'<li><span style="color:{colour}">{mark}</span> {html.escape(text)}</li>'
                       for (mark, colour), text in self._lines())
        listing = f'<ul style="margin:.2em 0;list-style:none;padding-left:1em">{rows}</ul>'
        return f'<div style="{STYLE}">{heading}{listing}</div>'
