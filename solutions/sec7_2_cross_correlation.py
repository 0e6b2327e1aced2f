"""7.2 Convolutions for images: cross-correlation, a convolutional layer, edges, learning a kernel."""

import torch
from torch import nn
from d2l import torch as d2l  # noqa: F401  (the notebooks import it; kept for one import block)

__all__ = ["corr2d", "Conv2D", "learn_kernel", "diagonal_edge_image"]


def corr2d(X, K):
    """2-D cross-correlation: slide K over X without flipping it, summing elementwise products."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    """A convolutional layer from scratch: a learnable kernel and a scalar bias."""

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    """Recover the kernel that maps X to Y by plain gradient descent on the squared error."""
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
    """Ones, with a two-pixel-wide band of zeros along the main diagonal (the 7.2 exercise)."""
    X = torch.ones((height, width))
    for i in range(height):
        for j in (i, i + 1):
            if j < width:
                X[i, j] = 0
    return X
