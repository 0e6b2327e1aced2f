"""7.6 LeNet, 8.2 VGG, 8.6 ResNet: architecture checks against the reference models (in a student
release, against their stored reports)."""

from ..oracles import reference
from .model_compare import model_checks


def reference_factory(name):
    return lambda *args, **kwargs: reference(name)(*args, **kwargs)


SMALL_VGG = ((1, 8), (2, 16))
# Five blocks with thirteen convolutions, as deep as VGG-16 but not its table (VGG16_ARCH is an
# exercise, checked apart in vgg_tables.py): VGG is checked on a network of VGG-16's depth.
DEEP_VGG = ((2, 16), (2, 16), (3, 32), (3, 32), (3, 64))
SMALL_RESNET = ((1, 64), (1, 16))  # the first stage keeps the stem's 64 channels
CHECKS = [
    *model_checks("LeNet", reference_factory("LeNet"), input_shapes=((2, 1, 28, 28), (1, 1, 28, 28))),
    *model_checks("ModernLeNet", reference_factory("ModernLeNet"), input_shapes=((2, 1, 28, 28), (3, 1, 28, 28))),
    *model_checks("vgg_block", reference_factory("vgg_block"), args=(2, 8), input_shapes=((2, 3, 8, 8), (1, 1, 6, 10))),
    *model_checks("VGG", reference_factory("VGG"), args=(SMALL_VGG,), input_shapes=((2, 1, 32, 32), (1, 1, 16, 24))),
    *model_checks("VGG", reference_factory("VGG"), args=(DEEP_VGG,), input_shapes=((2, 1, 32, 32),), weight=0.5,
                  kinds=("equivalence",), variant="five blocks, thirteen convolutions"),
    *model_checks("Residual", reference_factory("Residual"), args=(3,), input_shapes=((4, 3, 6, 6), (2, 3, 5, 7)),
                  variant="identity shortcut"),
    *model_checks("Residual", reference_factory("Residual"), args=(6,), kwargs={"use_1x1conv": True, "strides": 2},
                  input_shapes=((4, 3, 6, 6), (2, 3, 5, 7)), variant="1x1 shortcut, stride 2"),
    *model_checks("ResNet", reference_factory("ResNet"), args=(SMALL_RESNET,),
                  input_shapes=((2, 1, 32, 32), (1, 1, 24, 40))),
    *model_checks("ResNet18", reference_factory("ResNet18"), input_shapes=((2, 1, 32, 32), (1, 1, 48, 40))),
]
