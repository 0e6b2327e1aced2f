"""Training curves for the feedback report, taken from notebook outputs.

The grader cuts a notebook's training to a batch or two, so the curves worth showing are
usually the ones the student's own full run left in the submitted notebook; those of the
grader's run come first when it drew any.
"""

import base64
import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

_TRAINING = re.compile(r"\.fit\(|Trainer\(")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_FIGURES = 6


@dataclass
class Figure:
    notebook: str
    cell: int          # 1-based, as a person counts cells
    png: bytes
    caption: str       # the cell's last printed line (the final accuracy, usually)
    source: str        # "your notebook" or "the grader's run"


def _last_printed_line(cell: Mapping[str, Any]) -> str:
    lines = [line for out in cell.get("outputs", [])
             if out.get("output_type") == "stream" and out.get("name") == "stdout"
             for line in str(out.get("text", "")).splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else ""


def training_figures(notebook_path: str | Path, source: str) -> list[Figure]:
    """PNG images that training cells of one notebook displayed; [] for an unreadable notebook."""
    try:
        nb = nbformat.read(str(notebook_path), as_version=4)
    except Exception:
        return []
    found: list[Figure] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not _TRAINING.search(cell.source):
            continue
        for output in cell.get("outputs", []):
            encoded = output.get("data", {}).get("image/png")
            if not encoded:
                continue
            try:
                png = base64.b64decode("".join(encoded) if isinstance(encoded, list) else encoded, validate=False)
            except (binascii.Error, ValueError):
                continue
            if png.startswith(PNG_MAGIC):
                found.append(Figure(Path(notebook_path).name, index + 1, png, _last_printed_line(cell), source))
    return found


def figures_for(executed_dir: str | Path | None, submitted_notebooks: Iterable[str | Path]) -> list[Figure]:
    """The grader's run's curves if it drew any, else the student's own, at most ``MAX_FIGURES``."""
    executed = sorted(Path(executed_dir).glob("*.ipynb")) if executed_dir and Path(executed_dir).is_dir() else []
    found = [f for path in executed for f in training_figures(path, "the grader's run")]
    if not found:
        found = [f for path in submitted_notebooks for f in training_figures(path, "your notebook")]
    return found[:MAX_FIGURES]
