"""Reading IDX files (the MNIST family's format) with errors that name the file and the fault."""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 0x803, 0x801
ELEMENT_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IDXError(ValueError):
    """An IDX file is truncated, corrupt, or not the kind of file expected."""


def parse_idx(data, name="IDX data", magic=None):
    """Array described by an IDX header; ``magic`` (e.g. 0x803) pins the element type and rank."""
    if len(data) < 4:
        raise IDXError(f"{name}: too short to be an IDX file ({len(data)} bytes)")
    found = struct.unpack(">I", data[:4])[0]
    zero, kind, rank = found >> 16, (found >> 8) & 0xFF, found & 0xFF
    if zero != 0 or kind not in ELEMENT_TYPES or (magic is not None and found != magic):
        expected = f", expected {magic:#06x}" if magic is not None else ""
        raise IDXError(f"{name}: wrong magic number {found:#010x}{expected}")
    header = 4 + 4 * rank
    if len(data) < header:
        raise IDXError(f"{name}: truncated header ({len(data)} of {header} bytes)")
    shape = struct.unpack(f">{rank}I", data[4:header])
    dtype = np.dtype(ELEMENT_TYPES[kind])
    expected_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    payload = len(data) - header
    if payload < expected_bytes:
        raise IDXError(f"{name}: truncated: {payload} data bytes, the header promises {expected_bytes}")
    if payload > expected_bytes:
        raise IDXError(f"{name}: {payload - expected_bytes} unexpected bytes after the data")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)


def read_idx(path, magic=None):
    """Parse a plain or gzip-compressed IDX file."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise IDXError(f"{path.name}: not a valid gzip file ({error})") from None
    return parse_idx(raw, path.name, magic)


def idx_bytes(array):
    """A uint8 array as IDX bytes (rank 3 for images, rank 1 for labels): parse_idx's inverse."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = struct.pack(">I", 0x800 | array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path, array):
    """Write a uint8 array as an IDX file, gzip-compressed when the name ends in .gz."""
    path = Path(path)
    data = idx_bytes(array)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)


IDXFileError = IDXError  # the name fashion_mnist.py and older callers use
