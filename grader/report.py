"""Step 7 of the pipeline: the terminal table and the Gradescope results.json."""

import json
import os
import tempfile
from fractions import Fraction
from pathlib import Path

from .scoring import exact


def totals(results):
    """Exact sums (``Fraction``s where the results carry them)."""
    return sum((r.points for r in results), Fraction(0)), sum((r.max_points for r in results), Fraction(0))


def rounded(points, digits=4):
    """The one rounding every rendering does, at the very end."""
    return round(float(points), digits)


def gradescope_json(results, execution_time, notes=(), error=None, sandbox=None):
    """Gradescope's results.json; ``sandbox`` is None when every kernel ran confined, else why not."""
    score, max_score = totals(results)
    tests = []
    for r in results:
        output = f"**{r.status}**" if r.hidden else f"**{r.status}**\n\n{r.feedback}".strip()
        test = {"name": r.name, "score": rounded(r.points), "max_score": rounded(r.max_points),
                "status": "passed" if r.passed else "failed", "output": output,
                "output_format": "md", "visibility": "after_published" if r.hidden else "visible",
                # exact shares, so tools that add the checks up again get the item's total exactly
                "extra_data": {"points": str(exact(r.points)), "max_points": str(exact(r.max_points))}}
        if getattr(r, "skipped", False):
            del test["status"]  # neither passed nor failed: it did not run here (0 of 0 points)
        tests.append(test)
    payload = {"score": rounded(score), "max_score": rounded(max_score), "execution_time": round(execution_time, 2),
               "output_format": "md", "tests": tests,
               "extra_data": {"sandbox": sandbox or "confined (Landlock)"}}
    lines = []
    if error:
        lines.append(f"**Grading did not finish:** {error}")
    lines.extend(f"- {note}" for note in notes)
    if lines:
        payload["output"] = "\n".join(lines)
    return payload


def write_results(path, payload):
    """Write atomically, so a crash never leaves half a file for the publisher to read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".results-")
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    os.replace(tmp, path)


def item_rows(results):
    """{(section, item): [points, max points, statuses that were not a pass]}, in report order."""
    rows = {}
    for r in results:
        row = rows.setdefault((r.section, r.item or r.name), [Fraction(0), Fraction(0), []])
        row[0] += r.points
        row[1] += r.max_points
        if not r.passed and r.status not in row[2]:
            row[2].append(r.status)
    return rows


def score_table(results):
    """One row per item: section, name, points, and what went wrong if anything did."""
    rows = item_rows(results)
    width = max([len(item) for _, item in rows] + [4])
    lines = [f"{'sec':<4} {'item':<{width}} {'points':>13}  status", "-" * (width + 34)]
    for (section, item), (got, full, problems) in rows.items():
        status = "ok" if not problems else ", ".join(problems)
        lines.append(f"{section:<4} {item:<{width}} {float(got):>6.2f} / {float(full):<5.2f} {status}")
    score, max_score = totals(results)
    lines.append("-" * (width + 34))
    lines.append(f"{'':<4} {'total':<{width}} {float(score):>6.2f} / {float(max_score):<5.2f}")
    return "\n".join(lines)
