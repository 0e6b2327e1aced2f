"""Correct solutions written differently from the reference get full marks on every item.

Vectorised code (unfold, einsum, F.conv2d), loops arranged otherwise, extra keyword arguments with
defaults, layers named, nested and registered differently, eager layers where the reference is
lazy, shortcuts computed first, classes calling their base by name: none of it may cost a point.
They are packed into two notebooks like the mutants (at most one alternative per item each).

Nor may the dtype or device the code works in: models made with ``.double()``, ``.half()`` or in
bfloat16, functions that compute in float64, answer in int64 or move their inputs to
``d2l.try_gpu()``, and the whole homework in a kernel whose default dtype is float64 or float16.
"""

from textwrap import dedent

import pytest
from mutants import rounds, solved_homework
from notebook_factory import grade, write_notebook
from shared_gradings import HOMEWORK_LIMITS

_ROWS = [
    ("fully_connected_param_count", "written as a product of four sides", """
def fully_connected_param_count(height, width):
    return height * width * height * width
"""),
    ("translation_invariant_param_count", "counts the offsets with range()", """
def translation_invariant_param_count(height, width):
    return len(range(-(height - 1), height)) * len(range(-(width - 1), width))
"""),
    ("local_param_count", "counts the window by looping over it", """
def local_param_count(delta, in_channels=1, out_channels=1):
    window = sum(1 for a in range(-delta, delta + 1) for b in range(-delta, delta + 1))
    return window * in_channels * out_channels
"""),
    ("corr2d", "F.unfold and a matrix product", """
def corr2d(X, K):
    h, w = K.shape
    columns = F.unfold(X[None, None], (h, w))[0]
    return (K.reshape(1, -1) @ columns).reshape(X.shape[0] - h + 1, X.shape[1] - w + 1)
"""),
    ("corr2d", "Tensor.unfold and einsum", """
def corr2d(X, K):
    windows = X.unfold(0, K.shape[0], 1).unfold(1, K.shape[1], 1)
    return torch.einsum('ijab,ab->ij', windows, K)
"""),
    ("Conv2D", "other parameter names, a 0-d bias, d2l.corr2d", """
class Conv2D(nn.Module):
    def __init__(self, kernel_size, init_scale=0.1):
        super().__init__()
        self.kernel = nn.Parameter(init_scale * torch.randn(kernel_size))
        self.offset = nn.Parameter(torch.tensor(0.0))

    def forward(self, x):
        return d2l.corr2d(x, self.kernel) + self.offset
"""),
    ("Conv2D", "the bias registered first, corr2d with a loop over the kernel", """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.register_parameter('bias', nn.Parameter(torch.zeros(1)))
        self.register_parameter('weight', nn.Parameter(torch.rand(*kernel_size)))

    def forward(self, x):
        h, w = self.weight.shape
        out_h, out_w = x.shape[0] - h + 1, x.shape[1] - w + 1
        y = self.bias.expand(out_h, out_w)
        for a in range(h):
            for b in range(w):
                y = y + self.weight[a, b] * x[a:a + out_h, b:b + out_w]
        return y
"""),
    ("learn_kernel", "a raw kernel tensor, F.conv2d and torch.optim.SGD", """
def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    torch.manual_seed(seed)
    K = torch.randn(kernel_size, requires_grad=True)
    optimizer = torch.optim.SGD([K], lr=lr)
    for _ in range(num_epochs):
        optimizer.zero_grad()
        loss = ((F.conv2d(X[None, None], K[None, None]) - Y[None, None]) ** 2).sum()
        loss.backward()
        optimizer.step()
    return K.detach()
"""),
    ("diagonal_edge_image", "built from index comparisons", """
def diagonal_edge_image(height=6, width=8):
    offset = torch.arange(width)[None, :] - torch.arange(height)[:, None]
    return ((offset != 0) & (offset != 1)).float()
"""),
    ("comp_conv2d", "indexing instead of reshaping", """
def comp_conv2d(conv2d, X):
    return conv2d(X[None, None])[0, 0]
"""),
    ("conv_output_shape", "math.floor, a list, any sequence for pairs", """
import math

def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    def pair(value):
        return (value, value) if isinstance(value, int) else tuple(value)
    return [math.floor((n + 2 * p - k) / s) + 1
            for n, k, p, s in zip(pair(input_shape), pair(kernel_size), pair(padding), pair(stride))]
"""),
    ("corr2d_multi_in", "the student's own corr2d, stacked and summed", """
def corr2d_multi_in(X, K):
    return torch.stack([corr2d(x, k) for x, k in zip(X, K)]).sum(dim=0)
"""),
    ("corr2d_multi_in", "one F.conv2d call", """
def corr2d_multi_in(X, K):
    return F.conv2d(X[None], K[None])[0, 0]
"""),
    ("corr2d_multi_in_out", "torch.cat of unsqueezed channels", """
def corr2d_multi_in_out(X, K):
    return torch.cat([corr2d_multi_in(X, k).unsqueeze(0) for k in K])
"""),
    ("corr2d_multi_in_out_1x1", "einsum", """
def corr2d_multi_in_out_1x1(X, K):
    return torch.einsum('oi,ihw->ohw', K[:, :, 0, 0], X)
"""),
    ("pool2d", "Tensor.unfold, amax and an extra stride argument", """
def pool2d(X, pool_size, mode='max', stride=1):
    windows = X.unfold(0, pool_size[0], stride).unfold(1, pool_size[1], stride)
    if mode == 'max':
        return windows.amax(dim=(-2, -1))
    if mode == 'avg':
        return windows.mean(dim=(-2, -1))
    raise ValueError(f'unknown mode {mode!r}')
"""),
    ("pool2d", "the library's pooling functions", """
def pool2d(X, pool_size, mode='max'):
    pool = F.max_pool2d if mode == 'max' else F.avg_pool2d
    return pool(X[None, None], tuple(pool_size), stride=1)[0, 0]
"""),
    ("avg_pooling_via_convolution", "a kernel of ones divided by the window's size", """
def avg_pooling_via_convolution(X, pool_size, stride=1):
    kernel = torch.ones((1, 1) + tuple(pool_size)) / (pool_size[0] * pool_size[1])
    return F.conv2d(X.reshape((1, 1) + X.shape), kernel, stride=stride)[0, 0]
"""),
    ("LeNet", "eager layers, named in an OrderedDict", """
from collections import OrderedDict

class LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(OrderedDict([
            ('c1', nn.Conv2d(1, 6, kernel_size=5, padding=2)), ('s1', nn.Sigmoid()), ('p1', nn.AvgPool2d(2)),
            ('c2', nn.Conv2d(6, 16, kernel_size=5)), ('s2', nn.Sigmoid()), ('p2', nn.AvgPool2d(2)),
            ('flat', nn.Flatten()),
            ('f1', nn.Linear(400, 120)), ('s3', nn.Sigmoid()),
            ('f2', nn.Linear(120, 84)), ('s4', nn.Sigmoid()),
            ('out', nn.Linear(84, num_classes))]))
"""),
    ("ModernLeNet", "layers as attributes, a functional forward", """
class ModernLeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.conv1 = nn.LazyConv2d(6, 5, padding=2)
        self.conv2 = nn.LazyConv2d(16, 5)
        self.fc1, self.fc2, self.fc3 = nn.LazyLinear(120), nn.LazyLinear(84), nn.LazyLinear(num_classes)

    def forward(self, X):
        X = F.max_pool2d(F.relu(self.conv1(X)), 2)
        X = F.max_pool2d(F.relu(self.conv2(X)), 2)
        X = torch.flatten(X, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(X)))))
"""),
    ("ModernLeNet", "subclasses LeNet and replaces its layers", """
class ModernLeNet(LeNet):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(lr, num_classes)
        self.net = nn.Sequential(*[
            nn.ReLU() if isinstance(layer, nn.Sigmoid) else
            nn.MaxPool2d(2, 2) if isinstance(layer, nn.AvgPool2d) else layer for layer in self.net])
"""),
    ("vgg_block", "a comprehension, and an optional kernel size", """
def vgg_block(num_convs, out_channels, kernel_size=3):
    convs = [[nn.LazyConv2d(out_channels, kernel_size, padding=kernel_size // 2), nn.ReLU()]
             for _ in range(num_convs)]
    return nn.Sequential(*[layer for pair in convs for layer in pair], nn.MaxPool2d(2))
"""),
    ("VGG", "features and classifier as nested blocks", """
class VGG(d2l.Classifier):
    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        features = nn.Sequential(*(vgg_block(n, c) for n, c in arch))
        classifier = nn.Sequential(
            nn.Flatten(),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(num_classes))
        self.net = nn.Sequential(features, classifier)
"""),
    ("VGG16_ARCH", "a list of lists", """
VGG16_ARCH = [[2, 64], [2, 128], [3, 256], [3, 512], [3, 512]]
"""),
    ("VGG19_ARCH", "built with zip", """
VGG19_ARCH = tuple(zip((2, 2, 4, 4, 4), (64, 128, 256, 512, 512)))
"""),
    ("Residual", "other names, norms registered first, eager second conv, shortcut computed first", """
class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.norm_a = nn.BatchNorm2d(num_channels)
        self.norm_b = nn.BatchNorm2d(num_channels)
        self.shortcut = nn.LazyConv2d(num_channels, 1, stride=strides) if use_1x1conv else nn.Identity()
        self.conv_a = nn.LazyConv2d(num_channels, 3, padding=1, stride=strides)
        self.conv_b = nn.Conv2d(num_channels, num_channels, 3, padding=1)

    def forward(self, X):
        skip = self.shortcut(X)
        Y = F.relu(self.norm_a(self.conv_a(X)))
        return F.relu(self.norm_b(self.conv_b(Y)) + skip)
"""),
    ("Residual", "the main path as one nn.Sequential", """
class Residual(nn.Module):
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.body = nn.Sequential(
            nn.LazyConv2d(num_channels, kernel_size=3, padding=1, stride=strides), nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.LazyConv2d(num_channels, kernel_size=3, padding=1), nn.LazyBatchNorm2d())
        self.project = nn.LazyConv2d(num_channels, kernel_size=1, stride=strides) if use_1x1conv else None

    def forward(self, X):
        return torch.relu(self.body(X) + (X if self.project is None else self.project(X)))
"""),
    ("ResNet", "a stage helper function, an eager stem and head", """
def resnet_stage(num_residuals, num_channels, first_block=False):
    halve = lambda i: i == 0 and not first_block
    return nn.Sequential(*[Residual(num_channels, use_1x1conv=halve(i), strides=2 if halve(i) else 1)
                           for i in range(num_residuals)])

class ResNet(d2l.Classifier):
    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        stem = nn.Sequential(nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(64), nn.ReLU(),
                             nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
        stages = [resnet_stage(*stage, first_block=(i == 0)) for i, stage in enumerate(arch)]
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(arch[-1][1], num_classes))
        self.net = nn.Sequential(stem, *stages, head)
"""),
    ("ResNet18", "calls ResNet.__init__ by name, with keywords", """
class ResNet18(ResNet):
    def __init__(self, lr=0.1, num_classes=10):
        ResNet.__init__(self, arch=[(2, 64), (2, 128), (2, 256), (2, 512)], lr=lr, num_classes=num_classes)
"""),
]

