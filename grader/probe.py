"""Step 4 of the pipeline: ask the student's kernel to run a graded object on grader-made inputs.

Every request is a record of ``kernel_side/contract.py`` sent through ``Probe.send``; every reply
is read as the request's ``ANSWER`` type and becomes either a value or a ``ProbeFailure`` whose
``kind`` the report distinguishes.
"""

import dataclasses
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from .kernel_seam import KernelChannel
from .kernel_side.codec import WireError, from_wire
from .kernel_side.contract import (
    CallRequest,
    Case,
    CasesRequest,
    Fill,
    InventoryEntry,
    InventoryRequest,
    ModelReport,
    ModelRequest,
    Request,
    TrainedModel,
    TrainRequest,
    ValueRequest,
)
from .kernel_side.working_dtype import dtype_named, least_precise
from .transport import KernelDied, ProbeTimeout

NOT_SUBMITTED = "not submitted"
NOT_IMPLEMENTED = "not implemented"
COULD_NOT_RUN = "could not run"
RAISED = "raised an error"
TIMED_OUT = "timed out"
KERNEL_DIED = "kernel died"
BORROWED = "not your own code"
UNREADABLE = "failed"    # the reply is not in the contract: the check fails, nothing of it is used


class ProbeFailure(Exception):
    """The graded object could not be exercised; ``kind`` says why, ``message`` says how."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Probe:
    """Calls into one kernel for one graded name, with the book's helpers swapped in on request.

    ``item`` is what the name is graded as (an alias may bind it): the kernel keeps the course
    library's copy of that item from answering while the probe's requests run. ``kernel`` is any
    ``KernelChannel``: checks use it only through that protocol."""

    def __init__(self, kernel: KernelChannel, name: str, item: str = "", helpers: Iterable[str] = ()) -> None:
        self.kernel, self.name, self.item = kernel, name, item or name
        self.helpers = tuple(helpers)
        self.shrink = True   # whether a property minimises its failing input (checks/base.py turns it off)
        self.input_dtype = torch.float32   # what the last cases' floating inputs were given in (working_dtype.py)
        # helpers that timed out or killed a kernel before: the check goes straight to the book's versions
        self.lost_helpers: frozenset[str] = frozenset()

    def send(self, request: Request, timeout: float | None = None) -> Any:
        """The decoded answer to one contract request (its ``name``, ``item`` and ``helpers`` are the probe's)."""
        request = dataclasses.replace(request, name=self.name, item=self.item, helpers=list(self.helpers))
        try:
            reply = self.kernel.request(request, timeout=timeout)
        except ProbeTimeout as slow:
            raise ProbeFailure(TIMED_OUT, str(slow)) from None
        except KernelDied as died:
            raise ProbeFailure(KERNEL_DIED, str(died)) from None
        if not reply.ok:
            kind = {"missing": NOT_SUBMITTED, "not_implemented": NOT_IMPLEMENTED, "borrowed": BORROWED}.get(reply.kind,
                                                                                                       RAISED)
            raise ProbeFailure(kind, reply.message[:2000])
        try:
            return from_wire(reply.value, request.ANSWER, where=f"the {request.OP} reply")
        except WireError as bad:
            raise ProbeFailure(UNREADABLE, f"the grader could not read your kernel's reply ({bad}); "
                                           "was the grading agent changed?") from None

    def call(self, *args: Any, seed: int = 0, **kwargs: Any) -> Any:
        """One call; exceptions from the student's code become ``ProbeFailure(RAISED)``."""
        return self.send(CallRequest(args=list(args), kwargs=kwargs, seed=seed))

    def value(self) -> Any:
        """A graded constant, as the student bound it."""
        return self.send(ValueRequest())

    def inventory(self) -> dict[str, InventoryEntry]:
        return self.send(InventoryRequest())

    def cases(self, cases: Sequence[tuple[Sequence[Any], dict[str, Any]]], seed: int = 0) -> list[tuple[bool, Any]]:
        """Many calls in one round trip: ``cases`` is a list of (args, kwargs).

        Returns a list of ``(True, value)`` or ``(False, error message)``; a stub or a broken
        kernel fails the whole batch with ``ProbeFailure``. ``input_dtype`` is then the dtype the
        kernel gave the student's code the floating inputs in (its default dtype).
        """
        outcomes = self.send(CasesRequest(cases=[Case(args=list(a), kwargs=k) for a, k in cases], seed=seed))
        if len(outcomes) != len(cases):
            raise ProbeFailure(RAISED, "the kernel answered a different number of cases")
        self.input_dtype = least_precise(*(dtype_named(o.dtype) for o in outcomes))
        return [(True, o.value) if o.ok else (False, o.message) for o in outcomes]

    def model(self, x: torch.Tensor, args: Sequence[Any] = (), kwargs: dict[str, Any] | None = None,
              fill: Fill | None = None, modes: Sequence[str] = ("eval",),
              grads: bool = False, seed: int = 0) -> ModelReport:
        """Build ``name(*args, **kwargs)``, run ``x`` through it: a ``contract.ModelReport``."""
        request = ModelRequest(args=list(args), kwargs=dict(kwargs or {}), input=x, modes=list(modes), grads=grads,
                               seed=seed, fill=fill)
        report: ModelReport = self.send(request, timeout=self.kernel.limits.probe_timeout * 2)
        if any(mode not in report.outputs for mode in modes):
            raise ProbeFailure(UNREADABLE, "the grader could not read your kernel's description of the model "
                                           "(a mode is missing); was the grading agent changed?")
        return report

    def train(self, data_dir: str | Path, recipe: dict[str, Any], timeout: float) -> TrainedModel:
        """Train the graded class by the grader's recipe (training kernels only): a ``TrainedModel``."""
        return self.send(TrainRequest(data_dir=str(data_dir), recipe=recipe), timeout=timeout)
