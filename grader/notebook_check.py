"""The grader's checks from inside a notebook: ``d2l.check("corr2d")``, another transport for the
same checks, points and messages as ``pytest grader``.

What is checked is what is live in the student's kernel now, not a fresh run of the notebook, so
the answer is a preview; the official score comes from the grader, which runs the notebook from
the top. Requests reach the same agent through the same contract, as JSON text, so every value
crosses the codec exactly as it would between two processes.
"""

import dataclasses
import json
import time
from dataclasses import dataclass, field
from typing import Any

import torch

from .check_view import CheckMessage, CheckProgress, CheckReport
from .checks import ALL_CHECKS
from .checks.properties import parameter_names
from .compare import call_snippet
from .execution import ExecutionLimits
from .handin import check_cell_lines, notebook_file
from .items import ITEMS
from .kernel_seam import KernelChannel
from .kernel_side.codec import from_wire
from .kernel_side.contract import CasesRequest, ModelRequest, Reply, Request, TrainRequest, envelope
from .kernel_side.dispatch import Agent
from .notebook_watch import watch
from .oracles import preload
from .probe import NOT_SUBMITTED, ProbeFailure
from .scoring import run_check
from .selection import unknown_items_message
from .session import GradingSession
from .time_limit import TimeLimit
from .transport import ProbeTimeout

LABEL = "this notebook"
CALL_SECONDS = 3.0    # a few seconds per call of a graded function: the check cell's inputs are small
MODEL_SECONDS = 15.0  # to build a graded model and run it once, gradients included


class InProcessChannel:
    """A kernel whose agent runs in this process (a ``kernel_seam.KernelChannel``): the request's
    envelope as JSON text in, its ``Reply`` out. ``raw_reply`` is the JSON the agent wrote, before
    it is read.

    Every request runs under a time limit (``time_limit.py``): ``CALL_SECONDS`` per call of a
    function, ``MODEL_SECONDS`` to build and run a model. A batch of cases is sent one case at a
    time, so that an endless loop is reported with the input it got stuck on."""

    limits = ExecutionLimits(probe_timeout=CALL_SECONDS)
    report = None   # nothing was executed by the grader here
    parts = None    # nor built by it: the student's own kernel cannot be built again

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.replies: dict[str, Any] = {}

    def raw_reply(self, request: Request) -> Any:
        return json.loads(json.dumps(self.agent.answer(json.dumps(envelope(request, "local")))))

    def request(self, request: Request, timeout: float | None = None) -> Reply:
        if isinstance(request, CasesRequest) and len(request.cases) > 1:
            return self._one_case_at_a_time(request)
        seconds = MODEL_SECONDS if isinstance(request, (ModelRequest, TrainRequest)) else CALL_SECONDS
        limit = TimeLimit(seconds)
        raw = limit.run(lambda: self.raw_reply(request))
        if limit.expired:
            raise ProbeTimeout(did_not_return(self.agent, request, seconds))
        reply = from_wire(raw, Reply)
        if _interrupted(reply):
            raise KeyboardInterrupt   # the student stopped the cell: stop the check, not one call
        return reply

    def _one_case_at_a_time(self, request: CasesRequest) -> Reply:
        outcomes = []
        for case in request.cases:
            reply = self.request(dataclasses.replace(request, cases=[case]))
            if not reply.ok:
                return reply
            outcomes += reply.value
        return dataclasses.replace(reply, value=outcomes)


def _interrupted(reply: Reply) -> bool:
    """Whether the student's code was stopped by the kernel's interrupt (the stop button)."""
    if not reply.ok:
        return reply.message.startswith("KeyboardInterrupt")
    outcomes = reply.value if isinstance(reply.value, list) else []
    return any(isinstance(o, dict) and str(o.get("message", "")).startswith("KeyboardInterrupt") for o in outcomes)


