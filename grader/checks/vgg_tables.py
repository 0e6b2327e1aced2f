"""8.2's exercise tables, ``VGG16_ARCH`` and ``VGG19_ARCH``: public checks.

The notebook's exercise text prints both configurations (the convolutions per block and the five
channel counts), so the tables are written here as the exercise prints them, counts and channels
apart, and checked in a student's copy exactly as in the course's grader.
"""

from ..kernel_side.codec import Odd
from ..probe import NOT_IMPLEMENTED, ProbeFailure
from .base import CheckFailed, graded

CHANNELS = (64, 128, 256, 512, 512)                     # "keep the five blocks and their channel counts"
CONVOLUTIONS = {"VGG16_ARCH": (2, 2, 3, 3, 3),          # "VGG-16: 2, 2, 3, 3, 3 convolutions per block"
                "VGG19_ARCH": (2, 2, 4, 4, 4)}          # "VGG-19: 2, 2, 4, 4, 4 convolutions per block"


def exercise_table(name):
    """The (num_convs, out_channels) pairs the exercise text describes for ``name``."""
    return tuple(zip(CONVOLUTIONS[name], CHANNELS))


def architecture_constant(name):
    want = exercise_table(name)
    convolutions = sum(CONVOLUTIONS[name])

    def run(probe):
        got = probe.value()
        if got is None or got == Odd("ellipsis"):
            raise ProbeFailure(NOT_IMPLEMENTED, f"{name} is still a placeholder")
        try:
            normal = tuple((int(n), int(c)) for n, c in got)
        except (TypeError, ValueError):
            raise CheckFailed(f"{name} should be a sequence of (num_convs, out_channels) pairs, "
                              f"got {got!r:.200}") from None
        if normal != want:
            total = sum(n for n, _ in normal)
            wrong = [k + 1 for k, pair in enumerate(normal) if k >= len(want) or pair != want[k]]
            where = f"block {wrong[0]} differs" if wrong else f"{len(want) - len(normal)} blocks are missing"
            raise CheckFailed(f"{name} is {normal}: {total} convolutions in {len(normal)} blocks, where the network "
                              f"has {convolutions} in {len(want)} blocks; {where} (see the exercise's text)")
        return "right blocks and channels"

    return graded(name, "blocks of (convolutions, channels)", run)


CHECKS = [architecture_constant("VGG16_ARCH"), architecture_constant("VGG19_ARCH")]
