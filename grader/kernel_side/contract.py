"""What the grader and the agent in the student's kernel say to each other: one record per message.

A request is one of the ``Request`` records below; the kernel answers with a ``Reply`` whose value
has the request's ``ANSWER`` type. Every record crosses through ``codec.py``, and the grader reads
the kernel's records with ``codec.from_wire``, which checks every field, so a check never indexes
into data the student's code could have shaped. Loaded on both sides, like the codec.
"""

import dataclasses
import typing
from collections.abc import Iterable
from dataclasses import field

import torch

from . import codec
from .codec import Record, WireError

# Every record below is a frozen, keyword-only dataclass. A field annotated ``Value`` holds any wire
# value: the codec reads the annotation at run time (it must be the codec's marker class), while to
# the type checker such a field is untyped (a tensor, a number, a list, None, ...).
if typing.TYPE_CHECKING:
    Value = typing.Any
else:
    Value = codec.Value

MIME = "application/x-convnet-grader+json"   # the display type replies travel in
FAMILIES = ("conv", "linear", "batchnorm")   # the weight families layers are paired by


# ---- inputs the grader makes -----------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class LayerSpec(Record):
    """A ``torch.nn`` layer the kernel builds for a call, with exact weights (``comp_conv2d``'s conv)."""

    TRUSTED = True
    type: str
    args: list[Value] = field(default_factory=list)
    kwargs: dict[str, Value] = field(default_factory=dict)
    state: dict[str, Value] = field(default_factory=dict)

    def build(self) -> torch.nn.Module:
        layer_class = getattr(torch.nn, self.type, None) if self.type.isidentifier() else None
        if not (isinstance(layer_class, type) and issubclass(layer_class, torch.nn.Module)):
            raise WireError(f"no layer torch.nn.{self.type}")
        layer = layer_class(*self.args, **self.kwargs)
        with torch.no_grad():
            for name, tensor in self.state.items():
                getattr(layer, name).copy_(tensor)
        return layer


@dataclasses.dataclass(frozen=True, kw_only=True)
class TensorFill(Record):
    """How to fill one weight tensor: seeded normal values, scaled and shifted (made positive for a
    running variance). Both sides call ``values``, so the grader never re-derives the kernel's draws."""

    TRUSTED = True
    seed: int
    scale: float
    offset: float
    positive: bool = False

    def values(self, shape: Iterable[int]) -> torch.Tensor:
        generator = torch.Generator().manual_seed(self.seed)
        values = torch.randn(tuple(shape), generator=generator, dtype=torch.float32) * self.scale + self.offset
        return values.abs() if self.positive else values


Fill = dict[str, dict[str, TensorFill]]   # layer path -> tensor name -> recipe


