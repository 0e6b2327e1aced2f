"""The release's store: what its public checks need of the references, computed here, once.

The student release has no ``solutions/``; its model checks compare against the reports written
here (``grader/stored_references.py`` reads them), and the checks it leaves out are listed with
their weights so that points are shared as in the course's grader.
"""

from ..checks import PUBLIC_CHECKS, WITHHELD_CHECKS
from ..stored_references import write_store


def reference_reports(checks=PUBLIC_CHECKS):
    """{key: ModelReport} of every reference report the public model checks can ask for."""
    reports, seen = {}, set()
    for check in checks:
        if check.model is not None and id(check.model) not in seen:
            seen.add(id(check.model))
            reports.update(check.model.reference_calls())
    return reports


def withheld_rows(checks=WITHHELD_CHECKS):
    return [(check.item, check.title, check.weight, check.hidden) for check in checks]


def write_release_store(directory):
    """Write the store into the release's ``grader/stored``; returns the files written."""
    return write_store(directory, reference_reports(), withheld_rows())
