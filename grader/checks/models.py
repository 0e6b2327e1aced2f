"""Model checks: build the student's model and the reference on the same inputs and compare them
layer by layer - output shapes, parameter counts and kinds, and outputs after a weight transplant.

Layers are paired by kind (conv, linear, batch norm) and parameter shapes, in the order the
forward pass calls them; attribute names and nesting never matter. Both sides are measured by
the agent's ``run_model``. Reports are cached: the reference's for the whole process, the
student's for the kernel's lifetime, so the three checks of a model build it only a few times.
"""

import json
import weakref

import torch

from ..compare import tensor_mismatch
from ..kernel_side import agent as shared
from ..probe import RAISED, ProbeFailure
from .base import CheckFailed, graded

INPUT_SEED = 1
_student_replies = weakref.WeakKeyDictionary()   # kernel session -> {request key: report}


class ModelSpec:
    """One way of building a graded model: ``factory(*args, **kwargs)`` on some input shapes."""

    def __init__(self, item, factory, args=(), kwargs=None, input_shapes=((2, 1, 28, 28),), train_mode=True):
        self.item, self.factory, self.args, self.kwargs = item, factory, tuple(args), dict(kwargs or {})
        self.input_shapes, self.train_mode = tuple(tuple(s) for s in input_shapes), train_mode
        self._reference = {}

    def reference(self, shape, fill=None, modes=("eval",)):
        key = json.dumps([shape, fill, list(modes)], sort_keys=True)
        if key not in self._reference:
            torch.manual_seed(0)  # as the agent seeds before building the student's model
            model = self.factory(*self.args, **self.kwargs)
            request = {"modes": list(modes), **({"fill": fill} if fill is not None else {})}
            self._reference[key] = shared.run_model(model, model_input(shape), request)
        return self._reference[key]

    def student(self, probe, shape, fill=None, modes=("eval",)):
        key = json.dumps([probe.name, sorted(probe.reference), repr(self.args), repr(self.kwargs), shape, fill,
                          list(modes)], sort_keys=True)
        replies = _student_replies.setdefault(probe.session, {})
        if key not in replies:
            reply = probe.model(model_input(shape), args=self.args, kwargs=self.kwargs, fill=fill, modes=tuple(modes))
            replies[key] = well_formed(reply, modes)
        return replies[key]


def well_formed(reply, modes):
    """The kernel's model report, if it has the agent's layout; the checks index into it freely."""
    def rows_ok(rows):
        return isinstance(rows, list) and all(
            isinstance(r, dict) and isinstance(r.get("path"), str) and isinstance(r.get("type"), str)
            and r.get("family") in ("conv", "linear", "batchnorm", None)
            and all(isinstance(r.get(k), list) and all(isinstance(t, list) and len(t) == 2 for t in r[k])
                    for k in ("params", "buffers")) for r in rows)

    def trace_ok(trace):
        return isinstance(trace, list) and all(
            isinstance(c, list) and len(c) == 5 and isinstance(c[0], str) and isinstance(c[3], list)
            and isinstance(c[4], list) and len(c[4]) == 2 for c in trace)

    outputs = reply.get("outputs") if isinstance(reply, dict) else None
    if (not isinstance(outputs, dict) or not rows_ok(reply.get("modules"))
            or not all(isinstance(outputs.get(m), dict) and "output" in outputs[m] and trace_ok(outputs[m].get("trace"))
                       for m in modes)):
        raise CheckFailed("the grader could not read your kernel's description of the model (was the grading "
                          "agent changed?)")
    return reply


def model_input(shape):
    return torch.randn(shape, generator=torch.Generator().manual_seed(INPUT_SEED))


# ---- pairing layers -------------------------------------------------------------------------
def in_call_order(report):
    """Leaf modules ordered by their first call in the eval forward pass; never-called ones last."""
    trace = report["outputs"]["eval"]["trace"]
    first = {}
    for position, call in enumerate(trace):
        first.setdefault(call[0], position)
    rows = report["modules"]
    return sorted(rows, key=lambda row: first.get(row["path"], len(trace) + rows.index(row)))


def weighted(rows):
    return [row for row in rows if row["family"] is not None]


def layer_name(row):
    return f"{row['type']} `{row['path'] or '(the model itself)'}`"


def param_shapes(row):
    return sorted(tuple(s) for _, s in row["params"] + row["buffers"])