# Correct code that works in another dtype or on another device (one per item that has a single
# alternative above, so the packing stays at two notebooks).
_DTYPE_ROWS = [
    ("comp_conv2d", "computes in float64: the layer and its input made double", """
def comp_conv2d(conv2d, X):
    Y = conv2d.double()(X.double().reshape((1, 1) + X.shape))
    return Y.reshape(Y.shape[2:])
"""),
    ("diagonal_edge_image", "an int64 image", """
def diagonal_edge_image(height=6, width=8):
    X = torch.ones((height, width), dtype=torch.int64)
    for i in range(height):
        X[i, i:i + 2] = 0
    return X
"""),
    ("avg_pooling_via_convolution", "float64 throughout", """
def avg_pooling_via_convolution(X, pool_size, stride=1):
    kernel = torch.full((1, 1) + tuple(pool_size), 1.0 / (pool_size[0] * pool_size[1]), dtype=torch.float64)
    return F.conv2d(X.double()[None, None], kernel, stride=stride)[0, 0]
"""),
    ("learn_kernel", "learns in float64", """
def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    torch.manual_seed(seed)
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False).double()
    X, Y = X.double().reshape((1, 1) + X.shape), Y.double().reshape((1, 1) + Y.shape)
    for _ in range(num_epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)
"""),
    ("corr2d_multi_in_out_1x1", "moves its inputs to d2l.try_gpu() (the CPU here)", """
def corr2d_multi_in_out_1x1(X, K):
    X, K = X.to(d2l.try_gpu()), K.to(d2l.try_gpu())
    c_i, h, w = X.shape
    return (K.reshape((K.shape[0], c_i)) @ X.reshape((c_i, h * w))).reshape((K.shape[0], h, w))
"""),
    ("LeNet", "a float64 model: .double() on its layers", """
class LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(), nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(), nn.LazyLinear(120), nn.Sigmoid(), nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes)).double()
"""),
    ("vgg_block", "a float16 block: .half()", """
def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers += [nn.LazyConv2d(out_channels, kernel_size=3, padding=1), nn.ReLU()]
    return nn.Sequential(*layers, nn.MaxPool2d(kernel_size=2, stride=2)).half()
"""),
    ("ResNet18", "a bfloat16 model", """
class ResNet18(ResNet):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)), lr, num_classes)
        self.to(torch.bfloat16)
"""),
]

