"""The book's own chapter 7-8 code, in the book's style, gets full marks on every name it defines.

The cells are the d2l (PyTorch) code as the seed notebook shows it, demonstrations and all: a
definition sharing its cell with its demo, ``pool2d`` rebound to ``nn.MaxPool2d`` later on,
``ResNet`` assembled with ``@d2l.add_to_class``, ``if self.conv3:``, the exercise's
``Modern_LeNet``. The seed's transcription slips that are syntax errors (ResNet18's ``super()``
call) are fixed; so are its ``nn.Conv2d(out_channels, ...)`` and ``nn.Linear(4096)``, which the
book writes as lazy layers (the seed's ``vgg_block`` is a mutant in tests/mutants.py).
"""

from notebook_factory import grade, write_notebook
from shared_gradings import HOMEWORK_LIMITS

from grader.items import ITEMS

BOOK = [
    # ---- 7.2 ----------------------------------------------------------------------------------
    "import torch\nfrom torch import nn\nfrom d2l import torch as d2l",
    '''def corr2d(X, K):  #@save
    """Compute 2D cross-correlation."""
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y''',
    "X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])\n"
    "K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])\ncorr2d(X, K)",
    '''class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias''',
    "X = torch.ones((6, 8))\nX[:, 2:6] = 0\nX",
    "K = torch.tensor([[1.0, -1.0]])",
    "Y = corr2d(X, K)\nY",
    "corr2d(X.t(), K)",
    '''# Construct a two-dimensional convolutional layer with 1 output channel and a
# kernel of shape (1, 2). For the sake of simplicity, we ignore the bias here
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)

# The two-dimensional convolutional layer uses four-dimensional input and
# output in the format of (example, channel, height, width), where the batch
# size (number of examples in the batch) and the number of channels are both 1
X = X.reshape((1, 1, 6, 8))
Y = Y.reshape((1, 1, 6, 7))
lr = 3e-2  # Learning rate

for i in range(10):
    Y_hat = conv2d(X)
    l = (Y_hat - Y) ** 2
    conv2d.zero_grad()
    l.sum().backward()
    # Update the kernel
    conv2d.weight.data[:] -= lr * conv2d.weight.grad
    if (i + 1) % 2 == 0:
        print(f'epoch {i + 1}, loss {l.sum():.3f}')''',
    "conv2d.weight.data.reshape((1, 2))",
    # ---- 7.3 ----------------------------------------------------------------------------------
    '''import torch
from torch import nn

# We define a helper function to calculate convolutions. It initializes the
# convolutional layer weights and performs corresponding dimensionality
# elevations and reductions on the input and output
def comp_conv2d(conv2d, X):
    # (1, 1) indicates that batch size and the number of channels are both 1
    X = X.reshape((1, 1) + X.shape)
    Y = conv2d(X)
    # Strip the first two dimensions: examples and channels
    return Y.reshape(Y.shape[2:])

# 1 row and column is padded on either side, so a total of 2 rows or columns
# are added
conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1)
X = torch.rand(size=(8, 8))
comp_conv2d(conv2d, X).shape''',
    "conv2d = nn.LazyConv2d(1, kernel_size=(5, 3), padding=(2, 1))\ncomp_conv2d(conv2d, X).shape",
    "conv2d = nn.LazyConv2d(1, kernel_size=3, padding=1, stride=2)\ncomp_conv2d(conv2d, X).shape",
    "conv2d = nn.LazyConv2d(1, kernel_size=(3, 5), padding=(0, 1), stride=(3, 4))\ncomp_conv2d(conv2d, X).shape",
    # ---- 7.4 ----------------------------------------------------------------------------------
    "import torch\nfrom d2l import torch as d2l",
    '''def corr2d_multi_in(X, K):
    # Iterate through the 0th dimension (channel) of K first, then add them up
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K))''',
    '''X = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]],
               [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]])
K = torch.tensor([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])

corr2d_multi_in(X, K)''',
    '''def corr2d_multi_in_out(X, K):
    # Iterate through the 0th dimension of K, and each time, perform
    # cross-correlation operations with input X. All of the results are
    # stacked together
    return torch.stack([corr2d_multi_in(X, k) for k in K], 0)''',
    "K = torch.stack((K, K + 1, K + 2), 0)\nK.shape",
    "corr2d_multi_in_out(X, K)",
    '''def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    X = X.reshape((c_i, h * w))
    K = K.reshape((c_o, c_i))
    # Matrix multiplication in the fully connected layer
    Y = torch.matmul(K, X)
    return Y.reshape((c_o, h, w))''',
    '''X = torch.normal(0, 1, (3, 3, 3))
K = torch.normal(0, 1, (2, 3, 1, 1))
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = corr2d_multi_in_out(X, K)
assert float(torch.abs(Y1 - Y2).sum()) < 1e-6''',
    # ---- 7.5 ----------------------------------------------------------------------------------
    "import torch\nfrom torch import nn\nfrom d2l import torch as d2l",
    '''def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'max':
                Y[i, j] = X[i: i + p_h, j: j + p_w].max()
            elif mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
    return Y''',
    "X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])\npool2d(X, (2, 2))",
    "pool2d(X, (2, 2), 'avg')",
    "X = torch.arange(16, dtype=torch.float32).reshape((1, 1, 4, 4))\nX",
    "pool2d = nn.MaxPool2d(3)\n# Pooling has no model parameters, hence it needs no initialization\npool2d(X)",
    "pool2d = nn.MaxPool2d(3, padding=1, stride=2)\npool2d(X)",
    "pool2d = nn.MaxPool2d((2, 3), stride=(2, 3), padding=(0, 1))\npool2d(X)",
    "X = torch.cat((X, X + 1), 1)\npool2d = nn.MaxPool2d(3, padding=1, stride=2)\npool2d(X)",
    # ---- 7.6 ----------------------------------------------------------------------------------
    "import torch\nfrom torch import nn\nfrom d2l import torch as d2l",
    '''def init_cnn(module):  #@save
    """Initialize weights for CNNs."""
    if type(module) == nn.Linear or type(module) == nn.Conv2d:
        nn.init.xavier_uniform_(module.weight)

class LeNet(d2l.Classifier):  #@save
    """The LeNet-5 model."""
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.Sigmoid(),
            nn.AvgPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.Sigmoid(),
            nn.LazyLinear(84), nn.Sigmoid(),
            nn.LazyLinear(num_classes))''',
    '''@d2l.add_to_class(d2l.Classifier)  #@save
def layer_summary(self, X_shape):
    X = torch.randn(*X_shape)
    for layer in self.net:
        X = layer(X)
        print(layer.__class__.__name__, 'output shape:\\t', X.shape)

model = LeNet()
model.layer_summary((1, 1, 28, 28))''',
    '''class Modern_LeNet(d2l.Classifier):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(
            nn.LazyConv2d(6, kernel_size=5, padding=2), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.LazyConv2d(16, kernel_size=5), nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2),
            nn.Flatten(),
            nn.LazyLinear(120), nn.ReLU(),
            nn.LazyLinear(84), nn.ReLU(),
            nn.LazyLinear(num_classes))''',
    # ---- 8.2 ----------------------------------------------------------------------------------
    "import torch\nfrom torch import nn\nfrom d2l import torch as d2l",
    '''def vgg_block(num_convs, out_channels):
    layers = []
    for _ in range(num_convs):
        layers.append(nn.LazyConv2d(out_channels, kernel_size=3, padding=1))
        layers.append(nn.ReLU())
    layers.append(nn.MaxPool2d(kernel_size=2,stride=2))
    return nn.Sequential(*layers)''',
    '''class VGG(d2l.Classifier):
    def __init__(self, arch, lr=0.1, num_classes=10):
        super().__init__()
        self.save_hyperparameters()
        conv_blks = []
        for (num_convs, out_channels) in arch:
            conv_blks.append(vgg_block(num_convs, out_channels))
        self.net = nn.Sequential(
            *conv_blks, nn.Flatten(),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(4096), nn.ReLU(), nn.Dropout(0.5),
            nn.LazyLinear(num_classes))
        self.net.apply(d2l.init_cnn)''',
    "VGG(arch=((1, 16), (1, 32))).layer_summary((1, 1, 32, 32))",
    # ---- 8.6 ----------------------------------------------------------------------------------
    "import torch\nfrom torch import nn\nfrom torch.nn import functional as F\nfrom d2l import torch as d2l",
    '''class Residual(nn.Module):  #@save
    """The Residual block of ResNet models."""
    def __init__(self, num_channels, use_1x1conv=False, strides=1):
        super().__init__()
        self.conv1 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1,
                                   stride=strides)
        self.conv2 = nn.LazyConv2d(num_channels, kernel_size=3, padding=1)
        if use_1x1conv:
            self.conv3 = nn.LazyConv2d(num_channels, kernel_size=1,
                                       stride=strides)
        else:
            self.conv3 = None
        self.bn1 = nn.LazyBatchNorm2d()
        self.bn2 = nn.LazyBatchNorm2d()

    def forward(self, X):
        Y = F.relu(self.bn1(self.conv1(X)))
        Y = self.bn2(self.conv2(Y))
        if self.conv3:
            X = self.conv3(X)
        Y += X
        return F.relu(Y)''',
    "blk = Residual(3)\nX = torch.randn(4, 3, 6, 6)\nblk(X).shape",
    "blk = Residual(6, use_1x1conv=True, strides=2)\nblk(X).shape",
    '''class ResNet(d2l.Classifier):
    def b1(self):
        return nn.Sequential(
            nn.LazyConv2d(64, kernel_size=7, stride=2, padding=3),
            nn.LazyBatchNorm2d(), nn.ReLU(),
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1))''',
    '''@d2l.add_to_class(ResNet)
def block(self, num_residuals, num_channels, first_block=False):
    blk = []
    for i in range(num_residuals):
        if i == 0 and not first_block:
            blk.append(Residual(num_channels, use_1x1conv=True, strides=2))
        else:
            blk.append(Residual(num_channels))
    return nn.Sequential(*blk)''',
    '''@d2l.add_to_class(ResNet)
def __init__(self, arch, lr=0.1, num_classes=10):
    super(ResNet, self).__init__()
    self.save_hyperparameters()
    self.net = nn.Sequential(self.b1())
    for i, b in enumerate(arch):
        self.net.add_module(f'b{i+2}', self.block(*b, first_block=(i==0)))
    self.net.add_module('last', nn.Sequential(
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
        nn.LazyLinear(num_classes)))
    self.net.apply(d2l.init_cnn)''',
    '''class ResNet18(ResNet):
    def __init__(self, lr=0.1, num_classes=10):
        super().__init__(((2, 64), (2, 128), (2, 256), (2, 512)),
                       lr, num_classes)''',
    "ResNet18().layer_summary((1, 1, 96, 96))",
]

DEFINED = {"corr2d", "Conv2D", "comp_conv2d", "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1",
           "pool2d", "LeNet", "ModernLeNet", "vgg_block", "VGG", "Residual", "ResNet", "ResNet18"}


def test_the_books_code_gets_full_marks_on_every_name_it_defines(tmp_path):
    notebook = write_notebook(tmp_path / "book.ipynb", *BOOK)
    table, notes = grade(notebook, limits=HOMEWORK_LIMITS)
    assert not [note for note in notes if "cell" in note], notes  # every cell ran as in the book
    lost = {item: (got, full, statuses, feedback) for item, (got, full, statuses, feedback) in table.items()
            if item in DEFINED and got != full}
    assert not lost
    for item in set(ITEMS) - DEFINED:
        assert table[item][0] == 0 and set(table[item][2]) <= {"not submitted", "skipped"}, (item, table[item])
