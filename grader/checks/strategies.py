"""Hypothesis strategies named for the homework's domain: images, kernels, channels, windows."""

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

# Values a student can read in a counterexample: small integers, quarters, and general floats.
pixel_values = st.one_of(
    st.integers(-9, 9).map(float),
    st.integers(-40, 40).map(lambda q: q / 4),
    st.floats(-10, 10, width=32, allow_nan=False, allow_subnormal=False),
)


def tensors(shape):
    return arrays(np.float32, shape, elements=pixel_values).map(torch.from_numpy)


@st.composite
def image_and_kernel(draw, max_side=7):
    """A 2-D image and a kernel no larger than it: non-square, 1x1 and full-size included."""
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    return draw(tensors((h, w))), draw(tensors((kh, kw)))


@st.composite
def multi_channel(draw, out_channels=False, one_by_one=False, max_side=6):
    """Input (c_i, h, w) with kernel (c_i, kh, kw), or (c_o, c_i, kh, kw) for several outputs."""
    c_in = draw(st.integers(1, 4))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kh, kw = (1, 1) if one_by_one else (draw(st.integers(1, h)), draw(st.integers(1, w)))
    kernel_shape = (c_in, kh, kw)
    if out_channels:
        kernel_shape = (draw(st.integers(1, 3)),) + kernel_shape
    return draw(tensors((c_in, h, w))), draw(tensors(kernel_shape))


@st.composite
def image_and_window(draw, max_side=7):
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    window = (draw(st.integers(1, h)), draw(st.integers(1, w)))
    return draw(tensors((h, w))), window


@st.composite
def conv_geometry(draw):
    """A square-or-not input size with kernel, per-side padding and stride that nn.Conv2d accepts."""
    n = (draw(st.integers(1, 12)), draw(st.integers(1, 12)))
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    kernel = tuple(draw(st.integers(1, n[i] + 2 * pad[i])) for i in range(2))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    return n, kernel, pad, stride


@st.composite
def shape_arguments(draw):
    """conv_output_shape's arguments: an input size, and kernel, padding and stride each given
    either as one int (square) or as a (height, width) pair, as nn.Conv2d accepts them."""
    n, kernel, pad, stride = draw(conv_geometry())
    as_given = {}
    for name, pair in (("kernel_size", kernel), ("padding", pad), ("stride", stride)):
        square = pair[0] == pair[1] and draw(st.booleans())
        as_given[name] = pair[0] if square else pair
    kernel_size = as_given.pop("kernel_size")
    return (n, kernel_size), as_given
