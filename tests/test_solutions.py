"""The reference solutions in solutions/ reproduce what the seed homework prints, where it is right.

The seed (a student's completed d2l 7.1-7.6, 8.2, 8.6 homework) prints the book's demonstration
values; every one that follows from its code is asserted here (the models' layer summaries in
test_solutions_models.py). Where the seed is wrong the
reference is right, and a comment says what the seed got wrong. Parameter counts are checked
against arithmetic written out from the architecture, not against what the code prints.

Also checked: the conventions the grader and the notebook filler rely on - each graded name is
one top-level definition, listed in ``__all__`` in order, whose source works when pasted after
the book's imports and the earlier definitions of its section.
"""

import ast
import importlib
import inspect
import re

import pytest
import torch
from torch import nn

from solutions import sec7_1_fc_to_conv as s71
from solutions import sec7_2_cross_correlation as s72
from solutions import sec7_3_padding_stride as s73
from solutions import sec7_4_channels as s74
from solutions import sec7_5_pooling as s75

MODULES = ["sec7_1_fc_to_conv", "sec7_2_cross_correlation", "sec7_3_padding_stride", "sec7_4_channels",
           "sec7_5_pooling", "sec7_6_lenet", "sec8_2_vgg", "sec8_6_resnet"]
BOOK_IMPORTS = {"import torch", "from torch import nn", "from torch.nn import functional as F",
                "from d2l import torch as d2l"}


def t(rows):
    return torch.tensor(rows, dtype=torch.float32)


# --------------------------------------------------------------------------------------------
# Conventions
# --------------------------------------------------------------------------------------------

def _top_level(module):
    """[(name, source)] of the module's top-level definitions, decorators included, in order."""
    text = inspect.getsource(module)
    lines = text.splitlines()
    found = []
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        else:
            continue
        first = min([d.lineno for d in getattr(node, "decorator_list", [])] + [node.lineno])
        for name in names:
            found.append((name, "\n".join(lines[first - 1 : node.end_lineno])))
    return found


