"""Realistic student bugs, one definition each: (graded item, what is wrong, the cell's source).

Each source replaces the reference definition of its item in an otherwise solved homework; the
grader must take points off that item and no other. ``rounds()`` packs them into notebooks with at
most one mutant per item, so a handful of kernels grade them all.
"""

from textwrap import dedent

from mutants_models import MODEL_ROWS

_ROWS = [
    # ---- 7.1 -------------------------------------------------------------------------------
    ("fully_connected_param_count", "one weight per pixel instead of per pair of pixels", """
def fully_connected_param_count(height, width):
    return height * width
"""),
    ("translation_invariant_param_count", "offsets counted as 2n + 1", """
def translation_invariant_param_count(height, width):
    return (2 * height + 1) * (2 * width + 1)
"""),
    ("local_param_count", "the seed's 4 * delta**2", """
def local_param_count(delta, in_channels=1, out_channels=1):
    return 4 * delta ** 2 * in_channels * out_channels
"""),
    ("local_param_count", "channels ignored", """
def local_param_count(delta, in_channels=1, out_channels=1):
    return (2 * delta + 1) ** 2
"""),
    # ---- 7.2 -------------------------------------------------------------------------------
    ("corr2d", "flipped kernel: a true convolution", """
def corr2d(X, K):
    K = torch.flip(K, (0, 1))
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""),
    ("corr2d", "output one row and one column short", """
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h, X.shape[1] - w))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
"""),
    ("corr2d", "mean of the window instead of the sum", """
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).mean()
    return Y
"""),
    ("corr2d", "kernel height and width swapped in the window", """
def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + w, j:j + h] * K).sum()
    return Y
"""),
    ("Conv2D", "bias never added", """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight)
"""),
    ("Conv2D", "weight is a plain tensor, not a parameter", """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = torch.rand(kernel_size)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias
"""),
    ("Conv2D", "a bias per kernel entry", """
class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(kernel_size))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias.sum()
"""),
    ("learn_kernel", "gradient ascent", """
def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    torch.manual_seed(seed)
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape))
    Y = Y.reshape((1, 1) + tuple(Y.shape))
    for _ in range(num_epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        conv2d.weight.data[:] += lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)
"""),
    ("learn_kernel", "gradients never zeroed", """
def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    torch.manual_seed(seed)
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape))
    Y = Y.reshape((1, 1) + tuple(Y.shape))
    for _ in range(num_epochs):
        loss = ((conv2d(X) - Y) ** 2).sum()
        loss.backward()
        conv2d.weight.data[:] -= lr * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)
"""),
    ("learn_kernel", "lr and num_epochs ignored", """
def learn_kernel(X, Y, kernel_size=(1, 2), lr=3e-2, num_epochs=10, seed=0):
    torch.manual_seed(seed)
    conv2d = nn.LazyConv2d(1, kernel_size=kernel_size, bias=False)
    X = X.reshape((1, 1) + tuple(X.shape))
    Y = Y.reshape((1, 1) + tuple(Y.shape))
    for _ in range(10):
        loss = ((conv2d(X) - Y) ** 2).sum()
        conv2d.zero_grad()
        loss.backward()
        conv2d.weight.data[:] -= 3e-2 * conv2d.weight.grad
    return conv2d.weight.data.reshape(kernel_size)
"""),
    ("diagonal_edge_image", "band on the wrong side of the diagonal", """
def diagonal_edge_image(height=6, width=8):
    X = torch.ones((height, width))
    for i in range(height):
        for j in (i - 1, i):
            if 0 <= j < width:
                X[i, j] = 0
    return X
"""),
    ("diagonal_edge_image", "no bounds check: fails when the band leaves the image", """
def diagonal_edge_image(height=6, width=8):
    X = torch.ones((height, width))
    for i in range(height):
        X[i, i] = 0
        X[i, i + 1] = 0
    return X
"""),
    # ---- 7.3 -------------------------------------------------------------------------------
    ("comp_conv2d", "squeeze() drops every axis of size 1", """
def comp_conv2d(conv2d, X):
    Y = conv2d(X.reshape((1, 1) + X.shape))
    return Y.squeeze()
"""),
    ("comp_conv2d", "no batch axis: the layer sees an unbatched input", """
def comp_conv2d(conv2d, X):
    X = X.reshape((1,) + X.shape)
    Y = conv2d(X)
    return Y.reshape(Y.shape[2:])
