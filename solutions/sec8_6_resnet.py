"""Reference solutions for d2l 8.6, Residual Networks (ResNet)."""

import torch  # noqa: F401  (part of the book's import block for this section)
from torch import nn
from torch.nn import functional as F

from d2l import torch as d2l

__all__ = ["Residual", "ResNet", "ResNet18"]


class Residual(nn.Module):
    """A residual block: two 3x3 conv + batch-norm layers, whose output is added to the input.

    Learning a residual f(x) - x makes the identity easy to represent. When the block changes
    the number of channels or the resolution (strides > 1), use_1x1conv projects the input with
    a 1x1 convolution so that the two can be added.
    """

    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3 is not None:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)


class ResNet(d2l.Classifier):
    """ResNet: a 7x7 stem, one stage of residual blocks per (num_residuals, num_channels) in arch,
    global average pooling and a dense output layer."""

    def b1(self):
        """The stem: 7x7 conv with stride 2, batch norm, ReLU, 3x3 max pool with stride 2 (4x smaller)."""
        return nn.Sequential(
            nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))

    def block(self, num_residuals, num_channels, first_block=False):
        """A stage of residual blocks. All but the first stage start by halving the resolution
        (and projecting the input), as the stem has already downsampled before the first."""
        blk = []
        for i in range(num_residuals):
            if i == 0 and not first_block:
                blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
            else:
                blk.append(Residual(num_channels))
        return nn.Sequential(*blk)

    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(self.b1())
        for i, b in enumerate(arch):
            self.net.add_module(f"b{i + 2}", self.block(*b, first_block=(i == 0)))
        self.net.add_module("last", nn.Sequential(
            nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
            nn.LazyLinear(num_classes)))
        self.net.apply(d2l.init_cnn)


class ResNet18(ResNet):
    """ResNet-18: four stages of two residual blocks (64, 128, 256, 512 channels).

    17 convolutions (1 + 4 * 2 * 2) and the dense layer make the 18 weight layers; the 1x1
    projections are not counted.
    """

    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), lr, num_classes)
