"""Reference solutions for d2l 7.5, Pooling, with the exercise on average pooling as a convolution."""

import torch
from torch import nn  # noqa: F401  (part of the book's import block for this section)
from torch.nn import functional as F

from d2l import torch as d2l  # noqa: F401

__all__ = ["pool2d", "avg_pooling_via_convolution"]


def pool2d(X, pool_size, mode="max"):
    """Max or average of every pool_size window of the matrix X (stride 1, no padding).

    Pooling has no parameters; it summarizes each window. Any mode other than 'max' or 'avg'
    raises ValueError rather than quietly returning zeros.
    """
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i : i + p_h, j : j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


def avg_pooling_via_convolution(X, pool_size, stride=1):
    """Average pooling of the matrix X as a convolution whose kernel is 1 / (window area) everywhere.

    Shows that average pooling is a fixed (not learned) linear convolution. X must be 2-D; the
    result is 2-D and, for stride 1, equals pool2d(X, pool_size, 'avg').
    """
    if X.dim() != 2:
        raise ValueError(f"expected a 2-D matrix, got shape {tuple(X.shape)}")
    p_h, p_w = pool_size
    kernel = torch.full((1, 1, p_h, p_w), 1.0 / (p_h * p_w), dtype=X.dtype)
    return F.conv2d(X.reshape((1, 1) + X.shape), kernel, stride=stride)[0, 0]
