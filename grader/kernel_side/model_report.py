"""A model described and run the same way on both sides: the student's in the kernel, the reference
in the grader, so that both are measured alike (``run_model``)."""

import torch
from torch import nn

from .contract import ModelReport, ModeRun, ModuleRow, TraceCall
from .working_dtype import dtype_name, handed_over, model_home

LAYER_FAMILIES = ((nn.Conv2d, "conv"), (nn.Linear, "linear"), (nn.BatchNorm2d, "batchnorm"))
MAX_CALLS = 2000


def family(module):
    for cls, name in LAYER_FAMILIES:
        if isinstance(module, cls):
            return name
    return None


def leaves(model):
    """(path, module) of every module without children, in registration order."""
    return [(path, module) for path, module in model.named_modules() if not any(True for _ in module.children())]


def describe_modules(model):
    """Leaf modules in registration order: class name, weight family, parameter shapes."""
    return [ModuleRow(path=path, type=type(module).__name__, family=family(module),
                      params=[(n, list(p.shape)) for n, p in module.named_parameters(recurse=False)],
                      buffers=[(n, list(b.shape)) for n, b in module.named_buffers(recurse=False)
                               if b.dtype.is_floating_point])
            for path, module in leaves(model)]


def fill(model, recipe):
    """Overwrite weights as the grader's ``Fill`` says (layer path -> tensor name -> ``TensorFill``)."""
    modules = dict(model.named_modules())
    with torch.no_grad():
        for path, tensors in recipe.items():
            for name, how in tensors.items():
                target = getattr(modules[path], name)
                target.copy_(how.values(target.shape))


class CallTrace:
    """Forward hooks on the leaf modules, recording each call as a ``TraceCall`` in call order."""

    def __init__(self, model):
        self.model, self.calls, self.handles = model, [], []

    def __enter__(self):
        for path, module in leaves(self.model):
            self.handles.append(module.register_forward_hook(self._recorder(path)))
        return self

    def _recorder(self, path):
        def record(module, inputs, output):
            if isinstance(output, torch.Tensor) and len(self.calls) < MAX_CALLS:
                values = output.detach().double()
                self.calls.append(TraceCall(path=path, type=type(module).__name__, family=family(module),
                                            shape=list(output.shape),
                                            sums=(float(values.sum()), float(values.abs().sum()))))
        return record

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()
        return False


def first_calls(calls):
    """Leaf path -> position of its first call."""
    first = {}
    for position, call in enumerate(calls):
        first.setdefault(call.path, position)
    return first


def run_model(model, x, modes=("eval",), fill_recipe=None, grads=False, seed=0):
    """Materialise lazy layers, describe, optionally fill, and run ``x`` in each mode, tracing calls.
    ``x`` is given in the dtype and on the device of the model's own weights (``working_dtype.py``);
    the report says which dtype that was."""
    dtype, device = model_home(model)
    x = handed_over(x, dtype, device)
    model.eval()
    with torch.no_grad():
        model(x)
    lr = getattr(model, "lr", None)   # the book's Classifier keeps lr for configure_optimizers
    modules = describe_modules(model)
    if fill_recipe is not None:
        fill(model, fill_recipe)
    outputs = {}
    for mode in modes:
        model.train(mode == "train")
        torch.manual_seed(seed)
        with CallTrace(model) as trace:
            if grads:
                model.zero_grad()
                out = model(x)
                out.sum().backward()
                outputs[mode] = ModeRun(output=out.detach(), trace=trace.calls,
                                        grads={n: p.grad for n, p in model.named_parameters()})
            else:
                with torch.no_grad():
                    outputs[mode] = ModeRun(output=model(x), trace=trace.calls)
    return ModelReport(modules=modules, lr=float(lr) if type(lr) in (int, float) else None, outputs=outputs,
                       dtype=dtype_name(dtype))
