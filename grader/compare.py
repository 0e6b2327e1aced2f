"""Step 5 of the pipeline: compare what the student's code returned with the oracle's answer, and
write values back as Python a student can paste into a notebook."""

import math

import numpy as np
import torch

from .kernel_side.codec import Odd
from .kernel_side.contract import LayerSpec



def tensor_mismatch(expected, actual, rtol=1e-4, atol=1e-4, scale=None):
    """``None`` when ``actual`` matches ``expected``; otherwise one line saying how it differs.

    ``scale`` (a tensor like ``expected``, or a number) is the size of the terms that were summed
    into each entry: float32 rounding grows with it, not with the (possibly cancelled) result.
    """
    if isinstance(actual, Odd):
        return f"returned {actual}, expected a torch.Tensor"
    if not isinstance(actual, torch.Tensor):
        return f"returned {type(actual).__name__}, expected a torch.Tensor"
    if tuple(actual.shape) != tuple(expected.shape):
        return f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
    if actual.dtype == torch.bool or not (actual.is_floating_point() or expected.is_floating_point()):
        equal = torch.equal(actual.to(expected.dtype), expected)
        return None if equal else "values differ"
    a, e = actual.double(), expected.double()
    size = e.abs() if scale is None else torch.maximum(e.abs(), torch.as_tensor(scale, dtype=torch.float64))
    close = ((a - e).abs() <= atol + rtol * size) | (a.isnan() & e.isnan()) | (a == e)
    if bool(close.all()):
        return None
    diff = (a - e).abs().nan_to_num(float("inf"))
    diff[close] = -1
    worst = int(diff.reshape(-1).argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), e.shape)) if e.dim() else ()
    return (f"{int((~close).sum())} of {e.numel()} values differ; worst at {list(index)}: "
            f"got {number(a.reshape(-1)[worst].item())}, expected {number(e.reshape(-1)[worst].item())}")


def number(value, float32=True):
    """A float as its shortest exact text in float32 (``0.1``, not ``0.10000000149011612``)."""
    if math.isnan(value):
        return "float('nan')"
    if math.isinf(value):
        return "float('inf')" if value > 0 else "-float('inf')"
    return str(np.float32(value)) if float32 else repr(float(value))


def literal(value):
    """Python source that rebuilds ``value``: tensors as ``torch.tensor(...)``, containers recursively."""
    if isinstance(value, torch.Tensor):
        if value.numel() == 0:  # torch.tensor([]) would lose the shape
            dtype = "" if value.dtype == torch.float32 else f", dtype={value.dtype}"
            return f"torch.zeros({tuple(value.shape)}{dtype})"
        if value.is_floating_point():
            body = _nested(value.tolist(), lambda v: number(v, value.dtype != torch.float64))
            suffix = ", dtype=torch.float64" if value.dtype == torch.float64 else ""
        else:
            body, suffix = repr(value.tolist()), "" if value.dtype == torch.int64 else f", dtype={value.dtype}"
        return f"torch.tensor({body}{suffix})"
    if isinstance(value, float):
        return number(value, float32=False)
    if isinstance(value, tuple):
        items = ", ".join(literal(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return repr(value)


def _nested(values, fmt):
    if isinstance(values, list):
        return "[" + ", ".join(_nested(v, fmt) for v in values) + "]"
    return fmt(values)


def show(value, limit=600):
    """A value as a student would type it back into a notebook, shortened when it is long."""
    if isinstance(value, torch.Tensor) and value.numel() > 64:
        return f"<tensor of shape {tuple(value.shape)}>"
    text = literal(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def module_lines(name, spec):
    """Lines that build the layer a ``LayerSpec`` describes, with its exact weights."""
    args = [repr(a) for a in spec.args]
    args += [f"{k}={literal(tuple(v) if isinstance(v, list) else v)}" for k, v in spec.kwargs.items()]
    lines = [f"{name} = nn.{spec.type}({', '.join(args)})"]
    for tensor_name, tensor in spec.state.items():
        lines.append(f"{name}.{tensor_name}.data = {literal(tensor)}")
    return lines


def call_snippet(function, names, args, kwargs):
    """Code that repeats one call: tensors and layers get a line each, named like the parameters."""
    lines, call_args = [], []
    for position, value in enumerate(args):
        name = names[position] if position < len(names) else f"arg{position}"
        if isinstance(value, LayerSpec):
            lines += module_lines(name, value)
            call_args.append(name)
        elif isinstance(value, torch.Tensor):
            lines.append(f"{name} = {literal(value)}")
            call_args.append(name)
        else:
            call_args.append(literal(value))
    call_args += [f"{k}={literal(v)}" for k, v in kwargs.items()]
    lines.append(f"{function}({', '.join(call_args)})")
    return "\n".join(lines)
