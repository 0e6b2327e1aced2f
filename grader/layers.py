"""Pairing two models' layers, and the weights that make them comparable: shared by the model
checks (transplant the same weights into both) and the training check (load trained weights into
a trusted copy).

Layers are paired by weight family (conv, linear, batch norm) and parameter shapes, in the order
the forward pass first calls them; attribute names and nesting never matter. The rows are the
contract's ``ModuleRow`` records; a ``ModelReport`` says the call order.
"""

from dataclasses import dataclass

from .kernel_side.contract import TensorFill
from .kernel_side.model_report import first_calls
from .verdicts import CheckFailed


def in_call_order(report, mode="eval"):
    """Leaf modules ordered by their first call in ``mode``'s forward pass; never-called ones last."""
    trace = report.outputs[mode].trace
    first = first_calls(trace)
    rows = report.modules
    return sorted(rows, key=lambda row: first.get(row.path, len(trace) + rows.index(row)))


def first_outputs(report, mode="eval"):
    """Leaf path -> (output shape, sums) of its first call in ``mode``."""
    calls = {}
    for call in report.outputs[mode].trace:
        calls.setdefault(call.path, (list(call.shape), list(call.sums)))
    return calls


def weighted(rows):
    return [row for row in rows if row.family is not None]


def layer_name(row):
    return f"{row.type} `{row.path or '(the model itself)'}`"


def param_shapes(row):
    return sorted(tuple(s) for _, s in list(row.params) + list(row.buffers))


def weights_text(row):
    return "[" + ", ".join(str(list(s)) for _, s in row.params) + "]"


def parameter_count(rows):
    count = 0
    for row in rows:
        for _, shape in row.params:
            n = 1
            for d in shape:
                n *= d
            count += n
    return count


def _alike(rows, ref):
    """The rows of ``rows`` with the family and parameter shapes of ``ref``."""
    return [r for r in rows if r.family == ref.family and param_shapes(r) == param_shapes(ref)]


def match_layers(reference_rows, student_rows):
    """Pair each weighted reference layer with the student's first unused one of the same family
    and parameter shapes (both lists in call order); ``CheckFailed`` saying what does not pair."""
    used, pairs = set(), []
    for ref in weighted(reference_rows):
        for j, row in enumerate(student_rows):
            if j not in used and row.family == ref.family and param_shapes(row) == param_shapes(ref):
                used.add(j)
                pairs.append((ref, row))
                break
        else:
            wanted, have = len(_alike(weighted(reference_rows), ref)), len(_alike(student_rows, ref))
            if have:
                raise CheckFailed(f"the reference has {wanted} {ref.type} layers with parameters {weights_text(ref)}, "
                                  f"your model {have}")
            yours = [f"{r.type} {weights_text(r)}" for r in weighted(student_rows) if r.family == ref.family]
            raise CheckFailed(f"no layer of your model matches the reference's {ref.type} with parameters "
                              f"{weights_text(ref)}; your {ref.family} layers, in call order: "
                              f"{', '.join(yours) or 'none'}")
    extra = [row for j, row in enumerate(student_rows) if j not in used and row.params]
    if extra:
        raise CheckFailed("your model has weighted layers the reference does not: "
                          + ", ".join(f"{layer_name(r)} {weights_text(r)}" for r in extra[:4]))
    return pairs


@dataclass(frozen=True)
class TensorPair:
    """One reference tensor, its twin in the student's model, and the values both get."""

    reference_path: str
    reference_name: str
    student_path: str
    student_name: str
    fill: TensorFill


def paired_tensors(pairs):
    """Every tensor of every paired layer, matched by name where the names agree, else by shape."""
    found = []
    for k, (ref, student) in enumerate(pairs):
        student_tensors = dict(list(student.params) + list(student.buffers))
        taken = set()
        for t, (name, shape) in enumerate(sorted((n, tuple(s)) for n, s in list(ref.params) + list(ref.buffers))):
            twin = name if name in student_tensors and name not in taken else _same_shape(student_tensors, shape, taken)
            taken.add(twin)
            found.append(TensorPair(ref.path, name, student.path, twin, _fill(1000 * k + t, ref.family, name, shape)))
    return found


def fill_recipes(pairs):
    """The same weights for both models: a ``contract.Fill`` for the reference and one for the student."""
    ref_recipe, student_recipe = {}, {}
    for pair in paired_tensors(pairs):
        ref_recipe.setdefault(pair.reference_path, {})[pair.reference_name] = pair.fill
        student_recipe.setdefault(pair.student_path, {})[pair.student_name] = pair.fill
    return ref_recipe, student_recipe


def _same_shape(tensors, shape, taken):
    for name, s in tensors.items():
        if tuple(s) == shape and name not in taken:
            return name
    raise CheckFailed(f"cannot find a parameter of shape {list(shape)} in your layer")


def _fill(seed, family, name, shape):
    """Weights that keep activations near unit size, so every layer's contribution is visible."""
    if name == "weight" and family in ("conv", "linear"):
        fan_in = 1
        for d in shape[1:]:
            fan_in *= d
        scale, offset = 1.0 / max(fan_in, 1) ** 0.5, 0.0
    elif name in ("weight", "running_var"):
        scale, offset = 0.1, 1.0
    else:
        scale, offset = 0.1, 0.0
    return TensorFill(seed=seed, scale=scale, offset=offset, positive=name == "running_var")
