"""The kernel boundary's contract: records survive the trip, and whatever else arrives is a WireError.

Both sides use ``grader/kernel_side/codec.py`` and ``contract.py``; these tests play the kernel's
part (``to_wire`` of what the agent returns) and the grader's (``from_wire`` of the JSON text).
"""

import json

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.kernel_side import codec
from grader.kernel_side.codec import MAX_ELEMENTS, Odd, WireError, decode, encode, from_wire, to_wire
from grader.kernel_side.contract import (
    REQUESTS,
    CallRequest,
    CaseOutcome,
    InventoryEntry,
    LayerSpec,
    ModelReport,
    ModelRequest,
    ModeRun,
    ModuleRow,
    Reply,
    TensorFill,
    TraceCall,
    TrainedModel,
    envelope,
    open_envelope,
)
from grader.kernel_side.dispatch import Agent

DTYPES = list(codec.DTYPES.values())


def over_json(data):
    return json.loads(json.dumps(data))


def model_report():
    return ModelReport(
        modules=[ModuleRow(path="net.0", type="Conv2d", family="conv",
                           params=[("weight", [6, 1, 5, 5]), ("bias", [6])]),
                 ModuleRow(path="net.1", type="Sigmoid")],
        lr=0.1,
        outputs={"eval": ModeRun(output=torch.randn(2, 10), trace=[
            TraceCall(path="net.0", type="Conv2d", family="conv", shape=[2, 6, 28, 28], sums=(1.5, 20.25))])})


# ---- values ------------------------------------------------------------------------------------
@st.composite
def tensors(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.lists(st.integers(0, 4), max_size=3))
    if dtype == torch.bool:
        return torch.randint(0, 2, shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 99)))).bool()
    return (torch.randn(shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 99)))) * 50).to(dtype)


@settings(max_examples=80, derandomize=True, database=None, deadline=None)
@given(tensors())
def test_grader_inputs_arrive_bit_for_bit_with_their_dtype(tensor):
    back = decode(over_json(encode(tensor, trusted=True)))
    assert back.dtype == tensor.dtype and back.shape == tensor.shape and torch.equal(back, tensor)


def test_replies_keep_to_the_types_every_reader_handles():
    sent = (torch.tensor([1.5, float("nan")], dtype=torch.bfloat16), torch.Size([2, 3]), "x" * 20_000, object(),
            torch.nn.Parameter(torch.ones(2)))
    tensor, size, text, odd, parameter = decode(over_json(encode(sent)))
    assert tensor.dtype == torch.float32 and tensor[0] == 1.5 and torch.isnan(tensor[1])
    assert size == [2, 3] and len(text) == codec.MAX_TEXT and odd == Odd("object")
    assert torch.equal(parameter, torch.ones(2))


def test_grader_inputs_keep_tuples_and_refuse_what_they_cannot_send():
    assert decode(over_json(encode((1, [2, (3,)]), trusted=True))) == (1, [2, (3,)])
    with pytest.raises(WireError, match="cannot send object"):
        encode(object(), trusted=True)


def tensor_spec(**changes):
    return {**encode(torch.arange(6.0).reshape(2, 3)), **changes}


@pytest.mark.parametrize("spec, says", [
    (tensor_spec(dtype="object"), "unsupported dtype"),
    (tensor_spec(dtype=5), "unsupported dtype"),
    (tensor_spec(shape=[2, -3]), "bad tensor shape"),
    (tensor_spec(shape="2x3"), "bad tensor shape"),
    (tensor_spec(shape=[10**6, 10**6]), "too large"),
    (tensor_spec(shape=[3, 3]), "do not match shape"),
    (tensor_spec(data=tensor_spec()["data"][:-8]), "do not match shape|not base64"),
    (tensor_spec(data="!!!not base64!!!"), "not base64"),
    (tensor_spec(data=12), "not text"),
    ({"t": "list", "items": "abc"}, "without items"),
    ({"t": "dict", "items": [1]}, "without items"),
    ({"t": "pickle", "data": "gASV"}, "unknown wire type"),
    ({"t": "record", "kind": "LayerSpec", "fields": {"type": "Conv2d"}}, "unknown wire type"),
    ([1, 2], "unexpected value"),
], ids=["dtype-name", "dtype-number", "negative-size", "shape-text", "huge", "short-bytes", "truncated", "bad-base64",
        "data-number", "list-text", "dict-list", "pickle", "layer-in-a-reply", "bare-list"])
def test_malformed_values_are_wire_errors(spec, says):
    with pytest.raises(WireError, match=says):
        decode(over_json(spec))


def test_nesting_is_bounded():
    spec = 1
    for _ in range(codec.MAX_DEPTH + 5):
        spec = {"t": "list", "items": [spec]}
    with pytest.raises(WireError, match="deeply"):
        decode(spec)


