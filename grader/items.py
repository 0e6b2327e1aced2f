"""The graded items: one row each. Instructors change points here and nowhere else.

``points`` is the item's total; its checks share it by their weights. ``aliases`` are other
names students use for the same thing (the seed notebook says ``Modern_LeNet``).

A ``training`` item has no definition of its own: it trains the class its alias names (the
book's full run, on a GPU, opt-in with ``pytest grader --train``) and is skipped, 0 of 0
points, where it cannot run. See ``grader/training/``.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    name: str
    section: str
    kind: str          # "function" | "class" | "value": what a binding must be to count
    points: float
    module: str        # the solutions module with the reference
    aliases: tuple = ()
    training: bool = False  # graded by training the aliased class (GPU only, opt-in)


_ROWS = [
    # name                              section kind        points  reference module
    ("fully_connected_param_count",      "7.1", "function", 1, "sec7_1_fc_to_conv"),
    ("translation_invariant_param_count", "7.1", "function", 1, "sec7_1_fc_to_conv"),
    ("local_param_count",                "7.1", "function", 1, "sec7_1_fc_to_conv"),
    ("corr2d",                           "7.2", "function", 4, "sec7_2_cross_correlation"),
    ("Conv2D",                           "7.2", "class",    3, "sec7_2_cross_correlation"),
    ("learn_kernel",                     "7.2", "function", 2, "sec7_2_cross_correlation"),
    ("diagonal_edge_image",              "7.2", "function", 1, "sec7_2_cross_correlation"),
    ("comp_conv2d",                      "7.3", "function", 2, "sec7_3_padding_stride"),
    ("conv_output_shape",                "7.3", "function", 2, "sec7_3_padding_stride"),
    ("corr2d_multi_in",                  "7.4", "function", 3, "sec7_4_channels"),
    ("corr2d_multi_in_out",              "7.4", "function", 3, "sec7_4_channels"),
    ("corr2d_multi_in_out_1x1",          "7.4", "function", 2, "sec7_4_channels"),
    ("pool2d",                           "7.5", "function", 4, "sec7_5_pooling"),
    ("avg_pooling_via_convolution",      "7.5", "function", 2, "sec7_5_pooling"),
    ("LeNet",                            "7.6", "class",    4, "sec7_6_lenet"),
    ("ModernLeNet",                      "7.6", "class",    2, "sec7_6_lenet", ("Modern_LeNet", "LeNetModern")),
    ("vgg_block",                        "8.2", "function", 3, "sec8_2_vgg"),
    ("VGG",                              "8.2", "class",    4, "sec8_2_vgg"),
    ("VGG16_ARCH",                       "8.2", "value",    1, "sec8_2_vgg"),
    ("VGG19_ARCH",                       "8.2", "value",    1, "sec8_2_vgg"),
    ("Residual",                         "8.6", "class",    4, "sec8_6_resnet"),
    ("ResNet",                           "8.6", "class",    3, "sec8_6_resnet"),
    ("ResNet18",                         "8.6", "class",    3, "sec8_6_resnet"),
    # trains the named class by the book's recipe on a GPU; opt-in: pytest grader --train
    ("LeNet_training",                   "7.6", "class",    2, "sec7_6_lenet", ("LeNet",), True),
    ("ResNet18_training",                "8.6", "class",    3, "sec8_6_resnet", ("ResNet18",), True),
]

ITEMS = {row[0]: Item(*row) for row in _ROWS}
SECTIONS = sorted({item.section for item in ITEMS.values()}, key=lambda s: tuple(int(p) for p in s.split(".")))


@dataclass(frozen=True)
class WrittenItem:
    """A written question: a person scores it from its rubric (grader/instructor/term/rubrics/),
    so it is never a check of ``pytest grader`` and stays out of ``ITEMS``, its maxima and the
    "N of 23 items done" count; ``grade-class`` collects it (docs/instructors.md, "Written answers")."""
    name: str
    section: str
    points: float
    opening: str       # the question's first words as the notebook prints them: how its cell is found
    kind: str = "written"


_WRITTEN_ROWS = [
    # name             section points  the question's opening words (after its marker)
    ("7.1_written_1", "7.1", 2, "In a few sentences of your own: why do translation invariance and locality"),
    ("7.1_written_2", "7.1", 2, "Take $\\Delta = 0$ in the channel equation above."),
    ("7.2_written_1", "7.2", 3, "Describe the three outputs above. Does $\\mathbf{K}$ still find the diagonal edges?"),
    ("7.2_written_2", "7.2", 2, "Why did the kernel learned by `learn_kernel` come out close to"),
    ("7.3_written_1", "7.3", 2, "For the last layer above ($3 \\times 5$ kernel, padding $(0, 1)$, stride $(3, 4)$"),
    ("7.3_written_2", "7.3", 2, "What does a stride larger than 1 save in computation"),
    ("7.4_written_1", "7.4", 3, "A convolutional layer maps a $c_i \\times h \\times w$ input to a"),
    ("7.4_written_2", "7.4", 2, "In your own words: what do channels add to a convolutional network"),
    ("7.5_written_1", "7.5", 2, "Max-pooling cannot be written as a convolution in the same way."),
    ("7.6_written_1", "7.6", 2, "Compare the curves and the final validation accuracy of `LeNet` and `ModernLeNet`"),
    ("8.2_written_1", "8.2", 2, "The layer summaries of VGG-11, VGG-16 and VGG-19 list exactly the same"),
    ("8.6_written_1", "8.6", 2, "In your own words: why do residual connections make very deep networks"),
    ("8.6_written_2", "8.6", 2, "Why does only the first block of a stage (and not the first stage) need"),
]

WRITTEN = {row[0]: WrittenItem(*row) for row in _WRITTEN_ROWS}


def kinds_for_kernel():
    """Every name (aliases too) the kernel agent should watch, with the kind it must bind."""
    kinds = {}
    for item in ITEMS.values():
        for name in item.aliases if item.training else (item.name, *item.aliases):
            kinds[name] = item.kind
    return kinds
