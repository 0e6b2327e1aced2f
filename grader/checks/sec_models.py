"""7.6 LeNet, 8.2 VGG, 8.6 ResNet: architecture checks against the reference models."""

from ..oracles import reference
from ..probe import NOT_IMPLEMENTED, ProbeFailure
from ..wire import Odd
from .base import Check, CheckFailed
from .properties import model_checks


def _ref(name):
    return lambda *args, **kwargs: reference(name)(*args, **kwargs)


def architecture_constant(name):
    def run(probe):
        got = probe.value()
        if got is None or got == Odd("ellipsis"):
            raise ProbeFailure(NOT_IMPLEMENTED, f"{name} is still a placeholder")
        want = reference(name)
        try:
            normal = tuple((int(n), int(c)) for n, c in got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{name} should be a sequence of (num_convs, out_channels) pairs, got {got!r}") from None
        if normal != tuple(want):
            raise CheckFailed(f"{name} is {normal}; count the convolutions per block again")
        return "right blocks and channels"

    return Check(name, "blocks of (convolutions, channels)", run)


SMALL_VGG = ((1, 8), (1, 16))
SMALL_RESNET = ((1, 64), (1, 16))  # the first stage keeps the stem's 64 channels
CHECKS = [
    *model_checks("LeNet", _ref("LeNet"), input_shapes=((2, 1, 28, 28), (1, 1, 32, 32))),
    *model_checks("ModernLeNet", _ref("ModernLeNet"), input_shapes=((2, 1, 28, 28),)),
    *model_checks("vgg_block", _ref("vgg_block"), args=(2, 8), input_shapes=((2, 3, 8, 8), (1, 1, 6, 10)), summary=False),
    *model_checks("VGG", _ref("VGG"), args=(SMALL_VGG,), input_shapes=((2, 1, 32, 32),), reference=("vgg_block",)),
    architecture_constant("VGG16_ARCH"),
    architecture_constant("VGG19_ARCH"),
    *model_checks("Residual", _ref("Residual"), args=(3,), input_shapes=((4, 3, 6, 6),), summary=False,
                  variant="identity shortcut"),
    *model_checks("Residual", _ref("Residual"), args=(6,), kwargs={"use_1x1conv": True, "strides": 2},
                  input_shapes=((4, 3, 6, 6),), summary=False, variant="1x1 shortcut, stride 2"),
    *model_checks("ResNet", _ref("ResNet"), args=(SMALL_RESNET,), input_shapes=((2, 1, 32, 32),),
                  reference=("Residual",)),
    *model_checks("ResNet18", _ref("ResNet18"), input_shapes=((2, 1, 64, 64),), reference=("Residual",)),
]
