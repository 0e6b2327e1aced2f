"""Checks whose oracle is the answer itself: VGG-16's and VGG-19's tables (8.2's exercises).

Only the course's grader runs them; the student release leaves this module out and lists the
checks as "scored by the course's grader" (``grader/stored_references.py``), so no answer ships.
"""

from ..kernel_side.codec import Odd
from ..oracles import reference
from ..probe import NOT_IMPLEMENTED, ProbeFailure
from .base import CheckFailed, graded


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


CHECKS = [
    architecture_constant("VGG16_ARCH", 13),
    architecture_constant("VGG19_ARCH", 16),
]
