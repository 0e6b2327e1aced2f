"""Step 5 of the pipeline: compare what the student's code returned with the oracle's answer, and
write values back as Python a student can paste into a notebook."""

import dataclasses
import math

import numpy as np
import torch

from .kernel_side.codec import Odd
from .kernel_side.contract import LayerSpec
from .kernel_side.error_text import NOTE, WHERE
from .kernel_side.working_dtype import dtype_name, least_precise

# A low-precision dtype's rounding, in units of its epsilon, that a correct answer may carry: a
# few roundings per entry, which the tolerances of the float32 checks cannot absorb.
LOW_PRECISION_EPSILONS = 8


def fitted_tolerance(rtol, atol, dtype):
    """(rtol, atol) for an answer computed in ``dtype``: the check's own for float32 and float64
    (float64 is held at least as strictly as float32), wider for float16 and bfloat16, whose
    every rounding is thousands of times a float32 one."""
    eps = torch.finfo(dtype).eps
    if eps <= torch.finfo(torch.float32).eps:
        return rtol, atol
    return max(rtol, LOW_PRECISION_EPSILONS * eps), max(atol, LOW_PRECISION_EPSILONS * eps)


def as_given(value, dtype):
    """``value`` as the student's code got it when the kernel handed the grader's inputs over in
    ``dtype`` (``working_dtype.py``): each floating tensor rounded to ``dtype`` and kept in its own
    dtype (float32 holds every float16 and bfloat16 value exactly), so an oracle computes from the
    very values the student's code saw. The identity for float32 and float64."""
    if dtype is None or torch.finfo(dtype).eps <= torch.finfo(torch.float32).eps:
        return value
    if isinstance(value, torch.Tensor):
        return value.to(dtype).to(value.dtype) if value.is_floating_point() else value
    if isinstance(value, LayerSpec):
        return dataclasses.replace(value, state={k: as_given(v, dtype) for k, v in value.state.items()})
    if isinstance(value, (list, tuple)):
        return type(value)(as_given(v, dtype) for v in value)
    if isinstance(value, dict):
        return {k: as_given(v, dtype) for k, v in value.items()}
    return value


def tensor_mismatch(expected, actual, rtol=1e-4, atol=1e-4, scale=None, dtype=None):
    """``None`` when ``actual`` matches ``expected`` by value; otherwise one line saying how it differs.

    ``scale`` (a tensor like ``expected``, or a number) is the size of the terms that were summed
    into each entry: rounding grows with it, not with the (possibly cancelled) result. ``dtype``
    is the dtype the student's code was given its inputs in: the tolerance fits the coarser of it
    and the answer's own dtype. Integer answers are compared by value too.
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
    precision = least_precise(actual.dtype, dtype)
    rtol, atol = fitted_tolerance(rtol, atol, precision)
    a, e = actual.double(), expected.double()
    size = e.abs() if scale is None else torch.maximum(e.abs(), torch.as_tensor(scale, dtype=torch.float64))
    close = ((a - e).abs() <= atol + rtol * size) | (a.isnan() & e.isnan()) | (a == e)
    if bool(close.all()):
        return None
    diff = (a - e).abs().nan_to_num(float("inf"))
    diff[close] = -1
    worst = int(diff.reshape(-1).argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), e.shape)) if e.dim() else ()
    low = torch.finfo(precision).eps > torch.finfo(torch.float32).eps
    within = f" (compared within {dtype_name(precision)}'s precision, rtol {rtol:.2g})" if low else ""
    return (f"{int((~close).sum())} of {e.numel()} values differ; worst at {list(index)}: "
            f"got {number(a.reshape(-1)[worst].item())}, expected {number(e.reshape(-1)[worst].item())}{within}")


def dtype_hint(expected, actual):
    """A hint when the answer's dtype is itself the bug: an integer tensor where the right values
    have fractional parts (an accumulator made with an integer dtype truncates every entry)."""
    if not (isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor)):
        return None
    if actual.is_floating_point() or actual.dtype == torch.bool or not expected.is_floating_point():
        return None
    if not bool((expected.double() != expected.double().trunc()).any()):
        return None
    return (f"your result's dtype is {dtype_name(actual.dtype)}, which holds whole numbers only, while the right "
            "values have fractional parts: make the tensor that collects the results a floating one (for example "
            "`torch.zeros(shape, dtype=X.dtype)`, or no dtype at all)")


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


def shown_error(message):
    """An error message from the kernel as Markdown: the error as code, then the note of the line
    of the student's code that raised it (``kernel_side/error_text.py``), if there is one."""
    error, _, note = message.partition(WHERE)
    return f"`{error.strip()}`" + (f" ({NOTE}{note}" if note else "")


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
