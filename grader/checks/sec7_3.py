"""7.3 Padding and stride: comp_conv2d and the output-shape formula."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from ..kernel_side.contract import LayerSpec
from . import strategies as domain
from .properties import agrees_with, degenerate_shapes, fixed_cases

BOOK_X = torch.arange(64.0).reshape(8, 8) / 8
BOOK_SETTINGS = [  # the section's four layers, all on an 8x8 input: 8x8, 8x8, 4x4, 2x2
    ((3, 3), (1, 1), (1, 1)), ((5, 3), (2, 1), (1, 1)), ((3, 3), (1, 1), (2, 2)), ((3, 5), (0, 1), (3, 4)),
]


def conv_layer(kernel, pad, stride, weight, bias):
    """An nn.Conv2d(1, 1, ...) with exact weights, as the kernel builds it from this spec."""
    return LayerSpec(type="Conv2d", args=[1, 1], kwargs={"kernel_size": tuple(kernel), "padding": tuple(pad),
                                                         "stride": tuple(stride)},
                     state={"weight": weight, "bias": bias})


@st.composite
def conv_cases(draw):
    (h, w), kernel, pad, stride = draw(domain.conv_geometry(ordinary=True))
    conv = conv_layer(kernel, pad, stride, draw(domain.tensors((1, 1) + kernel)), draw(domain.tensors((1,))))
    return (conv, draw(domain.tensors((h, w)))), {}


def book_case(kernel, pad, stride, X=BOOK_X):
    weight = torch.arange(float(kernel[0] * kernel[1])).reshape((1, 1) + kernel) / 4 - 1
    return (conv_layer(kernel, pad, stride, weight, torch.tensor([0.5])), X), {}


def applied(conv2d, X):
    weight, bias = conv2d.state["weight"], conv2d.state["bias"]
    kwargs = conv2d.kwargs
    return F.conv2d(X[None, None].double(), weight.double(), bias.double(), stride=tuple(kwargs["stride"]),
                    padding=tuple(kwargs["padding"]))[0, 0].float()


def applied_scale(conv2d, X):
    weight, bias = conv2d.state["weight"], conv2d.state["bias"]
    kwargs = conv2d.kwargs
    return F.conv2d(X[None, None].abs().double(), weight.abs().double(), bias.abs().double(),
                    stride=tuple(kwargs["stride"]), padding=tuple(kwargs["padding"]))[0, 0]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def output_shape(input_shape, kernel_size, padding=0, stride=1):
    """What torch's own convolution gives, on meta tensors (shapes only, no memory or arithmetic)."""
    n, k, p, s = (_pair(v) for v in (input_shape, kernel_size, padding, stride))
    X, K = torch.empty((1, 1, *n), device="meta"), torch.empty((1, 1, *k), device="meta")
    return list(F.conv2d(X, K, padding=p, stride=s).shape[2:])


def same_shape(expected, got):
    try:
        values = [int(v) for v in got]
    except (TypeError, ValueError):
        return f"returned {got!r}, expected a pair of ints"
    return None if values == list(expected) else f"got {values}, expected {list(expected)}"


def _wrong_shape(formula):
    def shape(input_shape, kernel_size, padding=0, stride=1):
        n, k, p, s = (_pair(v) for v in (input_shape, kernel_size, padding, stride))
        return [formula(n[i], k[i], p[i], s[i]) for i in range(2)]
    return shape


SHAPE_HINTS = [
    (_wrong_shape(lambda n, k, p, s: (n + p - k) // s + 1), "padding p adds p rows on *each* side: n + 2p - k"),
    (_wrong_shape(lambda n, k, p, s: (n + 2 * p - k) // s), "count the first position too: ... // s + 1"),
    (_wrong_shape(lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1),
     "a window that does not fit any more is dropped: floor((n + 2p - k) / s) + 1, not ceil"),
]
CHECKS = [
    fixed_cases("comp_conv2d", "the section's four layers on an 8x8 input", [book_case(*s) for s in BOOK_SETTINGS],
                applied),
    agrees_with("comp_conv2d", "applies the layer to a 2-D input (any padding and stride)", conv_cases(), applied,
                weight=2, scale=applied_scale),
    degenerate_shapes("comp_conv2d", [book_case((1, 1), (0, 0), (1, 1), torch.tensor([[2.0]])),
                                      book_case((2, 2), (1, 0), (3, 1), torch.tensor([[1.0, -2.0], [0.5, 3.0]])),
                                      book_case((1, 3), (0, 0), (1, 1), torch.tensor([[1.0, 2.0, -1.0, 0.5]])),
                                      book_case((3, 1), (0, 0), (2, 1), torch.tensor([[1.0], [2.0], [-1.0]]))],
                      applied),
    agrees_with("conv_output_shape", "matches nn.Conv2d's output size", domain.shape_arguments(), output_shape,
                compare=same_shape, hints=SHAPE_HINTS,
                explicit=[((torch.Size([8, 8]), 3), {"padding": 1}),
                          ((torch.Size([8, 8]), (5, 3)), {"padding": (2, 1)}),
                          ((torch.Size([8, 8]), 3), {"padding": 1, "stride": 2}),
                          ((torch.Size([8, 8]), (3, 5)), {"padding": (0, 1), "stride": (3, 4)})]),
]
