"""What the student release knows of the references: their observable behaviour, never their code.

The instructor's grader computes each reference model's report (layer kinds, parameter shapes,
per-layer output shapes and sums, outputs for the grader's fixed inputs and ``TensorFill`` weights)
from ``solutions/``. The release cannot ship ``solutions/``, so the release build runs every public
model check's reference calls once and stores the reports here; the release's checks then compare
against the stored reports and score exactly as the instructor's do.

The release also lists the checks it leaves out (hidden ones, and those whose oracle is an answer
itself), with their weights, so each item's points are shared as in the instructor's grader and
the local maximum is the course's maximum less those checks.
"""

import json
from functools import cache
from pathlib import Path

from .kernel_side.codec import from_wire, to_wire
from .kernel_side.contract import ModelReport

STORE = Path(__file__).with_name("stored")   # exists only in a student release
REPORTS = "reference_reports.json"
WITHHELD = "withheld_checks.json"


class StoreMissing(LookupError):
    """The release lacks a stored report a check asked for (the release build and the checks disagree)."""


def in_release(store=STORE):
    return (Path(store) / REPORTS).is_file()


@cache
def _reports(store=STORE):
    return json.loads((Path(store) / REPORTS).read_text())


def stored_report(key, store=STORE):
    """The reference's ``ModelReport`` for one request key, as the release build computed it."""
    try:
        wire = _reports(store)[key]
    except KeyError:
        raise StoreMissing(f"this copy of the grader has no stored reference result for {key}; "
                           "rebuild the release with the same grader version") from None
    return from_wire(wire, ModelReport, where="the stored reference results")


@cache
def withheld_checks(store=STORE):
    """[(item, title, weight, hidden)] of the checks this release leaves out; [] outside a release."""
    path = Path(store) / WITHHELD
    if not path.is_file():
        return []
    return [(row["item"], row["title"], row["weight"], row["hidden"]) for row in json.loads(path.read_text())]


def write_store(out, reports, withheld):
    """Write the release's store: ``reports`` {key: ModelReport}, ``withheld`` [(item, title, weight, hidden)]."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORTS).write_text(json.dumps({key: to_wire(report, ModelReport, trusted=True)
                                           for key, report in sorted(reports.items())}, sort_keys=True))
    (out / WITHHELD).write_text(json.dumps([{"item": item, "title": title, "weight": weight, "hidden": hidden}
                                            for item, title, weight, hidden in withheld], indent=1))
    return [out / REPORTS, out / WITHHELD]
