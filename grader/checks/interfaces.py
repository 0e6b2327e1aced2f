"""Can each graded model be built the way the book (and the training check) builds it?

``LeNet(lr=0.1)`` is how the book's training cells and the grader's training check make a
LeNet; a class whose ``__init__`` takes no ``lr``, or ignores ``num_classes``, passes every
architecture check and still breaks there. One check per model class says so, next to the item.

Its hint about ``__init__`` is only given when the error is about that: the class refused the
book's keyword arguments, or lacks an ``lr``/``num_classes`` attribute. An error raised inside
the model's own computation is shown as it is, with the line of the student's code it came from.
"""

import re

from ..compare import shown_error
from ..kernel_side.error_text import WHERE, in_student_code
from ..probe import RAISED, ProbeFailure
from .architectures import SMALL_RESNET, SMALL_VGG
from .base import CheckFailed, graded
from .model_compare import model_input

LR, CLASSES = 0.05, 7
TITLE = "built the book's way: lr and num_classes"
BOOK_CALLS = [  # item, positional arguments, input shape
    ("LeNet", (), (2, 1, 28, 28)),
    ("ModernLeNet", (), (2, 1, 28, 28)),
    ("VGG", (SMALL_VGG,), (2, 1, 32, 32)),
    ("ResNet", (SMALL_RESNET,), (2, 1, 32, 32)),
    ("ResNet18", (), (2, 1, 32, 32)),
]


BINDING = re.compile(r"unexpected keyword argument|positional argument|required (keyword-only )?argument|"
                     r"multiple values for argument")
BOOK_NAMES = re.compile(r"'(lr|num_classes|hparams)'")


def about_interface(message, item):
    """Whether an error building ``item`` the book's way is about how it takes lr and num_classes:
    an argument or attribute named so, or a call the class's signature refused before any code of
    the student's ran (``error_text.in_student_code``). Not an error of the model's computation."""
    error = message.split(WHERE)[0]
    kind = error.split(":", 1)[0]
    if kind not in ("TypeError", "AttributeError"):
        return False
    if BOOK_NAMES.search(error):
        return True
    refused = "__init__()" in error or f"{item}()" in error
    return kind == "TypeError" and refused and bool(BINDING.search(error)) and not in_student_code(message)


def _call(item, args):
    shown = [repr(a) for a in args] + [f"lr={LR}", f"num_classes={CLASSES}"]
    return f"{item}({', '.join(shown)})"


def book_interface(item, args, shape):
    call = _call(item, args)

    def run(probe):
        try:
            reply = probe.model(model_input(shape), args=args, kwargs={"lr": LR, "num_classes": CLASSES})
        except ProbeFailure as failure:
            if failure.kind != RAISED:
                raise
            if not about_interface(failure.message, item):
                raise CheckFailed(f"`{call}` raised {shown_error(failure.message)}. The error is not about the lr "
                                  "and num_classes arguments: it comes from building or running the model, so "
                                  "this check cannot tell whether they are kept until it is fixed.") from None
            raise CheckFailed(f"`{call}` raised {shown_error(failure.message)}. The book's training cells and the "
                              f"grader's training check build {item} with these keyword arguments; keep them in "
                              "`__init__` (and call `self.save_hyperparameters()`).") from None
        output = reply.outputs["eval"].output
        if tuple(output.shape) != (shape[0], CLASSES):
            raise CheckFailed(f"`{call}` on a batch of {shape[0]} gives outputs of shape {tuple(output.shape)}, "
                              f"expected {(shape[0], CLASSES)}: is num_classes used for the last layer?")
        if reply.lr != LR:
            raise CheckFailed(f"`{call}` keeps lr = {reply.lr!r}, expected {LR}: the book's Classifier reads "
                              "self.lr in configure_optimizers, so store it (self.save_hyperparameters() does).")
        return f"{call} keeps lr and gives {CLASSES} outputs"

    return graded(item, TITLE, run, weight=0.5)


CHECKS = [book_interface(item, args, shape) for item, args, shape in BOOK_CALLS]
