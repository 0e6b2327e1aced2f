"""The entry point of ``pytest grader``: one test per graded check of the submission (``--item NAME``
picks items by name, ``-k`` by a piece of the checks' names); the plugin in ``conftest.py`` runs
the session and prints the scores."""

import contextlib

import pytest

from .checks import ALL_CHECKS
from .items import ITEMS
from .kernel_side.threads import one_thread
from .scoring import run_check


@pytest.mark.parametrize("check", ALL_CHECKS, ids=[c.test_name for c in ALL_CHECKS])
def test_check(check, grading_session, record_check):
    # the checks' tensors are tiny: torch on one thread (``threads.py``); the training checks keep their own
    with contextlib.nullcontext() if ITEMS[check.item].training else one_thread():
        result = run_check(grading_session, check)
    record_check(result)
    if result.skipped:
        pytest.skip(result.feedback)
    if not result.passed:
        detail = "" if result.hidden else f"\n{result.feedback}"
        pytest.fail(f"{result.label} ({float(result.points):.2f} of {float(result.max_points):.2f} points){detail}",
                    pytrace=False)
