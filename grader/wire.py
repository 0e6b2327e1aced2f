"""The safe format results cross the kernel boundary in: JSON, tensors as raw bytes.

Decoding never runs code from the kernel: dtypes come from a fixed table, byte counts are
checked against shapes, and anything else (tensor subclasses, arbitrary objects) arrives as a
plain ``Odd`` marker the checks can report on.
"""

import base64
from dataclasses import dataclass

import numpy as np
import torch

DTYPES = {
    "float32": (np.float32, torch.float32), "float64": (np.float64, torch.float64),
    "float16": (np.float16, torch.float16), "int64": (np.int64, torch.int64),
    "int32": (np.int32, torch.int32), "uint8": (np.uint8, torch.uint8), "bool": (np.bool_, torch.bool),
}
MAX_ELEMENTS = 50_000_000


class WireError(ValueError):
    """The kernel sent something that is not in the wire format."""


@dataclass(frozen=True)
class Odd:
    """A value the student's code returned that is not a plain tensor, number, list or dict."""

    type: str

    def __str__(self):
        return f"<{self.type}>"


def encode(value):
    """Grader-made inputs to their wire form (the kernel's agent decodes them)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().contiguous()
        name = str(value.dtype).replace("torch.", "")
        if name not in DTYPES:
            raise WireError(f"cannot send dtype {value.dtype}")
        return {"t": "tensor", "dtype": name, "shape": list(value.shape),
                "data": base64.b64encode(value.numpy().tobytes()).decode()}
    if isinstance(value, tuple):
        return {"t": "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"t": "list", "items": [encode(v) for v in value]}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return value  # already a request-level spec (e.g. a module to build)
    raise WireError(f"cannot send {type(value).__name__}")


def decode(spec):
    """Kernel replies to Python values: tensors, numbers, strings, lists, dicts or ``Odd``."""
    if spec is None or type(spec) in (bool, int, float, str):
        return spec
    if not isinstance(spec, dict) or "t" not in spec:
        raise WireError(f"unexpected value on the wire: {type(spec).__name__}")
    kind = spec["t"]
    if kind == "tensor":
        return _decode_tensor(spec)
    if kind in ("list", "size"):
        return [decode(v) for v in _list(spec["items"])]
    if kind == "dict":
        items = spec["items"]
        if not isinstance(items, dict):
            raise WireError("dict without items")
        return {str(k): decode(v) for k, v in items.items()}
    if kind == "odd":
        return Odd(str(spec.get("type", "object"))[:200])
    raise WireError(f"unknown wire type {kind!r}")


def _list(items):
    if not isinstance(items, list):
        raise WireError("list without items")
    return items


def _decode_tensor(spec):
    if spec.get("dtype") not in DTYPES:
        raise WireError(f"unsupported dtype {spec.get('dtype')!r}")
    np_dtype, torch_dtype = DTYPES[spec["dtype"]]
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise WireError(f"bad tensor shape {shape!r}")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count > MAX_ELEMENTS:
        raise WireError(f"tensor of {count} elements is too large")
    raw = base64.b64decode(spec.get("data", ""), validate=True)
    if len(raw) != count * np.dtype(np_dtype).itemsize:
        raise WireError(f"tensor bytes ({len(raw)}) do not match shape {shape} of {spec['dtype']}")
    array = np.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()
    return torch.from_numpy(array).to(torch_dtype)
