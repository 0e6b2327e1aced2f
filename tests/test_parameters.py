"""Every argument matters, and an edge case costs only its share.

``parameter_checks.py`` maps each parameter of each graded item to the check that fails
when the parameter is ignored; a mutant per settings parameter (``tests/mutants.py``) shows it
does, on that item and no other. The squeeze() bugs of real submissions lose the degenerate-shape
check and nothing else.
"""

import inspect

import pytest
from mutants import MUTANTS, PARAMETER_MUTANTS, rounds, solved_homework
from notebook_factory import grade, write_notebook
from parameter_checks import INPUT, PARAMETERS
from shared_gradings import HOMEWORK_LIMITS

from grader.checks import ALL_CHECKS
from grader.checks.properties import DEGENERATE
from grader.items import ITEMS
from grader.oracles import reference
from grader.scoring import check_points

GRADED = [name for name, item in ITEMS.items() if not item.training and item.kind != "value"]
ROUNDS = rounds([(item, (parameter, description), source)
                 for item, parameter, description, source in PARAMETER_MUTANTS])


def signature(name):
    obj = reference(name)
    parameters = inspect.signature(obj.__init__ if isinstance(obj, type) else obj).parameters
    return [p for p in parameters if p != "self"]


def titles(item):
    return [check.title for check in ALL_CHECKS if check.item == item]


def test_the_table_names_a_real_check_for_every_parameter_of_every_item():
    assert set(PARAMETERS) == set(GRADED)
    for item in GRADED:
        assert list(PARAMETERS[item]) == signature(item), item
        for parameter, title in PARAMETERS[item].items():
            assert title == INPUT or title in titles(item), (item, parameter, title)


def test_every_settings_parameter_has_its_mutant():
    settings = {(item, p) for item, params in PARAMETERS.items() for p, title in params.items() if title != INPUT}
    assert {(item, parameter) for item, parameter, _, _ in PARAMETER_MUTANTS} == settings


def _statuses(table, item):
    return dict(zip(titles(item), table[item][2]))


@pytest.mark.parametrize("number", [pytest.param(k, id=f"round{k}", marks=[pytest.mark.slow] if k else [])
                                    for k in range(len(ROUNDS))])
def test_ignoring_a_parameter_fails_its_check_on_its_item_and_nowhere_else(tmp_path, number):
    mutants = ROUNDS[number]
    notebook = write_notebook(tmp_path / "homework.ipynb", *solved_homework([(item, src) for item, _, src in mutants]))
    table, _ = grade(notebook, limits=HOMEWORK_LIMITS)
    for item, (parameter, description), _ in mutants:
        title = PARAMETERS[item][parameter]
        assert _statuses(table, item)[title] != "passed", f"{item}: {description} passed '{title}'"
        assert table[item][0] < table[item][1]
    mutated = {item for item, _, _ in mutants}
    charged = {item: row[:3] for item, row in table.items() if item not in mutated and row[0] != row[1]}
    assert not charged, f"items that lost points for another item's ignored parameter: {charged}"


def test_a_squeeze_bug_costs_only_the_degenerate_shape_share(graded_homework):
    """Both squeeze() bugs are in round 0 of the mutants, whose grading test_mutants shares (where
    it also shows that no item loses points for another item's bug)."""
    squeezed = [(item, source) for item, description, source in MUTANTS if "squeeze()" in description]
    assert {item for item, _ in squeezed} == {"avg_pooling_via_convolution", "comp_conv2d"}
    round0 = [(item, source) for item, _, source in rounds()[0]]
    assert set(squeezed) <= set(round0)
    table = graded_homework(solved_homework(round0)).table()
    for item, _ in squeezed:
        failed = [title for title, status in _statuses(table, item).items() if status != "passed"]
        assert failed == [DEGENERATE], (item, failed)
        (degenerate,) = [c for c in ALL_CHECKS if c.item == item and c.title == DEGENERATE]
        assert table[item][0] == table[item][1] - check_points(degenerate)
