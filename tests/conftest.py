"""Shared fixtures: small data sets that tests make themselves (real data is never required)."""

import pytest
import torch

from d2l import torch as d2l
from d2l.fashion_mnist_fetch import MIRROR_VAR


@pytest.fixture(autouse=True)
def no_fashion_mnist_downloads(monkeypatch, tmp_path_factory):
    """The grader downloads missing Fashion-MNIST files before kernels start; in tests its source
    is a folder that does not exist, so no test reaches the network (a test may set its own)."""
    nowhere = tmp_path_factory.getbasetemp() / "no-fashion-mnist-mirror"
    monkeypatch.setenv(MIRROR_VAR, nowhere.as_uri() + "/")


class PatchClasses(d2l.DataModule):
    """Ten classes, each a bright 7x7 patch at its own place on a faint noisy 28x28 image.

    Learnable in a few hundred steps by any sound CNN, so a trainer test can demand far
    better than chance without touching Fashion-MNIST.
    """

    def __init__(self, n_train=2000, n_val=500, batch_size=32, seed=0):
        super().__init__()
        self.save_hyperparameters()
        generator = torch.Generator().manual_seed(seed)
        self.train = self._make(n_train, generator)
        self.val = self._make(n_val, generator)

    @staticmethod
    def _make(n, generator):
        labels = torch.randint(0, 10, (n,), generator=generator)
        images = 0.3 * torch.rand(n, 1, 28, 28, generator=generator)
        for k in range(10):
            row, col = divmod(k, 4)
            images[labels == k, :, row * 7 : (row + 1) * 7, col * 7 : (col + 1) * 7] += 1.0
        return images, labels

    def get_dataloader(self, train):
        return self.get_tensorloader(self.train if train else self.val, train)


@pytest.fixture
def patch_classes():
    torch.manual_seed(0)
    return PatchClasses()


@pytest.fixture(scope="session")
def graded_homework(tmp_path_factory):
    """``graded_homework(cells)``: the whole homework graded once per session (shared_gradings.py)."""
    from shared_gradings import GradingCache

    return GradingCache(tmp_path_factory.mktemp("shared-gradings"))
