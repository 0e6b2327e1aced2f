"""One student's feedback report: scores per item, what each check found (counterexamples
included), notes on running the notebooks, and training curves; Markdown or HTML."""

import re
from collections.abc import Iterable
from pathlib import Path

from ..hidden_visibility import DEFAULT, hidden_note
from ..markup import to_html
from ..record import CheckResult, item_rows, rounded
from .figures import Figure, figures_for
from .results import GradedRun

FORMATS = ("md", "html")


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _check_title(check: CheckResult) -> str:
    title = check.name.split(": ", 1)[1] if ": " in check.name else check.name
    return title.replace("*", "\\*")


def score_lines(run: GradedRun) -> list[str]:
    """The per-item table as Markdown (also the CI job summary's table)."""
    lines = ["| section | item | points | status |", "|---|---|---|---|"]
    for (section, item), (got, full, problems) in item_rows(run.checks).items():
        status = ", ".join(problems) if problems else "ok"
        lines.append(f"| {section} | {_cell(item)} | {rounded(got, 2):g} / {rounded(full, 2):g} | {_cell(status)} |")
    lines.append(f"| | **total** | **{run.score:g} / {run.max_score:g}** | |")
    return lines


def _details(run: GradedRun, hidden_checks: str = DEFAULT) -> list[str]:
    lines: list[str] = []
    current: tuple[str, str] | None = None
    rows = item_rows(run.checks)
    for check in run.checks:
        key = (check.section, check.item or check.name)
        if key != current:
            current = key
            got, full, _ = rows[key]
            lines += ["", f"### {check.section} {key[1]}: {rounded(got, 2):g} / {rounded(full, 2):g}"]
        points = "skipped" if check.skipped else f"{rounded(check.points, 2):g} / {rounded(check.max_points, 2):g}"
        lines += ["", f"**{_check_title(check)}**: {check.status} ({points})"]
        if check.secret:   # a placeholder in a student's copy ran nowhere here: its own text says so
            lines += ["", f"*{hidden_note(hidden_checks)}*"]
        elif check.feedback:
            lines += ["", check.feedback]
    return lines


def _figure_lines(figures: list[Figure], folder: Path, stem: str) -> list[str]:
    if not figures:
        return []
    lines = ["", "## Training curves", ""]
    images = folder / "figures"
    images.mkdir(parents=True, exist_ok=True)
    for n, figure in enumerate(figures, 1):
        notebook = re.sub(r"[^\w.-]+", "_", Path(figure.notebook).stem)
        name = f"{stem}-{notebook}-cell{figure.cell}-{n}.png"
        (images / name).write_bytes(figure.png)
        caption = f"{figure.notebook}, cell {figure.cell}, from {figure.source}"
        if figure.caption:
            caption += f": {figure.caption}"
        lines += [f"![{figure.notebook} cell {figure.cell}](figures/{name})", "", f"*{_cell(caption)}*", ""]
    return lines


def render_markdown(student: str, run: GradedRun | None, figures: Iterable[Figure] = (),
                    folder: str | Path | None = None, stem: str = "feedback", problem: str = "",
                    extra: Iterable[str] = (), hidden_checks: str = DEFAULT) -> str:
    """``extra``: Markdown lines added after the checks (the written questions, read by a person);
    ``hidden_checks``: when Gradescope shows hidden checks, as results.json says (hidden_visibility.py)."""
    lines = [f"# Feedback for {student}", ""]
    if run is None:
        lines += ["**Not graded.**", "", f"Reason: {problem or 'unknown'}"]
        return "\n".join(lines) + "\n"
    percent = f" ({100 * run.score / run.max_score:.0f} %)" if run.max_score else ""
    lines += [f"**Score: {run.score:g} / {run.max_score:g}**{percent}", ""]
    if run.problems:
        lines += ["Problems with the submission as a whole:", ""] + [f"- {_cell(p)}" for p in run.problems] + [""]
    lines += ["## Scores by item", ""] + score_lines(run)
    lines += ["", "## What each check found"] + _details(run, hidden_checks)
    other_notes = [n.text for n in run.notes if not n.serious]   # the serious ones are listed above
    if other_notes:
        lines += ["", "## Notes on running your notebooks", ""] + [f"- {_cell(n)}" for n in other_notes]
    lines += list(extra)
    if folder is not None:
        lines += _figure_lines(list(figures), Path(folder), stem)
    return "\n".join(lines).rstrip() + "\n"


def write_report(student: str, run: GradedRun | None, folder: str | Path, fmt: str = "md",
                 executed_dir: str | Path | None = None, submitted: Iterable[str | Path] = (),
                 problem: str = "", extra: Iterable[str] = (), hidden_checks: str = DEFAULT) -> Path:
    """Write ``feedback.md`` or ``feedback.html`` into ``folder``; returns its path."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    figures = figures_for(executed_dir, submitted) if run is not None else []
    text = render_markdown(student, run, figures, folder, problem=problem, extra=extra, hidden_checks=hidden_checks)
    path = folder / f"feedback.{fmt}"
    path.write_text(text if fmt == "md" else to_html(text, f"Feedback for {student}", base=folder), encoding="utf-8")
    return path
