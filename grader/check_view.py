"""What a check cell shows: points per item, every check's result, and for each one that did not
pass, the grader's own feedback (the failing call as code, what came back, what was expected).

The same results as ``pytest grader`` reports; rendered as HTML for Jupyter, VS Code and Colab,
and as plain text elsewhere.
"""

import html

from .markup import fragment
from .record import PASSED, SKIPPED, WITHHELD, item_points, totals

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
        self.points, self.max_points = totals(self.results)

    def item_points(self):
        found = item_points(self.results)
        return {item: found[item] for item in self.items}

    def _by_item(self):
        return [(item, [r for r in self.results if r.item == item]) for item in self.items]

    def __repr__(self):
        if not self.items:
            return "d2l.check: this notebook defines no graded item yet"
        lines = [f"d2l.check: {_points(self.points, self.max_points)} points"]
        for item, results in self._by_item():
            got, full = totals(results)
            lines.append(f"\n{item}: {_points(got, full)}")
            for r in results:
                mark = MARKS.get(r.status, FAILED_MARK)[0]
                lines.append(f"  {mark} {_title(r)} ({_points(r.points, r.max_points)})"
                             + ("" if r.passed else f": {r.headline}"))
                if not r.passed and not r.hidden and not r.skipped and r.feedback:
                    lines.extend("      " + line for line in r.feedback.splitlines())
        lines.append("\n" + PREVIEW.replace("`", ""))
        return "\n".join(lines)

    def _repr_html_(self):
        if not self.items:
            return f'<div style="{STYLE}">d2l.check: this notebook defines no graded item yet.</div>'
        parts = [f'<div style="{STYLE}"><b>d2l.check</b>: <b>{_points(self.points, self.max_points)}</b> points '
                 f'<span style="color:#6e7781">({self.seconds:.1f} s)</span>']
        for item, results in self._by_item():
            got, full = totals(results)
            parts.append(f'<div style="margin-top:.6em"><b><code>{html.escape(item)}</code></b> '
                         f'{_points(got, full)}<ul style="margin:.2em 0;padding-left:1.2em;list-style:none">')
            for r in results:
                mark, colour = MARKS.get(r.status, FAILED_MARK)
                status = "" if r.passed else f" — <b>{html.escape(r.headline)}</b>"
                parts.append(f'<li><span style="color:{colour}">{mark}</span> {html.escape(_title(r))} '
                             f'<span style="color:#6e7781">({_points(r.points, r.max_points)})</span>{status}')
                if not r.passed and not r.hidden and not r.skipped and r.feedback:
                    parts.append(f'<div style="margin:.2em 0 .5em 1.2em">{fragment(r.feedback)}</div>')
                parts.append("</li>")
            parts.append("</ul></div>")
        parts.append(f'<div style="color:#6e7781;font-size:90%">{fragment(PREVIEW)}</div></div>')
        return "\n".join(parts)
