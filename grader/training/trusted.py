"""The grader's side of a training check: load the returned weights into a trusted copy, measure.

The student's kernel sends back tensors only. They go into a model the grader builds from the
reference solution, paired layer by layer by weight family and shapes in the order the forward
pass calls them (the architecture checks' pairing, so names and nesting do not matter), and that
model is scored on the test split in the grader's process (``measure.py``). A number the kernel reports is never used; what the
kernel sends that is not a list of layers of plain tensors is rejected with a clear message.
"""

import math

import torch

from ..checks.base import CheckFailed
from ..checks.models import fill_recipes, in_call_order, match_layers
from ..kernel_side import agent as shared

FAMILIES = {"conv", "linear", "batchnorm", None}
MAX_LAYERS = 1000


def trusted_model(build, resize):
    """A reference model, lazy layers materialised for ``resize`` x ``resize`` input; its
    weighted layers in call order are kept as ``model.call_order`` for the pairing."""
    torch.manual_seed(0)
    model = build()
    report = shared.run_model(model, torch.zeros(2, 1, resize, resize), {"modes": ["eval"]})
    model.call_order = in_call_order(report)
    return model


def _bad(what):
    return CheckFailed(f"your kernel did not send back trained weights ({what}); nothing was scored")


def student_rows(reply):
    """The reply's layers (the kernel sends them in call order) as rows ``match_layers`` reads,
    with their tensors; strict about types."""
    layers = reply.get("layers") if isinstance(reply, dict) else None
    if not isinstance(layers, list) or not layers or len(layers) > MAX_LAYERS:
        raise _bad(f"expected a list of layers, got {type(layers).__name__ if layers is not None else 'nothing'}")
    rows, tensors = [], {}
    for layer in layers:
        if not isinstance(layer, dict) or not isinstance(layer.get("path"), str) \
                or layer.get("family") not in FAMILIES or not isinstance(layer.get("tensors"), dict):
            raise _bad("a layer is not {path, family, tensors}")
        path, found = layer["path"], layer["tensors"]
        for name, tensor in found.items():
            if type(tensor) is not torch.Tensor or not tensor.dtype.is_floating_point:
                raise _bad(f"{path}.{name} is {tensor!s:.60} rather than a float tensor")
        if path in tensors:
            raise _bad(f"layer {path!r} sent twice")
        tensors[path] = found
        rows.append({"path": path, "type": str(layer.get("type", "layer"))[:60], "family": layer["family"],
                     "params": [[n, list(t.shape)] for n, t in found.items()], "buffers": []})
    return rows, tensors


def load_trained(model, reply):
    """Copy the reply's weights into ``model`` (the trusted copy); CheckFailed if they do not fit."""
    rows, tensors = student_rows(reply)
    pairs = match_layers(model.call_order, rows)
    ref_recipe, student_recipe = fill_recipes(pairs)
    # fill_recipes gives each paired tensor one spec on both sides; its seed names the pairing
    source = {spec[0]: (path, name) for path, names in student_recipe.items() for name, spec in names.items()}
    modules = dict(model.named_modules())
    with torch.no_grad():
        for path, names in ref_recipe.items():
            for name, spec in names.items():
                their_path, their_name = source[spec[0]]
                value = tensors[their_path][their_name]
                target = getattr(modules[path], name)
                if value.shape != target.shape:
                    raise CheckFailed(f"{their_path}.{their_name} has shape {list(value.shape)} where the "
                                      f"reference has {list(target.shape)}")
                if not torch.isfinite(value).all():
                    raise CheckFailed(f"the trained weights of layer {their_path!r} hold NaN or infinity: "
                                      f"training diverged")
                target.copy_(value)
    return model


def reported(reply):
    """The kernel's own last-epoch figures, for feedback only (they are not scored)."""
    history = reply.get("history") if isinstance(reply, dict) else None
    last = history[-1] if isinstance(history, list) and history and isinstance(history[-1], dict) else {}
    figures = {k: v for k, v in last.items() if k in ("train_loss", "val_acc") and isinstance(v, float)
               and math.isfinite(v)}
    return ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