ALTERNATIVES = [(item, description, dedent(source).strip() + "\n") for item, description, source in _ROWS + _DTYPE_ROWS]
ROUNDS = rounds(ALTERNATIVES)


@pytest.mark.parametrize("number", range(len(ROUNDS)), ids=[f"notebook{k}" for k in range(len(ROUNDS))])
def test_alternative_correct_solutions_get_full_marks(tmp_path, number):
    alternatives = ROUNDS[number]
    notebook = write_notebook(tmp_path / "homework.ipynb",
                              *solved_homework([(item, source) for item, _, source in alternatives]))
    table, _ = grade(notebook, limits=HOMEWORK_LIMITS)
    described = {item: description for item, description, _ in alternatives}
    lost = {f"{item} ({described.get(item, 'reference')})": (got, full, statuses, feedback)
            for item, (got, full, statuses, feedback) in table.items() if got != full}
    assert not lost


# The whole homework, solved, in a kernel whose default dtype is not float32: every input the
# grader sends, every weight it transplants and every comparison follow the kernel.
DEFAULT_DTYPES = ["float64", "float16", pytest.param("bfloat16", marks=pytest.mark.slow)]


@pytest.mark.parametrize("dtype", DEFAULT_DTYPES)
def test_the_solved_homework_in_another_default_dtype_gets_full_marks(graded_homework, dtype):
    cells = solved_homework()
    cells.insert(1, f"torch.set_default_dtype(torch.{dtype})")
    table = graded_homework(cells).table()   # float64's grading is test_check_cell's too
    lost = {item: (got, full, statuses, feedback) for item, (got, full, statuses, feedback) in table.items()
            if got != full}
    assert not lost
