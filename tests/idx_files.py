"""Write small, valid (or deliberately broken) Fashion-MNIST IDX files for tests."""

import numpy as np

from d2l.fashion_mnist import FILES
from d2l.idx import write_idx


def write_fashion_mnist(directory, n_train=64, n_test=32, seed=0):
    """Four gz IDX files of random images; labels cycle 0..9. Returns the arrays written."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
        written[prefix] = (images, labels)
    assert set(p.name for p in directory.iterdir()) >= set(FILES)
    return written
