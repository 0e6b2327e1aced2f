"""Grade what a correct answer computes, in whatever dtype or on whatever device the student's code
works: inputs handed over in the kernel's default dtype or the model's own, references run in that
dtype, tolerances fit for it, answers compared by value - and an integer dtype that truncates the
answer still fails, with a hint naming the dtype. In-process (tests/in_process.py), except the
whole homework in another default dtype, which test_alternatives.py grades through real kernels.
"""

import pytest
import torch
from in_process import InProcessKernel, checks_of, run_check
from mutants import MUTANTS
from torch import nn

from grader.compare import as_given, dtype_hint, fitted_tolerance, tensor_mismatch
from grader.kernel_side.contract import LayerSpec
from grader.kernel_side.model_report import run_model
from grader.kernel_side.working_dtype import dtype_named, handed_over, model_home
from grader.probe import Probe
from solutions.fill import reference_definitions


@pytest.fixture
def default_dtype():
    """Sets this process's default dtype for one test (an in-process kernel shares it) and restores it."""
    before = torch.get_default_dtype()
    yield torch.set_default_dtype
    torch.set_default_dtype(before)


def test_tolerances_fit_the_dtype_and_float64_is_held_as_strictly_as_float32():
    assert fitted_tolerance(1e-4, 1e-4, torch.float64) == fitted_tolerance(1e-4, 1e-4, torch.float32) == (1e-4, 1e-4)
    half, bf16 = fitted_tolerance(1e-4, 1e-4, torch.float16), fitted_tolerance(1e-4, 1e-4, torch.bfloat16)
    assert 1e-3 < half[0] < bf16[0] < 0.1
    expected = torch.tensor([1.0, -2.5, 100.0])
    off_by_half_rounding = expected * (1 + 3e-3)
    assert tensor_mismatch(expected, off_by_half_rounding.half()) is None
    assert tensor_mismatch(expected, off_by_half_rounding, dtype=torch.float16) is None
    said = tensor_mismatch(expected, off_by_half_rounding)   # the same error in float32 is a real one
    assert said and "precision" not in said
    assert "compared within float16's precision" in tensor_mismatch(expected, (expected * 1.1).half())
    assert tensor_mismatch(expected, expected.double() * (1 + 3e-3)) is not None


def test_answers_are_compared_by_value_whatever_their_dtype():
    expected = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    for dtype in (torch.int64, torch.int32, torch.uint8, torch.float64, torch.float16, torch.bfloat16):
        assert tensor_mismatch(expected, expected.to(dtype)) is None, dtype
    assert dtype_hint(expected, expected.long()) is None   # right values: nothing to say


def test_an_integer_accumulator_that_truncates_fails_and_the_hint_names_the_dtype():
    (mutant,) = [source for item, what, source in MUTANTS if item == "corr2d" and "integer accumulator" in what]
    kernel = InProcessKernel(mutant)
    graded = [run_check(check, kernel=kernel) for check in checks_of("corr2d")]
    failed = [feedback for passed, _, feedback in graded if not passed]
    assert failed and all("dtype is int64, which holds whole numbers only" in text for text in failed), failed


def test_inputs_are_rounded_as_the_kernel_handed_them_over_and_layers_keep_their_spec():
    x = torch.tensor([0.1, 1.0])
    assert as_given(x, torch.float64) is x and as_given(x, torch.float32) is x
    rounded = as_given([x, {"k": x}], torch.float16)
    assert rounded[0].dtype == torch.float32 and rounded[0][0] == torch.tensor(0.1).half().float()
    spec = LayerSpec(type="Conv2d", args=[1, 1], kwargs={"kernel_size": (1, 1)},
                     state={"weight": x.reshape(1, 1, 1, 2)})
    assert as_given(spec, torch.bfloat16).state["weight"].flatten()[0] == torch.tensor(0.1).bfloat16().float()
    assert dtype_named("float64") == torch.float64 and dtype_named("int64") == dtype_named("evil") == torch.float32


def test_a_model_gets_its_input_in_its_own_dtype_and_the_report_says_which():
    model = nn.Sequential(nn.LazyConv2d(2, 3), nn.Flatten(), nn.LazyLinear(3)).double()
    assert model_home(model) == (torch.float64, torch.device("cpu"))
    report = run_model(model, torch.randn(2, 1, 5, 5))
    assert report.dtype == "float64" and report.outputs["eval"].output.dtype == torch.float64
    assert handed_over([torch.ones(1), torch.ones(1, dtype=torch.long)], torch.float16)[1].dtype == torch.long


def test_a_model_elsewhere_gets_its_input_there_and_replies_come_back_to_the_cpu():
    """No GPU here: a model on the 'meta' device stands in for one moved to ``d2l.try_gpu()``."""
    model = nn.Linear(3, 2, device="meta")
    dtype, device = model_home(model)
    assert device.type == "meta" and handed_over({"x": torch.ones(2, 3)}, dtype, device)["x"].device.type == "meta"
    from grader.kernel_side.codec import decode, encode
    sent = encode(torch.arange(3.0, dtype=torch.float64))   # the one way replies are encoded: detached, .cpu()
    assert tensor_mismatch(torch.arange(3.0), decode(sent)) is None


def test_in_a_float64_kernel_inputs_arrive_as_float64_and_correct_code_passes(default_dtype):
    default_dtype(torch.float64)
    definitions = reference_definitions()
    kernel = InProcessKernel(*(definitions[name] for name in ("comp_conv2d", "avg_pooling_via_convolution", "LeNet")))
    probe = Probe(kernel, "avg_pooling_via_convolution")
    (ok, answer), = probe.cases([((torch.arange(9.0, dtype=torch.float32).reshape(3, 3), (2, 2)), {})])
    assert ok and answer.dtype == torch.float64 and probe.input_dtype == torch.float64
    for item in ("comp_conv2d", "avg_pooling_via_convolution", "LeNet"):
        for check in checks_of(item):
            passed, _, feedback = run_check(check, kernel=kernel)
            assert passed, (item, check.title, feedback)


def test_in_a_float16_kernel_the_oracle_starts_from_the_rounded_inputs(default_dtype):
    default_dtype(torch.float16)
    kernel = InProcessKernel(reference_definitions()["comp_conv2d"])
    for check in checks_of("comp_conv2d"):
        passed, _, feedback = run_check(check, kernel=kernel)
        assert passed, (check.title, feedback)
