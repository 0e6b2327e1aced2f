"""Which graded names an item may call on its way, so one bug is charged once, where it is.

A check runs on the student's own helpers first; when it fails, it runs again with the kernel
holding the book's versions of these (``kernel_side/stand_ins.py``), and a class built on a listed
class (``class ResNet18(ResNet)``) gets the book's base as well. The better result counts.
"""

HELPERS = {
    "Conv2D": ("corr2d",),
    "learn_kernel": ("corr2d", "Conv2D"),
    "diagonal_edge_image": (),
    "conv_output_shape": ("comp_conv2d",),
    "corr2d_multi_in": ("corr2d",),
    "corr2d_multi_in_out": ("corr2d", "corr2d_multi_in"),
    "corr2d_multi_in_out_1x1": ("corr2d", "corr2d_multi_in", "corr2d_multi_in_out"),
    "avg_pooling_via_convolution": ("pool2d",),
    "ModernLeNet": ("LeNet",),
    "VGG": ("vgg_block",),
    "Residual": (),
    "ResNet": ("Residual",),
    "ResNet18": ("Residual", "ResNet"),
}


def helpers_of(item):
    return HELPERS.get(item, ())