@pytest.mark.parametrize("name", MODULES)
def test_module_layout(name):
    module = importlib.import_module(f"solutions.{name}")
    tree = ast.parse(inspect.getsource(module))
    assert ast.get_docstring(tree), "a module docstring names the book section"
    assert re.search(r"\b\d\.\d\b", ast.get_docstring(tree))
    imports = [ast.unparse(node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert set(imports) <= BOOK_IMPORTS, "only the book's own import lines"
    definitions = [n for n, _ in _top_level(module) if n != "__all__"]
    assert list(module.__all__) == definitions, "every top-level definition is graded, listed in order"
    for graded in module.__all__:
        obj = getattr(module, graded)
        if callable(obj):
            assert inspect.getdoc(obj), f"{graded} has a docstring"


def _pasted(name):
    """The module's graded definitions exec'd one by one after the book imports, as notebook cells."""
    module = importlib.import_module(f"solutions.{name}")
    namespace = {}
    exec("\n".join(sorted(BOOK_IMPORTS)), namespace)
    for graded, source in _top_level(module):
        if graded != "__all__":
            exec(compile(source, f"<cell {graded}>", "exec"), namespace)
    return namespace


SMOKE = {
    "sec7_1_fc_to_conv": lambda ns: ns["local_param_count"](1) == 9,
    "sec7_2_cross_correlation": lambda ns: torch.equal(
        ns["corr2d"](ns["edge_image"](), ns["edge_kernel"]())[:, 1], torch.ones(6))
        and ns["Conv2D"]((1, 2))(torch.ones(3, 3)).shape == (3, 2)
        and ns["learn_kernel"](ns["edge_image"](), s72.corr2d(s72.edge_image(), s72.edge_kernel())).shape == (1, 2)
        and ns["diagonal_edge_image"]()[0, 0] == 0,
    "sec7_3_padding_stride": lambda ns: ns["comp_conv2d"](nn.LazyConv2d(1, 3), torch.rand(8, 8)).shape == (6, 6)
        and ns["conv_output_shape"](8, 3) == (6, 6),
    "sec7_4_channels": lambda ns: ns["corr2d_multi_in_out"](torch.ones(2, 3, 3), torch.ones(4, 2, 1, 1)).shape
        == ns["corr2d_multi_in_out_1x1"](torch.ones(2, 3, 3), torch.ones(4, 2, 1, 1)).shape == (4, 3, 3),
    "sec7_5_pooling": lambda ns: torch.equal(ns["pool2d"](torch.ones(3, 3), (2, 2), "avg"),
                                             ns["avg_pooling_via_convolution"](torch.ones(3, 3), (2, 2))),
    "sec7_6_lenet": lambda ns: ns["LeNet"]()(torch.rand(2, 1, 28, 28)).shape
        == ns["ModernLeNet"]()(torch.rand(2, 1, 28, 28)).shape == (2, 10) and callable(ns["init_cnn"]),
    "sec8_2_vgg": lambda ns: ns["VGG"](((1, 4), (1, 8)))(torch.rand(1, 1, 32, 32)).shape == (1, 10)
        and ns["vgg_block"](2, 4)(torch.rand(1, 3, 8, 8)).shape == (1, 4, 4, 4)
        and len(ns["VGG11_ARCH"]) == len(ns["VGG16_ARCH"]) == len(ns["VGG19_ARCH"]) == 5,
    "sec8_6_resnet": lambda ns: ns["ResNet18"]()(torch.rand(2, 1, 32, 32)).shape == (2, 10),
}


@pytest.mark.parametrize("name", MODULES)
def test_definitions_work_when_pasted_as_cells(name):
    torch.manual_seed(0)
    assert SMOKE[name](_pasted(name))


# --------------------------------------------------------------------------------------------
# 7.1 From fully connected layers to convolutions
# --------------------------------------------------------------------------------------------

def test_fc_to_conv_counts():
    # A one-megapixel image mapped to a hidden image of the same size: 10**6 * 10**6 weights.
    assert s71.fully_connected_param_count(1000, 1000) == 10**12
    assert s71.fully_connected_param_count(2, 3) == 36
    # Offsets a in -999..999, b in -999..999.
    assert s71.translation_invariant_param_count(1000, 1000) == 1999**2 == 3_996_001
    assert s71.translation_invariant_param_count(1, 1) == 1
    assert s71.translation_invariant_param_count(2, 3) == 3 * 5
    # |a|, |b| <= 10: a 21 x 21 window. The seed says 4 * delta**2 (= 400), which forgets offset 0.
    assert s71.local_param_count(10) == 441 != 4 * 10**2
    assert s71.local_param_count(0) == 1
    assert s71.local_param_count(1, in_channels=3, out_channels=64) == 9 * 3 * 64


@pytest.mark.parametrize("call", [
    lambda: s71.fully_connected_param_count(0, 5),
    lambda: s71.fully_connected_param_count(5, -1),
    lambda: s71.fully_connected_param_count(2.0, 2),
    lambda: s71.translation_invariant_param_count(3, 0),
    lambda: s71.translation_invariant_param_count(True, 3),
    lambda: s71.local_param_count(-1),
    lambda: s71.local_param_count(1.5),
    lambda: s71.local_param_count(2, in_channels=0),
    lambda: s71.local_param_count(2, out_channels=-3),
])
def test_fc_to_conv_counts_reject_bad_arguments(call):
    with pytest.raises(ValueError):
        call()


# --------------------------------------------------------------------------------------------
# 7.2 Convolutions for images
# --------------------------------------------------------------------------------------------

BOOK_X = t([[0, 1, 2], [3, 4, 5], [6, 7, 8]])
BOOK_K = t([[0, 1], [2, 3]])
EDGE_X = t([[1, 1, 0, 0, 0, 0, 1, 1]] * 6)
# The seed's export shows only five rows of this output; corr2d of a 6x8 image with a 1x2
# kernel has six.
EDGE_Y = t([[0, 1, 0, 0, 0, -1, 0]] * 6)


def test_corr2d_book_example():
    assert torch.equal(s72.corr2d(BOOK_X, BOOK_K), t([[19, 25], [37, 43]]))


def test_corr2d_agrees_with_conv2d():
    gen = torch.Generator().manual_seed(0)
    for shape, kshape in [((5, 7), (2, 3)), ((4, 4), (4, 4)), ((6, 3), (1, 1)), ((3, 8), (3, 1))]:
        X, K = torch.randn(shape, generator=gen), torch.randn(kshape, generator=gen)
        expected = torch.nn.functional.conv2d(X[None, None], K[None, None])[0, 0]
        torch.testing.assert_close(s72.corr2d(X, K), expected)


def test_edge_detection():
    X, K = s72.edge_image(), s72.edge_kernel()
    assert torch.equal(X, EDGE_X)
    assert torch.equal(K, t([[1, -1]]))
    assert torch.equal(s72.corr2d(X, K), EDGE_Y)
    # The seed's output of this cell is illegible: the transposed image has only horizontal
    # edges, which a horizontal kernel cannot see.
    assert torch.equal(s72.corr2d(X.t(), K), torch.zeros(8, 5))
    wide = s72.edge_image(3, 10)
    assert torch.equal(wide, t([[1, 1, 0, 0, 0, 0, 0, 0, 1, 1]] * 3))


def test_edge_kernel_is_fresh_each_call():
    K = s72.edge_kernel()
    K[:] = 0
    assert torch.equal(s72.edge_kernel(), t([[1, -1]]))


def test_conv2d_layer():
    torch.manual_seed(0)
    layer = s72.Conv2D((2, 3))
    params = dict(layer.named_parameters())
    assert set(params) == {"weight", "bias"}
    assert params["weight"].shape == (2, 3) and params["bias"].shape == (1,)
    assert torch.all((0 <= layer.weight) & (layer.weight < 1)), "torch.rand start"
    assert torch.equal(layer.bias.detach(), torch.zeros(1))
    with torch.no_grad():
        layer.bias.fill_(0.5)
    X = torch.randn(5, 7)
    Y = layer(X)
    torch.testing.assert_close(Y, s72.corr2d(X, layer.weight.detach()) + 0.5)
    Y.sum().backward()
    assert layer.bias.grad.item() == pytest.approx(4 * 5)
    # d sum(Y) / d K[a, b] is the sum of the 4x5 window of X that K[a, b] touches.
    expected = torch.stack([torch.stack([X[a : a + 4, b : b + 5].sum() for b in range(3)]) for a in range(2)])
    torch.testing.assert_close(layer.weight.grad, expected)


@pytest.mark.parametrize("seed", range(5))
def test_learn_kernel_recovers_the_edge_kernel(seed):
    # The seed's run (unseeded) printed [[1.0183, -0.9588]] after 10 epochs.
    learned = s72.learn_kernel(EDGE_X, EDGE_Y, seed=seed)
    assert learned.shape == (1, 2)
    torch.testing.assert_close(learned, t([[1, -1]]), rtol=0, atol=0.15)


def test_learn_kernel_is_reproducible_and_leaves_its_inputs():
    X, Y = EDGE_X.clone(), EDGE_Y.clone()
    assert torch.equal(s72.learn_kernel(X, Y, seed=3), s72.learn_kernel(X, Y, seed=3))
    assert torch.equal(X, EDGE_X) and torch.equal(Y, EDGE_Y)
    longer = s72.learn_kernel(X, Y, num_epochs=50)
    torch.testing.assert_close(longer, t([[1, -1]]), rtol=0, atol=1e-3)


SEED_X_DIAGONAL = t([[0, 0, 1, 1, 1, 1, 1, 1],
                     [1, 0, 0, 1, 1, 1, 1, 1],
                     [1, 1, 0, 0, 1, 1, 1, 1],
                     [1, 1, 1, 0, 0, 1, 1, 1],
                     [1, 1, 1, 1, 0, 0, 1, 1],
                     [1, 1, 1, 1, 1, 0, 0, 1]])


def test_diagonal_edge_exercise():
    X = s72.diagonal_edge_image()
    assert torch.equal(X, SEED_X_DIAGONAL)
    K = s72.edge_kernel()
    # All three printed outputs of the seed are what the code gives. (Its closing remark that
    # "transposing does not change anything meaningful" is loose: the edges move and flip sign.)
    assert torch.equal(s72.corr2d(X, K), t([[0, -1, 0, 0, 0, 0, 0],
                                            [1, 0, -1, 0, 0, 0, 0],
                                            [0, 1, 0, -1, 0, 0, 0],
                                            [0, 0, 1, 0, -1, 0, 0],
                                            [0, 0, 0, 1, 0, -1, 0],
                                            [0, 0, 0, 0, 1, 0, -1]]))
    assert torch.equal(s72.corr2d(X.t(), K), t([[-1, 0, 0, 0, 0],
                                                [0, -1, 0, 0, 0],
                                                [1, 0, -1, 0, 0],
                                                [0, 1, 0, -1, 0],
                                                [0, 0, 1, 0, -1],
                                                [0, 0, 0, 1, 0],
                                                [0, 0, 0, 0, 1],
                                                [0, 0, 0, 0, 0]]))
    assert torch.equal(s72.corr2d(X, K.t()), t([[-1, 0, 1, 0, 0, 0, 0, 0],
                                                [0, -1, 0, 1, 0, 0, 0, 0],
                                                [0, 0, -1, 0, 1, 0, 0, 0],
                                                [0, 0, 0, -1, 0, 1, 0, 0],
                                                [0, 0, 0, 0, -1, 0, 1, 0]]))


@pytest.mark.parametrize("height, width", [(2, 2), (3, 9), (6, 8), (7, 7), (9, 4)])
def test_diagonal_edge_image_other_sizes(height, width):
    X = s72.diagonal_edge_image(height, width)
    assert X.shape == (height, width) and X.dtype == torch.float32
    i, j = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    band = (j == i) | (j == i + 1)
    assert torch.equal(X, (~band).float())


# --------------------------------------------------------------------------------------------
# 7.3 Padding and stride
# --------------------------------------------------------------------------------------------

SEED_CONVS = [  # (kwargs of the seed's LazyConv2d, printed shape on an 8x8 input)
    (dict(kernel_size=3, padding=1), (8, 8)),
    (dict(kernel_size=(5, 3), padding=(2, 1)), (8, 8)),
    (dict(kernel_size=3, padding=1, stride=2), (4, 4)),
    (dict(kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)), (2, 2)),
]


@pytest.mark.parametrize("kwargs, shape", SEED_CONVS)
def test_comp_conv2d_seed_shapes(kwargs, shape):
    torch.manual_seed(0)
    X = torch.rand(size=(8, 8))
    assert s73.comp_conv2d(nn.LazyConv2d(1, **kwargs), X).shape == shape
    assert s73.conv_output_shape((8, 8), **kwargs) == shape


@pytest.mark.parametrize("input_shape, kwargs", [
    ((8, 8), dict(kernel_size=8)),
    ((28, 28), dict(kernel_size=5, padding=2)),
    ((224, 224), dict(kernel_size=7, padding=3, stride=2)),
    ((7, 11), dict(kernel_size=(2, 4), padding=(1, 0), stride=(2, 3))),
    ((5, 5), dict(kernel_size=3, padding=4, stride=1)),
    ((1, 1), dict(kernel_size=1)),
    ((10, 3), dict(kernel_size=(3, 1), stride=(4, 2))),
    ((96, 96), dict(kernel_size=1, stride=2)),
])
def test_conv_output_shape_agrees_with_conv2d(input_shape, kwargs):
    conv = nn.Conv2d(1, 1, **kwargs)
    expected = tuple(conv(torch.zeros((1, 1) + input_shape)).shape[2:])
    assert s73.conv_output_shape(input_shape, **kwargs) == expected
    assert s73.conv_output_shape(list(input_shape), **kwargs) == expected


@pytest.mark.parametrize("args, kwargs", [
    (((3, 3), 4), {}),                         # kernel larger than the input
    (((3, 3), (1, 6)), dict(padding=(0, 1))),  # still too wide when padded
    ((8, 3), dict(stride=0)),
    ((8, 3), dict(padding=-1)),
    ((8, 0), {}),
    ((8, 2.0), {}),
    (((8, 8, 8), 3), {}),
    ((8, (3,)), {}),
    ((8, 3), dict(stride=True)),
    (("88", 3), {}),
])
def test_conv_output_shape_rejects_bad_arguments(args, kwargs):
    with pytest.raises(ValueError):
        s73.conv_output_shape(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# 7.4 Multiple input and output channels
# --------------------------------------------------------------------------------------------

X74 = torch.stack([BOOK_X, BOOK_X + 1])
K74 = torch.stack([BOOK_K, BOOK_K + 1])


def test_corr2d_multi_in():
    assert torch.equal(s74.corr2d_multi_in(X74, K74), t([[56, 72], [104, 120]]))


def test_corr2d_multi_in_out():
    K = torch.stack((K74, K74 + 1, K74 + 2), 0)
    assert K.shape == (3, 2, 2, 2)
    assert torch.equal(s74.corr2d_multi_in_out(X74, K), t([[[56, 72], [104, 120]],
                                                           [[76, 100], [148, 172]],
                                                           [[96, 128], [192, 224]]]))


def test_multi_channel_agrees_with_conv2d():
    gen = torch.Generator().manual_seed(1)
    X, K = torch.randn(3, 6, 5, generator=gen), torch.randn(4, 3, 2, 3, generator=gen)
    torch.testing.assert_close(s74.corr2d_multi_in_out(X, K), torch.nn.functional.conv2d(X[None], K)[0])


def test_1x1_equals_general():
    gen = torch.Generator().manual_seed(2)
    X = torch.normal(0, 1, (3, 3, 3), generator=gen)
    K = torch.normal(0, 1, (2, 3, 1, 1), generator=gen)
    Y1, Y2 = s74.corr2d_multi_in_out_1x1(X, K), s74.corr2d_multi_in_out(X, K)
    assert Y1.shape == Y2.shape == (2, 3, 3)
    assert float(torch.abs(Y1 - Y2).sum()) < 1e-5


# --------------------------------------------------------------------------------------------
# 7.5 Pooling
# --------------------------------------------------------------------------------------------

def test_pool2d_book_values():
    assert torch.equal(s75.pool2d(BOOK_X, (2, 2)), t([[4, 5], [7, 8]]))
    assert torch.equal(s75.pool2d(BOOK_X, (2, 2), "max"), t([[4, 5], [7, 8]]))
    assert torch.equal(s75.pool2d(BOOK_X, (2, 2), "avg"), t([[2, 3], [5, 6]]))
    assert torch.equal(s75.pool2d(BOOK_X, (1, 3), "avg"), t([[1], [4], [7]]))


def test_pool2d_rejects_unknown_mode():
    # The seed's pool2d returns a tensor of zeros for any other mode.
    with pytest.raises(ValueError):
        s75.pool2d(BOOK_X, (2, 2), "min")


def test_avg_pooling_via_convolution():
    # The seed's own check of this exercise passes a 3-D (1, 3, 3) tensor: its pool2d then
    # returns an empty (0, 2) tensor and its convolution version raises on the 5-D input, so
    # the cell errors. On the 2-D matrix the two agree.
    assert torch.equal(s75.avg_pooling_via_convolution(BOOK_X, (2, 2)), s75.pool2d(BOOK_X, (2, 2), "avg"))
    gen = torch.Generator().manual_seed(3)
    X = torch.randn(6, 7, generator=gen)
    for size in [(2, 2), (3, 2), (1, 4), (6, 7)]:
        got = s75.avg_pooling_via_convolution(X, size)
        assert got.dim() == 2
        torch.testing.assert_close(got, s75.pool2d(X, size, "avg"))
    torch.testing.assert_close(s75.avg_pooling_via_convolution(X, (2, 3), stride=2),
                               nn.AvgPool2d((2, 3), stride=2)(X[None, None])[0, 0])
    with pytest.raises(ValueError):
        s75.avg_pooling_via_convolution(BOOK_X[None], (2, 2))


def test_max_pool_padding_stride_and_channels():
    X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))
    assert torch.equal(nn.MaxPool2d(3)(X), t([[[[10]]]]))
    assert torch.equal(nn.MaxPool2d(3, padding=1, stride=2)(X), t([[[[5, 7], [13, 15]]]]))
    assert torch.equal(nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))(X), t([[[[5, 7], [13, 15]]]]))
    X = torch.cat((X, X + 1), 1)
    assert X.shape == (1, 2, 4, 4)
    assert torch.equal(nn.MaxPool2d(3, padding=1, stride=2)(X), t([[[[5, 7], [13, 15]], [[6, 8], [14, 16]]]]))