def did_not_return(agent: Agent, request: Request, seconds: float) -> str:
    """"your `corr2d` did not return within 3 s on a 3×3 input", and the call as code."""
    if isinstance(request, CasesRequest):
        args, kwargs = request.cases[0].args, request.cases[0].kwargs
    else:
        args, kwargs = getattr(request, "args", []), getattr(request, "kwargs", {})
    shown = getattr(request, "input", None)
    tensors = [v for v in ([shown] if shown is not None else [*args, *kwargs.values()]) if isinstance(v, torch.Tensor)]
    on = f" on a {'×'.join(map(str, tensors[0].shape)) or 'scalar'} input" if tensors else ""
    what = "build and run" if isinstance(request, ModelRequest) else "return"
    try:
        names = parameter_names(agent.lookup(request.name))
    except Exception:
        names = ()
    snippet = call_snippet(request.name, names, args, kwargs)
    if shown is not None:
        snippet += f"(torch.zeros({tuple(shown.shape)}))"
    return (f"your `{request.name}` did not {what} within {seconds:g} s{on} (an endless loop, or far too slow?):"
            f"\n\n```python\n{snippet}\n```")


@dataclass
class LiveNotebook:
    """The notebook the check cell runs in, listed as a session lists a submitted one: it ran
    already, as the student ran it, and any section's items are looked for in it."""

    label: str = LABEL
    section: str | None = ""
    problem: str = ""
    notes: list[str] = field(default_factory=list)


class NotebookSession(GradingSession):
    """The grading session's view of the kernel it runs in: one notebook, already executed."""

    def __init__(self, kernel: KernelChannel) -> None:
        super().__init__(None, notebooks=[LiveNotebook()], kernels={LABEL: kernel})

    def locate(self, item_name: str) -> tuple[str, str]:
        """As the grader locates a name, but an item of another section says where it is graded."""
        try:
            return super().locate(item_name)
        except ProbeFailure as failure:
            if failure.kind != NOT_SUBMITTED:
                raise
            where = f"section {ITEMS[item_name].section}'s notebook, where it is graded"
            raise ProbeFailure(NOT_SUBMITTED, f"this notebook does not define {item_name} (run its cell first, or "
                                              f"check it in {where})") from None

    def defined_items(self) -> list[str]:
        """Items this notebook defined or tried to (its cell raised), in the items table's order."""
        found = self.inventory[LABEL]
        return [name for name, item in ITEMS.items()
                if not getattr(item, "training", False) and any(n in found for n in (item.name, *item.aliases))]


def unknown_items(names):
    """Which names are not graded, the nearest graded name to each, and every graded name by section."""
    return unknown_items_message(names, "d2l.check")


def check(*items):
    """Run the grader's checks of ``items`` (every item this notebook defines when none are named)
    on the definitions live in this kernel; the result shows itself as a table in the notebook."""
    started = time.perf_counter()
    items = tuple(getattr(name, "__name__", name) for name in items)   # d2l.check(corr2d) means "corr2d"
    unknown = [name for name in items if not isinstance(name, str) or name not in ITEMS or ITEMS[name].training]
    if unknown:
        return CheckMessage(unknown_items(unknown))
    agent = watch()
    if agent is None:
        raise RuntimeError("d2l.check runs inside a Jupyter notebook (an IPython kernel)")
    preload()
    session = NotebookSession(InProcessChannel(agent))
    names = list(items) or session.defined_items()
    checks = [c for c in ALL_CHECKS if c.item in names]
    progress = CheckProgress(names, len(checks)).show()
    results = run_checks(session, checks, progress.add)
    progress.finish(time.perf_counter() - started)
    report = CheckReport(results, names, time.perf_counter() - started)
    if not items:   # the no-argument form, a notebook's last cell: what to see to before handing in
        from IPython import get_ipython

        report.footnotes = check_cell_lines(results, notebook_file(getattr(get_ipython(), "user_ns", None) or {}))
    return report


def run_checks(session, checks, done=lambda result: None):
    """Each check's result, ``done`` told of each as it comes. Torch works on one thread meanwhile:
    the checks' tensors are tiny, and on a busy machine torch's thread pool costs a thousand times
    the work itself (a 6x7 conv2d: 4.5 ms on two threads, 3 us on one). The kernel's setting is
    put back afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        results = []
        for planned in checks:
            results.append(run_check(session, planned))
            done(results[-1])
        return results
    finally:
        torch.set_num_threads(threads)
