"""Realistic student bugs, one definition each: (graded item, what is wrong, the cell's source).

Each source replaces the reference definition of its item in an otherwise solved homework; the
grader must take points off that item and no other. ``rounds()`` packs them into notebooks with at
most one mutant per item, so a handful of kernels grade them all.

A mutant is written as edits of the reference in ``solutions/``, so it differs from the right
answer by its bug alone: ``(old, new)`` replaces text that must occur exactly once, ``(old, new,
times)`` text that must occur exactly ``times`` times. If the reference changes under an edit,
building the table fails and names the mutant, rather than quietly testing something else. The
rare bug that is a different program altogether is given as its whole source instead.
"""

from textwrap import dedent, indent

from solutions.fill import reference_definitions

_SEQ = "\n            "  # a line break inside an nn.Sequential(...) of the reference models

_ROWS = [
    # ---- 7.1 -------------------------------------------------------------------------------
    ("fully_connected_param_count", "one weight per pixel instead of per pair of pixels",
     [("return (height * width) ** 2", "return height * width")]),
    ("translation_invariant_param_count", "offsets counted as 2n + 1",
     [("(2 * height - 1) * (2 * width - 1)", "(2 * height + 1) * (2 * width + 1)")]),
    ("local_param_count", "the seed's 4 * delta**2",
     [("return (2 * delta + 1) ** 2", "return 4 * delta ** 2")]),
    ("local_param_count", "channels ignored",
     [("(2 * delta + 1) ** 2 * in_channels * out_channels", "(2 * delta + 1) ** 2")]),
    # ---- 7.2 -------------------------------------------------------------------------------
    ("corr2d", "flipped kernel: a true convolution",
     [("    h, w = K.shape\n", "    K = torch.flip(K, (0, 1))\n    h, w = K.shape\n")]),
    ("corr2d", "output one row and one column short",
     [("(X.shape[0] - h + 1, X.shape[1] - w + 1)", "(X.shape[0] - h, X.shape[1] - w)")]),
    ("corr2d", "mean of the window instead of the sum", [("* K).sum()", "* K).mean()")]),
    ("corr2d", "kernel height and width swapped in the window",
     [("X[i : i + h, j : j + w]", "X[i : i + w, j : j + h]")]),
    ("corr2d", "an integer accumulator: every window sum truncated (the dtype is the bug)",
     [("torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))",
       "torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=torch.int64)")]),
    ("Conv2D", "bias never added", [("corr2d(x, self.weight) + self.bias", "corr2d(x, self.weight)")]),
    ("Conv2D", "weight is a plain tensor, not a parameter",
     [("nn.Parameter(torch.rand(kernel_size))", "torch.rand(kernel_size)")]),
    ("Conv2D", "a bias per kernel entry",
     [("torch.zeros(1)", "torch.zeros(kernel_size)"), ("+ self.bias", "+ self.bias.sum()")]),
    ("learn_kernel", "gradient ascent", [("data[:] -= lr", "data[:] += lr")]),
    ("learn_kernel", "gradients never zeroed", [("        conv2d.zero_grad()\n", "")]),
    ("learn_kernel", "lr and num_epochs ignored",
     [("range(num_epochs)", "range(10)"), ("-= lr *", "-= 3e-2 *")]),
    ("diagonal_edge_image", "band on the wrong side of the diagonal",
     [("for j in (i, i + 1):", "for j in (i - 1, i):"), ("if j < width:", "if 0 <= j < width:")]),
    ("diagonal_edge_image", "no bounds check: fails when the band leaves the image",
     [("            if j < width:\n                X[i, j] = 0", "            X[i, j] = 0")]),
    # ---- 7.3 -------------------------------------------------------------------------------
    ("comp_conv2d", "squeeze() drops every axis of size 1",
     [("return Y.reshape(Y.shape[2:])", "return Y.squeeze()")]),
    ("comp_conv2d", "no batch axis: the layer sees an unbatched input",
     [("X.reshape((1, 1) + X.shape)", "X.reshape((1,) + X.shape)")]),
    ("conv_output_shape", "padding counted once",
     [("(n[i] + 2 * p[i] - k[i]) // s[i]", "(n[i] + p[i] - k[i]) // s[i]")]),
    ("conv_output_shape", "ceiling instead of floor",
     [("def conv_output_shape", "import math\n\n\ndef conv_output_shape"),
      ("(n[i] + 2 * p[i] - k[i]) // s[i] + 1", "math.ceil((n[i] + 2 * p[i] - k[i]) / s[i]) + 1")]),
    ("conv_output_shape", "only pairs accepted, not ints", """
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w) = input_shape, kernel_size
    (p_h, p_w) = (0, 0) if padding == 0 else padding
    (s_h, s_w) = (1, 1) if stride == 1 else stride
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)
"""),
    # ---- 7.4 -------------------------------------------------------------------------------
    ("corr2d_multi_in", "mean over the channels instead of the sum",
     [("zip(X, K))", "zip(X, K)) / len(X)")]),
    ("corr2d_multi_in", "only the first channel",
     [("sum(d2l.corr2d(x, k) for x, k in zip(X, K))", "d2l.corr2d(X[0], K[0])")]),
    ("corr2d_multi_in_out", "output channels added instead of stacked",
     [("torch.stack([corr2d_multi_in(X, k) for k in K], 0)", "sum(corr2d_multi_in(X, k) for k in K)")]),
    ("corr2d_multi_in_out", "concatenated along the height instead of stacked",
     [("torch.stack(", "torch.cat(")]),
    ("corr2d_multi_in_out_1x1", "kernel matrix read as (c_i, c_o)",
     [("K.reshape((c_o, c_i))", "K.reshape((c_i, c_o)).T")]),
    ("corr2d_multi_in_out_1x1", "spatial shape not restored",
     [("return Y.reshape((c_o, h, w))", "return Y")]),
    # ---- 7.5 -------------------------------------------------------------------------------
    ("pool2d", "mode ignored: always max",
     [('window.max() if mode == "max" else window.mean()', "window.max()")]),
    ("pool2d", "average computed as the sum", [("else window.mean()", "else window.sum()")]),
    ("pool2d", "running maximum starts at 0",
     [('            Y[i, j] = window.max() if mode == "max" else window.mean()', indent(dedent("""\
            if mode == "avg":
                Y[i, j] = window.mean()
            else:
                best = 0.0
                for a in range(p_h):
                    for b in range(p_w):
                        best = max(best, float(X[i + a, j + b]))
                Y[i, j] = best"""), " " * 12))]),
    ("pool2d", "an integer result tensor: every average and fractional maximum truncated",
     [("Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))",
       "Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1), dtype=torch.long)")]),
    ("avg_pooling_via_convolution", "the seed's squeeze(): a one-row result loses its axis",
     [("stride=stride)[0, 0]", "stride=stride).squeeze()")]),
    ("avg_pooling_via_convolution", "kernel of ones: sum pooling",
     [("torch.full((1, 1, p_h, p_w), 1.0 / (p_h * p_w),", "torch.ones((1, 1, p_h, p_w),")]),
    ("avg_pooling_via_convolution", "stride ignored", [(", kernel, stride=stride)", ", kernel)")]),
    # ---- 7.6 -------------------------------------------------------------------------------
    ("LeNet", "first convolution not padded", [("kernel_size=5, padding=2)", "kernel_size=5)")]),
    ("LeNet", "ReLU where LeNet has sigmoids", [("nn.Sigmoid()", "nn.ReLU()", 4)]),
    ("LeNet", "sigmoid missing after the 84-unit layer",
     [("nn.LazyLinear(84), nn.Sigmoid(),", "nn.LazyLinear(84),")]),
    ("ModernLeNet", "pooling modernised, sigmoids kept", [("nn.ReLU()", "nn.Sigmoid()", 4)]),
    ("ModernLeNet", "activations modernised, average pooling kept",
     [("nn.MaxPool2d(", "nn.AvgPool2d(", 2)]),
    # ---- 8.2 -------------------------------------------------------------------------------
    ("vgg_block", "the seed's nn.Conv2d(out_channels, kernel_size=3, ...): no input channels",
     [("nn.LazyConv2d(", "nn.Conv2d(")]),
    ("vgg_block", "a pooling layer after every convolution",
     [("\n    layers.append(nn.MaxPool2d", "\n        layers.append(nn.MaxPool2d")]),
    ("vgg_block", "convolutions not padded", [("kernel_size=3, padding=1)", "kernel_size=3)")]),
    ("vgg_block", "ReLU missing", [("        layers.append(nn.ReLU())\n", "")]),
    ("VGG", "dropout left out", [("nn.ReLU(), nn.Dropout(0.5),", "nn.ReLU(),", 2)]),
    ("VGG", "num_convs ignored: one convolution per block",
     [("vgg_block(num_convs, out_channels)", "vgg_block(1, out_channels)")]),
    ("VGG", "dense layers 1024 wide", [("nn.LazyLinear(4096)", "nn.LazyLinear(1024)", 2)]),
    ("VGG", "ReLU missing between the dense layers",
     [(f"nn.Flatten(),{_SEQ}nn.LazyLinear(4096), nn.ReLU(),", f"nn.Flatten(),{_SEQ}nn.LazyLinear(4096),")]),
    ("VGG16_ARCH", "three convolutions in the second block, two in the last",
     [("(2, 128)", "(3, 128)"), ("(3, 512))", "(2, 512))")]),
    ("VGG19_ARCH", "VGG-16's blocks", [("(4, ", "(3, ", 3)]),
    # ---- 8.6 -------------------------------------------------------------------------------
    ("Residual", "ReLU missing after the first batch norm",
     [("F.relu(self.bn1(self.conv1(X)))", "self.bn1(self.conv1(X))")]),
    ("Residual", "second batch norm missing",
     [("        self.bn2 = nn.LazyBatchNorm2d()\n", ""), ("self.bn2(self.conv2(Y))", "self.conv2(Y)")]),
    ("Residual", "stride applied to the second convolution",
     [("kernel_size=3, padding=1, stride=strides)", "kernel_size=3, padding=1)"),
      ("self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)",
       "self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides)")]),
    ("Residual", "shortcut added after the final ReLU",
     [("Y = self.bn2(self.conv2(Y))", "Y = F.relu(self.bn2(self.conv2(Y)))"),
      ("Y += X\n        return F.relu(Y)", "return Y + X")]),
    ("Residual", "use_1x1conv ignored: the shortcut is always the input",
     [("        if use_1x1conv:\n            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides)\n"
       "        else:\n            self.conv3 = None\n", ""),
      ("        if self.conv3 is not None:\n            X = self.conv3(X)\n", "")]),
    ("ResNet", "stem without its max pooling",
     [(f"nn.ReLU(),{_SEQ}nn.MaxPool2d(kernel_size=3, stride=2, padding=1))", "nn.ReLU())")]),
    ("ResNet", "every stage starts by halving (first_block ignored)",
     [("if i == 0 and not first_block:", "if i == 0:")]),
    ("ResNet", "global average pooling left out", [("nn.AdaptiveAvgPool2d((1, 1)), ", "")]),
    ("ResNet18", "three stages instead of four", [("(2, 256), (2, 512))", "(2, 256))")]),
    ("ResNet18", "one residual block per stage", [("(2, ", "(1, ", 4)]),
    ("ResNet18", "last stage with 256 channels", [("(2, 512)", "(2, 256)")]),
]


