"""Realistic student bugs (tests/mutants.py) cost points on their own item and on no other.

Each round is the whole homework solved with the reference definitions, with one mutant each of
several distinct items substituted in, graded in one kernel as a student's notebook would be (once
per session: test_check_cell and test_release_parity check round 0 too, shared_gradings.py). The
first two rounds (every item, most of the mutants) run by default, the rest with ``-m slow``. An
item that keeps full marks despite its mutant, or an item that loses points for another item's
bug (double jeopardy), fails the round with the mutant's description.
"""

import pytest
from mutants import MUTANTS, edited_reference, rounds, solved_homework

from grader.items import ITEMS

ROUNDS = rounds()


def test_the_table_covers_every_item_with_distinct_bugs():
    assert len(MUTANTS) >= 30
    definitions = {name for name, item in ITEMS.items() if not getattr(item, "training", False)}
    assert {item for item, _, _ in MUTANTS} == definitions
    assert len({source for _, _, source in MUTANTS}) == len(MUTANTS)
    assert sorted(m for r in ROUNDS for m in r) == sorted(MUTANTS)
    assert all(len({item for item, _, _ in r}) == len(r) for r in ROUNDS)


def test_an_edit_the_reference_no_longer_matches_stops_the_table_naming_the_mutant():
    with pytest.raises(AssertionError, match=r"'corr2d' \(stale\).*'\* K\)\.median\(\)' 1 time.*found it 0"):
        edited_reference("corr2d", "stale", [("* K).median()", "* K).mean()")])
    with pytest.raises(AssertionError, match=r"'LeNet' \(miscounted\).*'nn.Sigmoid\(\)' 2 time.*found it 4"):
        edited_reference("LeNet", "miscounted", [("nn.Sigmoid()", "nn.ReLU()", 2)])
    with pytest.raises(AssertionError, match="leave the reference unchanged"):
        edited_reference("corr2d", "no-op", [("* K).sum()", "* K).sum()")])


DEFAULT_ROUNDS = 2  # round 0 has a mutant of every item; later rounds run with -m slow


@pytest.mark.parametrize("number", [pytest.param(k, id=f"round{k}", marks=[pytest.mark.slow] if k >= DEFAULT_ROUNDS
                                                 else []) for k in range(len(ROUNDS))])
def test_each_mutant_loses_points_on_its_own_item_and_no_other(graded_homework, number):
    mutants = ROUNDS[number]
    table = graded_homework(solved_homework([(item, source) for item, _, source in mutants])).table()
    mutated = {item: description for item, description, _ in mutants}
    survived = {f"{item}: {mutated[item]}": table[item][:3] for item in mutated if table[item][0] >= table[item][1]}
    charged_twice = {item: (got, full, statuses) for item, (got, full, statuses, _) in table.items()
                     if item not in mutated and got != full}
    assert not survived, f"mutants that kept full marks: {survived}"
    assert not charged_twice, f"items that lost points for another item's bug: {charged_twice}"
    for item in mutated:  # every failure says something a student can act on
        feedback = [text for text, status in zip(table[item][3], table[item][2]) if status != "passed"]
        assert feedback and all(len(text) > 20 for text in feedback), (item, feedback)