def match_layers(reference_rows, student_rows):
    """Pair each weighted reference layer with the student's first unused one of the same family
    and parameter shapes (both lists in call order)."""
    used, pairs = set(), []
    for ref in weighted(reference_rows):
        for j, row in enumerate(student_rows):
            if j not in used and row["family"] == ref["family"] and param_shapes(row) == param_shapes(ref):
                used.add(j)
                pairs.append((ref, row))
                break
        else:
            alike = lambda rows: [r for r in rows
                                  if r["family"] == ref["family"] and param_shapes(r) == param_shapes(ref)]
            wanted, have = len(alike(weighted(reference_rows))), len(alike(student_rows))
            if have:
                raise CheckFailed(f"the reference has {wanted} {ref['type']} layers with parameters {_weights(ref)}, "
                                  f"your model {have}")
            yours = [f"{r['type']} {_weights(r)}" for r in weighted(student_rows) if r["family"] == ref["family"]]
            raise CheckFailed(f"no layer of your model matches the reference's {ref['type']} with parameters "
                              f"{_weights(ref)}; your {ref['family']} layers, in call order: "
                              f"{', '.join(yours) or 'none'}")
    extra = [row for j, row in enumerate(student_rows) if j not in used and row["params"]]
    if extra:
        raise CheckFailed("your model has weighted layers the reference does not: "
                          + ", ".join(f"{layer_name(r)} {_weights(r)}" for r in extra[:4]))
    return pairs


def _weights(row):
    return "[" + ", ".join(str(list(s)) for _, s in row["params"]) + "]"


def fill_recipes(pairs):
    """The same weights for both models: a seed, scale and offset per tensor, keyed per side."""
    ref_recipe, student_recipe = {}, {}
    for k, (ref, student) in enumerate(pairs):
        student_tensors = dict(student["params"] + student["buffers"])
        taken = student_recipe.setdefault(student["path"], {})
        for t, (name, shape) in enumerate(sorted((n, tuple(s)) for n, s in ref["params"] + ref["buffers"])):
            spec = [1000 * k + t, *_scale(ref["family"], name, shape)]
            ref_recipe.setdefault(ref["path"], {})[name] = spec
            twin = name if name in student_tensors and name not in taken else _same_shape(student_tensors, shape, taken)
            taken[twin] = spec
    return ref_recipe, student_recipe


def _same_shape(tensors, shape, taken):
    for name, s in tensors.items():
        if tuple(s) == shape and name not in taken:
            return name
    raise CheckFailed(f"cannot find a parameter of shape {list(shape)} in your layer")


def _scale(family, name, shape):
    """Weights that keep activations near unit size, so every layer's contribution is visible."""
    if name == "weight" and family in ("conv", "linear"):
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        return [1.0 / max(fan_in, 1) ** 0.5, 0.0]
    if name in ("weight", "running_var"):
        return [0.1, 1.0]
    return [0.1, 0.0]


# ---- the three checks -----------------------------------------------------------------------
def first_calls(report, mode="eval"):
    calls = {}
    for path, kind, family, shape, sums in report["outputs"][mode]["trace"]:
        calls.setdefault(path, (list(shape), sums))
    return calls


def shape_problem(ref, got):
    """The first layer whose output shape differs from its reference twin, or the final output."""
    ref_rows, got_rows = in_call_order(ref), in_call_order(got)
    ref_calls, got_calls = first_calls(ref), first_calls(got)
    try:
        pairs = match_layers(ref_rows, got_rows)
    except CheckFailed:
        pairs = None
    if pairs is not None:
        for ref_row, row in pairs:
            want, have = ref_calls.get(ref_row["path"], (None,))[0], got_calls.get(row["path"], (None,))[0]
            if want != have:
                return f"your {layer_name(row)} outputs {have}, expected {want}"
    else:  # the layers differ (the parameter check says how): compare as far as they go along
        want = [(ref_calls[r["path"]][0], r) for r in weighted(ref_rows) if r["path"] in ref_calls]
        have = [(got_calls[r["path"]][0], r) for r in weighted(got_rows) if r["path"] in got_calls]
        for position, ((w, ref_row), (h, row)) in enumerate(zip(want, have)):
            where = f"weighted layer {position + 1} (in call order), your {layer_name(row)},"
            if ref_row["family"] != row["family"]:
                return f"{where} is where the reference has a {ref_row['type']} (with output {w})"
            if w != h:
                return f"{where} outputs {h}, expected {w}"
    out_ref, out_got = ref["outputs"]["eval"]["output"], got["outputs"]["eval"]["output"]
    if not isinstance(out_got, torch.Tensor):
        return f"the model returned {type(out_got).__name__}, expected a tensor"
    if tuple(out_got.shape) != tuple(out_ref.shape):
        return f"output shape {list(out_got.shape)}, expected {list(out_ref.shape)}"
    return None


