"""The Fashion-MNIST loader on small IDX files written here; one opt-in test on the real files.

No test touches the network: downloads go through ``d2l.fashion_mnist_fetch.copy_url``, which an
autouse fixture replaces with one that fails the test if it is ever called unpatched (the tests
of a ``file://`` mirror put the real one back: it reads a folder the test wrote).
"""

import gzip
import hashlib
import os
import shutil
import struct
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch

from d2l import fashion_mnist as fm
from d2l import fashion_mnist_fetch as fetch
from d2l import torch as d2l
from d2l.idx import IDXFileError, parse_idx, read_idx, write_idx

pytestmark = pytest.mark.filterwarnings("ignore::d2l.fashion_mnist.FashionMNISTChecksumWarning")

REAL_DIR = os.environ.get(fm.ENV_VAR)  # read before the fixtures below clear it
N_TRAIN, N_TEST = 50, 20
NAMES = list(fm.FILES)  # train-images, train-labels, t10k-images, t10k-labels (.gz)
REAL_COPY_URL = fetch.copy_url


# ---- writing small IDX files -----------------------------------------------------------------------
def idx_bytes(magic, shape, payload):
    """An IDX file's bytes: big-endian magic, sizes, then ``payload`` as given."""
    return struct.pack(f">I{len(shape)}I", magic, *shape) + bytes(payload)


def known_images(n, offset=0):
    """Distinct, recognisable images: pixel (0, 0) holds the example's index + ``offset``."""
    images = (np.arange(n * 28 * 28).reshape(n, 28, 28) * 7 % 256).astype(np.uint8)
    images[:, 0, 0] = np.arange(n) + offset
    return images


