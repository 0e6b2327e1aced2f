"""Model checks: build the student's model and the reference on the same inputs and compare them
layer by layer - output shapes, parameter counts and kinds, and outputs after a weight transplant.

Layers are paired as ``grader/layers.py`` pairs them. Both sides are measured by the kernel
side's ``run_model``. Reports are cached: the reference's for the whole process, the student's
in the kernel's own ``replies`` (``kernel_seam.KernelChannel``), so that they die with it; the
three checks of a model build it only a few times. In a student release the reference's reports
come from the release's store (``grader/stored_references.py``), computed by the same
``reference_calls`` when the release was built.
"""

import json
from collections.abc import Sequence

import torch

from ..compare import fitted_tolerance, tensor_mismatch
from ..kernel_side.contract import Fill, ModelReport
from ..kernel_side.model_report import run_model
from ..kernel_side.threads import one_thread
from ..kernel_side.working_dtype import dtype_name, dtype_named
from ..layers import (
    fill_recipes,
    first_outputs,
    in_call_order,
    layer_name,
    match_layers,
    param_shapes,
    parameter_count,
    weighted,
    weights_text,
)
from ..probe import RAISED, Probe, ProbeFailure
from ..stored_references import in_release, stored_report
from .base import CheckFailed, graded

INPUT_SEED = 1


class ModelSpec:
    """One way of building a graded model: ``factory(*args, **kwargs)`` on some input shapes."""

    def __init__(self, item, factory, args=(), kwargs=None, input_shapes=((2, 1, 28, 28),), train_mode=True):
        self.item, self.factory, self.args, self.kwargs = item, factory, tuple(args), dict(kwargs or {})
        self.input_shapes, self.train_mode = tuple(tuple(s) for s in input_shapes), train_mode
        self._reference = {}

    def key(self, shape, fill=None, modes=("eval",)):
        """Names one reference report, the same in the instructor's grader and in the release's store."""
        return json.dumps([self.item, repr(self.args), repr(self.kwargs), list(shape), repr(fill), list(modes)])

    def reference(self, shape, fill=None, modes=("eval",), dtype=torch.float32):
        """The reference's report, computed in ``dtype``: the dtype the student's model works in, so
        that both start from the same weights and input and round alike. A release stores float32
        reports only; there another dtype is compared with those (``release_note`` says so)."""
        if in_release():
            dtype = torch.float32
        key = self.key(shape, fill, modes) + ("" if dtype == torch.float32 else f" in {dtype}")
        if key not in self._reference:
            self._reference[key] = stored_report(key) if in_release() else self._computed(shape, fill, modes, dtype)
        return self._reference[key]

    def _computed(self, shape, fill, modes, dtype=torch.float32):
        torch.manual_seed(0)  # as the agent seeds before building the student's model
        model = self.factory(*self.args, **self.kwargs).to(dtype)
        return run_model(model, model_input(shape), modes, fill)

    def reference_calls(self):
        """{key: report} for every reference report the three checks can ask for: each input shape
        plain, and the first with the weights the transplant gives the reference. The reference's
        fill depends on the reference alone (its layers in call order), so it is known here."""
        shape = self.input_shapes[0]
        plain = self.reference(shape)
        ref_rows = in_call_order(plain)
        recipe = fill_recipes(match_layers(ref_rows, ref_rows))[0]
        modes = ("eval", "train") if self.train_mode else ("eval",)
        self.reference(shape, recipe, modes)
        for other in self.input_shapes[1:]:
            self.reference(other)
        return dict(self._reference)

    def student(self, probe: Probe, shape: Sequence[int], fill: Fill | None = None,
                modes: Sequence[str] = ("eval",)) -> ModelReport:
        key = json.dumps([probe.name, sorted(probe.helpers), repr(self.args), repr(self.kwargs), shape, repr(fill),
                          list(modes)], sort_keys=True)
        replies = probe.kernel.replies
        if key not in replies:
            replies[key] = probe.model(model_input(shape), args=self.args, kwargs=self.kwargs, fill=fill,
                                       modes=tuple(modes))
        return replies[key]


def compute_references(checks, items=None):
    """The reference reports the model checks among ``checks`` (of ``items``; None: all) ask for
    when the model is right, computed ahead: the grader's session runs this while the kernels
    execute the notebooks, and its process would otherwise wait idle. Each report is computed as
    the check would compute it (seeded, on one thread); a failure is left for the check to meet."""
    specs = {id(c.model): c.model for c in checks
             if c.model is not None and not c.withheld and (items is None or c.item in items)}
    with one_thread():
        for spec in specs.values():
            try:
                spec.reference_calls()
            except Exception:
                continue


def model_input(shape):
    """The grader's input, float32 whatever the process's default dtype (a check cell runs in the
    student's kernel); the agent hands it to the model in the model's own dtype."""
    return torch.randn(shape, generator=torch.Generator().manual_seed(INPUT_SEED), dtype=torch.float32)


def release_note(dtype):
    """What a failure in ``dtype`` means where the reference could only be compared in float32."""
    if torch.finfo(dtype).eps <= torch.finfo(torch.float32).eps or not in_release():
        return ""
    return (f"\n\n(Your model works in {dtype_name(dtype)}; this copy of the homework has the reference's "
            f"float32 outputs only, which {dtype_name(dtype)} arithmetic need not reproduce within this tolerance. "
            f"Your instructor's grader runs the reference in {dtype_name(dtype)} too.)")


