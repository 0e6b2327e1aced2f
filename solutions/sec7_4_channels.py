"""Reference solutions for d2l 7.4, Multiple Input and Multiple Output Channels."""

import torch

from d2l import torch as d2l

__all__ = ["corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"]


def corr2d_multi_in(X, K):
    """Several input channels, one output channel: correlate channel by channel, then add.

    X is (c_i, h, w) and K is (c_i, k_h, k_w); the sum over channels is what makes a
    convolution mix colours or feature maps.
    """
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    """Several output channels: one multi-input correlation per kernel K[o], stacked on axis 0.

    K is (c_o, c_i, k_h, k_w); the result is (c_o, h_out, w_out).
    """
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def corr2d_multi_in_out_1x1(X, K):
    """A 1x1 convolution mixes channels at each pixel independently, i.e. is one matrix product.

    Flatten the pixels of X to (c_i, h * w), multiply by K as a (c_o, c_i) matrix, and restore
    the spatial shape. Same result as corr2d_multi_in_out with a (c_o, c_i, 1, 1) kernel.
    """
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = torch.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))
