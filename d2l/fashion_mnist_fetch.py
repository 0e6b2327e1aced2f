"""Where the Fashion-MNIST files live, and fetching them: download, verify, and a small CLI.

Kept apart from the loader so that whoever has network (the grader's process, a CI step) can
make sure the files are present before anything that has none (a grading kernel) needs them:

    python -m d2l.fashion_mnist_fetch              # download what is missing; exit 1 if it cannot
    python -m d2l.fashion_mnist_fetch --cache-key  # a key that changes only with the checksum table

The download source is ``$FASHION_MNIST_MIRROR`` (a base URL: http, https or file), by default
Zalando's mirror; every downloaded file must have its official MD5 sum, or it is deleted.
"""

import argparse
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from .idx import IDXFileError

ENV_VAR = "FASHION_MNIST_DIR"
MIRROR_VAR = "FASHION_MNIST_MIRROR"
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
MIRROR_SCHEMES = ("http", "https", "file")
DOWNLOAD_TIMEOUT = 10  # seconds per network operation: fail fast when offline
FILES = {  # release file -> its official MD5 (an uncompressed copy without ".gz" is accepted too)
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}


class FashionMNISTError(Exception):
    """Base of the errors the Fashion-MNIST modules raise."""


class FashionMNISTFileError(FashionMNISTError, IDXFileError):
    """A Fashion-MNIST file is malformed or inconsistent (a ``ValueError``); the message names it."""


class FashionMNISTChecksumError(FashionMNISTFileError):
    """A freshly downloaded file does not have the official MD5 sum (it was deleted)."""


class FashionMNISTMirrorError(FashionMNISTError, ValueError):
    """``$FASHION_MNIST_MIRROR`` is not a base URL this module can download from."""


class FashionMNISTNotFound(FashionMNISTError, FileNotFoundError):
    """Files are missing and could not be downloaded; the message says where to put them.

    ``directory``, ``missing`` and ``reason`` hold the parts, so a caller (the grader) can word
    its own note without parsing the message.
    """

    def __init__(self, message, directory=None, missing=(), reason=""):
        super().__init__(message)
        self.directory, self.missing, self.reason = directory, tuple(missing), reason


# ---- where the files are -------------------------------------------------------------------------
def data_dir(root=None):
    """The directory to read: ``root`` if given, else ``$FASHION_MNIST_DIR``, else the user cache.

    An explicit argument wins over the environment so that code can always point somewhere
    specific; the variable wins over the default so graders and CI can redirect notebooks.
    """
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"  # XDG: ignore relative
    return base / "d2l-course" / "fashion-mnist"


def find_file(directory, name):
    """The file ``name`` (``*.gz``), else its uncompressed twin, else ``None``."""
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def missing_files(directory):
    """Release names (``*.gz``) of the files ``directory`` has in neither form."""
    return [name for name in FILES if find_file(Path(directory), name) is None]


def md5(path):
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_key():
    """A name for a CI cache of the files: it changes exactly when the checksum table does."""
    table = "\n".join(f"{name} {FILES[name]}" for name in sorted(FILES))
    return "fashion-mnist-" + hashlib.sha256(table.encode()).hexdigest()[:16]


# ---- downloading ---------------------------------------------------------------------------------
def mirror():
    """The base URL to download from (with a trailing slash); a clear error when it is unusable."""
    base = os.environ.get(MIRROR_VAR, "").strip() or MIRROR
    scheme = urllib.parse.urlsplit(base).scheme.lower()
    if scheme not in MIRROR_SCHEMES:
        raise FashionMNISTMirrorError(
            f"{MIRROR_VAR}={base!r} is not a base URL to download from: it must start with "
            f"http://, https:// or file:// (for example {MIRROR} or file:///srv/fashion-mnist/)")
    return base if base.endswith("/") else base + "/"


def copy_url(url, dest):
    """Copy ``url`` to the file ``dest``. Module-level so tests can replace it (no network)."""
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT) as response, open(dest, "wb") as out:
        while chunk := response.read(1 << 20):
            out.write(chunk)


def download(directory, name):
    """Download ``name`` into ``directory`` atomically, keeping it only if its MD5 is official.

    The file is written under a temporary name and renamed at the end, so an interrupted or
    rejected download never leaves a file that a later run would take for the real one.
    """
    base = mirror()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / name
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
    os.close(fd)
    try:
        copy_url(base + name, tmp)
        actual = md5(tmp)
        if actual != FILES[name]:
            raise FashionMNISTChecksumError(
                f"downloaded {name} has MD5 {actual}, not the official {FILES[name]}; "
                f"it was deleted - try again later or fetch it yourself from {base}")
        os.replace(tmp, final)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return final


def not_found(directory, missing, reason):
    """The error for files that are not there: which, where to put them, and where to get them."""
    source = os.environ.get(MIRROR_VAR, "").strip() or MIRROR
    return FashionMNISTNotFound(
        f"Fashion-MNIST files missing from {directory}: {', '.join(missing)} ({reason}). "
        f"Put them in that directory, or set {ENV_VAR} to a directory that has them (or pass root=...). "
        f"They are at {source} and https://github.com/zalandoresearch/fashion-mnist; "
        f"uncompressed copies without .gz are accepted too.", directory, missing, reason)


def locate(directory, download_missing=True):
    """Paths of the four files, downloading missing ones when allowed and possible."""
    directory = Path(directory)
    paths = {name: find_file(directory, name) for name in FILES}
    missing = [name for name, path in paths.items() if path is None]
    if missing and not download_missing:
        raise not_found(directory, missing, "downloading is switched off")
    made = [folder for folder in (directory, *directory.parents) if not folder.exists()]   # deepest first
    try:
        for name in missing:
            try:
                paths[name] = download(directory, name)
            except (OSError, http.client.HTTPException) as error:  # offline, timeout, HTTP error, read-only dir
                still = [n for n in missing if paths[n] is None]
                raise not_found(directory, still, f"download failed: {error}") from None
    except Exception:
        for folder in made:   # a failed download leaves no empty folders behind (in a user's cache, say)
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return paths


# ---- the command line ----------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m d2l.fashion_mnist_fetch",
        description=f"Make sure the four Fashion-MNIST files are in --dir (default: ${ENV_VAR}, else "
                    f"~/.cache/d2l-course/fashion-mnist), downloading missing ones from ${MIRROR_VAR} "
                    f"(default {MIRROR}) and checking their official MD5 sums.")
    parser.add_argument("--dir", help="the directory to fill (default: where d2l.FashionMNIST looks)")
    parser.add_argument("--cache-key", action="store_true",
                        help="print a cache key built from the checksum table and exit")
    args = parser.parse_args(argv)
    if args.cache_key:
        print(cache_key())
        return 0
    directory = data_dir(args.dir)
    had = set(FILES) - set(missing_files(directory))
    try:
        paths = locate(directory)
    except FashionMNISTError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, path in paths.items():
        if name not in had:
            state = "downloaded, MD5 verified"
        elif path.suffix == ".gz" and md5(path) != FILES[name]:
            state = "present, not the official MD5 (re-packed copies are accepted)"
        else:
            state = "present"
        print(f"{path}: {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
