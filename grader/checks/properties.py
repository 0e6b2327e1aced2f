"""The one way checks probe and compare: builders that every section's table uses.

- ``agrees_with``: hypothesis draws batches of inputs, one round trip runs them all in the
  student's kernel, the grader's oracle answers them here; a failure is shrunk to the
  smallest input and shown as code the student can paste.
- ``model_*``: build the student's model and the reference on the same input; compare layer
  shapes, parameter counts, layer kinds, and outputs after giving both the same weights.
"""

import torch
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ..compare import show, tensor_mismatch
from ..kernel_side import agent as shared
from ..probe import ProbeFailure
from .base import Check, CheckFailed

EXAMPLES = 12   # batches per property
BATCH = 6       # inputs per batch


def hypothesis_settings(examples=EXAMPLES):
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink), print_blob=False,
                    suppress_health_check=list(HealthCheck))


class _Counterexample(Exception):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


def call_text(name, args, kwargs):
    parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def agrees_with(item, title, cases, oracle, weight=1.0, hidden=False, reference=(), rtol=1e-4, atol=1e-4,
                examples=EXAMPLES, compare=None):
    """Property: for inputs drawn from ``cases`` (a strategy of (args, kwargs)), the student's
    ``item`` returns what ``oracle(*args, **kwargs)`` returns."""
    compare = compare or (lambda expected, got: tensor_mismatch(expected, got, rtol, atol))

    def run(probe):
        fatal = []

        @hypothesis_settings(examples)
        @given(st.lists(cases, min_size=1, max_size=BATCH))
        def prop(batch):
            if fatal:
                return
            try:
                results = probe.cases(batch)
            except ProbeFailure as failure:
                fatal.append(failure)
                return
            for (args, kwargs), (ok, got) in zip(batch, results):
                expected = oracle(*args, **kwargs)
                call = call_text(item, args, kwargs)
                if not ok:
                    raise _Counterexample(f"`{call}`\n\nraised `{got}`\n\nexpected `{show(expected)}`")
                problem = compare(expected, got)
                if problem:
                    raise _Counterexample(f"`{call}`\n\nreturned `{show(got)}`\n\nexpected `{show(expected)}`\n\n({problem})")

        try:
            prop()
        except _Counterexample as found:
            raise CheckFailed("Smallest failing input found:\n\n" + found.text) from None
        if fatal:
            raise fatal[0]
        return f"passed on {EXAMPLES * BATCH} generated inputs or fewer (derandomized)"

    return Check(item, title, run, weight, hidden, tuple(reference))


def fixed_example(item, title, args, kwargs, expected, weight=1.0, hidden=False, reference=(), compare=None):
    """The book's own worked example, as a check (the first thing a student can reproduce)."""
    compare = compare or tensor_mismatch

    def run(probe):
        got = probe.call(*args, **kwargs)
        problem = compare(expected() if callable(expected) else expected, got)
        if problem:
            raise CheckFailed(f"`{call_text(item, args, kwargs)}` returned `{show(got)}`: {problem}")
        return "matches the book's example"

    return Check(item, title, run, weight, hidden, tuple(reference))


# ---- models -------------------------------------------------------------------------------
def _reference_report(build, x, modes, fill_recipe=None):
    torch.manual_seed(0)
    model = build()
    model.eval()
    with torch.no_grad():
        model(x)
    report = {"modules": shared.describe_modules(model), "model": model}
    if fill_recipe is not None:
        shared.fill(model, fill_recipe)
    report["summary"] = shared.layer_shapes(model, x)
    outputs = {}
    for mode in modes:
        model.train(mode == "train")
        torch.manual_seed(0)
        with torch.no_grad():
            outputs[mode] = model(x)
    report["outputs"] = outputs
    return report


def match_layers(reference_rows, student_rows):
    """Pair each weighted reference layer with the student's: same family, same tensor shapes,
    first unused one in registration order. Names do not matter; order breaks ties."""
    used, pairs = set(), []
    for ref in reference_rows:
        if ref["family"] is None:
            continue
        for j, row in enumerate(student_rows):
            if j not in used and row["family"] == ref["family"] and _shapes(row) == _shapes(ref):
                used.add(j)
                pairs.append((ref, row))
                break
        else:
            raise CheckFailed(f"no layer of your model matches the reference {ref['type']} with "
                              f"parameters {_shapes(ref)}")
    extra = [row for j, row in enumerate(student_rows) if j not in used and row["params"]]
    if extra:
        raise CheckFailed(f"your model has weighted layers the reference does not: "
                          + ", ".join(f"{r['type']} {[s for _, s in r['params']]}" for r in extra[:4]))
    return pairs


def _shapes(row):
    return sorted((tuple(s) for _, s in row["params"] + row["buffers"]))


