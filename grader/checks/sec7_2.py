"""7.2 Convolutions for images: corr2d, Conv2D, edge detection, learning a kernel."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..compare import as_given, literal, shown_error, tensor_mismatch
from ..kernel_side.contract import TensorFill
from ..kernel_side.working_dtype import dtype_named
from . import strategies as domain
from .base import CheckFailed, graded
from .properties import agrees_with, degenerate_shapes, fixed_example

BOOK_X = torch.arange(9.0).reshape(3, 3)
BOOK_K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
EDGE_K = torch.tensor([[1.0, -1.0]])


def edge_image():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def cross_correlation(X, K):
    return F.conv2d(X[None, None].double(), K[None, None].double())[0, 0].float()


def summed_sizes(X, K):
    """What float32 rounding in corr2d scales with: the sum of |x * k| over each window."""
    return cross_correlation(X.abs(), K.abs())


FLIPPED = "that is a true convolution (the kernel flipped); cross-correlation uses K as it is"
CORR2D_HINTS = [
    (lambda X, K: cross_correlation(X, torch.flip(K, (0, 1))), FLIPPED),
    (lambda X, K: cross_correlation(X, K) / K.numel(), "each output entry is the sum of window * K, not its mean"),
]
CORR2D_EDGES = [  # 1x1 everything, kernel as large as the image, one row, one column
    ((torch.tensor([[2.0]]), torch.tensor([[-0.5]])), {}),
    ((torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]]), torch.tensor([[0.5, 1.0, -1.0], [2.0, 0.0, -0.25]])), {}),
    ((torch.tensor([[1.0, 2.0, -3.0, 4.0]]), torch.tensor([[1.0, -1.0]])), {}),
    ((torch.tensor([[1.0], [2.0], [-3.0]]), torch.tensor([[1.0], [0.5]])), {}),
]


def diagonal(height=6, width=8):
    """Ones, with zeros at (i, i) and (i, i + 1) where those columns exist."""
    X = torch.ones((height, width))
    rows = torch.arange(height)
    for columns in (rows, rows + 1):
        inside = columns < width
        X[rows[inside], columns[inside]] = 0
    return X


def conv2d_layer(probe):
    """Conv2D: a weight of the kernel's shape and a one-element bias, both parameters;
    forward = corr2d(x, weight) + bias; gradients reach both."""
    for kernel_size, x_shape, seed in (((2, 3), (5, 7), 3), ((1, 1), (2, 4), 4)):
        x = torch.randn(x_shape, generator=torch.Generator().manual_seed(seed))
        rows = [r for r in probe.model(x, args=(kernel_size,)).modules if r.params]
        found = [(r.path, n, s) for r in rows for n, s in r.params]
        weights = [f for f in found if f[2] == list(kernel_size)]
        biases = [f for f in found if f[2] in ([1], []) and f not in weights]
        if len(found) != 2 or not weights or not biases:
            raise CheckFailed(f"Conv2D({kernel_size}) should have exactly two parameters, a {kernel_size} weight and "
                              f"a one-element bias; yours: {[(f'{p}.{n}'.lstrip('.'), s) for p, n, s in found]}")
        (w_path, w_name, _), (b_path, b_name, b_shape) = weights[0], biases[0]
        w_fill, b_fill = TensorFill(seed=11, scale=1.0, offset=0.0), TensorFill(seed=12, scale=1.0, offset=0.0)
        recipe = {}
        recipe.setdefault(w_path, {})[w_name] = w_fill
        recipe.setdefault(b_path, {})[b_name] = b_fill
        report = probe.model(x, args=(kernel_size,), fill=recipe, grads=True)
        got, dtype = report.outputs["eval"], dtype_named(report.dtype)
        if got.grads is None:
            raise CheckFailed("the grader could not read the gradients your kernel sent back")
        # the values the layer computed with: the input and weights rounded to its dtype
        x = as_given(x, dtype)
        w = as_given(w_fill.values(kernel_size), dtype).requires_grad_()
        b = as_given(b_fill.values(b_shape), dtype).requires_grad_()
        expected = cross_correlation(x, w) + b
        problem = tensor_mismatch(expected.detach(), got.output, dtype=dtype)
        if problem:
            raise CheckFailed(f"with weight = `{literal(w.detach())}` and bias = `{literal(b.detach())}`, "
                              f"Conv2D{(kernel_size,)} applied to `{literal(x)}` is not corr2d(x, weight) + bias: "
                              f"{problem}")
        expected.sum().backward()
        for label, path, name, want in (("weight", w_path, w_name, w.grad), ("bias", b_path, b_name, b.grad)):
            have = got.grads.get(f"{path}.{name}".lstrip("."))
            if have is None:
                raise CheckFailed(f"no gradient reaches the {label}: is it an nn.Parameter, used in forward?")
            problem = tensor_mismatch(want, have, dtype=dtype)
            if problem:
                raise CheckFailed(f"wrong gradient for the {label}: {problem}")
    return "parameters, forward and gradients are right"


def _call(kwargs):
    return "learn_kernel(X, Y" + "".join(f", {k}={v!r}" for k, v in kwargs.items()) + ")"


def _learned_kernel(kwargs, outcome, shape):
    """The kernel one learn_kernel call returned, as ``shape``; CheckFailed naming the call if it
    raised or returned something else."""
    ok, got = outcome
    if not ok:
        raise CheckFailed(f"`{_call(kwargs)}` raised {shown_error(got)}")
    if not isinstance(got, torch.Tensor) or got.numel() != shape[0] * shape[1]:
        raise CheckFailed(f"`{_call(kwargs)}` should return the learned kernel, a tensor of shape {tuple(shape)}; "
                          f"got {got!r:.200}")
    return got.reshape(shape)


def learns(X, K, kwargs, tolerance, what):
    """learn_kernel(X, corr2d(X, K), **kwargs) returns K, to within ``tolerance``."""

    def run(probe):
        got = _learned_kernel(kwargs, probe.cases([((X, cross_correlation(X, K)), kwargs)])[0], K.shape)
        problem = tensor_mismatch(K, got.float(), rtol=0, atol=tolerance)
        if problem:
            raise CheckFailed(f"`{_call(kwargs)}` did not recover {what} `{literal(K)}` (to within {tolerance}): "
                              f"{problem}. Each step should be weight -= lr * gradient of the summed squared error, "
                              "with the gradient zeroed before each backward pass.")
        return f"learned {literal(got)}"

    return run


RULE_X = edge_image()
RULE_Y = cross_correlation(RULE_X, torch.tensor([[1.0, -1.0, 0.5]]))
RULE_SIZE, RULE_LR = (1, 3), 0.01
START = {"num_epochs": 1, "lr": 0.0, "seed": 3}


def step(W, lr=RULE_LR):
    """One step of the book's rule: W - lr * d/dW sum((corr2d(X, W) - Y)**2), in float64."""
    W = W.double().clone().requires_grad_()
    ((cross_correlation(RULE_X, W).double() - RULE_Y.double()) ** 2).sum().backward()
    return (W - lr * W.grad).detach()