def count_problem(ref, got):
    ref_rows, got_rows = weighted(in_call_order(ref)), weighted(in_call_order(got))
    count = lambda rows: sum(_numel(s) for row in rows for _, s in row["params"])
    kinds = lambda rows: sorted(r["family"] for r in rows)
    if count(ref_rows) == count(got_rows) and kinds(ref_rows) == kinds(got_rows):
        return None
    for position, (r, g) in enumerate(zip(ref_rows, got_rows)):
        if r["family"] != g["family"] or param_shapes(r) != param_shapes(g):
            return (f"{count(got_rows):,} parameters, expected {count(ref_rows):,}. Weighted layer "
                    f"{position + 1} (in call order) is your {layer_name(g)} with parameters {_weights(g)}; "
                    f"the reference's is a {r['type']} with {_weights(r)}")
    longer, word = (got_rows, "extra") if len(got_rows) > len(ref_rows) else (ref_rows, "missing")
    surplus = longer[min(len(ref_rows), len(got_rows))]
    return (f"{count(got_rows):,} parameters in {len(got_rows)} weighted layers, expected {count(ref_rows):,} in "
            f"{len(ref_rows)}; first {word} layer: {surplus['type']} with {_weights(surplus)}")


def _close(a, b):
    return all(abs(x - y) <= 1e-3 * max(abs(y), 1.0) + 1e-4 for x, y in zip(a, b))


def first_difference(pairs, ref_calls, got_calls):
    """Where, along the forward pass, the student's activations leave the reference's."""
    last_good = None
    for ref_row, row in pairs:
        want, have = ref_calls.get(ref_row["path"]), got_calls.get(row["path"])
        if want is None or have is None:
            continue
        if want[0] != have[0] or not _close(have[1], want[1]):
            if last_good is None:
                return (f"Already the first weighted layer's output differs (your {layer_name(row)}): look at "
                        "it and at what comes before it.")
            return (f"Layer outputs agree up to your {layer_name(last_good)} and first differ at your "
                    f"{layer_name(row)}: look at what happens between these two.")
        last_good = row
    if last_good is None:
        return ""
    return (f"Every weighted layer's output agrees; the difference comes after your {layer_name(last_good)} "
            "(an activation, a pooling layer, a shortcut or the order of these).")


def model_checks(item, factory, args=(), kwargs=None, input_shapes=((2, 1, 28, 28),), weight=1.0, reference=None,
                 train_mode=True, variant="", hidden=False, kinds=("shapes", "params", "equivalence")):
    """Shapes per layer, parameter count and kinds, and equivalence after a weight transplant
    (``kinds`` picks some of the three)."""
    spec = ModelSpec(item, factory, args, kwargs, input_shapes, train_mode)

    def shapes_run(probe):
        problems, raised = [], []
        for shape in spec.input_shapes:
            try:
                problem = shape_problem(spec.reference(shape), spec.student(probe, shape))
            except ProbeFailure as failure:
                if failure.kind != RAISED:
                    raise
                raised.append(failure)
                problem = failure.message
            if problem:
                problems.append(f"input of shape {list(shape)}: {problem}")
        if len(raised) == len(spec.input_shapes):
            raise raised[0]
        if problems:
            raise CheckFailed("\n\n".join(problems), fraction=1 - len(problems) / len(spec.input_shapes))
        return "layer and output shapes match for inputs " + ", ".join(str(list(s)) for s in spec.input_shapes)

    def params_run(probe):
        shape = spec.input_shapes[0]
        problem = count_problem(spec.reference(shape), spec.student(probe, shape))
        if problem:
            raise CheckFailed(problem)
        count = sum(_numel(s) for row in spec.reference(shape)["modules"] for _, s in row["params"])
        return f"{count:,} parameters in the same kinds of weighted layers"

    def equivalence_run(probe):
        shape = spec.input_shapes[0]
        plain_ref, plain_got = spec.reference(shape), spec.student(probe, shape)
        pairs = match_layers(in_call_order(plain_ref), in_call_order(plain_got))
        ref_recipe, student_recipe = fill_recipes(pairs)
        modes = ("eval", "train") if spec.train_mode else ("eval",)
        ref = spec.reference(shape, ref_recipe, modes)
        got = spec.student(probe, shape, student_recipe, modes)
        failed = {}
        for mode in modes:
            problem = tensor_mismatch(ref["outputs"][mode]["output"], got["outputs"][mode]["output"], 1e-3, 1e-4)
            if problem:
                failed[mode] = f"{problem}. {first_difference(pairs, first_calls(ref, mode), first_calls(got, mode))}"
        if failed:
            mode, detail = next(iter(failed.items()))
            text = f"With the reference's weights, in {' and '.join(failed)} mode your model's output differs: {detail}"
            if len(failed) < len(modes):
                text += ("\n\n(Half credit: in the other mode it agrees. Dropout and batch norm act differently in "
                         "train mode.)")
            raise CheckFailed(text.strip(), fraction=0.5 if len(failed) < len(modes) else 0.0)
        return f"same outputs as the reference with transplanted weights ({' and '.join(modes)} mode)"

    suffix = f" ({variant})" if variant else ""
    made = {"shapes": ("output shape of every layer", shapes_run, weight),
            "params": ("parameter count and layer kinds", params_run, weight),
            "equivalence": ("same function as the reference, weights transplanted", equivalence_run, 2 * weight)}
    return [graded(item, made[k][0] + suffix, made[k][1], made[k][2], hidden, reference) for k in kinds]


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n
