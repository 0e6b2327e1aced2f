"""Every argument of every graded item matters to some check.

For each item, each parameter of its signature maps to the check (by title) that fails when the
parameter is ignored or misused. ``INPUT`` marks the data an item computes on (an image, a
kernel, a layer): every check of the item feeds it. ``test_parameters.py`` checks that the
table covers every signature in ``solutions/`` and names real checks, and grades a mutant per
settings parameter (``mutants.py``, ``PARAMETER_MUTANTS``) that must fail the named check. A test
helper, not part of the grader: grading never reads it, so a student release does not carry it.
"""

from grader.checks.interfaces import TITLE as BOOK_WAY

INPUT = "every check (it is the item's input)"
SHAPES, EQUIVALENT = "output shape of every layer", "same function as the reference, weights transplanted"

PARAMETERS = {
    "fully_connected_param_count": {"height": "any image size", "width": "any image size"},
    "translation_invariant_param_count": {"height": "one weight per offset, any image size",
                                          "width": "one weight per offset, any image size"},
    "local_param_count": {"delta": "delta=10 keeps 441 weights (not 4*delta**2)",
                          "in_channels": "any window and channel counts",
                          "out_channels": "any window and channel counts"},
    "corr2d": {"X": INPUT, "K": INPUT},
    "Conv2D": {"kernel_size": "parameters, forward = corr2d + bias, gradients"},
    "learn_kernel": {"X": INPUT, "Y": INPUT,
                     "kernel_size": "seed and kernel_size: a seeded start of the asked shape",
                     "lr": "lr: lr=0 keeps the start, one epoch is start - lr * gradient",
                     "num_epochs": "num_epochs: each epoch is one more step of the rule",
                     "seed": "seed and kernel_size: a seeded start of the asked shape"},
    "diagonal_edge_image": {"height": "any height and width", "width": "any height and width"},
    "comp_conv2d": {"conv2d": INPUT, "X": INPUT},
    "conv_output_shape": {name: "matches nn.Conv2d's output size"
                          for name in ("input_shape", "kernel_size", "padding", "stride")},
    "corr2d_multi_in": {"X": INPUT, "K": INPUT},
    "corr2d_multi_in_out": {"X": INPUT, "K": INPUT},
    "corr2d_multi_in_out_1x1": {"X": INPUT, "K": INPUT},
    "pool2d": {"X": INPUT, "pool_size": "max mode matches F.max_pool2d", "mode": "avg mode matches F.avg_pool2d"},
    "avg_pooling_via_convolution": {"X": INPUT, "pool_size": "equals average pooling with stride 1",
                                    "stride": "uses its stride"},
    "LeNet": {"lr": BOOK_WAY, "num_classes": BOOK_WAY},
    "ModernLeNet": {"lr": BOOK_WAY, "num_classes": BOOK_WAY},
    "vgg_block": {"num_convs": f"{EQUIVALENT} (three convolutions)", "out_channels": SHAPES},
    "VGG": {"arch": SHAPES, "lr": BOOK_WAY, "num_classes": BOOK_WAY},
    "Residual": {"num_channels": f"{SHAPES} (identity shortcut)",
                 "use_1x1conv": "parameter count and layer kinds (1x1 shortcut, stride 2)",
                 "strides": f"{SHAPES} (1x1 shortcut, stride 2)"},
    "ResNet": {"arch": SHAPES, "lr": BOOK_WAY, "num_classes": BOOK_WAY},
    "ResNet18": {"lr": BOOK_WAY, "num_classes": BOOK_WAY},
}
