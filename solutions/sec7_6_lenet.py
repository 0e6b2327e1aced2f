"""Reference solutions for d2l 7.6, Convolutional Neural Networks (LeNet), and the modernized
LeNet of its exercises."""

import torch
from torch import nn

from d2l import torch as d2l

__all__ = ["init_cnn", "LeNet", "layer_summary", "ModernLeNet"]


def init_cnn(module):
    """Xavier-uniform weights for dense and convolutional layers, for module.apply.

    Keeps the signal's variance roughly constant through the sigmoid layers, which the default
    initialization does not, so LeNet starts learning in the first epoch.
    """
    if type(module) == nn.Linear or type(module) == nn.Conv2d:  # noqa: E721 - the book's own line, as notebooks have it
        nn.init.xavier_uniform_(module.weight)


class LeNet(d2l.Classifier):
    """LeNet-5 as the book builds it: two conv + sigmoid + average-pool stages, three dense layers.

    Lazy layers infer their input sizes on the first forward pass; on 28x28 images the second
    stage leaves 16 maps of 5x5, i.e. 400 features for the dense part.
    """

    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))


@d2l.add_to_class(d2l.Classifier)
def layer_summary(self, X_shape):
    """Print each top-level layer of self.net with the shape it outputs for a random X_shape input.

    Attached to d2l.Classifier, so every model of the chapter can show its shapes; the first
    call also materializes lazy layers.
    """
    X = torch.randn(*X_shape)
    for layer in self.net:
        X = layer(X)
        print(layer.__class__.__name__, "output shape:\t", X.shape)


class ModernLeNet(d2l.Classifier):
    """The exercise's modernized LeNet: ReLU instead of sigmoid, max instead of average pooling.

    The layer shapes are LeNet's; ReLU does not saturate, so it trains much faster.
    """

    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.ReLU(),
            nn.LazyLinear(84), nn.ReLU(),
            nn.LazyLinear(num_classes))