def write_split(directory, prefix, images, labels, gz=True):
    """Write one image/label pair of IDX files (gzipped unless ``gz`` is false)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {f"{prefix}-images-idx3-ubyte": idx_bytes(0x803, images.shape, images.tobytes()),
             f"{prefix}-labels-idx1-ubyte": idx_bytes(0x801, labels.shape, labels.tobytes())}
    for name, data in files.items():
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def make_dataset(directory, n_train=N_TRAIN, n_test=N_TEST, gz=True):
    """The four files; train pixel (0,0) = index, test pixel (0,0) = 100 + index; label = index % 10."""
    data = {"train": (known_images(n_train), (np.arange(n_train) % 10).astype(np.uint8)),
            "t10k": (known_images(n_test, 100), (np.arange(n_test) % 10).astype(np.uint8))}
    for prefix, (images, labels) in data.items():
        write_split(Path(directory), prefix, images, labels, gz)
    return data


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """No env vars, a private default cache dir, an empty parse cache, and no network."""
    monkeypatch.delenv(fm.ENV_VAR, raising=False)
    monkeypatch.delenv(fetch.MIRROR_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(fm, "_cache", {})

    def no_network(url, dest):
        pytest.fail(f"test tried to download {url}")

    monkeypatch.setattr(fetch, "copy_url", no_network)


@pytest.fixture
def data_dir(tmp_path):
    directory = tmp_path / "fmnist"
    make_dataset(directory)
    return directory


# ---- loading -------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "uncompressed"])
def test_both_splits_load_with_shapes_dtypes_and_values(tmp_path, gz):
    expected = make_dataset(tmp_path, gz=gz)
    data = d2l.FashionMNIST(batch_size=8, root=tmp_path)
    for split, prefix in ((data.train, "train"), (data.val, "t10k")):
        images, labels = expected[prefix]
        assert split.images.dtype == torch.uint8 and split.images.shape == (len(images), 28, 28)
        assert split.labels.dtype == torch.int64 and split.labels.shape == (len(images),)
        assert torch.equal(split.images, torch.from_numpy(images))
        assert torch.equal(split.labels, torch.from_numpy(labels.astype(np.int64)))
        assert len(split) == len(images)
    assert data.root == tmp_path


def test_text_labels(data_dir):
    data = d2l.FashionMNIST(root=data_dir)
    assert data.text_labels(torch.arange(10)) == [
        "t-shirt", "trouser", "pullover", "dress", "coat",
        "sandal", "shirt", "sneaker", "bag", "ankle boot"]
    assert data.text_labels(data.val.labels[:3]) == ["t-shirt", "trouser", "pullover"]


def test_parsed_splits_are_cached_and_replaced_files_reread(tmp_path):
    make_dataset(tmp_path)
    first, second = d2l.FashionMNIST(root=tmp_path), d2l.FashionMNIST(root=tmp_path, batch_size=3)
    assert first.train.images is second.train.images
    make_dataset(tmp_path, n_train=30)
    os.utime(tmp_path / "train-images-idx3-ubyte.gz", ns=(1, 1))  # a new version even on coarse clocks
    assert len(d2l.FashionMNIST(root=tmp_path).train) == 30


# ---- batches -------------------------------------------------------------------------------------
def test_batches_are_scaled_float_with_channel_and_partial_last(data_dir):
    data = d2l.FashionMNIST(batch_size=16, root=data_dir)
    batches = list(data.val_dataloader())
    assert len(data.val_dataloader()) == len(batches) == 2  # 20 = 16 + 4
    assert [len(X) for X, _ in batches] == [16, 4]
    X, y = batches[0]
    assert X.dtype == torch.float32 and X.shape == (16, 1, 28, 28)
    assert 0 <= X.min() and X.max() <= 1
    assert torch.allclose(X[:, 0], data.val.images[:16].float() / 255)  # val is in file order
    assert torch.equal(y, data.val.labels[:16])
    assert [len(X) for X, _ in data.train_dataloader()] == [16, 16, 16, 2]


@pytest.mark.parametrize("resize, shape", [((32, 48), (32, 48)), (40, (40, 40))])
def test_resize(data_dir, resize, shape):
    X, y = next(iter(d2l.FashionMNIST(batch_size=5, resize=resize, root=data_dir).train_dataloader()))
    assert X.shape == (5, 1, *shape) and X.dtype == torch.float32 and y.shape == (5,)
    assert 0 <= X.min() and X.max() <= 1


@pytest.mark.parametrize("resize", [(0, 28), (28,), "28", (28.0, 28)])
def test_bad_resize_is_rejected(data_dir, resize):
    with pytest.raises(ValueError, match="resize"):
        d2l.FashionMNIST(resize=resize, root=data_dir)


def epoch_order(loader):
    """Example indices in the order one epoch yields them (pixel (0, 0) encodes the index)."""
    order = []
    for X, y in loader:
        index = torch.round(X[:, 0, 0, 0] * 255).long()
        assert torch.equal(y, index % 10)  # labels travel with their images
        order += index.tolist()
    return order


def test_shuffling_covers_every_example_once_and_follows_manual_seed(data_dir):
    loader = d2l.FashionMNIST(batch_size=16, root=data_dir).train_dataloader()
    torch.manual_seed(0)
    first, second = epoch_order(loader), epoch_order(loader)
    assert sorted(first) == sorted(second) == list(range(N_TRAIN))
    assert first != second and first != list(range(N_TRAIN))
    torch.manual_seed(0)
    assert epoch_order(loader) == first


def test_seed_argument_gives_a_private_reproducible_shuffle(data_dir):
    orders = []
    for _ in range(2):
        data = d2l.FashionMNIST(batch_size=16, root=data_dir, seed=3)
        torch.manual_seed(len(orders))  # the global generator must not matter
        orders.append([epoch_order(data.train_dataloader()) for _ in range(2)])
    assert orders[0] == orders[1] and orders[0][0] != orders[0][1]


def test_to_moves_splits_and_returns_self(data_dir):
    data = d2l.FashionMNIST(batch_size=16, root=data_dir)
    assert data.to("cpu") is data and data.train.images.device.type == "cpu"
    assert d2l.FashionMNIST(root=data_dir, device="cpu").val.images.dtype == torch.uint8


def test_visualize_titles_images_with_class_names(data_dir):
    plt = pytest.importorskip("matplotlib.pyplot")
    data = d2l.FashionMNIST(batch_size=8, root=data_dir)
    axes = data.visualize(next(iter(data.val_dataloader())), nrows=2, ncols=4)
    assert [ax.get_title() for ax in axes] == data.text_labels(range(8))
    plt.close("all")


# ---- where the files come from ---------------------------------------------------------------------
def test_argument_beats_env_var_beats_default(tmp_path, monkeypatch):
    make_dataset(tmp_path / "arg", n_train=11)
    make_dataset(tmp_path / "env", n_train=12)
    make_dataset(tmp_path / "xdg" / "d2l-course" / "fashion-mnist", n_train=13)
    assert len(d2l.FashionMNIST().train) == 13  # default: $XDG_CACHE_HOME/d2l-course/fashion-mnist
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path / "env"))
    assert len(d2l.FashionMNIST().train) == 12
    assert len(d2l.FashionMNIST(root=tmp_path / "arg").train) == 11


def test_default_without_xdg_is_user_cache(monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert fm.data_dir() == Path.home() / ".cache" / "d2l-course" / "fashion-mnist"


# ---- malformed files -------------------------------------------------------------------------------
IMAGES, LABELS = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
VALID_IMAGES = idx_bytes(0x803, (N_TRAIN, 28, 28), known_images(N_TRAIN).tobytes())
VALID_LABELS = idx_bytes(0x801, (N_TRAIN,), np.arange(N_TRAIN) % 10)

BAD_FILES = {  # case -> (file, its bytes before gzip, or None to write raw bad gzip; message part)
    "images-with-label-magic": (IMAGES, idx_bytes(0x801, (N_TRAIN,), bytes(N_TRAIN)), "wrong magic"),
    "labels-with-image-magic": (LABELS, VALID_IMAGES, "wrong magic"),
    "not-idx-at-all": (LABELS, b"<html>not found</html>", "wrong magic"),
    "truncated-images": (IMAGES, VALID_IMAGES[:-100], "truncated"),
    "truncated-header": (LABELS, VALID_LABELS[:6], "truncated"),
    "empty": (LABELS, b"", "too short"),
    "trailing-bytes": (IMAGES, VALID_IMAGES + b"junk", "4 unexpected bytes"),
    "corrupt-gzip": (IMAGES, None, "not a valid gzip file"),
    "cut-gzip": (LABELS, "cut", "not a valid gzip file"),
    "wrong-image-size": (IMAGES, idx_bytes(0x803, (N_TRAIN, 32, 32), bytes(N_TRAIN * 1024)), "28x28"),
    "count-mismatch": (LABELS, idx_bytes(0x801, (N_TRAIN - 1,), bytes(N_TRAIN - 1)), "49 labels"),
    "label-out-of-range": (LABELS, idx_bytes(0x801, (N_TRAIN,), [0] * 7 + [10] + [1] * 42),
                           "outside 0..9 (the first at index 7: 10)"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_file_gives_a_specific_error_naming_it(data_dir, case):
    name, content, message = BAD_FILES[case]
    path = data_dir / f"{name}.gz"
    if content is None:
        path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))  # gzip magic, garbage deflate data
    elif content == "cut":
        path.write_bytes(path.read_bytes()[:-10])  # lose the end of the stream and the trailer
    else:
        path.write_bytes(gzip.compress(content))
    with pytest.raises(fm.FashionMNISTFileError) as caught:
        d2l.FashionMNIST(root=data_dir)
    assert isinstance(caught.value, ValueError)
    assert name in str(caught.value) and message in str(caught.value)


def test_parse_idx_reads_other_element_types():
    values = np.array([[1, -2], [300, 70000]], dtype=">i4")
    array = parse_idx(idx_bytes(0xC02, values.shape, values.tobytes()))
    assert array.dtype.kind == "i" and array.dtype.itemsize == 4
    assert array.tolist() == [[1, -2], [300, 70000]]
    with pytest.raises(IDXFileError, match="wrong magic"):
        parse_idx(idx_bytes(0x0702, (1, 1), b"\0"), "x")


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "labels-idx1-ubyte.gz"])
def test_written_idx_files_read_back_with_their_magic(tmp_path, name):
    array = np.random.default_rng(0).integers(0, 256, size=(3, 4, 5) if "images" in name else (7,), dtype=np.uint8)
    write_idx(tmp_path / name, array)
    magic = 0x803 if "images" in name else 0x801
    assert np.array_equal(read_idx(tmp_path / name, magic), array)


# ---- missing files and downloads ------------------------------------------------------------------
def test_offline_missing_files_name_the_files_directory_and_env_var(tmp_path, monkeypatch):
    make_dataset(tmp_path)
    (tmp_path / "t10k-images-idx3-ubyte.gz").unlink()
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    urls = []

    def offline(url, dest):
        urls.append(url)
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(fetch, "copy_url", offline)
    with pytest.raises(fm.FashionMNISTNotFound) as caught:
        d2l.FashionMNIST(root=tmp_path)
    message = str(caught.value)
    for part in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", str(tmp_path), fm.ENV_VAR,
                 fm.MIRROR, "no route to host"):
        assert part in message
    assert "train-images" not in message
    assert urls == [fm.MIRROR + "t10k-images-idx3-ubyte.gz"]  # gives up after the first failure
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train-images-idx3-ubyte.gz",
                                                          "train-labels-idx1-ubyte.gz"]


def test_download_false_never_fetches(tmp_path):
    with pytest.raises(fm.FashionMNISTNotFound, match="switched off"):
        d2l.FashionMNIST(root=tmp_path / "empty", download=False)


def test_download_with_bad_checksum_is_deleted_and_rejected(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch, "copy_url", lambda url, dest: Path(dest).write_bytes(b"<html>captive portal</html>"))
    with pytest.raises(fm.FashionMNISTChecksumError, match="train-images-idx3-ubyte.gz has MD5"):
        d2l.FashionMNIST(root=tmp_path / "new")
    assert not (tmp_path / "new").exists()   # neither the file nor the folder made for it


def test_good_download_is_verified_and_used(tmp_path, monkeypatch):
    source = tmp_path / "mirror"
    make_dataset(source)
    official = {name: hashlib.md5((source / name).read_bytes()).hexdigest() for name in NAMES}
    monkeypatch.setattr(fetch, "FILES", official)
    fetched = []

    def fake_fetch(url, dest):
        fetched.append(url)
        shutil.copyfile(source / url.rsplit("/", 1)[1], dest)

    monkeypatch.setattr(fetch, "copy_url", fake_fetch)
    target = tmp_path / "cache" / "nested"
    data = d2l.FashionMNIST(root=target)
    assert fetched == [fm.MIRROR + name for name in NAMES]
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)
    assert len(data.train) == N_TRAIN and len(data.val) == N_TEST


def official_table(source):
    """The checksum table for the small files in ``source``, standing in for the official one."""
    return {name: hashlib.md5((source / name).read_bytes()).hexdigest() for name in NAMES}


def test_the_mirror_is_configurable_and_a_file_url_works(tmp_path, monkeypatch, capsys):
    source = tmp_path / "mirror"
    make_dataset(source)
    monkeypatch.setattr(fetch, "FILES", official_table(source))
    monkeypatch.setattr(fetch, "copy_url", REAL_COPY_URL)   # file:// reads the folder above, no network
    monkeypatch.setenv(fetch.MIRROR_VAR, source.as_uri())    # no trailing slash: one is added
    target = tmp_path / "cache"
    assert fetch.main(["--dir", str(target)]) == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(NAMES)
    assert capsys.readouterr().out.count("downloaded, MD5 verified") == 4
    assert fetch.main(["--dir", str(target)]) == 0        # a second run finds them and fetches nothing
    assert "downloaded" not in capsys.readouterr().out
    assert len(d2l.FashionMNIST(root=target, download=False).train) == N_TRAIN


def test_fetch_command_offline_exits_1_naming_files_and_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(fetch, "copy_url", REAL_COPY_URL)
    monkeypatch.setenv(fetch.MIRROR_VAR, (tmp_path / "unreachable").as_uri() + "/")
    monkeypatch.setenv(fm.ENV_VAR, str(tmp_path / "data"))
    assert fetch.main([]) == 1
    error = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz" in error and str(tmp_path / "data") in error and fm.ENV_VAR in error
    assert not (tmp_path / "data").exists()   # nothing half-written, not even the folder, is left behind


@pytest.mark.parametrize("bad", ["ftp://example.org/fmnist/", "fashion-mnist.example.org", "/srv/fmnist"])
def test_a_mirror_that_is_not_a_url_is_refused_clearly(tmp_path, monkeypatch, bad):
    monkeypatch.setenv(fetch.MIRROR_VAR, bad)
    with pytest.raises(fetch.FashionMNISTMirrorError, match="must start with http://, https:// or file://"):
        d2l.FashionMNIST(root=tmp_path / "empty")


def test_cache_key_follows_the_checksum_table(monkeypatch, capsys):
    key = fetch.cache_key()
    assert fetch.main(["--cache-key"]) == 0 and capsys.readouterr().out.strip() == key
    monkeypatch.setitem(fetch.FILES, "t10k-labels-idx1-ubyte.gz", "0" * 32)
    assert fetch.cache_key() != key and fetch.cache_key().startswith("fashion-mnist-")


def test_checksum_mismatch_on_existing_files_only_warns(data_dir):
    with pytest.warns(fm.FashionMNISTChecksumWarning, match="differ from the official release"):
        data = d2l.FashionMNIST(root=data_dir)
    assert len(data.train) == N_TRAIN


# ---- the real files (opt-in by presence) -----------------------------------------------------------
def real_data_dir():
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "fashion-mnist"
    for candidate in (REAL_DIR, shared):
        if candidate and all(fm.find_file(Path(candidate), name) for name in NAMES):
            return Path(candidate)
    pytest.skip(f"real Fashion-MNIST files not found (set {fm.ENV_VAR} or put them in {shared})")


@pytest.mark.realdata
def test_real_files():
    directory = real_data_dir()
    start = time.perf_counter()
    data = d2l.FashionMNIST(batch_size=256, root=directory, download=False)
    print(f"parsed real Fashion-MNIST in {time.perf_counter() - start:.2f} s")
    assert data.train.images.shape == (60000, 28, 28) and data.val.images.shape == (10000, 28, 28)
    assert torch.bincount(data.train.labels).tolist() == [6000] * 10
    assert abs(data.train.images.float().mean().item() / 255 - 0.286) < 0.005
    X, y = next(iter(data.train_dataloader()))
    assert X.shape == (256, 1, 28, 28) and y.shape == (256,)
