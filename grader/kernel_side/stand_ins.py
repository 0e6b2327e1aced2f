"""The book's own helpers, standing in for a student's broken helper while another item is checked.

One bug, one charge: when ``Conv2D`` fails on the student's ``corr2d``, the check runs again with
these in the student's namespace, so ``Conv2D`` is graded on its own. They are the code the book
prints (sections 7.2-8.6), never an exercise's answer, and they are the same in the instructor's
grader and in the students' copy, so a check scores the same in both. No reference solution ever
enters a kernel this way.

Built on first use: the classes derive from the course library's ``Classifier``, which the kernel
imports only when a notebook does.
"""

import functools

import torch
from torch import nn
from torch.nn import functional as F

HELPER_NAMES = ("corr2d", "Conv2D", "comp_conv2d", "corr2d_multi_in", "corr2d_multi_in_out", "pool2d", "LeNet",
                "vgg_block", "Residual", "ResNet")


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def comp_conv2d(conv2d, X):
    Y = conv2d(X.reshape((1, 1) + X.shape))
    return Y.reshape(Y.shape[2:])


def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)


def pool2d(X, pool_size, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i:i + p_h, j:j + p_w]
            Y[i, j] = window.max() if mode == "max" else window.mean()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers += [nn.LazyConv2d(out_channels, kernel_size=3, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=2, stride=2))


class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None
        self.bn1, self.bn2 = nn.LazyBatchNorm2d(), nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(X)))))
        return F.relu(Y + (self.conv3(X) if self.conv3 is not None else X))


@functools.cache
def _book_models():
    """LeNet and ResNet on the course library's ``Classifier``, made once per kernel."""
    from d2l import torch as d2l

    class LeNet(d2l.Classifier):
        def __init__(self, lr=0.1, num_classes=10):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(
                nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
                nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(),
                nn.LazyLinear(num_classes))

    class ResNet(d2l.Classifier):
        def b1(self):
            return nn.Sequential(nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3), nn.LazyBatchNorm2d(),
                                 nn.ReLU(), nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

        def block(self, num_residuals, num_channels, first_block=False):
            return nn.Sequential(*[Residual(num_channels, use_1x1conv=True, strides=2)
                                   if i == 0 and not first_block else Residual(num_channels)
                                   for i in range(num_residuals)])

        def __init__(self, arch, lr=0.1, num_classes=10):
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(self.b1())
            for i, stage in enumerate(arch):
                self.net.add_module(f"b{i + 2}", self.block(*stage, first_block=(i == 0)))
            self.net.add_module("last", nn.Sequential(nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                                                      nn.LazyLinear(num_classes)))
            self.net.apply(d2l.init_cnn)

    return {"LeNet": LeNet, "ResNet": ResNet}


def book_models_made():
    """The book's model classes if this kernel has made them, else {} (the library guard looks here)."""
    return _book_models() if _book_models.cache_info().currsize else {}


def stand_in(name):
    """The book's version of the graded helper ``name``; ``KeyError`` for a name that has none."""
    if name not in HELPER_NAMES:
        raise KeyError(name)
    return _book_models()[name] if name in ("LeNet", "ResNet") else globals()[name]
