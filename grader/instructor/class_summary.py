"""The instructor's one-page summary of a graded class: how scores spread, and which items the
class got right, as a figure (so a check that fails everyone stands out at a glance) and a table."""

import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..items import ITEMS

if TYPE_CHECKING:
    from .batch import Outcome

SUMMARY_MD, SUMMARY_PNG = "summary.md", "summary.png"


def pass_rates(outcomes: Iterable["Outcome"]) -> dict[str, tuple[int, int]]:
    """{item: (students with full points, students graded on it)}, in the items table's order."""
    rates: dict[str, tuple[int, int]] = {}
    for outcome in outcomes:
        if outcome.run is None:
            continue
        for name, (got, full) in outcome.run.item_points().items():
            if full:
                passed, graded = rates.get(name, (0, 0))
                rates[name] = (passed + (got == full), graded + 1)
    return {name: rates[name] for name in ITEMS if name in rates}


def percents(outcomes: Iterable["Outcome"]) -> list[float]:
    return [100 * o.run.score / o.run.max_score for o in outcomes if o.run is not None and o.run.max_score]


def draw(outcomes: Sequence["Outcome"], path: Path) -> Path | None:
    """Score histogram beside per-item pass rates, as a PNG; None when nothing was graded."""
    scores, rates = percents(outcomes), pass_rates(outcomes)
    if not scores:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    height = max(3.0, 0.28 * len(rates) + 1.2)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, height), gridspec_kw={"width_ratios": [1, 1.3]})
    left.hist(scores, bins=[10 * i for i in range(11)], color="#4c72b0", edgecolor="white")
    left.set(xlabel="score (%)", ylabel="students", title=f"Score distribution ({len(scores)} graded)", xlim=(0, 100))
    names = list(rates)[::-1]
    values = [100 * rates[n][0] / rates[n][1] for n in names]
    right.barh([f"{ITEMS[n].section} {n}" for n in names], values, color="#55a868")
    right.set(xlabel="students with full points (%)", title="Pass rate per item", xlim=(0, 100))
    right.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return path


def write_summary(outcomes: Sequence["Outcome"], out: str | Path) -> Path:
    """``summary.md`` (with ``summary.png``) in ``out``; returns the Markdown's path."""
    out = Path(out)
    scores, rates = percents(outcomes), pass_rates(outcomes)
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    lines = ["# Class summary", "", f"{len(outcomes)} submissions: "
             + ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())), ""]
    if scores:
        lines += [f"Scores: mean {statistics.mean(scores):.1f} %, median {statistics.median(scores):.1f} %, "
                  f"lowest {min(scores):.1f} %, highest {max(scores):.1f} %.", ""]
    if draw(outcomes, out / SUMMARY_PNG):
        lines += [f"![Score distribution and pass rate per item]({SUMMARY_PNG})", ""]
    if rates:
        lines += ["| section | item | full points | graded | pass rate |", "|---|---|---|---|---|"]
        lines += [f"| {ITEMS[n].section} | {n} | {p} | {g} | {100 * p / g:.0f} % |" for n, (p, g) in rates.items()]
    path = out / SUMMARY_MD
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path
