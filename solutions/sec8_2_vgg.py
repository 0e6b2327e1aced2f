"""Reference solutions for d2l 8.2, Networks Using Blocks (VGG), with the VGG-16 and VGG-19
architectures of its exercises."""

import torch  # noqa: F401  (part of the book's import block for this section)
from torch import nn

from d2l import torch as d2l

__all__ = ["vgg_block", "VGG", "VGG11_ARCH", "VGG16_ARCH", "VGG19_ARCH"]


def vgg_block(num_convs, out_channels):
    """num_convs 3x3 convolutions (padding 1, so the size is kept), each with ReLU, then a 2x2 max pool.

    The convolutions are lazy: only out_channels is given, the input channels are inferred.
    The pool halves height and width, so five blocks take 224 down to 7.
    """
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
    return nn.Sequential(*layers)


class VGG(d2l.Classifier):
    """One VGG block per (num_convs, out_channels) pair of arch, then three dense layers.

    The dense part is 4096 -> 4096 -> num_classes with ReLU and dropout 0.5, as in the paper.
    """

    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        conv_blks = []
        for (num_convs, out_channels) in arch:
            conv_blks.append(vgg_block(num_convs, out_channels))
        self.net = nn.Sequential(
            *conv_blks, nn.Flatten(),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(num_classes))
        self.net.apply(d2l.init_cnn)


# VGG-11: 8 convolutions + 3 dense layers.
VGG11_ARCH = ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))

# VGG-16: 13 convolutions + 3 dense layers.
VGG16_ARCH = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))

# VGG-19: 16 convolutions + 3 dense layers.
VGG19_ARCH = ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))