def fill_recipes(pairs):
    """The same weights for both models: a seed, scale and offset per tensor, keyed per side."""
    ref_recipe, student_recipe = {}, {}
    for k, (ref, student) in enumerate(pairs):
        ref_tensors = {n: tuple(s) for n, s in ref["params"] + ref["buffers"]}
        student_tensors = dict(student["params"] + student["buffers"])
        for t, (name, shape) in enumerate(sorted(ref_tensors.items(), key=lambda kv: kv[0])):
            spec = [1000 * k + t, *_scale(ref["family"], name, shape)]
            ref_recipe.setdefault(ref["path"], {})[name] = spec
            twin = name if name in student_tensors else _same_shape(student_tensors, shape, student_recipe.get(student["path"], {}))
            student_recipe.setdefault(student["path"], {})[twin] = spec
    return ref_recipe, student_recipe


def _same_shape(tensors, shape, taken):
    for name, s in tensors.items():
        if tuple(s) == shape and name not in taken:
            return name
    raise CheckFailed(f"cannot find a parameter of shape {list(shape)} in your layer")


def _scale(family, name, shape):
    if name == "weight" and family in ("conv", "linear"):
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        return [1.0 / max(fan_in, 1) ** 0.5, 0.0]
    if name in ("weight", "running_var"):
        return [0.1, 1.0]
    return [0.1, 0.0]


def model_checks(item, build_reference, args=(), kwargs=None, input_shapes=((2, 1, 28, 28),), weight=1.0,
                 reference=(), train_mode=True, summary=True, variant=""):
    """Shapes per layer, parameter count, layer kinds, and equivalence after a weight transplant."""
    kwargs = kwargs or {}
    checks = []

    def student(probe, x, **extra):
        return probe.model(x, args=args, kwargs=kwargs, **extra)

    def shapes_run(probe):
        for shape in input_shapes:
            x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
            ref = _reference_report(lambda: build_reference(*args, **kwargs), x, ("eval",))
            got = student(probe, x, summary=True)
            out_ref, out_got = ref["outputs"]["eval"], got["outputs"]["eval"]["output"]
            if tuple(out_got.shape) != tuple(out_ref.shape):
                raise CheckFailed(f"input {list(shape)}: output shape {list(out_got.shape)}, expected {list(out_ref.shape)}")
            if summary and ref["summary"] is not None and got.get("summary") is not None:
                want = [s for _, s in ref["summary"]]
                have = [s for _, s in got["summary"]]
                if want != have:
                    raise CheckFailed(f"input {list(shape)}: layer output shapes {have}, expected {want}")
        return "output shapes match for inputs " + ", ".join(str(list(s)) for s in input_shapes)

    def params_run(probe):
        x = torch.randn(input_shapes[0], generator=torch.Generator().manual_seed(1))
        ref = _reference_report(lambda: build_reference(*args, **kwargs), x, ("eval",))
        got = student(probe, x)
        count = lambda rows: sum(_numel(s) for row in rows for _, s in row["params"])
        want, have = count(ref["modules"]), count(got["modules"])
        if want != have:
            raise CheckFailed(f"{have} parameters, expected {want}")
        kinds = lambda rows: sorted(r["family"] for r in rows if r["family"])
        if kinds(ref["modules"]) != kinds(got["modules"]):
            raise CheckFailed(f"layer kinds {kinds(got['modules'])}, expected {kinds(ref['modules'])}")
        return f"{want} parameters in the same kinds of weighted layers"

    def equivalence_run(probe):
        x = torch.randn(input_shapes[0], generator=torch.Generator().manual_seed(2))
        plain = _reference_report(lambda: build_reference(*args, **kwargs), x, ())
        got = student(probe, x)
        pairs = match_layers(plain["modules"], got["modules"])
        ref_recipe, student_recipe = fill_recipes(pairs)
        has_dropout = any(r["type"].startswith("Dropout") for r in plain["modules"])
        modes = ("eval",) if has_dropout or not train_mode else ("eval", "train")
        ref = _reference_report(lambda: build_reference(*args, **kwargs), x, modes, ref_recipe)
        got = student(probe, x, fill=student_recipe, modes=modes)
        for mode in modes:
            problem = tensor_mismatch(ref["outputs"][mode], got["outputs"][mode]["output"], rtol=1e-3, atol=1e-4)
            if problem:
                raise CheckFailed(f"with the same weights as the reference, in {mode} mode your model's output "
                                  f"differs: {problem}")
        return f"same outputs as the reference with transplanted weights ({' and '.join(modes)} mode)"

    suffix = f" ({variant})" if variant else ""
    checks.append(Check(item, "output shape of every layer" + suffix, shapes_run, weight, False, tuple(reference)))
    checks.append(Check(item, "parameter count and layer kinds" + suffix, params_run, weight, False, tuple(reference)))
    checks.append(Check(item, "same function as the reference, weights transplanted" + suffix, equivalence_run,
                        2 * weight, False, tuple(reference)))
    return checks




def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n
