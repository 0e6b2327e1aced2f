"""The reference models of 7.6 (LeNet), 8.2 (VGG) and 8.6 (ResNet) reproduce the seed's layer summaries.

Split from test_solutions.py (the functions of 7.1-7.5 and the conventions). Parameter counts are
checked against arithmetic written out from the architecture, not against what the code prints.
"""

import contextlib
import io
import re

import pytest
import torch
from torch import nn

from d2l import torch as d2l
from solutions import sec7_6_lenet as s76
from solutions import sec8_2_vgg as s82
from solutions import sec8_6_resnet as s86

# --------------------------------------------------------------------------------------------
# Layer summaries (7.6, 8.2, 8.6) and parameter counts
# --------------------------------------------------------------------------------------------

def summary(model, X_shape):
    """[(layer class name, output shape)] parsed from what layer_summary prints."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), torch.no_grad():
        model.layer_summary(X_shape)
    rows = []
    for line in out.getvalue().splitlines():
        match = re.fullmatch(r"(\w+) output shape:\t torch\.Size\(\[([\d, ]*)\]\)", line)
        assert match, f"unexpected summary line {line!r}"
        rows.append((match[1], tuple(int(n) for n in match[2].split(","))))
    return rows


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def conv(c_in, c_out, k, bias=True):
    return c_out * c_in * k * k + (c_out if bias else 0)


def dense(n_in, n_out):
    return n_in * n_out + n_out


def bn(c):
    return 2 * c  # scale and shift; running statistics are buffers, not parameters


SEED_LENET = [  # the seed's printed listing for LeNet on (1, 1, 28, 28)
    ("Conv2d", (1, 6, 28, 28)), ("Sigmoid", (1, 6, 28, 28)), ("AvgPool2d", (1, 6, 14, 14)),
    ("Conv2d", (1, 16, 10, 10)), ("Sigmoid", (1, 16, 10, 10)), ("AvgPool2d", (1, 16, 5, 5)),
    ("Flatten", (1, 400)), ("Linear", (1, 120)), ("Sigmoid", (1, 120)),
    ("Linear", (1, 84)), ("Sigmoid", (1, 84)), ("Linear", (1, 10)),
]


def test_layer_summary_is_attached_to_classifier():
    # Another test may paste the same definition again (as a student re-running a cell would),
    # which attaches an equal copy: compare the code, not the function object.
    attached = d2l.Classifier.layer_summary
    assert attached.__name__ == "layer_summary"
    assert attached.__code__.co_code == s76.layer_summary.__code__.co_code


def test_lenet_summary_and_parameters():
    torch.manual_seed(0)
    model = s76.LeNet()
    assert (model.lr, model.num_classes) == (0.1, 10)
    assert summary(model, (1, 1, 28, 28)) == SEED_LENET
    expected = conv(1, 6, 5) + conv(6, 16, 5) + dense(16 * 5 * 5, 120) + dense(120, 84) + dense(84, 10)
    assert expected == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert n_params(model) == expected


def test_modern_lenet_same_shapes_relu_and_max_pooling():
    torch.manual_seed(0)
    model = s76.ModernLeNet(lr=0.05, num_classes=10)
    assert model.lr == 0.05
    rename = {"Sigmoid": "ReLU", "AvgPool2d": "MaxPool2d"}
    assert summary(model, (1, 1, 28, 28)) == [(rename.get(name, name), shape) for name, shape in SEED_LENET]
    assert n_params(model) == 61706
    assert not any(isinstance(m, (nn.Sigmoid, nn.AvgPool2d)) for m in model.modules())


def test_init_cnn_is_xavier_on_linear_and_conv_only():
    torch.manual_seed(0)
    model = s76.LeNet()
    model.apply_init([torch.zeros(2, 1, 28, 28)], s76.init_cnn)
    for layer, fan_in, fan_out in [(model.net[7], 400, 120), (model.net[3], 6 * 25, 16 * 25)]:
        # xavier uniform draws from +-sqrt(6 / (fan_in + fan_out)); torch's default bound is
        # 1 / sqrt(fan_in), smaller for both layers, so the largest weight tells them apart.
        bound = (6 / (fan_in + fan_out)) ** 0.5
        assert 0.9 * bound < layer.weight.abs().max() <= bound
    norm = nn.BatchNorm2d(3)
    s76.init_cnn(norm)
    assert torch.equal(norm.weight.detach(), torch.ones(3))


def test_vgg_block():
    blk = s82.vgg_block(2, 16)
    assert [type(m).__name__ for m in blk] == ["LazyConv2d", "ReLU", "LazyConv2d", "ReLU", "MaxPool2d"]
    assert blk(torch.randn(1, 3, 32, 32)).shape == (1, 16, 16, 16)
    convs = [m for m in blk if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.kernel_size, c.padding) for c in convs] == [(3, (3, 3), (1, 1)), (16, (3, 3), (1, 1))]
    assert (blk[-1].kernel_size, blk[-1].stride) == (2, 2)


SEED_VGG = [  # the seed's listing for VGG-11, VGG-16 and VGG-19 on (1, 1, 224, 224): all the same
    ("Sequential", (1, 64, 112, 112)), ("Sequential", (1, 128, 56, 56)), ("Sequential", (1, 256, 28, 28)),
    ("Sequential", (1, 512, 14, 14)), ("Sequential", (1, 512, 7, 7)), ("Flatten", (1, 25088)),
    ("Linear", (1, 4096)), ("ReLU", (1, 4096)), ("Dropout", (1, 4096)),
    ("Linear", (1, 4096)), ("ReLU", (1, 4096)), ("Dropout", (1, 4096)), ("Linear", (1, 10)),
]


def vgg_params(arch, in_channels, num_classes):
    total, c_in = 0, in_channels
    for num_convs, c_out in arch:
        for _ in range(num_convs):
            total += conv(c_in, c_out, 3)
            c_in = c_out
    return total + dense(c_in * 7 * 7, 4096) + dense(4096, 4096) + dense(4096, num_classes)


def test_vgg_archs():
    assert s82.VGG11_ARCH == ((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))
    assert s82.VGG16_ARCH == ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
    assert s82.VGG19_ARCH == ((2, 64), (2, 128), (4, 256), (4, 512), (4, 512))
    # The counting formula, checked on the published ImageNet sizes (3 channels, 1000 classes).
    assert vgg_params(s82.VGG11_ARCH, 3, 1000) == 132_863_336
    assert vgg_params(s82.VGG16_ARCH, 3, 1000) == 138_357_544
    assert vgg_params(s82.VGG19_ARCH, 3, 1000) == 143_667_240


@pytest.mark.parametrize("arch_name, n_convs", [("VGG11_ARCH", 8), ("VGG16_ARCH", 13), ("VGG19_ARCH", 16)])
def test_vgg_summary_and_parameters(arch_name, n_convs):
    arch = getattr(s82, arch_name)
    torch.manual_seed(0)
    model = s82.VGG(arch=arch)
    assert (model.lr, model.num_classes) == (0.1, 10)
    assert summary(model, (1, 1, 224, 224)) == SEED_VGG
    assert sum(isinstance(m, nn.Conv2d) for m in model.modules()) == n_convs
    assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [0.5, 0.5]
    assert n_params(model) == vgg_params(arch, 1, 10)


def test_residual_shapes():
    torch.manual_seed(0)
    X = torch.randn(4, 3, 6, 6)
    blk = s86.Residual(3)
    assert blk(X).shape == (4, 3, 6, 6)
    assert blk.conv3 is None
    blk = s86.Residual(6, use_1x1conv=True, strides=2)
    assert blk(X).shape == (4, 6, 3, 3)
    assert blk.conv3.kernel_size == (1, 1) and blk.conv3.stride == (2, 2)


def test_residual_adds_the_input():
    torch.manual_seed(0)
    blk = s86.Residual(3)
    X = torch.rand(2, 3, 5, 5)
    blk(X)  # materialize
    with torch.no_grad():
        blk.bn2.weight.zero_()
        blk.bn2.bias.zero_()
    # With the second branch zeroed, the block is relu(X): the identity on a non-negative X.
    torch.testing.assert_close(blk(X), X)


SEED_RESNET18 = [  # the seed's listing for ResNet-18 on (1, 1, 96, 96)
    ("Sequential", (1, 64, 24, 24)), ("Sequential", (1, 64, 24, 24)), ("Sequential", (1, 128, 12, 12)),
    ("Sequential", (1, 256, 6, 6)), ("Sequential", (1, 512, 3, 3)), ("Sequential", (1, 10)),
]


def resnet18_params(in_channels, num_classes, conv_bias, projection_bn):
    """Parameters of ResNet-18 counted layer by layer; the 1x1 projection may carry a batch norm."""
    total = conv(in_channels, 64, 7, conv_bias) + bn(64)
    c_in = 64
    for stage, c in enumerate((64, 128, 256, 512)):
        for i in range(2):
            project = i == 0 and stage > 0
            total += conv(c_in, c, 3, conv_bias) + bn(c) + conv(c, c, 3, conv_bias) + bn(c)
            if project:
                total += conv(c_in, c, 1, conv_bias) + (bn(c) if projection_bn else 0)
            c_in = c
    return total + dense(512, num_classes)


def test_resnet18_summary_and_parameters():
    # The counting formula, checked on the published figure for torchvision's ImageNet ResNet-18
    # (bias-free convolutions, batch norm after each projection, 3 channels, 1000 classes).
    assert resnet18_params(3, 1000, conv_bias=False, projection_bn=True) == 11_689_512
    torch.manual_seed(0)
    model = s86.ResNet18()
    assert (model.lr, model.num_classes) == (0.1, 10)
    assert model.arch == ((2, 64), (2, 128), (2, 256), (2, 512))
    assert summary(model, (1, 1, 96, 96)) == SEED_RESNET18
    # The book's blocks: biased convolutions, no batch norm on the projection.
    assert n_params(model) == resnet18_params(1, 10, conv_bias=True, projection_bn=False) == 11_178_378
    assert sum(isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) for m in model.modules()) == 16
    assert sum(isinstance(m, s86.Residual) for m in model.modules()) == 8


def test_resnet_general_arch():
    torch.manual_seed(0)
    # The book's first stage has no projection, so it must keep the stem's 64 channels.
    model = s86.ResNet(((1, 64), (2, 16)), lr=0.05, num_classes=3)
    assert [name for name, _ in model.net.named_children()] == ["0", "b2", "b3", "last"]
    assert summary(model, (2, 1, 32, 32)) == [
        ("Sequential", (2, 64, 8, 8)), ("Sequential", (2, 64, 8, 8)),
        ("Sequential", (2, 16, 4, 4)), ("Sequential", (2, 3)),
    ]
    first, second = model.net.b3
    assert first.conv3 is not None and second.conv3 is None
    assert model.net[1][0].conv3 is None
