"""7.3 Padding and stride."""

import torch  # noqa: F401
from torch import nn  # noqa: F401

__all__ = ["comp_conv2d", "conv_output_shape"]


def comp_conv2d(conv2d, X):
    """Apply a conv layer to a 2-D matrix: add batch and channel axes, then take them off again."""
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    """Output (height, width) of nn.Conv2d: floor((n + 2p - k) / s) + 1 per axis (p per side)."""
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    n, k, p, s = pair(input_shape), pair(kernel_size), pair(padding), pair(stride)
    if any(len(t) != 2 for t in (n, k, p, s)) or min(s) < 1 or min(k) < 1 or min(p) < 0:
        raise ValueError("expected pairs with kernel and stride >= 1 and padding >= 0")
    shape = tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))
    if min(shape) < 1:
        raise ValueError(f"a {k} kernel does not fit a {n} input padded by {p}")
    return shape
