"""The release's store: what its public checks need of the references, computed here, once.

The student release has no ``solutions/``; its model checks compare against the reports written
here (``grader/stored_references.py`` reads them), and the checks it leaves out are listed with
their weights so that points are shared as in the course's grader.
"""

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..checks import PUBLIC_CHECKS, WITHHELD_CHECKS
from ..checks.base import Check
from ..stored_references import write_store

if TYPE_CHECKING:
    from ..checks.model_compare import ModelSpec
    from ..kernel_side.contract import ModelReport


def reference_reports(checks: Iterable[Check] = PUBLIC_CHECKS) -> dict[str, "ModelReport"]:
    """{key: ModelReport} of every reference report the public model checks can ask for."""
    reports: dict[str, ModelReport] = {}
    seen: set[int] = set()
    for check in checks:
        if check.model is not None and id(check.model) not in seen:
            seen.add(id(check.model))
            # Check.model is typed ``object`` in checks/base.py; a model check's is a ModelSpec
            reports.update(cast("ModelSpec", check.model).reference_calls())
    return reports


def withheld_rows(checks: Iterable[Check] = WITHHELD_CHECKS) -> list[tuple[str, str, float, bool]]:
    return [(check.item, check.title, check.weight, check.hidden) for check in checks]


def write_release_store(directory: Path) -> list[Path]:
    """Write the store into the release's ``grader/stored``; returns the files written."""
    return write_store(directory, reference_reports(), withheld_rows())
