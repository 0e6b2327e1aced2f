"""Hidden checks: the report shows their names and results, never their inputs, so passing them
takes a general solution rather than one tuned to the visible examples. Left out of the
student release (``checks/__init__.py`` imports this module only when it is present)."""

import torch
from hypothesis import strategies as st

from . import strategies as domain
from .architectures import reference_factory
from .base import graded
from .model_compare import model_checks
from .properties import agrees_with
from .sec7_1 import exact, local
from .sec7_2 import cross_correlation, learns, summed_sizes
from .sec7_3 import output_shape, same_shape
from .sec7_5 import avg_pool_strided, max_pool


@st.composite
def negative_windows(draw):
    X, window = draw(domain.image_and_window())
    return (-(X.abs() + 0.25), window), {}


@st.composite
def large_geometry(draw):
    n = (draw(st.integers(1, 300)), draw(st.integers(1, 300)))
    pad = draw(st.integers(0, 5))
    kernel = draw(st.integers(1, min(n) + 2 * pad))
    return (n, kernel), {"padding": pad, "stride": draw(st.integers(1, 6))}


RANDOM_IMAGE = torch.rand(6, 6, generator=torch.Generator().manual_seed(5)) * 2 - 1
CHECKS = [
    agrees_with("corr2d", "images up to 12x12", st.tuples(domain.image_and_kernel(max_side=12), st.just({})),
                cross_correlation, hidden=True, scale=summed_sizes),
    graded("learn_kernel", "learns a 2x2 kernel from a random image",
           learns(RANDOM_IMAGE, torch.tensor([[0.5, -1.0], [0.25, 1.0]]),
                  {"kernel_size": (2, 2), "lr": 0.03, "num_epochs": 60}, 0.01, "the kernel"), hidden=True),
    agrees_with("local_param_count", "larger windows and channel counts",
                st.tuples(st.tuples(st.integers(51, 150)), st.fixed_dictionaries(
                    {"in_channels": st.integers(65, 512), "out_channels": st.integers(65, 512)})),
                local, compare=exact, hidden=True, examples=4),
    agrees_with("conv_output_shape", "large images, square kernels given as ints", large_geometry(), output_shape,
                compare=same_shape, hidden=True),
    agrees_with("pool2d", "max pooling of all-negative images", negative_windows(), max_pool, hidden=True),
    agrees_with("avg_pooling_via_convolution", "strides from 2 to 5 on larger images",
                domain.image_window_and_stride(max_side=11, strides=(2, 5)).map(
                    lambda c: ((c[0], c[1]), {"stride": c[2]})),
                avg_pool_strided, hidden=True),
    *model_checks("LeNet", reference_factory("LeNet"), kwargs={"num_classes": 5}, hidden=True, kinds=("equivalence",),
                  variant="5 classes"),
    *model_checks("ModernLeNet", reference_factory("ModernLeNet"), kwargs={"num_classes": 3}, hidden=True,
                  kinds=("equivalence",),
                  variant="3 classes"),
    *model_checks("vgg_block", reference_factory("vgg_block"), args=(3, 4), input_shapes=((2, 2, 10, 6),), hidden=True,
                  kinds=("equivalence",), variant="three convolutions"),
    *model_checks("Residual", reference_factory("Residual"), args=(8,), kwargs={"use_1x1conv": True}, hidden=True,
                  input_shapes=((2, 3, 5, 5),), kinds=("equivalence",), variant="1x1 shortcut, stride 1"),
    *model_checks("ResNet", reference_factory("ResNet"), args=(((2, 64), (1, 32), (1, 8)),), kwargs={"num_classes": 4},
                  input_shapes=((2, 1, 40, 40),), hidden=True, kinds=("equivalence",), variant="three stages"),
]