# ---- the three checks -----------------------------------------------------------------------
def shape_problem(ref, got):
    """The first layer whose output shape differs from its reference twin, or the final output."""
    ref_rows, got_rows = in_call_order(ref), in_call_order(got)
    ref_calls, got_calls = first_outputs(ref), first_outputs(got)
    try:
        pairs = match_layers(ref_rows, got_rows)
    except CheckFailed:
        pairs = None
    if pairs is not None:
        for ref_row, row in pairs:
            want, have = ref_calls.get(ref_row.path, (None,))[0], got_calls.get(row.path, (None,))[0]
            if want != have:
                return f"your {layer_name(row)} outputs {have}, expected {want}"
    else:  # the layers differ (the parameter check says how): compare as far as they go along
        want = [(ref_calls[r.path][0], r) for r in weighted(ref_rows) if r.path in ref_calls]
        have = [(got_calls[r.path][0], r) for r in weighted(got_rows) if r.path in got_calls]
        for position, ((w, ref_row), (h, row)) in enumerate(zip(want, have)):
            where = f"weighted layer {position + 1} (in call order), your {layer_name(row)},"
            if ref_row.family != row.family:
                return f"{where} is where the reference has a {ref_row.type} (with output {w})"
            if w != h:
                return f"{where} outputs {h}, expected {w}"
    out_ref, out_got = ref.outputs["eval"].output, got.outputs["eval"].output
    if not isinstance(out_got, torch.Tensor):
        return f"the model returned {type(out_got).__name__}, expected a tensor"
    if tuple(out_got.shape) != tuple(out_ref.shape):
        return f"output shape {list(out_got.shape)}, expected {list(out_ref.shape)}"
    return None


def count_problem(ref, got):
    ref_rows, got_rows = weighted(in_call_order(ref)), weighted(in_call_order(got))
    count = parameter_count

    def kinds(rows):
        return sorted(r.family for r in rows)

    if count(ref_rows) == count(got_rows) and kinds(ref_rows) == kinds(got_rows):
        return None
    for position, (r, g) in enumerate(zip(ref_rows, got_rows)):
        if r.family != g.family or param_shapes(r) != param_shapes(g):
            return (f"{count(got_rows):,} parameters, expected {count(ref_rows):,}. Weighted layer "
                    f"{position + 1} (in call order) is your {layer_name(g)} with parameters {weights_text(g)}; "
                    f"the reference's is a {r.type} with {weights_text(r)}")
    longer, word = (got_rows, "extra") if len(got_rows) > len(ref_rows) else (ref_rows, "missing")
    surplus = longer[min(len(ref_rows), len(got_rows))]
    return (f"{count(got_rows):,} parameters in {len(got_rows)} weighted layers, expected {count(ref_rows):,} in "
            f"{len(ref_rows)}; first {word} layer: {surplus.type} with {weights_text(surplus)}")


def _close(a, b, dtype=torch.float32):
    rtol, atol = fitted_tolerance(1e-3, 1e-4, dtype)
    return all(abs(x - y) <= rtol * max(abs(y), 1.0) + atol for x, y in zip(a, b))


def first_difference(pairs, ref_calls, got_calls, dtype=torch.float32):
    """Where, along the forward pass, the student's activations leave the reference's."""
    last_good = None
    for ref_row, row in pairs:
        want, have = ref_calls.get(ref_row.path), got_calls.get(row.path)
        if want is None or have is None:
            continue
        if want[0] != have[0] or not _close(have[1], want[1], dtype):
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
        count = parameter_count(spec.reference(shape).modules)
        return f"{count:,} parameters in the same kinds of weighted layers"

    def equivalence_run(probe):
        shape = spec.input_shapes[0]
        plain_ref, plain_got = spec.reference(shape), spec.student(probe, shape)
        pairs = match_layers(in_call_order(plain_ref), in_call_order(plain_got))
        ref_recipe, student_recipe = fill_recipes(pairs)
        modes = ("eval", "train") if spec.train_mode else ("eval",)
        got = spec.student(probe, shape, student_recipe, modes)
        dtype = dtype_named(got.dtype)   # the reference runs where the student's model works
        ref = spec.reference(shape, ref_recipe, modes, dtype)
        failed = {}
        for mode in modes:
            problem = tensor_mismatch(ref.outputs[mode].output, got.outputs[mode].output, 1e-3, 1e-4, dtype=dtype)
            if problem:
                where = first_difference(pairs, first_outputs(ref, mode), first_outputs(got, mode), dtype)
                failed[mode] = f"{problem}. {where}"
        if failed:
            mode, detail = next(iter(failed.items()))
            text = f"With the reference's weights, in {' and '.join(failed)} mode your model's output differs: {detail}"
            text += release_note(dtype)
            if len(failed) < len(modes):
                text += ("\n\n(Half credit: in the other mode it agrees. Dropout and batch norm act differently in "
                         "train mode.)")
            raise CheckFailed(text.strip(), fraction=0.5 if len(failed) < len(modes) else 0.0)
        return f"same outputs as the reference with transplanted weights ({' and '.join(modes)} mode)"

    suffix = f" ({variant})" if variant else ""
    made = {"shapes": ("output shape of every layer", shapes_run, weight),
            "params": ("parameter count and layer kinds", params_run, weight),
            "equivalence": ("same function as the reference, weights transplanted", equivalence_run, 2 * weight)}
    return [graded(item, made[k][0] + suffix, made[k][1], made[k][2], hidden, reference, model=spec) for k in kinds]
