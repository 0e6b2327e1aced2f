"""Points per property add up to each item's points in grader/items.py; hidden checks keep their
inputs to themselves; every check table entry is well formed."""

from collections import defaultdict

from grader.checks import ALL_CHECKS
from grader.items import ITEMS
from grader.report import gradescope_json
from grader.scoring import CheckResult, check_points


def test_each_items_checks_share_exactly_its_points():
    totals = defaultdict(float)
    for check in ALL_CHECKS:
        assert check.weight > 0, check.test_name
        totals[check.item] += check_points(check)
    assert set(totals) == set(ITEMS)
    for item, total in totals.items():
        assert abs(total - ITEMS[item].points) < 1e-9, (item, total)


def test_check_names_are_unique_and_helpers_never_include_the_item_itself():
    names = [check.test_name for check in ALL_CHECKS]
    assert len(names) == len(set(names))
    for check in ALL_CHECKS:
        assert check.item not in check.reference and set(check.reference) <= set(ITEMS)


def test_hidden_checks_cover_several_items_and_report_only_name_and_result():
    hidden = [check for check in ALL_CHECKS if check.hidden]
    assert len(hidden) >= 5 and len({check.item for check in hidden}) >= 5
    result = CheckResult(hidden[0].test_name, hidden[0].item, "7.2", 0.0, 1.0, "failed",
                         "```python\ncorr2d(X, K)\n```  (the secret input)", hidden=True)
    (test,) = gradescope_json([result], 1.0)["tests"]
    assert test["name"] == hidden[0].test_name and "failed" in test["output"]
    assert "secret" not in test["output"] and "corr2d(X" not in test["output"]