# One mutant per settings parameter in tests/parameter_checks.py: (item, parameter, what it does, edits).
_FORMULA = "(n[i] + 2 * p[i] - k[i]) // s[i] + 1"
_PARAMETER_ROWS = [
    ("fully_connected_param_count", "height", "height ignored",
     [("return (height * width) ** 2", "return (width * width) ** 2")]),
    ("fully_connected_param_count", "width", "width ignored",
     [("return (height * width) ** 2", "return (height * height) ** 2")]),
    ("translation_invariant_param_count", "height", "height ignored",
     [("return (2 * height - 1) * (2 * width - 1)", "return (2 * width - 1) * (2 * width - 1)")]),
    ("translation_invariant_param_count", "width", "width ignored",
     [("return (2 * height - 1) * (2 * width - 1)", "return (2 * height - 1) * (2 * height - 1)")]),
    ("local_param_count", "delta", "delta ignored: always a 3x3 window",
     [("return (2 * delta + 1) ** 2", "return 3 ** 2")]),
    ("local_param_count", "in_channels", "in_channels ignored", [("* in_channels * out_channels", "* out_channels")]),
    ("local_param_count", "out_channels", "out_channels ignored", [("* in_channels * out_channels", "* in_channels")]),
    ("Conv2D", "kernel_size", "kernel_size ignored: always 2x2", [("torch.rand(kernel_size)", "torch.rand((2, 2))")]),
    ("learn_kernel", "kernel_size", "kernel_size ignored: always 1x2",
     [("kernel_size=kernel_size, bias=False", "kernel_size=(1, 2), bias=False"),
      (".reshape(kernel_size)", ".reshape((1, 2))")]),
    ("learn_kernel", "lr", "lr ignored: always 3e-2", [("-= lr *", "-= 3e-2 *")]),
    ("learn_kernel", "num_epochs", "num_epochs ignored: always 10", [("range(num_epochs)", "range(10)")]),
    ("learn_kernel", "seed", "seed ignored: always 0", [("torch.manual_seed(seed)", "torch.manual_seed(0)")]),
    ("diagonal_edge_image", "height", "height ignored: always 6",
     [("torch.ones((height, width))", "torch.ones((6, width))"), ("range(height)", "range(6)")]),
    ("diagonal_edge_image", "width", "width ignored: always 8",
     [("torch.ones((height, width))", "torch.ones((height, 8))"), ("if j < width:", "if j < 8:")]),
    ("conv_output_shape", "input_shape", "input size ignored: always 8",
     [(_FORMULA, "(8 + 2 * p[i] - k[i]) // s[i] + 1")]),
    ("conv_output_shape", "kernel_size", "kernel size ignored: always 3",
     [(_FORMULA, "(n[i] + 2 * p[i] - 3) // s[i] + 1")]),
    ("conv_output_shape", "padding", "padding ignored", [(_FORMULA, "(n[i] - k[i]) // s[i] + 1")]),
    ("conv_output_shape", "stride", "stride ignored", [(_FORMULA, "(n[i] + 2 * p[i] - k[i]) + 1")]),
    ("pool2d", "pool_size", "pool_size read as (width, height)", [("p_h, p_w = pool_size", "p_w, p_h = pool_size")]),
    ("pool2d", "mode", "mode ignored: always max",
     [('window.max() if mode == "max" else window.mean()', "window.max()")]),
    ("avg_pooling_via_convolution", "pool_size", "pool_size read as (width, height)",
     [("p_h, p_w = pool_size", "p_w, p_h = pool_size")]),
    ("avg_pooling_via_convolution", "stride", "stride ignored", [(", kernel, stride=stride)", ", kernel)")]),
    ("LeNet", "lr", "no lr parameter",
     [("def __init__(self, lr=0.1, num_classes=10):", "def __init__(self, num_classes=10):")]),
    ("LeNet", "num_classes", "num_classes ignored: always 10", [("nn.LazyLinear(num_classes))", "nn.LazyLinear(10))")]),
    ("ModernLeNet", "lr", "no lr parameter",
     [("def __init__(self, lr=0.1, num_classes=10):", "def __init__(self, num_classes=10):")]),
    ("ModernLeNet", "num_classes", "num_classes ignored: always 10",
     [("nn.LazyLinear(num_classes))", "nn.LazyLinear(10))")]),
    ("vgg_block", "num_convs", "num_convs ignored: always two", [("range(num_convs)", "range(2)")]),
    ("vgg_block", "out_channels", "out_channels ignored: always 16",
     [("nn.LazyConv2d(out_channels,", "nn.LazyConv2d(16,")]),
    ("VGG", "arch", "arch's num_convs ignored: one convolution per block",
     [("vgg_block(num_convs, out_channels)", "vgg_block(1, out_channels)")]),
    ("VGG", "lr", "no lr parameter",
     [("def __init__(self, arch, lr=0.1, num_classes=10):", "def __init__(self, arch, num_classes=10):")]),
    ("VGG", "num_classes", "num_classes ignored: always 10", [("nn.LazyLinear(num_classes))", "nn.LazyLinear(10))")]),
    ("Residual", "num_channels", "num_channels ignored: always 8",
     [("nn.LazyConv2d(num_channels,", "nn.LazyConv2d(8,", 3)]),
    ("Residual", "use_1x1conv", "use_1x1conv ignored: never a projection",
     [("        if use_1x1conv:\n", "        if False:\n")]),
    ("Residual", "strides", "strides ignored: always 1", [("stride=strides)", "stride=1)", 2)]),
    ("ResNet", "arch", "arch ignored: always ResNet-18's stages",
     [("enumerate(arch)", "enumerate(((2, 64), (2, 128), (2, 256), (2, 512)))")]),
    ("ResNet", "lr", "no lr parameter",
     [("def __init__(self, arch, lr=0.1, num_classes=10):", "def __init__(self, arch, num_classes=10):")]),
    ("ResNet", "num_classes", "num_classes ignored: always 10",
     [("nn.LazyLinear(num_classes)))", "nn.LazyLinear(10)))")]),
    ("ResNet18", "lr", "no lr parameter",
     [("def __init__(self, lr=0.1, num_classes=10):", "def __init__(self, num_classes=10):"),
      ("lr, num_classes)", "0.1, num_classes)")]),
    ("ResNet18", "num_classes", "num_classes ignored: always 10", [("lr, num_classes)", "lr, 10)")]),
]


