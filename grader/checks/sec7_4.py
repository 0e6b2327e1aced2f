"""7.4 Multiple input and output channels."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from . import strategies as domain
from .properties import agrees_with, degenerate_shapes, fixed_example

BOOK_X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
BOOK_K = torch.stack([torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])])
BOOK_K3 = torch.stack((BOOK_K, BOOK_K + 1, BOOK_K + 2))


def summed_over_channels(X, K):
    return F.conv2d(X[None].double(), K[None].double())[0, 0].float()


def summed_scale(X, K):
    return summed_over_channels(X.abs(), K.abs())


def per_output_channel(X, K):
    return F.conv2d(X[None].double(), K.double())[0].float()


def per_output_scale(X, K):
    return per_output_channel(X.abs(), K.abs())


MULTI_IN_HINTS = [
    (lambda X, K: summed_over_channels(X, K) / X.shape[0],
     "add the channels' cross-correlations up; do not average them"),
    (lambda X, K: summed_over_channels(X[:1], K[:1]), "every channel counts, not only the first"),
]
MULTI_OUT_HINTS = [
    (lambda X, K: per_output_channel(X, K).sum(0), "keep one output channel per kernel K[o]: stack, do not add"),
]
CHECKS = [
    fixed_example("corr2d_multi_in", "the book's two-channel example", (BOOK_X, BOOK_K), {},
                  torch.tensor([[56.0, 72.0], [104.0, 120.0]]), names=("X", "K"), hints=MULTI_IN_HINTS),
    agrees_with("corr2d_multi_in", "sums the channels' cross-correlations (generated inputs)",
                st.tuples(domain.multi_channel(), st.just({})), summed_over_channels, weight=2,
                scale=summed_scale, hints=MULTI_IN_HINTS),
    degenerate_shapes("corr2d_multi_in", [
        ((torch.tensor([[[1.5]]]), torch.tensor([[[-2.0]]])), {}),
        ((torch.tensor([[[1.0, 2.0]], [[3.0, -4.0]], [[0.5, 0.25]]]),
          torch.tensor([[[1.0, -1.0]], [[2.0, 0.5]], [[-1.0, 4.0]]])), {}),
        ((torch.tensor([[[1.0], [2.0], [-1.0]], [[0.5], [0.0], [3.0]]]),
          torch.tensor([[[1.0], [2.0]], [[-1.0], [1.0]]])), {})],
        summed_over_channels, hints=MULTI_IN_HINTS),
    fixed_example("corr2d_multi_in_out", "the book's three output channels", (BOOK_X, BOOK_K3), {},
                  lambda: per_output_channel(BOOK_X, BOOK_K3), names=("X", "K"), hints=MULTI_OUT_HINTS),
    agrees_with("corr2d_multi_in_out", "one output channel per kernel (generated inputs)",
                st.tuples(domain.multi_channel(out_channels=True), st.just({})), per_output_channel, weight=2,
                scale=per_output_scale, hints=MULTI_OUT_HINTS),
    degenerate_shapes("corr2d_multi_in_out", [
        ((torch.tensor([[[1.5]]]), torch.tensor([[[[-2.0]]]])), {}),
        ((torch.tensor([[[1.0, 2.0, -1.0]]]), torch.tensor([[[[1.0, -1.0, 0.5]]], [[[2.0, 0.0, 1.0]]]])), {}),
        ((torch.tensor([[[1.0], [2.0]], [[3.0], [-1.0]]]), torch.tensor([[[[1.0]], [[0.5]]]])), {})],
        per_output_channel, hints=MULTI_OUT_HINTS),
    agrees_with("corr2d_multi_in_out_1x1", "equals a 1x1 convolution (generated inputs)",
                st.tuples(domain.multi_channel(out_channels=True, one_by_one=True), st.just({})), per_output_channel,
                weight=2, scale=per_output_scale),
    degenerate_shapes("corr2d_multi_in_out_1x1", [
        ((torch.tensor([[[1.5]]]), torch.tensor([[[[2.0]]]])), {}),
        ((torch.tensor([[[1.5, -1.0]]]), torch.tensor([[[[2.0]]]])), {}),
        ((torch.tensor([[[1.0, 2.0]], [[3.0, 4.0]]]),
          torch.tensor([[[[1.0]], [[-1.0]]], [[[0.5]], [[2.0]]], [[[0.0]], [[1.0]]]])), {}),
        ((torch.tensor([[[1.0], [-2.0]], [[0.5], [4.0]]]), torch.tensor([[[[1.0]], [[2.0]]]])), {})],
        per_output_channel),
]
