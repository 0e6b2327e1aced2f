"""The grader's checks from inside a notebook: ``d2l.check("corr2d")``, another transport for the
same checks, points and messages as ``pytest grader``.

What is checked is what is live in the student's kernel now, not a fresh run of the notebook, so
the answer is a preview; the official score comes from the grader, which runs the notebook from
the top. Requests reach the same agent through the same contract, as JSON text, so every value
crosses the codec exactly as it would between two processes.
"""

import difflib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from .check_view import CheckMessage, CheckReport
from .checks import ALL_CHECKS
from .execution import ExecutionLimits
from .items import ITEMS
from .kernel_seam import KernelChannel
from .kernel_side.codec import from_wire
from .kernel_side.contract import Reply, Request, envelope
from .kernel_side.dispatch import Agent
from .notebook_watch import watch
from .oracles import preload
from .probe import NOT_SUBMITTED, ProbeFailure
from .scoring import run_check
from .session import GradingSession

LABEL = "this notebook"


class InProcessChannel:
    """A kernel whose agent runs in this process (a ``kernel_seam.KernelChannel``): the request's
    envelope as JSON text in, its ``Reply`` out. ``raw_reply`` is the JSON the agent wrote, before
    it is read."""

    limits = ExecutionLimits()
    report = None   # nothing was executed by the grader here
    parts = None    # nor built by it: the student's own kernel cannot be built again

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.replies: dict[str, Any] = {}

    def raw_reply(self, request: Request) -> Any:
        return json.loads(json.dumps(self.agent.answer(json.dumps(envelope(request, "local")))))

    def request(self, request: Request, timeout: float | None = None) -> Reply:
        reply = from_wire(self.raw_reply(request), Reply)
        if not reply.ok and reply.message.startswith("KeyboardInterrupt"):
            raise KeyboardInterrupt   # the student stopped the cell: stop the check, not one call
        return reply


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
    graded = [name for name, item in ITEMS.items() if not item.training]
    said = []
    for name in names:
        near = difflib.get_close_matches(str(name), graded, n=1)
        said.append(f"`{name!r}`" + (f" (did you mean `{near[0]!r}`?)" if near else ""))
    sections = {}
    for name in graded:
        sections.setdefault(ITEMS[name].section, []).append(f"`{name}`")
    listing = "; ".join(f"{section}: {', '.join(found)}" for section, found in sections.items())
    return f"d2l.check: no graded item {', '.join(said)}. The graded items are {listing}."


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
    results = [run_check(session, c) for c in ALL_CHECKS if c.item in names]
    return CheckReport(results, names, time.perf_counter() - started)
