"""7.6 LeNet, 8.2 VGG, 8.6 ResNet: architecture checks against the reference models."""

from ..oracles import reference
from ..probe import NOT_IMPLEMENTED, ProbeFailure
from ..kernel_side.codec import Odd
from .base import CheckFailed, graded
from .models import model_checks


def reference_factory(name):
    return lambda *args, **kwargs: reference(name)(*args, **kwargs)


def architecture_constant(name, convolutions):
    def run(probe):
        got = probe.value()
        if got is None or got == Odd("ellipsis"):
            raise ProbeFailure(NOT_IMPLEMENTED, f"{name} is still a placeholder")
        want = reference(name)
        try:
            normal = tuple((int(n), int(c)) for n, c in got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{name} should be a sequence of (num_convs, out_channels) pairs, "
                              f"got {got!r:.200}") from None
        if normal != tuple(want):
            total = sum(n for n, _ in normal)
            wrong = [k + 1 for k, pair in enumerate(normal) if k >= len(want) or pair != tuple(want[k])]
            where = f"block {wrong[0]} differs" if wrong else f"{len(want) - len(normal)} blocks are missing"
            raise CheckFailed(f"{name} is {normal}: {total} convolutions in {len(normal)} blocks, where the network "
                              f"has {convolutions} in {len(want)} blocks; {where} (see the paper's table)")
        return "right blocks and channels"

    return graded(name, "blocks of (convolutions, channels)", run)


SMALL_VGG = ((1, 8), (2, 16))
VGG16_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))  # as given, so VGG16_ARCH's own check stays apart
SMALL_RESNET = ((1, 64), (1, 16))  # the first stage keeps the stem's 64 channels
CHECKS = [
    *model_checks("LeNet", reference_factory("LeNet"), input_shapes=((2, 1, 28, 28), (1, 1, 28, 28))),
    *model_checks("ModernLeNet", reference_factory("ModernLeNet"), input_shapes=((2, 1, 28, 28), (3, 1, 28, 28))),
    *model_checks("vgg_block", reference_factory("vgg_block"), args=(2, 8), input_shapes=((2, 3, 8, 8), (1, 1, 6, 10))),
    *model_checks("VGG", reference_factory("VGG"), args=(SMALL_VGG,), input_shapes=((2, 1, 32, 32), (1, 1, 16, 24))),
    *model_checks("VGG", reference_factory("VGG"), args=(VGG16_BLOCKS,), input_shapes=((2, 1, 32, 32),), weight=0.5,
                  kinds=("equivalence",), variant="VGG-16's blocks"),
    architecture_constant("VGG16_ARCH", 13),
    architecture_constant("VGG19_ARCH", 16),
    *model_checks("Residual", reference_factory("Residual"), args=(3,), input_shapes=((4, 3, 6, 6), (2, 3, 5, 7)),
                  variant="identity shortcut"),
    *model_checks("Residual", reference_factory("Residual"), args=(6,), kwargs={"use_1x1conv": True, "strides": 2},
                  input_shapes=((4, 3, 6, 6), (2, 3, 5, 7)), variant="1x1 shortcut, stride 2"),
    *model_checks("ResNet", reference_factory("ResNet"), args=(SMALL_RESNET,),
                  input_shapes=((2, 1, 32, 32), (1, 1, 24, 40))),
    *model_checks("ResNet18", reference_factory("ResNet18"), input_shapes=((2, 1, 32, 32), (1, 1, 48, 40))),
]