def update_rule(cases, explain):
    """learn_kernel called on ``cases`` (kwargs on the fixed X, Y) in one round trip; ``explain``
    gets the returned kernels (and the dtype the kernel worked in) and returns what is wrong with
    them, or None."""

    def run(probe):
        calls = [{"kernel_size": RULE_SIZE, **kwargs} for kwargs in cases]
        outcomes = probe.cases([((RULE_X, RULE_Y), kwargs) for kwargs in calls])
        kernels = [_learned_kernel(kwargs, outcome, RULE_SIZE).double() for kwargs, outcome in zip(calls, outcomes)]
        problem = explain(*kernels, dtype=probe.input_dtype)
        if problem:
            raise CheckFailed(f"with X the 6x8 edge image and Y = corr2d(X, [[1, -1, 0.5]]): {problem}")
        return "follows the update rule"

    return run


def _differs(want, got, dtype=torch.float32):
    """Whether two kernels differ by more than rounding in ``dtype``, the dtype learn_kernel worked in."""
    return tensor_mismatch(want.float(), got.float(), rtol=1e-3, atol=1e-4, dtype=dtype)


def lr_rule(start, frozen, one_step, dtype=torch.float32):
    if _differs(start, frozen, dtype):
        return (f"with lr=0.0 the kernel must stay where it started (`{literal(start.float())}`), "
                f"got `{literal(frozen.float())}`: is lr used?")
    want = step(start)
    if _differs(want, one_step, dtype):
        return (f"one epoch with lr={RULE_LR} from `{literal(start.float())}` should give start - lr * gradient = "
                f"`{literal(want.float())}`, got `{literal(one_step.float())}` (the gradient of the summed "
                "squared error, scaled by lr, subtracted once)")
    return None


