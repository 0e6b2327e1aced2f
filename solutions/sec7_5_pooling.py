"""7.5 Pooling."""

import torch
from torch.nn import functional as F

__all__ = ["pool2d", "avg_pooling_via_convolution"]


def pool2d(X, pool_size, mode="max"):
    """Max or average over every pool_size window, stride 1, no padding."""
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
    """Average pooling is a convolution with a constant kernel of 1 / (window area)."""
    p_h, p_w = pool_size
    kernel = torch.full((1, 1, p_h, p_w), 1.0 / (p_h * p_w), dtype=X.dtype)
    return F.conv2d(X.reshape((1, 1) + X.shape), kernel, stride=stride)[0, 0]
