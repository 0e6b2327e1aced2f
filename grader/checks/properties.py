"""The one way function checks probe and compare.

- ``agrees_with``: hypothesis draws batches of inputs, one round trip runs a batch in the
  student's kernel, the grader's oracle answers here; a failure is shrunk to the smallest input
  and shown as code the student can paste, with the value returned (or the exception raised),
  the value expected, and a hint when the answer is a known mistake.
- ``fixed_example``: the book's own worked example, reported the same way.

Model checks live in ``models.py``.
"""

import inspect

import torch
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from ..compare import as_given, call_snippet, dtype_hint, show, shown_error, tensor_mismatch
from ..kernel_side.working_dtype import dtype_name
from ..probe import KERNEL_DIED, TIMED_OUT, ProbeFailure
from .base import CheckFailed, graded
from .counterexample import small_counterexample

EXAMPLES = 12   # batches per property
BATCH = 6       # inputs per batch


# Reproducible and bounded: derandomized (same inputs on every run, so the same score), no example
# database, no deadline. too_slow is suppressed because it times input generation: on a loaded
# machine (a class graded in parallel) it would fail a check that passes elsewhere. The other health
# checks depend only on the strategies, and none fires on any check. Registered, not loaded: loading
# would change every other hypothesis run in the process (d2l.check imports this in a student's kernel).
PROFILE = "grader"
settings.register_profile(PROFILE, derandomize=True, database=None, deadline=None, print_blob=False,
                          suppress_health_check=[HealthCheck.too_slow])


def hypothesis_settings(examples: int = EXAMPLES, shrink: bool = True) -> settings:
    """The grader's profile with this check's budget. Without ``shrink`` the first failing input
    stands: for hidden checks, whose inputs nobody sees, shrinking would only cost time (whether a
    check passes never depends on it)."""
    phases = (Phase.explicit, Phase.generate, Phase.shrink) if shrink else (Phase.explicit, Phase.generate)
    return settings(settings.get_profile(PROFILE), max_examples=examples, phases=phases)


class _Counterexample(Exception):
    def __init__(self, text):
        super().__init__(text)
        self.text = text


