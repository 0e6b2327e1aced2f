"""7.3 Padding and stride: comp_conv2d and the output-shape formula."""

import torch
import torch.nn.functional as F
from hypothesis import strategies as st

from .. import wire
from . import strategies as domain
from .properties import agrees_with


@st.composite
def conv_cases(draw):
    (h, w), kernel, pad, stride = draw(domain.conv_geometry())
    weight = draw(domain.tensors((1, 1) + kernel))
    bias = draw(domain.tensors((1,)))
    conv = {"t": "module", "type": "Conv2d", "args": [1, 1],
            "kwargs": {"kernel_size": list(kernel), "padding": list(pad), "stride": list(stride)},
            "state": {"weight": wire.encode(weight), "bias": wire.encode(bias)}}
    return (conv, draw(domain.tensors((h, w)))), {}


def conv_oracle(conv, X):
    weight, bias = (wire.decode(conv["state"][k]) for k in ("weight", "bias"))
    kwargs = conv["kwargs"]
    return F.conv2d(X[None, None], weight, bias, stride=tuple(kwargs["stride"]), padding=tuple(kwargs["padding"]))[0, 0]


def shape_cases():
    return domain.conv_geometry().map(lambda g: ((g[0], g[1]), {"padding": g[2], "stride": g[3]}))


def shape_oracle(n, k, padding, stride):
    return [(n[i] + 2 * padding[i] - k[i]) // stride[i] + 1 for i in range(2)]


def same_shape(expected, got):
    try:
        values = [int(v) for v in got]
    except (TypeError, ValueError):
        return f"returned {got!r}, expected a pair of ints"
    return None if values == expected else f"got {values}, expected {expected}"


CHECKS = [
    agrees_with("comp_conv2d", "applies the layer to a 2-D input (any padding and stride)", conv_cases(),
                conv_oracle),
    agrees_with("conv_output_shape", "matches nn.Conv2d's output size", shape_cases(), shape_oracle,
                compare=same_shape),
]
