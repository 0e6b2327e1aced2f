"""The counterexample a failing property shows: a small input, found in about a second.

Whether a property holds is decided before this runs, by the property's own search (the same
inputs as ever, so the same verdict). This module only looks for a failing input a student can
read: one case at a time (not a batch of six), small tensors first (every tensor of at most
``SMALL`` elements, while that finds one), then hypothesis shrinks what it found, for as long as
``BUDGET`` allows. Once the time is spent the search stops, and the smallest failure seen so
far stands. If nothing fails in time,
the caller shows the input its verdict failed on.
"""

import time
from collections.abc import Callable
from typing import Any

import torch
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis.errors import HypothesisException

SMALL = 16         # elements per tensor in the first, small-only search
BUDGET = 4.0       # seconds for the whole search at most, shrinking included (a safety net: CALLS binds first)
CALLS = 40         # calls of the student's code per search (a full shrink takes about 90): the same answer every time
EXAMPLES = 60      # inputs drawn per search before shrinking


class _Found(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class _OutOfTime(BaseException):
    """Raised through hypothesis, which lets a BaseException end its run at once."""


def _key(value: Any) -> Any:
    """A hashable stand-in for one input: equal inputs, equal keys."""
    if isinstance(value, torch.Tensor):
        return ("tensor", str(value.dtype), tuple(value.shape), tuple(value.flatten().tolist()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _key(v)) for k, v in value.items())))
    return ("value", repr(value))


def largest_tensor(value: Any) -> int:
    """The element count of the largest tensor in ``value`` (0 if it holds none)."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (list, tuple)):
        return max((largest_tensor(v) for v in value), default=0)
    if isinstance(value, dict):
        return largest_tensor(list(value.values()))
    return 0


def _settings(profile: str) -> settings:
    return settings(settings.get_profile(profile), max_examples=EXAMPLES, phases=(Phase.generate, Phase.shrink),
                    report_multiple_bugs=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _property(attempt: Callable[[Any, bool], None], small_only: bool) -> Callable[[Any], None]:
    def holds_on(case: Any) -> None:
        attempt(case, small_only)
    return holds_on


def small_counterexample(cases: Any, feedback: Callable[[Any], str | None], profile: str,
                         budget: float | None = None) -> str | None:
    """The feedback on a small failing case drawn from ``cases`` (a strategy of (args, kwargs)),
    or None when none is found within ``budget`` seconds (``BUDGET``) and ``CALLS`` calls.
    ``feedback(case)`` says what is wrong with the student's answer on ``case`` (None: right); it
    may raise ``ProbeFailure``, which ends the search and reaches the caller. ``profile`` names the
    hypothesis profile to start from (the grader's: derandomized, no database, no deadline)."""
    deadline = time.monotonic() + (BUDGET if budget is None else budget)
    failing: dict[Any, str] = {}
    tried: list[Any] = []
    stopped: list[Exception] = []
    smallest: list[tuple[tuple[int, int], str]] = []   # (size, feedback) of the smallest failure so far

    def attempt(case: Any, small_only: bool) -> None:
        key = _key(case)
        text = failing.get(key)
        if text is None:
            if time.monotonic() > deadline or len(tried) >= CALLS:
                raise _OutOfTime   # stops hypothesis at once: the smallest failure so far stands
            if small_only:
                assume(largest_tensor(case) <= SMALL)
            tried.append(key)
            try:
                text = feedback(case)
            except Exception as error:   # the kernel failed us (a time-out): not the input's fault
                stopped.append(error)
                raise _OutOfTime from None
            if text:
                failing[key] = text
                smallest.append(((largest_tensor(case), len(text)), text))
        if text:
            raise _Found(text)   # from one place: hypothesis takes another line for another bug

    for small_only in (True, False):
        try:
            _settings(profile)(given(cases)(_property(attempt, small_only)))()
        except _Found as found:
            return found.text
        except _OutOfTime:
            break
        except HypothesisException:   # e.g. every input drawn was too large: try without the cap
            continue
        if smallest:
            break
    if stopped:
        raise stopped[0]
    return min(smallest)[1] if smallest else None
