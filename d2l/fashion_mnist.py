"""Fashion-MNIST from the four standard IDX files, as whole-split uint8 tensors.

The book's loader goes through torchvision, PIL and a DataLoader, converting one image at a
time; here each split is parsed once into one ``(N, 28, 28)`` uint8 tensor and batches are
converted (and resized) as whole tensors on the data's own device, so an epoch costs a few
tensor ops per batch and no worker processes.

Where the files come from (first that applies): the ``root`` argument, ``$FASHION_MNIST_DIR``,
``$XDG_CACHE_HOME/d2l-course/fashion-mnist`` (``~/.cache/...`` by default). Missing files are
downloaded and checked against the official MD5 sums (``fashion_mnist_fetch.py``, which also
runs as a command); files already present are checked for structure only, since re-packed
copies with other checksums are common.
"""

import functools
import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from . import fashion_mnist_fetch as fetch
from .data import DataModule, TensorBatches
from .fashion_mnist_fetch import (  # noqa: F401  (re-exported: the names callers know this module by)
    ENV_VAR,
    FILES,
    MIRROR,
    FashionMNISTChecksumError,
    FashionMNISTError,
    FashionMNISTFileError,
    FashionMNISTMirrorError,
    FashionMNISTNotFound,
    data_dir,
    find_file,
)
from .idx import IMAGES_MAGIC, LABELS_MAGIC, IDXFileError, read_idx

LABELS = ("t-shirt", "trouser", "pullover", "dress", "coat",
          "sandal", "shirt", "sneaker", "bag", "ankle boot")
IMAGE_SIZE = (28, 28)
_CACHE_LIMIT = 4  # parsed directories kept in memory (about 55 MB each for the real files)
_cache = {}


class FashionMNISTChecksumWarning(UserWarning):
    """Files already on disk differ from the official release but are structurally valid."""


# ---- parsing and checking ------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """One split: ``images`` uint8 ``(N, 28, 28)`` and ``labels`` int64 ``(N,)``, on one device.

    Raw pixels, not model input: the data loader's transform scales and resizes per batch.
    ``len(split)`` is the number of examples. The tensors may be shared with other data
    modules over the same files (see :func:`load`), so do not modify them in place.
    """

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self):
        return len(self.labels)

    def to(self, device):
        return Split(self.images.to(device), self.labels.to(device))


def _read(path, magic):
    """The file's array, as a writable native-order copy that torch can own."""
    try:
        array = read_idx(path, magic)
    except IDXFileError as error:
        raise FashionMNISTFileError(f"{error} (in {path.parent})") from None
    return np.array(array, dtype=array.dtype.newbyteorder("="))


def _read_split(images_path, labels_path):
    """Parse one image/label pair and check that they belong together."""
    images = _read(images_path, IMAGES_MAGIC)
    labels = _read(labels_path, LABELS_MAGIC)
    if images.shape[1:] != IMAGE_SIZE:
        raise FashionMNISTFileError(f"{images_path.name} holds {images.shape[1]}x{images.shape[2]} "
                                    f"images; Fashion-MNIST images are 28x28")
    if len(images) != len(labels):
        raise FashionMNISTFileError(f"{images_path.name} has {len(images)} images but "
                                    f"{labels_path.name} has {len(labels)} labels")
    bad = np.flatnonzero(labels >= len(LABELS))
    if bad.size:
        raise FashionMNISTFileError(f"{labels_path.name} has {bad.size} labels outside 0..9 "
                                    f"(the first at index {bad[0]}: {labels[bad[0]]})")
    return Split(torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64)))


def _warn_on_checksums(paths):
    """One notice for files that are valid but not the official bytes (e.g. re-packed copies)."""
    differ = [p.name for name, p in paths.items() if p.suffix == ".gz" and fetch.md5(p) != fetch.FILES[name]]
    if differ:
        warnings.warn(f"Fashion-MNIST files in {next(iter(paths.values())).parent} differ from the "
                      f"official release ({', '.join(differ)}: other MD5 sums); they are well-formed, "
                      f"so they are used, but results may differ slightly from published ones",
                      FashionMNISTChecksumWarning, stacklevel=4)


