"""Points per property add up to each item's points in grader/items.py; hidden checks keep their
inputs to themselves; every check table entry is well formed."""

import json

from grader.checks import ALL_CHECKS
from grader.instructor.results import parse
from grader.items import ITEMS
from grader.record import CheckResult, item_rows
from grader.report import gradescope_json
from grader.scoring import check_points


def _all_passed():
    return [CheckResult(c.test_name, c.item, ITEMS[c.item].section, check_points(c), check_points(c), "passed", "")
            for c in ALL_CHECKS]


def test_every_item_adds_up_to_its_points_in_every_report():
    """Shares are exact fractions and each report rounds once: no 4.0001 of 4 in a gradebook."""
    payload = json.loads(json.dumps(gradescope_json(_all_passed(), 1.0)))
    run = parse(payload)
    for item, (got, full) in run.item_points().items():
        assert got == full == ITEMS[item].points, (item, got, full)
    for (_section, item), (got, full, _) in item_rows(run.checks).items():
        assert got == full == ITEMS[item].points, item
    assert payload["score"] == payload["max_score"] == sum(item.points for item in ITEMS.values())
    thirds = [t for t in payload["tests"] if t["extra_data"]["points"].endswith("/3")]
    assert thirds, "some item splits its points three ways (the case that rounded to 4.0001)"


def test_a_results_file_without_exact_shares_still_reads():
    payload = json.loads(json.dumps(gradescope_json(_all_passed()[:1], 1.0)))
    del payload["tests"][0]["extra_data"]
    (check,) = parse(payload).checks
    assert float(check.points) == payload["tests"][0]["score"]


def test_check_names_are_unique_and_helpers_never_include_the_item_itself():
    names = [check.test_name for check in ALL_CHECKS]
    assert len(names) == len(set(names))
    for check in ALL_CHECKS:
        assert check.weight > 0, check.test_name
        assert check.item not in check.helpers and set(check.helpers) <= set(ITEMS)


def test_hidden_checks_cover_several_items_and_report_only_name_and_result():
    hidden = [check for check in ALL_CHECKS if check.hidden]
    assert len(hidden) >= 5 and len({check.item for check in hidden}) >= 5
    result = CheckResult(hidden[0].test_name, hidden[0].item, "7.2", 0.0, 1.0, "failed",
                         "```python\ncorr2d(X, K)\n```  (the secret input)", hidden=True)
    (test,) = gradescope_json([result], 1.0)["tests"]
    assert test["name"] == hidden[0].test_name and "failed" in test["output"]
    assert "secret" not in test["output"] and "corr2d(X" not in test["output"]
