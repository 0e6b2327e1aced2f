"""The data of the training checks: what the student's kernel may see, and what only the grader sees.

The real Fashion-MNIST files are found the course library's way (``$FASHION_MNIST_DIR``, else
``~/.cache/d2l-course/fashion-mnist``, downloading when online). The kernel gets a staged copy
holding the training split only: its last ``VAL_SIZE`` images, in a seeded shuffle, are carved
out as the validation split and written where the test files normally are, so ``d2l.FashionMNIST``
works unchanged there and the official test split never reaches the kernel. The grader keeps the
test split in its own process and measures accuracy on it.

Kernels have no network, so ``provide`` runs in the grader's process before any kernel starts:
it downloads what is missing (``d2l.fashion_mnist_fetch``), then stages the copy the kernels read.
"""

import hashlib
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from d2l import fashion_mnist, fashion_mnist_fetch
from d2l.idx import write_idx

VAL_SIZE = 5000
SPLIT_SEED = 0
_staged = {}   # (source directory, parsed files) -> (Staged, its temporary directory), for this process


@dataclass(frozen=True)
class DataProblem:
    """Why the kernels get no Fashion-MNIST, for the report: where the grader looked, what is missing, why."""
    directory: Path
    missing: tuple   # release names (``*.gz``); empty when the files are there but unusable
    reason: str


@dataclass(frozen=True)
class Staged:
    directory: Path              # train + carved-out validation split, for the kernel
    test: fashion_mnist.Split    # the official test split, for the grader only
    train_size: int


def carve(train, val_size=VAL_SIZE, seed=SPLIT_SEED):
    """(train, validation) Splits: a seeded random ``val_size`` images held out of ``train``."""
    if not 0 < val_size < len(train):
        raise ValueError(f"cannot hold out {val_size} of {len(train)} training images")
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    keep, held = order[val_size:].sort().values, order[:val_size].sort().values

    def pick(index):
        return fashion_mnist.Split(train.images[index], train.labels[index])

    return pick(keep), pick(held)


def stage(root=None, val_size=VAL_SIZE, download=True):
    """The kernel's data directory and the grader's test split; made once per source directory.

    Raises ``FashionMNISTError`` (its message says where the files go) when the data is missing.
    """
    train, test = fashion_mnist.load(root, download=download)
    key = (str(fashion_mnist.data_dir(root).resolve()), id(train), val_size)  # load() re-parses changed files
    if key not in _staged:
        kept, held = carve(train, min(val_size, len(train) // 5))
        holder = tempfile.TemporaryDirectory(prefix="grader-fashion-mnist-")  # removed when the grader exits
        directory = Path(holder.name)
        for prefix, split in (("train", kept), ("t10k", held)):
            write_idx(directory / f"{prefix}-images-idx3-ubyte", split.images.numpy())
            write_idx(directory / f"{prefix}-labels-idx1-ubyte", split.labels.numpy())
        _staged[key] = (Staged(directory, test, len(kept)), holder)
    return _staged[key][0]


def _source_key(directory, val_size):
    """Changes whenever a source file does (path, size, modification time) or the split does."""
    parts = [str(directory.resolve()), str(val_size), str(SPLIT_SEED)]
    for name in sorted(fashion_mnist.FILES):
        found = fashion_mnist.find_file(directory, name)
        if found is None:
            return None
        stat = found.stat()
        parts.append(f"{found.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _user_cache():
    cache = os.environ.get("XDG_CACHE_HOME", "")
    return Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"


def provide(root=None):
    """``(staged folder, None)`` for the kernels, or ``(None, DataProblem)``; never raises.

    Files missing from ``$FASHION_MNIST_DIR`` (else the user cache) are downloaded and verified
    first, here in the grader's process; without them grading goes on and the report says why.
    """
    directory = None
    try:
        directory = fashion_mnist.data_dir(root)
        fashion_mnist_fetch.locate(directory)
        return _copy_for_kernels(root), None
    except fashion_mnist.FashionMNISTNotFound as missing:
        return None, DataProblem(missing.directory or directory, missing.missing, missing.reason)
    except (fashion_mnist.FashionMNISTError, OSError, RuntimeError) as error:   # RuntimeError: no home folder
        found = fashion_mnist_fetch.missing_files(directory) if directory is not None else list(fashion_mnist.FILES)
        return None, DataProblem(directory, tuple(found), f"{type(error).__name__}: {error}")


def kernel_copy(root=None, val_size=VAL_SIZE, cache=None):
    """The staged folder every kernel reads (train split and carved-out validation, no test split),
    kept between runs in the user's cache so grading does not re-stage each time; None without data.

    The grading kernels get it too: the book's data module reads the "test" files as its
    validation split, and the real test split must never be readable by student code.
    """
    try:
        return _copy_for_kernels(root, val_size, cache)
    except fashion_mnist.FashionMNISTError:
        return None


def _copy_for_kernels(root=None, val_size=VAL_SIZE, cache=None):
    """``kernel_copy``, raising ``FashionMNISTError`` (it says why) instead of returning None."""
    directory = fashion_mnist.data_dir(root)
    key = _source_key(directory, val_size)
    if key is None:
        raise fashion_mnist_fetch.not_found(directory, fashion_mnist_fetch.missing_files(directory),
                                            "the grader did not download them")
    cache = Path(cache) if cache else _user_cache() / "d2l-course" / "grader-staged"
    target = cache / key
    if (target / "complete").is_file():
        return target
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fashion_mnist.FashionMNISTChecksumWarning)
        staged = stage(root, val_size, download=False)
    cache.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache))
    for item in staged.directory.iterdir():
        shutil.copyfile(item, building / item.name)
    (building / "complete").write_text("staged by the grader\n")
    try:
        os.replace(building, target)
    except OSError:   # another grader got there first
        shutil.rmtree(building, ignore_errors=True)
    return target if (target / "complete").is_file() else staged.directory
