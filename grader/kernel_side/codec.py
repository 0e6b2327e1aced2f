"""The one codec of the kernel boundary: values and records to JSON and back.

Both sides load this one file: the grader imports it, and the kernel gets it as source with the
agent (the sandbox hides the grader's packages from it). Everything crosses as JSON; tensors as
raw little-endian bytes in base64, never pickle. The records themselves are in ``contract.py``.

Decoding is strict, because a reply is written by code the student controls: dtypes come from a
fixed table, shapes, sizes, nesting and byte counts are checked, and a record with a wrong or
missing field is a ``WireError``, not a crash. A value the student's code returned that is none
of the known kinds (a tensor subclass, an arbitrary object) arrives as an ``Odd`` marker.
"""

import base64
import binascii
import dataclasses
import types
import typing
from collections.abc import Mapping

import torch

DTYPES = {name: getattr(torch, name) for name in
          ("float32", "float64", "float16", "bfloat16", "int64", "int32", "uint8", "bool")}
MAX_ELEMENTS = 50_000_000
MAX_DEPTH = 40
MAX_TEXT = 10_000


class WireError(ValueError):
    """Something crossed the boundary that is not in the contract."""


@dataclasses.dataclass(frozen=True)
class Odd:
    """A value the student's code returned that is not a plain tensor, number, list or dict."""

    type: str

    def __str__(self) -> str:
        return f"<{self.type}>"


# ---- values: tensors, numbers, strings, lists, tuples, dicts ---------------------------------
def encode(value: typing.Any, *, trusted: bool = False) -> typing.Any:
    """A value in its wire form. ``trusted`` values are the grader's own inputs: tuples stay tuples
    and anything unknown is an error. Otherwise the value is what student code returned: tuples
    become lists, bfloat16 becomes float32, long strings are cut and unknown objects become ``Odd``."""
    if isinstance(value, Record):
        return {"t": "record", "kind": type(value).__name__, "fields": value.to_wire()}
    if isinstance(value, torch.nn.Parameter):
        value = value.detach()
    if type(value) is torch.Tensor:
        return _encode_tensor(value, trusted)
    if isinstance(value, torch.Tensor):
        return _odd(f"tensor subclass {type(value).__name__}", trusted)
    if value is None or type(value) in (bool, int, float):
        return value
    if type(value) is str:
        return value if trusted else value[:MAX_TEXT]
    if type(value) is torch.Size:
        return {"t": "size", "items": [int(v) for v in value]}
    if type(value) in (list, tuple):
        kind = "tuple" if trusted and type(value) is tuple else "list"
        return {"t": kind, "items": [encode(v, trusted=trusted) for v in value]}
    if type(value) is dict:
        return {"t": "dict", "items": {str(k): encode(v, trusted=trusted) for k, v in value.items()}}
    return _odd(type(value).__name__, trusted)


def _odd(name: str, trusted: bool) -> dict[str, str]:
    if trusted:
        raise WireError(f"cannot send {name}")
    return {"t": "odd", "type": name}


def _encode_tensor(value: torch.Tensor, trusted: bool) -> dict[str, typing.Any]:
    value = value.detach().cpu().contiguous()
    if value.dtype == torch.bfloat16 and not trusted:
        value = value.float()   # replies keep to the dtypes every reader handles
    name = str(value.dtype).replace("torch.", "")
    if name not in DTYPES:
        return _odd(f"tensor of dtype {name}", trusted)
    data = value.reshape(-1).view(torch.uint8).numpy().tobytes() if value.numel() else b""
    return {"t": "tensor", "dtype": name, "shape": list(value.shape), "data": base64.b64encode(data).decode()}