def edited_reference(item, description, edits):
    """The reference definition of ``item`` with ``edits`` applied in order; each edit's text must
    occur exactly as often as it says, so a stale table stops the tests instead of drifting."""
    reference = reference_definitions()[item]
    source = reference
    for old, new, *times in edits:
        expected = times[0] if times else 1
        found = source.count(old)
        assert found == expected, (
            f"mutant {item!r} ({description}): expected {old!r} {expected} time(s) in the reference "
            f"definition of {item!r} in solutions/, found it {found} time(s); update tests/mutants.py")
        source = source.replace(old, new)
    assert source != reference, f"mutant {item!r} ({description}): its edits leave the reference unchanged"
    return source


def _mutant_source(item, description, change):
    source = dedent(change) if isinstance(change, str) else edited_reference(item, description, change)
    return source.strip() + "\n"


MUTANTS = [(item, description, _mutant_source(item, description, change)) for item, description, change in _ROWS]


def solved_homework(substitutes=()):
    """Cells of the whole homework solved with the reference definitions, in order, each graded
    definition replaced by the source ``substitutes`` gives for its item (at most one per item)."""
    from notebook_factory import IMPORTS

    replacing = dict(substitutes)
    assert len(replacing) == len(substitutes), "one substitute per item"
    return [IMPORTS] + [replacing.pop(name, source) for name, source in reference_definitions().items()] + \
        list(replacing.values())


def rounds(entries=None):
    """(item, description, source) entries, the mutants by default, packed into notebooks with at
    most one entry per item: round k holds the k-th entry of every item that has one, so round 0
    covers every item and the first rounds are the fullest."""
    packed, seen = [], {}
    for entry in MUTANTS if entries is None else entries:
        k = seen[entry[0]] = seen.get(entry[0], -1) + 1
        if k == len(packed):
            packed.append([])
        packed[k].append(entry)
    return packed


PARAMETER_MUTANTS = [(item, parameter, f"{parameter}: {description}", _mutant_source(item, description, edits))
                     for item, parameter, description, edits in _PARAMETER_ROWS]