def epochs_rule(start, one_step, two_steps, dtype=torch.float32):
    if not _differs(start, one_step, dtype) or not _differs(one_step, two_steps, dtype):
        return "lr=0, then one and two epochs with lr > 0 should give three different kernels: is num_epochs used?"
    want = step(one_step)
    if _differs(want, two_steps, dtype):
        return (f"the second epoch should be one more step from where the first ended, `{literal(want.float())}`; "
                f"got `{literal(two_steps.float())}` (zero the gradient before each backward pass)")
    return None


def seed_rule(start, same_seed_again, other_seed, dtype=torch.float32):
    if _differs(start, same_seed_again, dtype):
        return "the same seed gave two different starting kernels: seed the random start with torch.manual_seed(seed)"
    if not _differs(start, other_seed, dtype):
        return "seed=3 and seed=4 start from the same kernel: is seed used?"
    return None


CHECKS = [
    fixed_example("corr2d", "the book's 3x3 example", (BOOK_X, BOOK_K), {}, torch.tensor([[19.0, 25.0], [37.0, 43.0]]),
                  names=("X", "K"), hints=CORR2D_HINTS),
    fixed_example("corr2d", "detects the vertical edges of the 6x8 image", (edge_image(), EDGE_K), {},
                  lambda: cross_correlation(edge_image(), EDGE_K), names=("X", "K"), hints=CORR2D_HINTS),
    agrees_with("corr2d", "matches F.conv2d on generated images and kernels",
                st.tuples(domain.image_and_kernel(), st.just({})), cross_correlation, weight=2,
                hints=CORR2D_HINTS, scale=summed_sizes),
    degenerate_shapes("corr2d", CORR2D_EDGES, cross_correlation, hints=CORR2D_HINTS),
    graded("Conv2D", "parameters, forward = corr2d + bias, gradients", conv2d_layer),
    graded("learn_kernel", "gradient descent recovers [1, -1]",
           learns(edge_image(), EDGE_K, {}, 0.2, "the edge kernel")),
    # The start is read as one epoch with lr=0 (a lazy layer, as in the book, has no weights before
    # its first forward pass, so num_epochs=0 cannot show it).
    graded("learn_kernel", "lr: lr=0 keeps the start, one epoch is start - lr * gradient",
           update_rule([START, {"num_epochs": 4, "lr": 0.0, "seed": 3}, {"num_epochs": 1, "lr": RULE_LR, "seed": 3}],
                       lr_rule)),
    graded("learn_kernel", "num_epochs: each epoch is one more step of the rule",
           update_rule([START, {"num_epochs": 1, "lr": RULE_LR, "seed": 3},
                        {"num_epochs": 2, "lr": RULE_LR, "seed": 3}],
                       epochs_rule)),
    graded("learn_kernel", "seed and kernel_size: a seeded start of the asked shape",
           update_rule([START, START, {**START, "seed": 4}], seed_rule), weight=0.5),
    fixed_example("diagonal_edge_image", "the exercise's 6x8 image", (), {}, lambda: diagonal(6, 8)),
    agrees_with("diagonal_edge_image", "any height and width",
                st.tuples(st.tuples(st.integers(2, 9), st.integers(2, 9)), st.just({})), diagonal,
                explicit=[((5, 2), {}), ((2, 5), {})]),
    degenerate_shapes("diagonal_edge_image", [((1, 1), {}), ((4, 1), {}), ((1, 4), {})], diagonal, weight=0.5),
]
