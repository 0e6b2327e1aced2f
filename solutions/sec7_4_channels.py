"""7.4 Multiple input and multiple output channels."""

import torch
from d2l import torch as d2l

__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"]


def corr2d_multi_in(X, K):
    """Cross-correlate each input channel with its own kernel slice, then add the results."""
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """One output channel per leading slice of K, stacked along a new first axis."""
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    """A 1x1 convolution is a matrix product over channels, applied at every pixel."""
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = torch.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))
