"""7.5 Pooling."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from . import strategies as domain
from .properties import agrees_with, fixed_example

BOOK_X = torch.arange(9.0).reshape(3, 3)


def max_pool(X, window, mode="max"):
    return F.max_pool2d(X[None, None], tuple(window), stride=1)[0, 0]


def avg_pool(X, window, mode="avg"):
    return F.avg_pool2d(X[None, None].double(), tuple(window), stride=1)[0, 0].float()


def windows(mode=None):
    extra = st.just({}) if mode is None else st.just({"mode": mode})
    return st.tuples(domain.image_and_window(), extra).map(lambda c: ((c[0][0], c[0][1]), c[1]))


CHECKS = [
    fixed_example("pool2d", "the book's max example", (BOOK_X, (2, 2)), {}, torch.tensor([[4.0, 5.0], [7.0, 8.0]])),
    fixed_example("pool2d", "the book's avg example", (BOOK_X, (2, 2), "avg"), {}, torch.tensor([[2.0, 3.0], [5.0, 6.0]])),
    agrees_with("pool2d", "max mode matches F.max_pool2d", windows("max"), max_pool),
    agrees_with("pool2d", "avg mode matches F.avg_pool2d", windows("avg"), avg_pool),
    agrees_with("pool2d", "max is the default mode", windows(), max_pool, weight=0.5),
    agrees_with("avg_pooling_via_convolution", "equals average pooling with stride 1", windows(), avg_pool),
]
