"""7.1 From fully connected layers to convolutions: the parameter counts.

The oracles count from the definitions (a dense layer's weights, the distinct offsets between two
pixels, a convolution's weights) with torch, never by the closed formulas the exercise asks for, so
these checks need no reference solutions and the student release holds no answer.
"""

import torch
from hypothesis import strategies as st

from .properties import agrees_with, fixed_example


def exact(expected, got):
    return None if type(got) is int and got == expected else f"got {got!r}, expected the int {expected!r}"


def fully_connected(height, width):
    """The weights of a dense layer from every pixel to a hidden unit per pixel (no memory: meta tensors)."""
    pixels = height * width
    return torch.nn.Linear(pixels, pixels, bias=False, device="meta").weight.numel()


def _offsets(n):
    """How many different offsets k - i two positions i, k of an axis of n can have: every whole
    number from the most negative (first minus last) to the largest (last minus first)."""
    positions = torch.arange(n)
    largest, smallest = positions[-1] - positions[0], positions[0] - positions[-1]
    return int(largest - smallest) + 1


def translation_invariant(height, width):
    return _offsets(height) * _offsets(width)


def local(delta, in_channels=1, out_channels=1):
    """A convolution's weights for a window reaching ``delta`` pixels to every side."""
    window = torch.arange(-delta, delta + 1).numel()
    layer = torch.nn.Conv2d(in_channels, out_channels, window, bias=False, device="meta")
    return layer.weight.numel()


OFFSETS = "offsets run from -(n - 1) to n - 1 along an axis of n pixels: 2n - 1 values, zero included"
WINDOW = "offsets run from -delta to delta, zero included: 2 * delta + 1 values per axis, not 2 * delta"
sides = st.tuples(st.tuples(st.integers(1, 2000), st.integers(1, 2000)), st.just({}))
CHECKS = [
    fixed_example("fully_connected_param_count", "one-megapixel image needs 10**12 weights", (1000, 1000), {},
                  10**12, compare=exact, names=("height", "width"),
                  hints=[(lambda h, w: h * w, "every output pixel has its own weight for every input pixel")]),
    agrees_with("fully_connected_param_count", "any image size", sides, fully_connected, compare=exact,
                explicit=[((1, 1), {}), ((2, 3), {})],
                hints=[(lambda h, w: h * w, "every output pixel has its own weight for every input pixel")]),
    agrees_with("translation_invariant_param_count", "one weight per offset, any image size", sides,
                translation_invariant, compare=exact, explicit=[((1, 1), {}), ((2, 3), {})],
                hints=[(lambda h, w: h * w, OFFSETS), (lambda h, w: 4 * h * w, OFFSETS),
                       (lambda h, w: (2 * h + 1) * (2 * w + 1), OFFSETS)]),
    fixed_example("local_param_count", "delta=10 keeps 441 weights (not 4*delta**2)", (10,), {}, 441,
                  compare=exact, names=("delta",), hints=[(lambda d: 4 * d**2, WINDOW)]),
    agrees_with("local_param_count", "any window and channel counts",
                st.tuples(st.tuples(st.integers(0, 50)), st.fixed_dictionaries(
                    {"in_channels": st.integers(1, 64), "out_channels": st.integers(1, 64)})),
                local, compare=exact, explicit=[((0,), {}), ((1,), {"in_channels": 3, "out_channels": 2})],
                hints=[(lambda d, **kw: 4 * d**2 * kw.get("in_channels", 1) * kw.get("out_channels", 1), WINDOW),
                       (lambda d, **kw: (2 * d + 1) ** 2,
                        "there is one window of weights per (input channel, output channel) pair")]),
]
