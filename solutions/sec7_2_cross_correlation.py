"""Reference solutions for d2l 7.2, Convolutions for Images.

Cross-correlation written out with loops, a convolutional layer built on it, the striped test
image for edge detection and its kernel, learning that kernel back from data, and the
diagonal-edge image of the exercises.
"""

import torch
from torch import nn

from d2l import torch as d2l  # noqa: F401  (part of the book's import block for this section)

__all__ = ["corr2d", "Conv2D", "edge_image", "edge_kernel", "learn_kernel", "diagonal_edge_image"]


def corr2d(X, K):
    """2-D cross-correlation with explicit loops, so every output entry is visibly one window sum.

    No kernel flip, no padding, stride 1: the output is (n_h - k_h + 1) x (n_w - k_w + 1).
    """
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    """A from-scratch convolutional layer: a learnable kernel plus one scalar bias.

    The kernel starts random (uniform in [0, 1)) as a dense layer's weights would; the bias
    starts at zero.
    """

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def edge_image(height=6, width=8):
    """A bright image with a dark vertical stripe: ones, except columns 2 .. width - 3 are zero.

    With the defaults this is the book's 6 x 8 example, whose two vertical edges sit between
    columns 1|2 and 5|6.
    """
    X = torch.ones((height, width))
    X[:, 2 : width - 2] = 0
    return X


def edge_kernel():
    """The 1 x 2 kernel [[1, -1]]: zero on constant regions, +-1 where a row changes value.

    A function rather than a constant so that callers who modify the result in place (as the
    learning demo does) cannot change it for everybody else.
    """
    return torch.tensor([[1.0, -1.0]])


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    """Recover the kernel that maps X to Y by plain gradient descent on the summed squared error.

    X and Y are 2-D; they get batch and channel axes for the bias-free nn.LazyConv2d, whose
    weights are updated by hand as in the book. The seed fixes the random starting kernel.
    Returns the learned kernel with shape kernel_size.
    """
    torch.manual_seed(seed)
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape))
    Y = Y.reshape((1, 1) + tuple(Y.shape))
    for _ in range(num_epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)


def diagonal_edge_image(height=6, width=8):
    """Ones with a two-pixel-wide dark band down the main diagonal (the 7.2 exercise).

    Row i is zero at columns i and i + 1 wherever those fall inside the image, so the band has
    edges that are neither horizontal nor vertical.
    """
    X = torch.ones((height, width))
    for i in range(height):
        for j in (i, i + 1):
            if j < width:
                X[i, j] = 0
    return X
