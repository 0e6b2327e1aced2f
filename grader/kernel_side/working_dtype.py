"""Where the student's code works: the dtype and device the grader's inputs are handed over in.

The grader makes its inputs in float32 on the CPU. Correct code may work elsewhere: a notebook
that starts with ``torch.set_default_dtype(torch.float64)``, a model made with ``.double()`` or
``.half()``, one moved to a GPU. Handed float32 CPU tensors, such code fails inside torch
("Input type (float) and bias type (double) should be the same") although nothing in it is wrong.
So the agent gives each floating input to the student's code in the dtype that code works in -
the kernel's default dtype for a function, the dtype and device of its own weights for a model -
and tells the grader which dtype that was, so that the grader's answer starts from the same
values and is compared within that dtype's precision. Integer and boolean inputs stay as they are.
"""

import itertools

import torch

from .codec import DTYPES


def dtype_name(dtype):
    return str(dtype).replace("torch.", "")


def dtype_named(name):
    """The floating dtype a reply names; float32 for anything else (the name crossed the boundary,
    so a tampered agent could send any text: it can only make the comparison a float32 one)."""
    dtype = DTYPES.get(name) if type(name) is str else None
    return dtype if dtype is not None and dtype.is_floating_point else torch.float32


def least_precise(*dtypes):
    """The floating dtype with the coarsest rounding among ``dtypes`` (``None`` and non-floating
    dtypes ignored); float32 when there is none."""
    floating = [d for d in dtypes if d is not None and d.is_floating_point]
    return max(floating, key=lambda d: torch.finfo(d).eps, default=torch.float32)


def default_dtype():
    """The dtype a function's floating inputs are handed over in: what ``torch.tensor([1.5])``
    gives in this kernel, so the inputs look like the ones the student's own cells make."""
    return torch.get_default_dtype()


def model_home(model):
    """(dtype, device) of the model's first floating parameter or buffer (a lazy layer's
    uninitialised weight counts: ``.double()`` has already set its dtype); a model without any
    works in the kernel's default dtype on the CPU."""
    for tensor in itertools.chain(model.parameters(), model.buffers()):
        if tensor.is_floating_point():
            return tensor.dtype, tensor.device
    return torch.get_default_dtype(), torch.device("cpu")


def handed_over(value, dtype, device=None):
    """``value`` with every floating tensor in it (inside lists, tuples and dicts too) in ``dtype``,
    and on ``device`` when one is given; anything else unchanged."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            return value.to(dtype=dtype, device=device) if device is not None else value.to(dtype)
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(handed_over(v, dtype, device) for v in value)
    if isinstance(value, dict):
        return {k: handed_over(v, dtype, device) for k, v in value.items()}
    return value
