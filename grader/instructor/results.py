"""Read back the grading record that ``pytest grader --results`` wrote into results.json.

The gradebook, the feedback report and the CI summary all start here, from the record the
score table was rendered from (``extra_data.record``), so they agree with what a student saw.
The Markdown in results.json is for students to read; nothing here parses it.
"""

import json
from pathlib import Path

from ..record import GradingRecord, RecordError


class ResultsError(Exception):
    """The results file is missing or is not what this grader writes."""


class GradedRun(GradingRecord):
    """A grading record as the instructor tools see it: also what went wrong as a whole."""

    @property
    def problems(self) -> list[str]:
        """What went wrong with the submission as a whole (not with one item): the error, and the
        notes the grader marked serious where it wrote them (whatever their text says)."""
        found = [self.error] if self.error else []
        return found + [note.text for note in self.notes if note.serious]


def parse(payload: object) -> GradedRun:
    """The ``GradedRun`` in a results.json's parsed JSON; ``ResultsError`` when there is none."""
    if not isinstance(payload, dict) or not isinstance(payload.get("tests"), list):
        raise ResultsError("not a grader results file (no list of tests)")
    extra = payload.get("extra_data")
    if not isinstance(extra, dict) or "record" not in extra:
        raise ResultsError("it holds no grading record (extra_data.record): an older grader wrote it; "
                           "grade the submission again with this grader version")
    try:
        return GradedRun.from_dict(extra["record"])
    except RecordError as error:
        raise ResultsError(f"its grading record is malformed ({error}); grade the submission again") from None


def load(path: str | Path) -> GradedRun:
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise ResultsError(f"{path} does not exist: the grader wrote no results") from None
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path} cannot be read: {error}") from None
    try:
        return parse(payload)
    except ResultsError as error:
        raise ResultsError(f"{path}: {error}") from None
