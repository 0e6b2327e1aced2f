"""The grader's side of a training check: load the returned weights into a trusted copy, measure.

The student's kernel sends back tensors only (a ``contract.TrainedModel``). They go into a model
the grader builds from the reference solution, paired layer by layer as the architecture checks
pair them (``grader/layers.py``: weight family and shapes in call order, so names and nesting do
not matter), and that model is scored on the test split in the grader's process (``measure.py``).
A number the kernel reports is never used; a layer that is not plain float tensors is rejected
with a clear message.
"""

import math

import torch

from ..kernel_side.contract import ModuleRow
from ..kernel_side.model_report import run_model
from ..layers import in_call_order, match_layers, paired_tensors
from ..verdicts import CheckFailed

MAX_LAYERS = 1000


def trusted_model(build, resize):
    """A reference model, lazy layers materialised for ``resize`` x ``resize`` input; its
    weighted layers in call order are kept as ``model.call_order`` for the pairing."""
    torch.manual_seed(0)
    model = build()
    model.call_order = in_call_order(run_model(model, torch.zeros(2, 1, resize, resize)))
    return model


def _bad(what):
    return CheckFailed(f"your kernel did not send back trained weights ({what}); nothing was scored")


def student_rows(trained):
    """The trained layers (the kernel sends them in call order) as ``ModuleRow``s for the pairing,
    with their tensors; strict about what a tensor is."""
    if not trained.layers or len(trained.layers) > MAX_LAYERS:
        raise _bad(f"expected a list of layers, got {len(trained.layers)}")
    rows, tensors = [], {}
    for layer in trained.layers:
        for name, tensor in layer.tensors.items():
            if type(tensor) is not torch.Tensor or not tensor.dtype.is_floating_point:
                raise _bad(f"{layer.path}.{name} is {tensor!s:.60} rather than a float tensor")
        if layer.path in tensors:
            raise _bad(f"layer {layer.path!r} sent twice")
        tensors[layer.path] = layer.tensors
        rows.append(ModuleRow(path=layer.path, type=layer.type[:60], family=layer.family,
                              params=[(n, list(t.shape)) for n, t in layer.tensors.items()]))
    return rows, tensors


def load_trained(model, trained):
    """Copy the trained weights into ``model`` (the trusted copy); CheckFailed if they do not fit."""
    rows, tensors = student_rows(trained)
    modules = dict(model.named_modules())
    with torch.no_grad():
        for pair in paired_tensors(match_layers(model.call_order, rows)):
            value = tensors[pair.student_path][pair.student_name]
            target = getattr(modules[pair.reference_path], pair.reference_name)
            where = f"{pair.student_path}.{pair.student_name}"
            if value.shape != target.shape:
                raise CheckFailed(f"{where} has shape {list(value.shape)} where the reference has {list(target.shape)}")
            if not torch.isfinite(value).all():
                raise CheckFailed(f"the trained weights of layer {pair.student_path!r} hold NaN or infinity: "
                                  "training diverged")
            target.copy_(value)
    return model


def reported(trained):
    """The kernel's own last-epoch figures, for feedback only (they are not scored)."""
    last = trained.history[-1] if trained.history else {}
    figures = {k: v for k, v in last.items() if k in ("train_loss", "val_acc") and isinstance(v, float)
               and math.isfinite(v)}
    return ", ".join(f"{k} {v:.3f}" for k, v in figures.items())