"""),
    ("conv_output_shape", "padding counted once", """
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    n, k, p, s = pair(input_shape), pair(kernel_size), pair(padding), pair(stride)
    return tuple((n[i] + p[i] - k[i]) // s[i] + 1 for i in range(2))
"""),
    ("conv_output_shape", "ceiling instead of floor", """
import math

def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
    n, k, p, s = pair(input_shape), pair(kernel_size), pair(padding), pair(stride)
    return tuple(math.ceil((n[i] + 2 * p[i] - k[i]) / s[i]) + 1 for i in range(2))
"""),
    ("conv_output_shape", "only pairs accepted, not ints", """
def conv_output_shape(input_shape, kernel_size, padding=0, stride=1):
    (n_h, n_w), (k_h, k_w) = input_shape, kernel_size
    (p_h, p_w) = (0, 0) if padding == 0 else padding
    (s_h, s_w) = (1, 1) if stride == 1 else stride
    return ((n_h + 2 * p_h - k_h) // s_h + 1, (n_w + 2 * p_w - k_w) // s_w + 1)
"""),
    # ---- 7.4 -------------------------------------------------------------------------------
    ("corr2d_multi_in", "mean over the channels instead of the sum", """
def corr2d_multi_in(X, K):
    return sum(d2l.corr2d(x, k) for x, k in zip(X, K)) / len(X)
"""),
    ("corr2d_multi_in", "only the first channel", """
def corr2d_multi_in(X, K):
    return d2l.corr2d(X[0], K[0])
"""),
    ("corr2d_multi_in_out", "output channels added instead of stacked", """
def corr2d_multi_in_out(X, K):
    return sum(corr2d_multi_in(X, k) for k in K)
"""),
    ("corr2d_multi_in_out", "concatenated along the height instead of stacked", """
def corr2d_multi_in_out(X, K):
    return torch.cat([corr2d_multi_in(X, k) for k in K], 0)
"""),
    ("corr2d_multi_in_out_1x1", "kernel matrix read as (c_i, c_o)", """
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    Y = torch.matmul(K.reshape((c_i, c_o)).T, X.reshape((c_i, h * w)))
    return Y.reshape((c_o, h, w))
"""),
    ("corr2d_multi_in_out_1x1", "spatial shape not restored", """
def corr2d_multi_in_out_1x1(X, K):
    c_i, h, w = X.shape
    c_o = K.shape[0]
    return torch.matmul(K.reshape((c_o, c_i)), X.reshape((c_i, h * w)))
"""),
    # ---- 7.5 -------------------------------------------------------------------------------
    ("pool2d", "mode ignored: always max", """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = X[i: i + p_h, j: j + p_w].max()
    return Y
"""),
    ("pool2d", "average computed as the sum", """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i: i + p_h, j: j + p_w]
            Y[i, j] = window.max() if mode == 'max' else window.sum()
    return Y
"""),
    ("pool2d", "running maximum starts at 0", """
def pool2d(X, pool_size, mode='max'):
    p_h, p_w = pool_size
    Y = torch.zeros((X.shape[0] - p_h + 1, X.shape[1] - p_w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            if mode == 'avg':
                Y[i, j] = X[i: i + p_h, j: j + p_w].mean()
            else:
                best = 0.0
                for a in range(p_h):
                    for b in range(p_w):
                        best = max(best, float(X[i + a, j + b]))
                Y[i, j] = best
    return Y
"""),
    ("avg_pooling_via_convolution", "the seed's squeeze(): a one-row result loses its axis", """
def avg_pooling_via_convolution(X, pool_size, stride=1):
    kernel_value = 1.0 / (pool_size[0] * pool_size[1])
    kernel = torch.full((1, 1, *pool_size), kernel_value)
    X = X.unsqueeze(0).unsqueeze(0)
    Y = F.conv2d(X, kernel, stride=stride)
    return Y.squeeze()
"""),
    ("avg_pooling_via_convolution", "kernel of ones: sum pooling", """
def avg_pooling_via_convolution(X, pool_size, stride=1):
    kernel = torch.ones((1, 1) + tuple(pool_size))
    return F.conv2d(X[None, None], kernel, stride=stride)[0, 0]
"""),
    ("avg_pooling_via_convolution", "stride ignored", """
def avg_pooling_via_convolution(X, pool_size, stride=1):
    kernel = torch.full((1, 1) + tuple(pool_size), 1.0 / (pool_size[0] * pool_size[1]))
    return F.conv2d(X[None, None], kernel)[0, 0]
"""),
]

MUTANTS = [(item, description, dedent(source).strip() + "\n") for item, description, source in _ROWS + MODEL_ROWS]


def solved_homework(substitutes=()):
    """Cells of the whole homework solved with the reference definitions, in order, each graded
    definition replaced by the source ``substitutes`` gives for its item (at most one per item)."""
    from notebook_factory import IMPORTS
    from solutions.fill import reference_definitions

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