def load(root=None, download=True):
    """``(train, val)`` :class:`Split` s on the CPU, parsed once per directory and file version.

    Parsed splits are cached in memory keyed by the files' paths, sizes and modification
    times, so building several data modules is cheap and replaced files are re-read.
    """
    directory = data_dir(root)
    paths = fetch.locate(directory, download)
    key = tuple((str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in paths.values())
    if key not in _cache:
        train = _read_split(paths["train-images-idx3-ubyte.gz"], paths["train-labels-idx1-ubyte.gz"])
        val = _read_split(paths["t10k-images-idx3-ubyte.gz"], paths["t10k-labels-idx1-ubyte.gz"])
        _warn_on_checksums(paths)
        while len(_cache) >= _CACHE_LIMIT:
            _cache.pop(next(iter(_cache)))
        _cache[key] = (train, val)
    return _cache[key]


# ---- the data module -----------------------------------------------------------------------------
def to_model_input(images, resize=IMAGE_SIZE):
    """uint8 ``(B, H, W)`` -> float32 ``(B, 1, *resize)`` in [0, 1], batched on the images' device.

    Bilinear without antialiasing, like the book's ``transforms.Resize`` on the upsampling
    sizes it uses; skipped when the size already matches.
    """
    X = images.unsqueeze(1).to(torch.float32).div_(255)
    if tuple(X.shape[-2:]) != tuple(resize):
        X = F.interpolate(X, size=tuple(resize), mode="bilinear", align_corners=False, antialias=False)
    return X


def _batch_transform(batch, resize):
    images, labels = batch
    return [to_model_input(images, resize), labels]


def _size_pair(resize):
    """Accept ``n`` or ``(h, w)`` of positive integers, as torchvision's ``Resize`` does."""
    pair = (resize, resize) if isinstance(resize, int) else tuple(resize)
    if len(pair) != 2 or not all(isinstance(s, int) and s > 0 for s in pair):
        raise ValueError(f"resize must be a positive int or a pair of them, got {resize!r}")
    return pair


class FashionMNIST(DataModule):
    """The book's Fashion-MNIST data module (d2l 4.2), backed by whole-split tensors.

    ``self.train`` / ``self.val`` are :class:`Split` s (``.images`` uint8 ``(N, 28, 28)``,
    ``.labels`` int64 ``(N,)``); ``self.root`` is the directory read. Extra arguments:
    ``download`` (fetch missing files when online) and ``seed`` (shuffle with a private
    generator; by default shuffling follows ``torch.manual_seed``).
    """

    def __init__(self, batch_size=64, resize=(28, 28), root=None, device=None, download=True, seed=None):
        super().__init__()
        self.save_hyperparameters()
        self.resize = _size_pair(resize)
        self.root = data_dir(root)
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)
        self.train, self.val = load(self.root, download)
        if device is not None:
            self.to(device)

    def to(self, device):
        """Move both splits (as uint8, 4x smaller than float) to ``device``; returns ``self``."""
        self.device = device
        self.train, self.val = self.train.to(device), self.val.to(device)
        return self

    def get_dataloader(self, train):
        """Batches ``(X, y)``: X float32 ``(B, 1, *resize)`` in [0, 1]; shuffled when ``train``."""
        split = self.train if train else self.val
        transform = functools.partial(_batch_transform, resize=self.resize)
        return TensorBatches((split.images, split.labels), self.batch_size, shuffle=train,
                             transform=transform, generator=self.generator)

    def text_labels(self, indices):
        """Class names for label indices (ints or a tensor)."""
        return [LABELS[int(i)] for i in indices]

    def visualize(self, batch, nrows=1, ncols=8, labels=[]):  # noqa: B006 - the book's signature; never mutated
        """Show the first ``nrows * ncols`` images of a batch, titled with their class names."""
        X, y = batch
        if not labels:
            labels = self.text_labels(y)
        return show_images(X.squeeze(1), nrows, ncols, titles=labels)


def show_images(imgs, num_rows, num_cols, titles=None, scale=1.5):
    """Plot a grid of images (d2l's ``show_images``); matplotlib is imported only here."""
    import matplotlib.pyplot as plt

    figsize = (num_cols * scale, num_rows * scale)
    _, axes = plt.subplots(num_rows, num_cols, figsize=figsize, squeeze=False)
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        img = img.detach().cpu().numpy() if torch.is_tensor(img) else np.asarray(img)
        ax.imshow(img, cmap="gray")
        ax.axes.get_xaxis().set_visible(False)
        ax.axes.get_yaxis().set_visible(False)
        if titles is not None and i < len(titles):
            ax.set_title(titles[i])
    return axes