def parameter_names(function):
    """Names for the arguments in a pasteable snippet: the oracle's, which follow the book's."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def failure_text(item, names, args, kwargs, outcome, expected, problem=None, hint=None, dtype=None):
    """A few lines: the call as code, what came back, what was expected, and why it matters;
    ``dtype``, when it is not float32, is the dtype the kernel gave the inputs in."""
    ok, got = outcome
    lines = [f"```python\n{call_snippet(item, names, args, kwargs)}\n```"]
    if dtype is not None and dtype != torch.float32:
        lines.append(f"(Your kernel's default dtype is {dtype_name(dtype)}, so your code was given these inputs "
                     f"as {dtype_name(dtype)} tensors.)")
    if ok:
        lines.append(f"returned `{show(got)}`\n\nexpected `{show(expected)}`" + (f"\n\n({problem})" if problem else ""))
    else:
        lines.append(f"raised {shown_error(got)}\n\nexpected `{show(expected)}`")
    if hint:
        lines.append(f"Hint: {hint}")
    return "\n\n".join(lines)


def known_mistake(hints, args, kwargs, got, compare, dtype=None):
    """The hint of the first known wrong answer that ``got`` equals, if any."""
    for wrong, message in hints:
        try:
            if compare(wrong(*args, **kwargs), got, args, kwargs, dtype) is None:
                return message
        except Exception:
            continue
    return None


def _comparer(compare, rtol, atol, scale):
    """(expected, got, args, kwargs, dtype the inputs were given in) -> what differs, or None."""
    if compare is not None:
        return lambda expected, got, args, kwargs, dtype=None: compare(expected, got)
    return lambda expected, got, args, kwargs, dtype=None: tensor_mismatch(
        expected, got, rtol, atol, scale(*args, **kwargs) if scale else None, dtype)


def agrees_with(item, title, cases, oracle, weight=1.0, hidden=False, reference=None, rtol=1e-4, atol=1e-4,
                examples=EXAMPLES, compare=None, explicit=(), hints=(), scale=None):
    """Property: for inputs drawn from ``cases`` (a strategy of (args, kwargs)), the student's
    ``item`` returns what ``oracle(*args, **kwargs)`` returns.

    ``explicit`` cases are tried first, as one batch (edge cases that must never be missed);
    ``hints`` are (wrong oracle, message) pairs; ``scale(*args, **kwargs)`` sizes the float32
    tolerance by the terms summed into each entry.
    """
    names = parameter_names(oracle)
    differs = _comparer(compare, rtol, atol, scale)

    def run(probe):
        fatal, tried = [], [0]

        def check_batch(batch):
            if fatal:
                return
            try:
                results = probe.cases(batch)
            except ProbeFailure as failure:
                fatal.append(failure)
                return
            tried[0] += len(batch)
            text = first_failure(item, names, batch, results, oracle, differs, hints, probe.input_dtype)
            if text:
                raise _Counterexample(text)

        def case_feedback(case):
            """What is wrong on one case (None: right); a ``ProbeFailure`` ends the search for a small one."""
            return first_failure(item, names, [case], probe.cases([case]), oracle, differs, hints, probe.input_dtype)

        prop = given(st.lists(cases, min_size=1, max_size=BATCH))(check_batch)
        if explicit:
            prop = example(list(explicit))(prop)
        try:   # the verdict: the first batch that fails, as drawn (whether one fails never depends on shrinking)
            hypothesis_settings(examples, shrink=False)(prop)()
        except _Counterexample as found:
            text = found.text
            if not hidden and probe.shrink:   # shown to the student: a small failing input, if one is quick to find
                try:
                    text = small_counterexample(cases, case_feedback, PROFILE) or text
                except ProbeFailure as failure:
                    if failure.kind in (TIMED_OUT, KERNEL_DIED):   # scoring stops asking this item
                        raise
            raise CheckFailed("Smallest failing input found:\n\n" + text) from None
        except Exception:
            if fatal:
                raise fatal[0] from None
            raise
        if fatal:
            raise fatal[0]
        return f"passed on {tried[0]} generated inputs (derandomized)"

    return graded(item, title, run, weight, hidden, reference)


def first_failure(item, names, cases, results, oracle, differs, hints, dtype=None):
    """Feedback for the first case whose answer is wrong (or raised), or None if all agree. The
    oracle answers the inputs as the student's code got them, in ``dtype`` (``compare.as_given``)."""
    for (args, kwargs), (ok, got) in zip(cases, results):
        seen_args, seen_kwargs = as_given(args, dtype), as_given(kwargs, dtype)
        expected = oracle(*seen_args, **seen_kwargs)
        problem = differs(expected, got, seen_args, seen_kwargs, dtype) if ok else None
        if ok and problem is None:
            continue
        hint = (known_mistake(hints, seen_args, seen_kwargs, got, differs, dtype) or dtype_hint(expected, got)) \
            if ok else None
        return failure_text(item, names, args, kwargs, (ok, got), expected, problem, hint, dtype)
    return None


def fixed_example(item, title, args, kwargs, expected, weight=1.0, hidden=False, reference=None, compare=None,
                  names=(), hints=()):
    """The book's own worked example as a check: the first thing a student can reproduce."""
    def answer(*a, **k):
        return expected() if callable(expected) else expected

    return fixed_cases(item, title, [(args, kwargs)], answer, weight, hidden, reference, compare, names, hints)


def fixed_cases(item, title, cases, oracle, weight=1.0, hidden=False, reference=None, compare=None, names=None,
                hints=(), success="matches the book's example"):
    """Given (args, kwargs) cases, all run in one round trip; the first that fails is reported."""
    differs = _comparer(compare, 1e-4, 1e-4, None)
    names = parameter_names(oracle) if names is None else names

    def run(probe):
        results = probe.cases(cases)
        text = first_failure(item, names, cases, results, oracle, differs, hints, probe.input_dtype)
        if text:
            raise CheckFailed(text)
        return success

    return graded(item, title, run, weight, hidden, reference)


DEGENERATE = "degenerate shapes: 1x1, one row, one column, window as large as the image"


def degenerate_shapes(item, cases, oracle, weight=1.0, compare=None, names=None, hints=()):
    """The shapes ordinary properties leave out, as one check with its own share of the points:
    a result that loses an axis of size 1 (``squeeze()``) costs this share, not the whole item."""
    return fixed_cases(item, DEGENERATE, cases, oracle, weight, compare=compare, names=names, hints=hints,
                       success="right on every degenerate shape")