# ---- what the kernel reports about a model ---------------------------------------------------
def _check_family(family: str | None) -> None:
    if family is not None and family not in FAMILIES:
        raise WireError(f"unknown weight family {family!r:.40}")


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModuleRow(Record):
    """One leaf module: where it sits, its class, weight family, and parameter/buffer shapes."""

    path: str
    type: str
    family: str | None = None
    params: list[tuple[str, list[int]]] = field(default_factory=list)
    buffers: list[tuple[str, list[int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        _check_family(self.family)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TraceCall(Record):
    """One leaf module's call in a forward pass: enough to name the first layer that differs."""

    path: str
    type: str
    family: str | None = None
    shape: list[int] = field(default_factory=list)
    sums: tuple[float, float] = (0.0, 0.0)   # sum and sum of absolute values of the output

    def __post_init__(self) -> None:
        _check_family(self.family)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModeRun(Record):
    """A forward pass in one mode (eval or train): the output, the calls, gradients if asked."""

    output: Value
    trace: list[TraceCall] = field(default_factory=list)
    grads: dict[str, Value] | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelReport(Record):
    """What ``model_report.run_model`` says of a built model; the grader builds its reference's alike."""

    modules: list[ModuleRow]
    lr: float | None = None
    outputs: dict[str, ModeRun] = field(default_factory=dict)
    dtype: str = "float32"   # the dtype the model works in, and its input was given in (working_dtype.py)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InventoryEntry(Record):
    """A graded name the notebook bound ("bound", with the module it came from) or failed to ("failed")."""

    state: str
    module: str = ""
    error: str = ""


@dataclasses.dataclass(frozen=True, kw_only=True)
class CaseOutcome(Record):
    ok: bool
    value: Value = None
    message: str = ""
    dtype: str = "float32"   # the dtype the grader's floating inputs were given in (working_dtype.py)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainedLayer(Record):
    path: str
    type: str = "layer"
    family: str | None = None
    tensors: dict[str, Value] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_family(self.family)


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainedModel(Record):
    """Weights only, layer by layer in call order; the history is shown, never scored."""

    layers: list[TrainedLayer]
    history: list[dict[str, Value]] = field(default_factory=list)


# ---- requests and the reply ------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True)
class Request(Record):
    """Every request names the graded object as the notebook bound it, the item it is graded as
    (whose course-library copy may not answer meanwhile), and the book helpers to swap in."""

    TRUSTED = True
    OP: typing.ClassVar[str] = ""
    ANSWER: typing.ClassVar[type] = codec.Value   # the reply value's kind: a record class, Value, list[...], ...
    name: str = ""
    item: str = ""
    helpers: list[str] = field(default_factory=list)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InventoryRequest(Request):
    OP, ANSWER = "inventory", dict[str, InventoryEntry]


@dataclasses.dataclass(frozen=True, kw_only=True)
class ValueRequest(Request):
    OP = "value"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CallRequest(Request):
    OP = "call"
    args: list[Value] = field(default_factory=list)
    kwargs: dict[str, Value] = field(default_factory=dict)
    seed: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class Case(Record):
    TRUSTED = True
    args: list[Value] = field(default_factory=list)
    kwargs: dict[str, Value] = field(default_factory=dict)


@dataclasses.dataclass(frozen=True, kw_only=True)
class CasesRequest(Request):
    """Many calls of one function in one round trip."""

    OP, ANSWER = "cases", list[CaseOutcome]
    cases: list[Case] = field(default_factory=list)
    seed: int = 0


@dataclasses.dataclass(frozen=True, kw_only=True)
class ModelRequest(Request):
    """Build ``name(*args, **kwargs)``, optionally fill its weights, run ``input`` in each mode."""

    OP, ANSWER = "model", ModelReport
    args: list[Value] = field(default_factory=list)
    kwargs: dict[str, Value] = field(default_factory=dict)
    input: Value = None
    modes: list[str] = field(default_factory=lambda: ["eval"])
    grads: bool = False
    seed: int = 0
    fill: Fill | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class TrainRequest(Request):
    """Train the graded class by the grader's recipe (training kernels only)."""

    OP, ANSWER = "train", TrainedModel
    data_dir: str = ""
    recipe: dict[str, Value] = field(default_factory=dict)


REQUESTS = {cls.OP: cls for cls in (InventoryRequest, ValueRequest, CallRequest, CasesRequest, ModelRequest,
                                    TrainRequest)}
GRADER_RECORDS = {"LayerSpec": LayerSpec}   # records that may appear inside a request's values


def envelope(request: Request, nonce: str) -> dict[str, typing.Any]:
    """A request on its way to the kernel: its op, the nonce the reply must carry, its fields."""
    return {"op": request.OP, "nonce": nonce, "fields": request.to_wire()}


def open_envelope(data: typing.Any) -> tuple[str, Request]:
    """(nonce, request) from an envelope; ``WireError`` if it is not one."""
    if type(data) is not dict or data.get("op") not in REQUESTS or type(data.get("nonce")) is not str:
        raise WireError("not a request envelope")
    return data["nonce"], REQUESTS[data["op"]].from_wire(data.get("fields"), records=GRADER_RECORDS)


@dataclasses.dataclass(frozen=True, kw_only=True)
class Reply(Record):
    """The kernel's answer: ``value``, the wire form of the request's ANSWER, or why there is none."""

    nonce: str
    ok: bool
    value: typing.Any = None
    kind: str = ""      # when not ok: "missing" | "not_implemented" | "borrowed" | "exception"
    message: str = ""
