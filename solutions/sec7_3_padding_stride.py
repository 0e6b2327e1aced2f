"""Reference solutions for d2l 7.3, Padding and Stride."""

import torch  # noqa: F401  (part of the book's import block for this section)
from torch import nn  # noqa: F401

__all__ = ["comp_conv2d", "conv_output_shape"]


def comp_conv2d(conv2d, X):
    """Run a conv layer on a plain matrix: add batch and channel axes of size 1, then drop them.

    Lets the section show output shapes for 2-D inputs without batch bookkeeping.
    """
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])


def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    """The (height, width) that nn.Conv2d produces, without running it.

    Each argument is an int (same for both axes) or a pair. Padding is per side, as in
    nn.Conv2d, so an axis of size n becomes floor((n + 2p - k) / s) + 1. Raises ValueError for
    malformed arguments and for kernels that do not fit the padded input.
    """
    pairs = []
    for name, value, least in (("input_shape", input_shape, 1), ("kernel_size", kernel_size, 1),
                               ("padding", padding, 0), ("stride", stride, 1)):
        pair = (value, value) if isinstance(value, int) else value
        if (not isinstance(pair, (tuple, list)) or len(pair) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) and v >= least for v in pair)):
            raise ValueError(f"{name} must be an int >= {least} or a pair of them, got {value!r}")
        pairs.append(tuple(pair))
    n, k, p, s = pairs
    if any(n[i] + 2 * p[i] < k[i] for i in range(2)):
        raise ValueError(f"kernel {k} is larger than the input {n} padded by {p} on each side")
    return tuple((n[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))
