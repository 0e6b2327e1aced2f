"""Can each graded model be built the way the book (and the training check) builds it?

``LeNet(lr=0.1)`` is how the book's training cells and the grader's training check make a
LeNet; a class whose ``__init__`` takes no ``lr``, or ignores ``num_classes``, passes every
architecture check and still breaks there. One check per model class says so, next to the item.
"""

from ..probe import RAISED, ProbeFailure
from .base import CheckFailed, graded
from .models import model_input
from .sec_models import SMALL_RESNET, SMALL_VGG

LR, CLASSES = 0.05, 7
TITLE = "built the book's way: lr and num_classes"
BOOK_CALLS = [  # item, positional arguments, input shape
    ("LeNet", (), (2, 1, 28, 28)),
    ("ModernLeNet", (), (2, 1, 28, 28)),
    ("VGG", (SMALL_VGG,), (2, 1, 32, 32)),
    ("ResNet", (SMALL_RESNET,), (2, 1, 32, 32)),
    ("ResNet18", (), (2, 1, 32, 32)),
]


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
            raise CheckFailed(f"`{call}` raised `{failure.message}`. The book's training cells and the grader's "
                              f"training check build {item} with these keyword arguments; keep them in `__init__` "
                              "(and call `self.save_hyperparameters()`).") from None
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
