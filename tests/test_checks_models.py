"""Model checks: layers paired by kind, shapes and call order (never by name), feedback that names
the layer where a student's model leaves the reference, partial credit, and few model builds.
Run in-process (tests/in_process.py)."""

import pytest
from in_process import InProcessKernel, checks_of, run_check
from mutants import MUTANTS
from test_alternatives import ALTERNATIVES

from grader.checks.architectures import reference_factory
from grader.checks.model_compare import model_checks
from grader.kernel_side.model_report import run_model
from grader.layers import in_call_order, match_layers


def source(table, description):
    (found,) = [text for _, what, text in table if what.startswith(description)]
    return found


def residual_checks(variant):
    return checks_of("Residual", variant)


def test_layers_pair_by_call_order_and_shapes_not_names():
    """The alternative Residual registers its norms first and names everything differently."""
    kernel = InProcessKernel(source(ALTERNATIVES, "other names, norms registered first"))
    import torch

    x = torch.randn(4, 3, 6, 6)
    theirs = run_model(kernel.namespace["Residual"](3), x)
    ours = run_model(reference_factory("Residual")(3), x)
    pairs = match_layers(in_call_order(ours), in_call_order(theirs))
    assert [(ref.path, row.path) for ref, row in pairs] == [
        ("conv1", "conv_a"), ("bn1", "norm_a"), ("conv2", "conv_b"), ("bn2", "norm_b")]


@pytest.mark.parametrize("description, where", [
    ("ReLU missing after the first batch norm",
     "agree up to your BatchNorm2d `bn1` and first differ at your Conv2d `conv2`"),
    ("shortcut added after the final ReLU", "Every weighted layer's output agrees; the difference comes after"),
    ("stride applied to the second convolution", "Already the first weighted layer's output differs"),
])
def test_equivalence_feedback_names_the_layer_where_outputs_part(description, where):
    (check,) = [c for c in residual_checks("1x1 shortcut, stride 2") if "same function" in c.title]
    passed, fraction, feedback = run_check(check, source(MUTANTS, description))
    assert not passed and fraction == 0 and where in feedback, feedback


def test_shape_feedback_names_the_layer_with_the_wrong_output():
    (check,) = checks_of("vgg_block", "output shape")
    passed, _, feedback = run_check(check, source(MUTANTS, "convolutions not padded"))
    assert not passed and "your Conv2d `0` outputs [2, 8, 6, 6], expected [2, 8, 8, 8]" in feedback


def test_a_missing_layer_costs_the_count_and_the_function_but_not_the_shapes():
    shapes, counts, function = residual_checks("identity shortcut")
    kernel = InProcessKernel(source(MUTANTS, "second batch norm missing"))
    assert run_check(shapes, kernel=kernel)[0]
    assert "expected 180 in 4" in run_check(counts, kernel=kernel)[2]
    assert "the reference has 2 BatchNorm2d layers" in run_check(function, kernel=kernel)[2]


def test_dropout_left_out_earns_half_the_equivalence_points():
    (check,) = [c for c in checks_of("VGG", "same function") if not c.title.endswith(")")]
    passed, fraction, feedback = run_check(check, source(MUTANTS, "dropout left out"))
    assert not passed and fraction == 0.5 and "in train mode" in feedback and "eval mode" not in feedback


def test_shape_checks_give_credit_per_input_size():
    """An eager LeNet hard-wired for 28x28 fails on 32x32 only: half the shape points."""
    (check,) = model_checks("LeNet", reference_factory("LeNet"), input_shapes=((2, 1, 28, 28), (1, 1, 32, 32)),
                            kinds=("shapes",))
    passed, fraction, feedback = run_check(check, source(ALTERNATIVES, "eager layers, named in an OrderedDict"))
    assert not passed and fraction == 0.5 and "[1, 1, 32, 32]" in feedback


def test_the_three_checks_of_a_model_build_it_once_per_input_and_once_more_to_transplant():
    kernel = InProcessKernel(source(ALTERNATIVES, "other names, norms registered first"))
    checks = residual_checks("identity shortcut")
    assert all(run_check(check, kernel=kernel)[0] for check in checks)
    assert kernel.requests.count("model") == 2 + 1  # two input shapes, one transplant
    assert len(kernel.replies) == 3   # kept by the kernel itself, so they go when it goes


def test_a_model_report_the_grader_cannot_read_fails_the_check_clearly():
    kernel = InProcessKernel(source(ALTERNATIVES, "the main path as one nn.Sequential"))
    honest = kernel.raw_reply

    def tampered(request):
        reply = honest(request)
        if request.OP == "model":
            reply["value"]["outputs"] = []
        return reply

    kernel.raw_reply = tampered
    for check in residual_checks("identity shortcut"):
        passed, fraction, feedback = run_check(check, kernel=kernel)
        assert not passed and fraction == 0 and "could not read" in feedback


# ---- hints match causes: the interface hint only for errors about the interface ---------------
FORWARD_FAILS = """
class LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Flatten(), nn.LazyLinear(num_classes))

    def forward(self, X):
        scores = self.net(X)
        return scores @ torch.ones(3, 3)
""".lstrip()


def test_an_error_inside_forward_gets_no_interface_hint_and_shows_the_line_that_raised():
    kernel = InProcessKernel(FORWARD_FAILS)
    (interface,) = checks_of("LeNet", "built the book's way")
    passed, _, feedback = run_check(interface, kernel=kernel)
    assert not passed and "RuntimeError" in feedback, feedback
    assert "__init__" not in feedback and "save_hyperparameters" not in feedback, feedback
    assert "in `forward`, line 9 of its cell: `return scores @ torch.ones(3, 3)`" in feedback, feedback
    shapes = checks_of("LeNet", "output shape")[0]
    assert "line 9 of its cell: `return scores @ torch.ones(3, 3)`" in run_check(shapes, kernel=kernel)[2]


@pytest.mark.parametrize("init, says", [
    ("def __init__(self, num_classes=10):", "got an unexpected keyword argument 'lr'"),
    ("def __init__(self, lr=0.1, num_classes=10, *, depth):", "missing 1 required keyword-only argument"),
])
def test_a_class_that_refuses_the_book_s_arguments_gets_the_interface_hint(init, says):
    kernel = InProcessKernel(FORWARD_FAILS.replace("def __init__(self, lr=0.1, num_classes=10):", init))
    (interface,) = checks_of("LeNet", "built the book's way")
    passed, _, feedback = run_check(interface, kernel=kernel)
    assert not passed and says in feedback and "keep them in `__init__`" in feedback, feedback


def test_a_layer_built_wrongly_inside_init_is_not_blamed_on_the_interface():
    kernel = InProcessKernel(FORWARD_FAILS.replace("nn.LazyLinear(num_classes)", "nn.Linear(num_classes)"))
    (interface,) = checks_of("LeNet", "built the book's way")
    passed, _, feedback = run_check(interface, kernel=kernel)
    assert not passed and "missing 1 required positional argument: 'out_features'" in feedback, feedback
    assert "keep them in `__init__`" not in feedback and "in `__init__`, line 5 of its cell" in feedback, feedback
