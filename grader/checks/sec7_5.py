"""7.5 Pooling."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from . import strategies as domain
from .properties import agrees_with, degenerate_shapes, fixed_example

BOOK_X = torch.arange(9.0).reshape(3, 3)


def max_pool(X, pool_size, mode="max"):
    return F.max_pool2d(X[None, None], tuple(pool_size), stride=1)[0, 0]


def avg_pool(X, pool_size, mode="avg"):
    return F.avg_pool2d(X[None, None].double(), tuple(pool_size), stride=1)[0, 0].float()


def avg_pool_strided(X, pool_size, stride=1):
    return F.avg_pool2d(X[None, None].double(), tuple(pool_size), stride=stride)[0, 0].float()


def pooled_scale(X, pool_size, *rest, **kwargs):
    return F.avg_pool2d(X[None, None].abs().double(), tuple(pool_size), stride=1)[0, 0]


def windows(mode=None):
    extra = st.just({}) if mode is None else st.just({"mode": mode})
    return st.tuples(domain.image_and_window(), extra).map(lambda c: ((c[0][0], c[0][1]), c[1]))


@st.composite
def strided_windows(draw):
    X, window, stride = draw(domain.image_window_and_stride())
    return (X, window), {"stride": stride}


IGNORES_MODE = "look at the mode argument: 'avg' asks for the mean of each window"
SQUEEZED = "keep the result 2-D: squeeze() also drops a height or width of 1"
POOL_HINTS = [(lambda X, p, mode="max": max_pool(X, p) if mode == "avg" else avg_pool(X, p), IGNORES_MODE),
              (lambda X, p, mode="max": avg_pool(X, p) * p[0] * p[1], "average = sum of the window / its size")]
EDGES = [((torch.tensor([[-3.0]]), (1, 1)), {}), ((torch.tensor([[-1.0, -2.0], [-3.0, -0.5]]), (2, 2)), {}),
         ((torch.tensor([[1.0, -2.0, 3.0]]), (1, 2)), {}), ((torch.tensor([[1.0], [-2.0], [3.0]]), (3, 1)), {})]
CHECKS = [
    fixed_example("pool2d", "the book's max example", (BOOK_X, (2, 2)), {}, torch.tensor([[4.0, 5.0], [7.0, 8.0]]),
                  names=("X", "pool_size")),
    fixed_example("pool2d", "the book's avg example", (BOOK_X, (2, 2), "avg"), {},
                  torch.tensor([[2.0, 3.0], [5.0, 6.0]]), names=("X", "pool_size", "mode"), hints=POOL_HINTS),
    agrees_with("pool2d", "max mode matches F.max_pool2d", windows("max"), max_pool),
    agrees_with("pool2d", "avg mode matches F.avg_pool2d", windows("avg"), avg_pool, hints=POOL_HINTS,
                scale=pooled_scale),
    agrees_with("pool2d", "max is the default mode", windows(), max_pool, weight=0.5),
    degenerate_shapes("pool2d", [(args, {"mode": mode}) for mode in ("max", "avg") for args, _ in EDGES],
                      lambda X, p, mode="max": max_pool(X, p) if mode == "max" else avg_pool(X, p),
                      names=("X", "pool_size"), hints=POOL_HINTS),
    agrees_with("avg_pooling_via_convolution", "equals average pooling with stride 1", windows(), avg_pool_strided,
                scale=pooled_scale),
    degenerate_shapes("avg_pooling_via_convolution", EDGES, avg_pool_strided,
                      hints=[(lambda X, p, stride=1: avg_pool_strided(X, p, stride).squeeze(), SQUEEZED)]),
    agrees_with("avg_pooling_via_convolution", "uses its stride", strided_windows(), avg_pool_strided,
                weight=0.5, scale=lambda X, p, stride=1: avg_pool_strided(X.abs(), p, stride).double(),
                hints=[(lambda X, p, stride=1: avg_pool_strided(X, p, 1), "the stride argument is not used")]),
]
