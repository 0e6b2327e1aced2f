"""The seam between grading and a kernel, named: what any kernel the grader probes must answer, and
what a grading session is built from.

Two kinds of kernel stand behind a ``Probe``: the Jupyter kernels ``pytest grader`` starts
(``kernel.py``) and the student's own notebook kernel under ``d2l.check`` (``notebook_check.py``).
Checks must not care which, so they may use only what ``KernelChannel`` names, and a type checker
holds both kernels to it. Light on purpose (no kernel machinery), as the check cell imports it.
"""

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .execution import ExecutionLimits, ExecutionReport
from .kernel_side.contract import Reply, Request


@dataclass(frozen=True)
class KernelParts:
    """What a grader's kernel is built from, so that another can be built like it: training re-runs
    the same notebook in a kernel of its own (``training/kernel.py``)."""

    nb: Any                  # the notebook (an nbformat node) as the kernel ran it
    kinds: dict[str, str]    # graded name -> the kind of object the agent watches for
    limits: ExecutionLimits


@runtime_checkable
class KernelChannel(Protocol):
    """A kernel as checks may use it. Read-only: the grader asks, the kernel answers."""

    @property
    def limits(self) -> ExecutionLimits:
        """Whose ``probe_timeout`` bounds each request."""

    @property
    def report(self) -> ExecutionReport | None:
        """How its notebook ran; None where the grader did not run it."""

    @property
    def replies(self) -> dict[str, Any]:
        """Answers worth keeping for as long as this kernel lives (model reports), so they die with it."""

    @property
    def parts(self) -> KernelParts | None:
        """What the grader built it from; None where the grader did not build it (a notebook's own)."""

    def request(self, request: Request, timeout: float | None = None) -> Reply:
        """The agent's ``Reply`` to one contract request."""


class NotebookEntry(Protocol):
    """A notebook as a grading session lists it, whether found in a submission or the live one."""

    label: str
    section: str | None
    problem: str             # why it could not be run, "" when it ran
    notes: list[str]
