"""Grader agent, executed as source inside the student's kernel (which cannot import the grader).

It does three things for the grader process, which trusts none of it:
- after every cell, remembers the graded names that the cell *defined* (def, class, or an
  assignment of the right kind of object), so a later rebinding such as
  ``pool2d = nn.MaxPool2d(3)`` does not hide the student's function;
- answers probe requests: call a graded object on inputs the grader made, or build a graded
  model, fill its weights by the grader's recipe and run it;
- sends results back as JSON with tensors as raw little-endian bytes in base64 (no pickle).
"""

import ast
import base64
import re
import json
import sys

import torch
from IPython import get_ipython
from torch import nn

MIME = "application/x-convnet-grader+json"
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64,
          "int32": torch.int32, "uint8": torch.uint8, "bool": torch.bool, "float16": torch.float16,
          "bfloat16": torch.bfloat16}
FAMILIES = ((nn.Conv2d, "conv"), (nn.Linear, "linear"), (nn.BatchNorm2d, "batchnorm"))


class Agent:
    def __init__(self, kinds):
        self.kinds = dict(kinds)  # graded name -> "function" | "class" | "value"
        self.bound = {}           # name -> the student's latest qualifying binding
        self.errors = {}          # name -> error of the cell that tried to define it
        self.before = {}

    # ---- definition capture -------------------------------------------------------------
    def defined_names(self, source):
        """Top-level names a cell binds by def/class and by assignment (also inside if/try/with)."""
        try:
            tree = ast.parse(source)
        except SyntaxError:
            # The cell cannot run, but it still says what it meant to define: report those
            # names as failed ("could not run"), not as missing ("not submitted").
            defs = set(re.findall(r"^\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)", source, re.M))
            assigns = set(re.findall(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", source, re.M))
            return defs & set(self.kinds), assigns & set(self.kinds)
        defs, assigns = set(), set()

        def visit(body):
            for node in body:
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    defs.add(node.name)
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    assigns.update(t.id for t in targets if isinstance(t, ast.Name))
                elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                    for field in ("body", "orelse", "finalbody"):
                        visit(getattr(node, field, []) or [])
                    for handler in getattr(node, "handlers", []):
                        visit(handler.body)
        visit(tree.body)
        return defs & set(self.kinds), assigns & set(self.kinds)

    def qualifies(self, name, obj):
        """An assignment only counts when it binds the right kind of thing.

        ``pool2d = nn.MaxPool2d(3)`` (the book does this) must not replace the student's
        function, while ``corr2d = lambda X, K: ...`` is a definition.
        """
        kind = self.kinds[name]
        if kind == "class":
            return isinstance(obj, type)
        if kind == "function":
            return callable(obj) and not isinstance(obj, nn.Module)
        return True

    def before_cell(self, info=None):
        ns = get_ipython().user_ns
        self.before = {name: ns.get(name, _MISSING) for name in self.kinds}

    def after_cell(self, result):
        ip = get_ipython()
        try:
            source = ip.transform_cell(result.info.raw_cell)
        except Exception:
            return
        defs, assigns = self.defined_names(source)
        error = result.error_in_exec or result.error_before_exec
        for name in defs | assigns:
            now = ip.user_ns.get(name, _MISSING)
            rebound = now is not _MISSING and now is not self.before.get(name, _MISSING)
            if rebound and (name in defs or self.qualifies(name, now)):
                self.bound[name] = now
                self.errors.pop(name, None)
            elif error is not None and name not in self.bound:
                self.errors[name] = f"{type(error).__name__}: {error}"

    def lookup(self, name):
        if name in self.bound:
            return self.bound[name]
        ns = get_ipython().user_ns
        if name in ns and self.qualifies(name, ns[name]):
            return ns[name]  # bound some other way (exec, import from a helper module)
        raise LookupError(name)

    # ---- probing ------------------------------------------------------------------------
    def handle(self, request_text):
        from IPython.display import display
        display({MIME: self.answer(request_text)}, raw=True)

    def answer(self, request_text):
        """The reply to one request, errors included (tests call this without a kernel)."""
        request = json.loads(request_text)
        try:
            reply = {"ok": True, "value": encode(getattr(self, "op_" + request["op"])(request))}
        except LookupError as missing:
            reply = {"ok": False, "kind": "missing", "message": self.missing_message(str(missing).strip("'"))}
        except NotImplementedError as stub:
            reply = {"ok": False, "kind": "not_implemented", "message": str(stub) or "NotImplementedError"}
        except BaseException as error:  # the student's code may raise anything, SystemExit too
            reply = {"ok": False, "kind": "exception", "message": f"{type(error).__name__}: {error}"[:2000]}
        reply["nonce"] = request["nonce"]
        return reply

    def missing_message(self, name):
        if name in self.errors:
            return f"the cell defining {name} failed: {self.errors[name]}"
        return f"{name} is not defined"

    def resolve(self, spec):
        return decode(spec, self)

    def with_reference(self, request):
        """Swap named helpers in the student's namespace for the grader's reference versions."""
        try:
            target = self.lookup(request["name"])
        except LookupError:
            target = None
        return _Swap(get_ipython().user_ns, request.get("reference", {}), target)

    def op_inventory(self, request):
        """Which graded names this notebook bound, failed to bind, and where each object came from."""
        found = {}
        for name in self.kinds:
            try:
                obj = self.lookup(name)
            except LookupError:
                if name in self.errors:
                    found[name] = {"state": "failed", "error": self.errors[name]}
                continue
            found[name] = {"state": "bound", "module": str(getattr(obj, "__module__", "") or "")}
        return found

    def op_call(self, request):
        target = self.lookup(request["name"])
        args = [self.resolve(a) for a in request.get("args", [])]
        kwargs = {k: self.resolve(v) for k, v in request.get("kwargs", {}).items()}
        torch.manual_seed(request.get("seed", 0))
        with self.with_reference(request), torch.no_grad() if request.get("no_grad") else _null():
            return target(*args, **kwargs)

    def op_value(self, request):
        """A graded constant (an architecture tuple), as it is."""
        return self.lookup(request["name"])

    def op_cases(self, request):
        """Call one graded function on many inputs in a single round trip."""
        results = []
        for case in request["cases"]:
            try:
                results.append({"ok": True, "value": self.op_call({**request, **case})})
            except NotImplementedError:
                raise
            except BaseException as error:
                results.append({"ok": False, "message": f"{type(error).__name__}: {error}"[:1000]})
        return results

    def op_model(self, request):
        """Build a graded module, then report on it as ``run_model`` does."""
        torch.manual_seed(request.get("seed", 0))
        with self.with_reference(request):
            factory = self.lookup(request["name"])
            args = [self.resolve(a) for a in request.get("args", [])]
            kwargs = {k: self.resolve(v) for k, v in request.get("kwargs", {}).items()}
            model = factory(*args, **kwargs)
            if not isinstance(model, nn.Module):
                raise TypeError(f"{request['name']}(...) returned {type(model).__name__}, not an nn.Module")
            return run_model(model, self.resolve(request["input"]), request)


def run_model(model, x, request):
    """Materialise lazy layers, describe, optionally fill, and run ``x`` in each mode, tracing calls.

    The grader runs its reference models through this same function, so both sides are measured alike.
    """
    model.eval()
    with torch.no_grad():
        model(x)
    lr = getattr(model, "lr", None)   # the book's Classifier keeps lr for configure_optimizers
    report = {"modules": describe_modules(model), "lr": float(lr) if type(lr) in (int, float) else None}
    if "fill" in request:
        fill(model, request["fill"])
    if request.get("summary"):
        report["summary"] = layer_shapes(model, x)
    outputs = {}
    for mode in request.get("modes", ["eval"]):
        model.train(mode == "train")
        torch.manual_seed(request.get("seed", 0))
        with CallTrace(model) as trace:
            if request.get("grads"):
                model.zero_grad()
                out = model(x)
                out.sum().backward()
                outputs[mode] = {"output": out.detach(), "grads": {n: p.grad for n, p in model.named_parameters()}}
            else:
                with torch.no_grad():
                    outputs[mode] = {"output": model(x)}
        outputs[mode]["trace"] = trace.calls
    report["outputs"] = outputs
    return report


class CallTrace:
    """Forward hooks on the leaf modules: in call order, each call's path, type, weight family,
    output shape and two sums - enough for the grader to name the first layer that differs."""

    def __init__(self, model):
        self.model, self.calls, self.handles = model, [], []

    def __enter__(self):
        for path, module in self.model.named_modules():
            if not any(True for _ in module.children()):
                self.handles.append(module.register_forward_hook(self._recorder(path)))
        return self

    def _recorder(self, path):
        def record(module, inputs, output):
            if isinstance(output, torch.Tensor) and len(self.calls) < 2000:
                values = output.detach().double()
                self.calls.append([path, type(module).__name__, family(module), list(output.shape),
                                   [float(values.sum()), float(values.abs().sum())]])
        return record

    def __exit__(self, *exc):
        for handle in self.handles:
            handle.remove()
        return False


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Swap:
    """Reference helpers in the student's namespace for one request, all defined in one scope so
    they can use each other. A graded class built on a swapped class (ResNet18 on the student's
    ResNet) gets the reference base for the duration too; the graded object itself is never swapped."""

    def __init__(self, namespace, sources, target=None):
        self.namespace, self.sources, self.target = namespace, sources, target
        self.saved, self.rebased = {}, []

    def __enter__(self):
        scope = {"torch": torch, "nn": nn, "F": torch.nn.functional, "d2l": sys.modules.get("d2l.torch")}
        for name, source in self.sources.items():
            exec(compile(source, f"<reference {name}>", "exec"), scope)
        for name in self.sources:
            self.saved[name] = self.namespace.get(name, _MISSING)
            self.namespace[name] = scope[name]
        if isinstance(self.target, type):
            replaced = {id(old): scope[name] for name, old in self.saved.items() if isinstance(old, type)}
            for cls in self.target.__mro__[:-1]:
                bases = tuple(replaced.get(id(b), b) for b in cls.__bases__)
                if id(cls) not in replaced and bases != cls.__bases__:
                    try:
                        original, cls.__bases__ = cls.__bases__, bases
                        self.rebased.append((cls, original))
                    except TypeError:
                        pass  # incompatible layout: the student's own base stays
        return self

    def __exit__(self, *exc):
        for cls, original in reversed(self.rebased):
            cls.__bases__ = original
        for name, value in self.saved.items():
            if value is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        return False


_MISSING = object()


def family(module):
    for cls, name in FAMILIES:
        if isinstance(module, cls):
            return name
    return None


def describe_modules(model):
    """Leaf modules in registration order: class name, weight family, parameter shapes."""
    rows = []
    for qualname, module in model.named_modules():
        if any(True for _ in module.children()):
            continue
        rows.append({"path": qualname, "type": type(module).__name__, "family": family(module),
                     "params": [[n, list(p.shape)] for n, p in module.named_parameters(recurse=False)],
                     "buffers": [[n, list(b.shape)] for n, b in module.named_buffers(recurse=False)
                                 if b.dtype.is_floating_point]})
    return rows


def fill(model, recipe):
    """Overwrite weights as the grader says: recipe[path][tensor name] = [seed, scale, offset]."""
    modules = dict(model.named_modules())
    with torch.no_grad():
        for path, tensors in recipe.items():
            module = modules[path]
            for name, (seed, scale, offset) in tensors.items():
                target = getattr(module, name)
                g = torch.Generator().manual_seed(int(seed))
                values = torch.randn(target.shape, generator=g, dtype=torch.float32) * scale + offset
                target.copy_(values.abs() if name == "running_var" else values)


def layer_shapes(model, x):
    """Output shape after each top-level layer of ``model.net`` (the book's layer_summary)."""
    net = getattr(model, "net", None)
    if not isinstance(net, nn.Sequential):
        return None
    shapes = []
    with torch.no_grad():
        for layer in net:
            x = layer(x)
            shapes.append([type(layer).__name__, list(x.shape)])
    return shapes


# ---- the wire format (mirrored by grader/wire.py, which decodes without trusting it) -------
def encode(value):
    if isinstance(value, nn.Parameter):
        value = value.detach()
    if type(value) is torch.Tensor:
        value = value.detach().cpu().contiguous()
        name = str(value.dtype).replace("torch.", "")
        if value.dtype == torch.bfloat16:
            value, name = value.float(), "float32"
        return {"t": "tensor", "dtype": name, "shape": list(value.shape),
                "data": base64.b64encode(value.numpy().tobytes() if value.numel() else b"").decode()}
    if isinstance(value, torch.Tensor):
        return {"t": "odd", "type": f"tensor subclass {type(value).__name__}"}
    if value is None or type(value) in (bool, int, float, str):
        return value if type(value) is not str else value[:10000]
    if type(value) is torch.Size:
        return {"t": "size", "items": [int(v) for v in value]}
    if type(value) in (list, tuple):
        return {"t": "list", "items": [encode(v) for v in value]}
    if type(value) is dict:
        return {"t": "dict", "items": {str(k): encode(v) for k, v in value.items()}}
    return {"t": "odd", "type": type(value).__name__}


def decode(spec, agent=None):
    if isinstance(spec, dict):
        kind = spec.get("t")
        if kind == "tensor":
            raw = base64.b64decode(spec["data"])
            dtype = DTYPES[spec["dtype"]]
            flat = torch.frombuffer(bytearray(raw), dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            return flat.reshape(spec["shape"]).clone()
        if kind == "list":
            return [decode(v, agent) for v in spec["items"]]
        if kind == "tuple":
            return tuple(decode(v, agent) for v in spec["items"])
        if kind == "module":
            layer = getattr(nn, spec["type"])(*spec.get("args", []), **spec.get("kwargs", {}))
            with torch.no_grad():
                for name, tensor in spec.get("state", {}).items():
                    getattr(layer, name).copy_(decode(tensor))
            return layer
        if kind == "object":
            return agent.lookup(spec["name"])
    return spec


def install(kinds):
    """Called once, right after this source is executed as the module ``__grader_agent__``."""
    global agent
    agent = Agent(kinds)
    get_ipython().events.register("pre_run_cell", agent.before_cell)
    get_ipython().events.register("post_run_cell", agent.after_cell)
    return agent