def test_the_size_limit_is_checked_before_any_bytes_are_decoded():
    shape = [MAX_ELEMENTS, 2]
    with pytest.raises(WireError, match="too large"):
        decode({"t": "tensor", "dtype": "uint8", "shape": shape, "data": ""})


# ---- records -----------------------------------------------------------------------------------
def test_a_model_report_survives_the_trip():
    report = model_report()
    back = from_wire(over_json(to_wire(report, ModelReport)), ModelReport)
    assert back.modules == report.modules and back.lr == 0.1
    assert back.outputs["eval"].trace == report.outputs["eval"].trace
    assert torch.equal(back.outputs["eval"].output, report.outputs["eval"].output)


def test_requests_cross_in_an_envelope_with_layers_and_fills():
    layer = LayerSpec(type="Conv2d", args=[1, 1], kwargs={"kernel_size": (2, 2)},
                      state={"weight": torch.ones(1, 1, 2, 2), "bias": torch.zeros(1)})
    request = ModelRequest(name="LeNet", args=[layer, (1, 2)], input=torch.zeros(1, 1, 4, 4),
                           fill={"net.0": {"weight": TensorFill(seed=3, scale=0.5, offset=0.0)}}, item="LeNet",
                           helpers=["corr2d"])
    nonce, back = open_envelope(over_json(envelope(request, "n")))
    assert nonce == "n" and back.name == "LeNet" and back.helpers == ["corr2d"]
    assert back.args[1] == (1, 2) and back.fill == request.fill
    built = back.args[0].build()
    assert (isinstance(built, torch.nn.Conv2d) and built.kernel_size == (2, 2)
            and float(built.weight.detach().sum()) == 4)


def test_a_fill_gives_both_sides_the_same_values():
    fill = TensorFill(seed=7, scale=2.0, offset=1.0, positive=True)
    again = from_wire(over_json(to_wire(fill, TensorFill, trusted=True)), TensorFill)
    assert torch.equal(fill.values((3, 4)), again.values((3, 4))) and bool((fill.values((3, 4)) >= 0).all())


@pytest.mark.parametrize("name", ["functional", "__class__", "init", "Conv2d.__init__", "Parameter"])
def test_a_layer_spec_builds_only_torch_layers(name):
    with pytest.raises(WireError, match="no layer"):
        LayerSpec(type=name).build()


def broken(path, value):
    """The model report's wire form with the field at ``path`` replaced by ``value``."""
    data = over_json(to_wire(model_report(), ModelReport))
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return data


@pytest.mark.parametrize("path, value", [
    (("modules",), {"t": "list", "items": []}),
    (("modules", 0, "path"), 3),
    (("modules", 0, "family"), "attention"),
    (("modules", 0, "params"), [["weight"]]),
    (("modules", 0, "params", 0, 1), ["6"]),
    (("lr",), "0.1"),
    (("outputs",), []),
    (("outputs", "eval", "trace", 0, "sums"), [1.0]),
    (("outputs", "eval", "trace", 0, "shape"), None),
    (("outputs", "eval", "output"), {"t": "tensor", "dtype": "float32", "shape": [2], "data": "AAAA"}),
], ids=lambda v: str(v)[:30])
def test_a_tampered_model_report_is_a_wire_error(path, value):
    with pytest.raises(WireError):
        from_wire(broken(path, value), ModelReport)


def test_missing_fields_are_named():
    data = over_json(to_wire(model_report(), ModelReport))
    del data["modules"]
    with pytest.raises(WireError, match="ModelReport without modules"):
        from_wire(data, ModelReport)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["tensor", "list", "dict", "record", "float32", "conv", "eval", "t", "items"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["t", "items", "dtype", "shape", "data", "modules", "outputs", "path", "type", "family",
                         "params", "buffers", "output", "trace", "lr", "layers", "tensors", "ok", "nonce", "value"]),
        inner, max_size=6),
    max_leaves=30)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(json_values, st.sampled_from([ModelReport, TrainedModel, Reply, list[CaseOutcome], dict[str, InventoryEntry],
                                     codec.Value]))
def test_any_json_at_all_is_read_or_refused_never_crashes(data, kind):
    try:
        from_wire(data, kind)
    except WireError:
        pass


# ---- the agent's end ---------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["not json", "[]", json.dumps({"op": "shell", "nonce": "n", "fields": {}}),
                                  json.dumps({"op": "call", "nonce": 5, "fields": {}}),
                                  json.dumps({"op": "call", "nonce": "n", "fields": {"args": "rm -rf"}})])
def test_the_agent_answers_a_bad_request_with_a_refusal(text):
    reply = from_wire(over_json(Agent({}).answer(text)), Reply)
    assert not reply.ok and reply.message.startswith("bad request")


def test_every_request_record_crosses_and_names_its_op():
    for op, cls in REQUESTS.items():
        nonce, back = open_envelope(over_json(envelope(cls(name="corr2d"), "n")))
        assert type(back) is cls and back.OP == op and back.name == "corr2d"
    assert CallRequest(args=[1]).to_wire()["args"] == [1]
