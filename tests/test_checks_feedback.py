"""Feedback a student can use: the failing call as code that reproduces it, values written so
they paste back exactly, hints for known mistakes, and a float32 tolerance that forgives rounding
but not bugs. Checks run in-process here (tests/in_process.py); no kernel is started."""

import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from in_process import checks_of, run_check
from mutants import MUTANTS
from notebook_factory import IMPORTS

from grader.checks.properties import hypothesis_settings
from grader.checks.sec7_3 import conv_layer
from grader.compare import call_snippet, literal, module_lines, tensor_mismatch
from solutions.fill import reference_definitions


def mutant(description):
    (source,) = [source for _, text, source in MUTANTS if text.startswith(description)]
    return source


def snippet_and_values(feedback):
    """The code block, and the literals after 'returned' / 'expected' (or the exception raised)."""
    code = re.search(r"```python\n(.*?)\n```", feedback, re.S).group(1)
    returned = re.search(r"returned `(.*?)`\n", feedback)
    raised = re.search(r"raised `(.*?)`", feedback)
    expected = re.search(r"expected `(.*?)`", feedback).group(1)
    return code, returned and returned.group(1), raised and raised.group(1), expected


def replay(code, *definitions):
    """Run a feedback snippet as a student would in a notebook: the last line's value."""
    namespace = {}
    exec(IMPORTS, namespace)
    for source in definitions:
        exec(source, namespace)
    *setup, last = code.splitlines()
    exec("\n".join(setup), namespace)
    return eval(last, namespace)


def same(value, text):
    wanted = eval(text, {"torch": torch})
    if isinstance(wanted, torch.Tensor):
        return (isinstance(value, torch.Tensor) and value.shape == wanted.shape
                and torch.equal(value.float(), wanted.float()))
    return list(value) == list(wanted) if isinstance(value, (list, tuple)) else value == wanted


@pytest.mark.parametrize("item, title, description", [
    ("corr2d", "generated", "flipped kernel"),
    ("corr2d", "generated", "mean of the window"),
    ("pool2d", "max mode", "running maximum starts at 0"),
    ("conv_output_shape", "nn.Conv2d", "padding counted once"),
    ("corr2d_multi_in", "generated", "mean over the channels"),
    ("pool2d", "avg mode", "average computed as the sum"),
    ("avg_pooling_via_convolution", "stride 1", "kernel of ones"),
])
def test_the_counterexample_is_code_that_reproduces_both_answers(item, title, description):
    """Pasted into a notebook, the snippet returns what the feedback says the student's code
    returned, and with the reference definition what it says was expected."""
    (check,) = checks_of(item, title)
    passed, _, feedback = run_check(check, mutant(description))
    assert not passed and feedback.startswith("Smallest failing input found")
    code, returned, raised, expected = snippet_and_values(feedback)
    assert len(code.splitlines()) <= 5 and returned and not raised
    assert same(replay(code, mutant(description)), returned)
    assert same(replay(code, reference_definitions()[item]), expected)


def test_an_exception_is_reported_with_the_call_that_raised_it():
    (check,) = checks_of("conv_output_shape", "nn.Conv2d")
    passed, _, feedback = run_check(check, mutant("only pairs accepted"))
    code, returned, raised, _ = snippet_and_values(feedback)
    assert not passed and raised.startswith("TypeError") and returned is None
    with pytest.raises(TypeError):
        replay(code, mutant("only pairs accepted"))


@pytest.mark.parametrize("item, title, description, hint", [
    ("corr2d", "book's 3x3", "flipped kernel", "true convolution"),
    ("local_param_count", "441", "the seed's 4 * delta**2", "2 * delta + 1"),
    ("local_param_count", "any window", "channels ignored", "channel"),
    ("avg_pooling_via_convolution", "degenerate", "the seed's squeeze()", "2-D"),
    ("pool2d", "book's avg", "mode ignored", "mode argument"),
    ("corr2d_multi_in", "two-channel", "mean over the channels", "do not average"),
    ("conv_output_shape", "nn.Conv2d", "ceiling instead of floor", "not ceil"),
])
def test_known_mistakes_get_a_hint(item, title, description, hint):
    (check,) = checks_of(item, title)
    passed, _, feedback = run_check(check, mutant(description))
    assert not passed and "Hint:" in feedback and hint in feedback.split("Hint:")[1]


def test_no_hint_when_the_mistake_is_not_a_known_one():
    (check,) = checks_of("corr2d", "generated")
    passed, _, feedback = run_check(check, mutant("output one row and one column short"))
    assert not passed and "Hint" not in feedback and "shape" in feedback


def test_feedback_is_the_same_every_time():
    (check,) = checks_of("corr2d", "generated")
    runs = {run_check(check, mutant("kernel height and width swapped"))[2] for _ in range(2)}
    assert len(runs) == 1


def test_properties_are_derandomized_bounded_and_keep_no_database():
    chosen = hypothesis_settings()
    assert chosen.derandomize and chosen.database is None and chosen.deadline is None
    assert 0 < chosen.max_examples <= 20


def test_properties_use_the_grader_profile_with_only_the_timing_health_check_off():
    """The settings the grader always used, now from one named profile: only too_slow (a timing,
    so a loaded machine's) is suppressed; shrinking is the one thing a hidden check leaves out."""
    from hypothesis import HealthCheck, Phase

    chosen, hidden = hypothesis_settings(7), hypothesis_settings(7, shrink=False)
    assert settings.get_profile("grader").suppress_health_check == (HealthCheck.too_slow,)
    assert chosen.suppress_health_check == (HealthCheck.too_slow,) and not chosen.print_blob
    assert (chosen.max_examples, chosen.phases) == (7, (Phase.explicit, Phase.generate, Phase.shrink))
    assert hidden.phases == (Phase.explicit, Phase.generate) and hidden.derandomize and hidden.deadline is None


# ---- values and tolerance -------------------------------------------------------------------
@settings(max_examples=60, derandomize=True, database=None, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(0, 3), st.integers(1, 4)),
              elements=st.floats(width=32, allow_nan=False)))
def test_float32_literals_paste_back_to_the_same_bits(values):
    tensor = torch.from_numpy(values)
    assert torch.equal(eval(literal(tensor), {"torch": torch}), tensor)


def test_a_layer_in_a_snippet_is_rebuilt_with_its_exact_weights():
    weight, bias = torch.tensor([[[[0.1, -2.5], [3.0, 0.25]]]]), torch.tensor([-0.3])
    spec = conv_layer((2, 2), (1, 0), (2, 1), weight, bias)
    namespace = {}
    exec(IMPORTS + "\n" + "\n".join(module_lines("conv2d", spec)), namespace)
    X = torch.randn(1, 1, 5, 4)
    assert torch.equal(namespace["conv2d"](X), spec.build()(X))
    assert call_snippet("comp_conv2d", ("conv2d", "X"), (spec, X[0, 0]), {}).endswith("comp_conv2d(conv2d, X)")


def test_tolerance_scales_with_the_summed_terms_not_the_result():
    expected = torch.tensor([0.0, 100.0], dtype=torch.float64)
    rounded = torch.tensor([3e-4, 100.003])          # float32 rounding of sums of terms near 5000
    terms = torch.tensor([4900.0, 4900.0])
    assert tensor_mismatch(expected, rounded) is not None
    assert tensor_mismatch(expected, rounded, scale=terms) is None
    assert tensor_mismatch(expected, torch.tensor([1.0, 100.0]), scale=terms) is not None  # a real bug
    assert tensor_mismatch(expected, torch.tensor([0.0])) == "shape (1,), expected (2,)"
