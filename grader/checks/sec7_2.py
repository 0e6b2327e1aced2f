"""7.2 Convolutions for images: corr2d, Conv2D, edge detection, learning a kernel."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..compare import tensor_mismatch
from ..oracles import reference
from . import strategies as domain
from .base import Check, CheckFailed
from .properties import agrees_with, fixed_example

BOOK_X = torch.arange(9.0).reshape(3, 3)
BOOK_K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])


def edge_image():
    X = torch.ones((6, 8))
    X[:, 2:6] = 0
    return X


def cross_correlation(X, K):
    return F.conv2d(X[None, None].double(), K[None, None].double())[0, 0].float()


def conv2d_layer(probe):
    """Conv2D: weight and bias are parameters of the right shape; forward = corr2d + bias; grads flow."""
    x = torch.randn(5, 7, generator=torch.Generator().manual_seed(3))
    first = probe.model(x, args=((2, 3),))
    rows = [r for r in first["modules"] if r["path"] == ""]
    params = dict(rows[0]["params"]) if rows else {}
    weight = [n for n, s in params.items() if s == [2, 3]]
    bias = [n for n, s in params.items() if s in ([1], [])]
    if len(params) != 2 or not weight or not bias:
        raise CheckFailed(f"expected exactly a (2, 3) weight and a one-element bias parameter, found {params}")
    recipe = {"": {weight[0]: [11, 1.0, 0.0], bias[0]: [12, 1.0, 0.0]}}
    got = probe.model(x, args=((2, 3),), fill=recipe, grads=True)["outputs"]["eval"]
    w = torch.randn((2, 3), generator=torch.Generator().manual_seed(11))
    b = torch.randn((1,) if bias and params[bias[0]] == [1] else (), generator=torch.Generator().manual_seed(12))
    expected = cross_correlation(x, w) + b
    problem = tensor_mismatch(expected, got["output"])
    if problem:
        raise CheckFailed(f"forward is not corr2d(x, weight) + bias: {problem}")
    grads = got["grads"]
    if grads.get(weight[0]) is None or grads.get(bias[0]) is None:
        raise CheckFailed("gradients do not reach both weight and bias")
    problem = tensor_mismatch(_weight_grad(x), grads[weight[0]])
    if problem or abs(float(grads[bias[0]].sum()) - expected.numel()) > 1e-3:
        raise CheckFailed(f"wrong gradients: {problem or 'bias gradient'}")
    return "parameters, forward and gradients are right"


def _weight_grad(x):
    """d sum(Y) / d K[a, b] is the sum of the input window that K[a, b] touches."""
    return torch.stack([torch.stack([x[a : a + 4, b : b + 5].sum() for b in range(3)]) for a in range(2)])


def learned_kernel(probe):
    X = edge_image()
    Y = cross_correlation(X, torch.tensor([[1.0, -1.0]]))
    got = probe.call(X, Y)
    if not isinstance(got, torch.Tensor) or got.numel() != 2:
        raise CheckFailed(f"expected the learned 1x2 kernel as a tensor, got {got!r}")
    problem = tensor_mismatch(torch.tensor([1.0, -1.0]), got.reshape(-1).float(), rtol=0, atol=0.2)
    if problem:
        raise CheckFailed(f"the learned kernel is not near [1, -1]: {problem}")
    return f"learned {got.reshape(-1).tolist()}"


CHECKS = [
    fixed_example("corr2d", "the book's 3x3 example", (BOOK_X, BOOK_K), {}, torch.tensor([[19.0, 25.0], [37.0, 43.0]])),
    fixed_example("corr2d", "detects the vertical edges of the 6x8 image", (edge_image(), torch.tensor([[1.0, -1.0]])),
                  {}, lambda: cross_correlation(edge_image(), torch.tensor([[1.0, -1.0]]))),
    agrees_with("corr2d", "matches F.conv2d on generated images and kernels",
                st.tuples(domain.image_and_kernel(), st.just({})), cross_correlation, weight=2),
    Check("Conv2D", "parameters, forward = corr2d + bias, gradients", conv2d_layer, reference=("corr2d",)),
    Check("learn_kernel", "gradient descent recovers [1, -1]", learned_kernel),
    agrees_with("diagonal_edge_image", "matches the reference for several sizes",
                st.tuples(st.tuples(st.integers(2, 9), st.integers(2, 9)), st.just({})),
                lambda h, w: reference("diagonal_edge_image")(h, w)),
]
