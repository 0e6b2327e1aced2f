"""Convolution helpers that later sections of the book import from d2l."""

import torch
from torch import nn


def corr2d(X, K):
    """2-D cross-correlation of a matrix ``X`` with a kernel ``K`` (no flipping, no padding)."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def init_cnn(module):
    """Xavier-uniform weights for linear and convolutional layers (the book's CNN init)."""
    if type(module) in (nn.Linear, nn.Conv2d):
        nn.init.xavier_uniform_(module.weight)