def decode(spec: typing.Any, *, records: Mapping[str, type["Record"]] | None = None, depth: int = 0) -> typing.Any:
    """A wire value back to Python. ``records`` maps record names to the classes that may appear
    (the kernel's decoder allows layers and references to graded objects; the grader's none)."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if spec is None or type(spec) in (bool, int, float, str):
        return spec
    if type(spec) is not dict or type(spec.get("t")) is not str:
        raise WireError(f"unexpected value on the wire: {type(spec).__name__}")
    kind, inner = spec["t"], lambda v: decode(v, records=records, depth=depth + 1)
    if kind == "tensor":
        return _decode_tensor(spec)
    if kind in ("list", "size", "tuple"):
        items = [inner(v) for v in _field(spec, "items", list)]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {str(k): inner(v) for k, v in _field(spec, "items", dict).items()}
    if kind == "odd":
        return Odd(str(spec.get("type", "object"))[:200])
    if kind == "record" and records and spec.get("kind") in records:
        return records[spec["kind"]].from_wire(_field(spec, "fields", dict), depth + 1, records)
    raise WireError(f"unknown wire type {kind!r}")


def _field(spec: dict[str, typing.Any], key: str, kind: type) -> typing.Any:
    if type(spec.get(key)) is not kind:
        raise WireError(f"{spec.get('t')} without {key}")
    return spec[key]


def _decode_tensor(spec: dict[str, typing.Any]) -> torch.Tensor:
    name = spec.get("dtype")
    dtype = DTYPES.get(name) if type(name) is str else None
    if dtype is None:
        raise WireError(f"unsupported dtype {spec.get('dtype')!r:.60}")
    shape = spec.get("shape")
    if type(shape) is not list or len(shape) > 16 or not all(type(d) is int and 0 <= d <= MAX_ELEMENTS for d in shape):
        raise WireError(f"bad tensor shape {shape!r:.100}")
    count = 1
    for d in shape:
        count *= d
    if count > MAX_ELEMENTS:
        raise WireError(f"tensor of {count} elements is too large")
    data = spec.get("data", "")
    if type(data) is not str:
        raise WireError("tensor data is not text")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise WireError("tensor data is not base64") from None
    width = torch.empty(0, dtype=dtype).element_size()
    if len(raw) != count * width:
        raise WireError(f"tensor bytes ({len(raw)}) do not match shape {shape} of {spec['dtype']}")
    if not raw:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape).clone()


# ---- records -------------------------------------------------------------------------------
class Value:
    """Field annotation: any wire value (tensors included), coded by ``encode``/``decode``."""


_R = typing.TypeVar("_R", bound="Record")


class Record:
    """A dataclass whose fields cross the boundary by name; ``from_wire`` checks every field's type
    against its annotation, so the reader can use the record without further checks."""

    if typing.TYPE_CHECKING:   # every subclass in contract.py is a frozen, keyword-only dataclass
        __dataclass_fields__: typing.ClassVar[dict[str, dataclasses.Field[typing.Any]]]

    TRUSTED = False   # True for records the grader writes (requests): encoded as the grader's inputs

    def to_wire(self) -> dict[str, typing.Any]:
        return {f.name: _to_wire(getattr(self, f.name), f.type, self.TRUSTED) for f in dataclasses.fields(self)}

    @classmethod
    def from_wire(cls: type[_R], data: typing.Any, depth: int = 0,
                  records: Mapping[str, type["Record"]] | None = None) -> _R:
        if type(data) is not dict:
            raise WireError(f"{cls.__name__} is not a mapping")
        values = {}
        for f in dataclasses.fields(cls):
            if f.name in data:
                values[f.name] = _from_wire(data[f.name], f.type, f"{cls.__name__}.{f.name}", depth + 1, records)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise WireError(f"{cls.__name__} without {f.name}")
        return cls(**values)


def to_wire(value: typing.Any, kind: typing.Any = Value, trusted: bool = False) -> typing.Any:
    """``value`` (a record, a value, or lists and dicts of them, as ``kind`` says) in wire form."""
    return _to_wire(value, kind, trusted)


def from_wire(data: typing.Any, kind: typing.Any = Value, where: str = "reply",
              records: Mapping[str, type[Record]] | None = None) -> typing.Any:
    """Wire data read as ``kind``; ``WireError`` naming ``where`` when it is not one."""
    return _from_wire(data, kind, where, 0, records)


def _to_wire(value: typing.Any, kind: typing.Any, trusted: bool) -> typing.Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if kind is typing.Any:
        return value
    if kind is Value:
        return encode(value, trusted=trusted)
    if isinstance(value, Record):
        return value.to_wire()
    if isinstance(kind, type) and issubclass(kind, Record) and type(value) is dict:
        # a plain dict where a record belongs (a tampered agent): coded field by field, read strictly
        types_ = {f.name: f.type for f in dataclasses.fields(kind)}
        return {str(k): _to_wire(v, types_.get(k, Value), trusted) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        item = (typing.get_args(kind) or (Value,))[0]
        return [_to_wire(v, item, trusted) for v in value]
    if isinstance(value, dict):
        item = (typing.get_args(kind) or (str, Value))[1]
        return {str(k): _to_wire(v, item, trusted) for k, v in value.items()}
    return value


def _from_wire(data: typing.Any, kind: typing.Any, where: str, depth: int,
               records: Mapping[str, type[Record]] | None) -> typing.Any:
    """``data`` as a value of annotation ``kind``; WireError naming ``where`` otherwise."""
    if depth > MAX_DEPTH:
        raise WireError(f"{where} nested too deeply")
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is typing.Any:   # raw JSON, read later as the type the context says
        return data
    if kind is Value:
        return decode(data, records=records, depth=depth)
    if origin in (typing.Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        return _from_wire(data, next(a for a in args if a is not type(None)), where, depth, records)
    if isinstance(kind, type) and issubclass(kind, Record):
        return kind.from_wire(data, depth, records)
    if origin is list or origin is tuple:
        if type(data) is not list or len(data) > MAX_ELEMENTS:
            raise WireError(f"{where} is not a list")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(data) != len(args):
                raise WireError(f"{where} has {len(data)} entries, not {len(args)}")
            return tuple(_from_wire(v, a, where, depth + 1, records) for v, a in zip(data, args))
        items = [_from_wire(v, args[0], where, depth + 1, records) for v in data]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if type(data) is not dict:
            raise WireError(f"{where} is not a mapping")
        return {str(k): _from_wire(v, args[1], where, depth + 1, records) for k, v in data.items()}
    if kind is float and type(data) is int:
        return float(data)
    if kind in (str, int, float, bool) and type(data) is kind:
        return data
    raise WireError(f"{where} should be {getattr(kind, '__name__', kind)}, not {type(data).__name__}")
