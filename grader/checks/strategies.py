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


def _sides(draw, max_side, ordinary):
    """An image size and a window that fits it. Ordinary: the result is at least 2x2 (no 1x1,
    one-row or one-column images, no window as large as the image); those degenerate shapes
    are checked on their own (``degenerate_*`` cases in the section tables), with their own
    share of the points, so a squeeze() bug costs that share and not the whole item."""
    low = 2 if ordinary else 1
    h, w = draw(st.integers(low, max_side)), draw(st.integers(low, max_side))
    kh, kw = draw(st.integers(1, h - 1 if ordinary else h)), draw(st.integers(1, w - 1 if ordinary else w))
    return (h, w), (kh, kw)


@st.composite
def image_and_kernel(draw, max_side=7, ordinary=True):
    """A 2-D image and a kernel smaller than it, non-square included."""
    size, kernel = _sides(draw, max_side, ordinary)
    return draw(tensors(size)), draw(tensors(kernel))


@st.composite
def multi_channel(draw, out_channels=False, one_by_one=False, max_side=6, ordinary=True):
    """Input (c_i, h, w) with kernel (c_i, kh, kw), or (c_o, c_i, kh, kw) for several outputs."""
    c_in = draw(st.integers(1, 4))
    (h, w), (kh, kw) = _sides(draw, max_side, ordinary)
    if one_by_one:
        kh, kw = 1, 1
    kernel_shape = (c_in, kh, kw)
    if out_channels:
        kernel_shape = (draw(st.integers(1, 3)),) + kernel_shape
    return draw(tensors((c_in, h, w))), draw(tensors(kernel_shape))


@st.composite
def image_and_window(draw, max_side=7, ordinary=True):
    size, window = _sides(draw, max_side, ordinary)
    return draw(tensors(size)), window


@st.composite
def image_window_and_stride(draw, max_side=8, strides=(1, 3)):
    """An ordinary image, window and stride: the strided result still has two rows and two columns."""
    stride = draw(st.integers(*strides))
    h, w = draw(st.integers(stride + 1, max_side)), draw(st.integers(stride + 1, max_side))
    window = (draw(st.integers(1, h - stride)), draw(st.integers(1, w - stride)))
    return draw(tensors((h, w))), window, stride


@st.composite
def conv_geometry(draw, ordinary=False):
    """A square-or-not input size with kernel, per-side padding and stride that nn.Conv2d accepts;
    ``ordinary``: the output is at least 2x2 (the degenerate ones are checked on their own)."""
    pad = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    n = tuple(draw(st.integers(max(1, stride[i] + 1 - 2 * pad[i]) if ordinary else 1, 12)) for i in range(2))
    kernel = tuple(draw(st.integers(1, n[i] + 2 * pad[i] - (stride[i] if ordinary else 0))) for i in range(2))
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
