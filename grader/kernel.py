"""Step 3 of the pipeline: execute one notebook in its own fresh, fenced-in Jupyter kernel.

The kernel is a separate process started by ``kernel_side/boot.py``; the grader talks to it
only through Jupyter messages. The kernel stays up after the notebook ran so that the probe
step can call the student's definitions, and it is restarted (the notebook re-run) if a probe
kills it.
"""

import queue
import time
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from .execution import CellOutcome, ExecutionLimits, ExecutionReport
from .hangs import Hangs, innermost_graded
from .kernel_seam import KernelParts
from .kernel_side.confinement_contract import SandboxStatus
from .kernel_side.contract import Reply, Request
from .notebooks import clear_outputs
from .output_cap import CappedNotebookClient, OutputBudget
from .sandbox.fence import KERNEL_NAME, KernelFence
from .transport import (
    AGENT_MODULES,
    AGENT_PACKAGE,
    PRINT_CAP_MODULES,
    AgentChannel,
    KernelDied,
    ProbeTimeout,
    install_code,
)

__all__ = ["ExecutionLimits", "KernelDied", "KernelSession", "ProbeTimeout"]
MAX_FATAL_CELLS = 3       # cells that may cost a kernel before the rest of the notebook is given up
MAX_PROBE_RESTARTS = 5    # probes that may cost a kernel per notebook
INTERRUPT_GRACE = 5.0     # seconds a kernel gets to come back after an interrupt


class KernelSession:
    """One submitted notebook, executed in one kernel that the probe step can then query: a
    ``kernel_seam.KernelChannel``."""

    def __init__(self, nb, kinds: dict[str, str], limits: ExecutionLimits | None = None, env_overrides=None,
                 data_dir=None) -> None:
        self.nb = nb
        self.kinds = kinds
        self.limits = limits or ExecutionLimits()
        self.replies: dict[str, Any] = {}   # kept across restarts: the notebook re-run defines the same
        self.fence = KernelFence(self.limits, env_overrides, data_dir)
        self.workdir = self.fence.workdir
        self.not_sandboxed = self.fence.not_sandboxed
        self.cgroup = self.fence.cgroup
        self.client = None
        self.report = None
        self.restarts = 0
        self.sandbox_status = SandboxStatus(reason="the kernel has not started")   # the fence's, once it has
        self.output_budget = OutputBudget(self.limits.output)
        self.hangs = Hangs()   # graded functions a cell was stuck in: later waits are shorter

    @classmethod
    def from_parts(cls, parts: KernelParts, env_overrides=None, data_dir=None) -> "KernelSession":
        return cls(parts.nb, parts.kinds, parts.limits, env_overrides=env_overrides, data_dir=data_dir)

    @property
    def parts(self) -> KernelParts:
        return KernelParts(self.nb, self.kinds, self.limits)

    # ---- lifecycle --------------------------------------------------------------------
    def start(self):
        km = AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=self.fence.spec_manager,
                                connection_file=self.fence.connection_file())
        self.client = CappedNotebookClient(
            self.nb, km=km, timeout=self.limits.cell_timeout, allow_errors=True,
            interrupt_on_timeout=False, record_timing=False, shutdown_kernel="immediate",
            resources={"metadata": {"path": str(self.workdir)}}, startup_timeout=60,
            output_budget=self.output_budget,
        )
        self.client.km = km
        try:
            run_sync(self.client.async_start_new_kernel)(**self.fence.launch_options())
            run_sync(self.client.async_start_new_kernel_client)()
            self.probe_client = self.client.km.blocking_client()
            self.probe_client.start_channels()
            self.probe_client.wait_for_ready(timeout=60)
            self.channel = AgentChannel(self.probe_client, self.alive)
        except RuntimeError as error:
            raise RuntimeError(self.fence.start_failure(error)) from None
        self.sandbox_status = self.fence.status()
        self.install_agent()

    def _shut_down(self):
        """jupyter_client's own shutdown (its files and ports), through its public API. The processes
        are gone already (``_stop_processes``), so a kernel that is dead or stuck is no error here."""
        km = self.client.km
        try:
            if run_sync(km.is_alive)():
                run_sync(km.shutdown_kernel)(now=True)
        except Exception:
            pass
        try:
            run_sync(km.cleanup_resources)()
        except Exception:
            pass
        if self.client.kc is not None:
            self.client.kc.stop_channels()
            self.client.kc = None

    def _stop_processes(self):
        km = self.client.km if self.client is not None else None
        self.fence.stop_processes(getattr(getattr(km, "provisioner", None), "process", None))

    def close(self):
        if getattr(self, "probe_client", None) is not None:
            self.probe_client.stop_channels()
        if self.client is not None and self.client.km is not None:
            self._stop_processes()
            self._shut_down()
        self.fence.close()
        self.client = None

    def alive(self):
        return self.client is not None and run_sync(self.client.km.is_alive)()

    def install_agent(self):
        """The agent's package and the print cap, before any cell runs; a subclass adds its ops after."""
        self.channel.install(install_code(AGENT_PACKAGE, AGENT_MODULES, "dispatch", "agent", self.kinds),
                             "the grading agent")
        # a little under the grader's cap, so that the kernel's own note on what it cut still fits
        limit = max(0, self.limits.output.cell_bytes - 1024)
        self.channel.install(install_code("__grader_print_cap__", PRINT_CAP_MODULES, "print_cap", "cap", limit),
                             "the print cap")

    # ---- executing the notebook ---------------------------------------------------------
    def run_notebook(self):
        """Execute every code cell, continuing past failures, within the time budget.

        A cell that kills the kernel, or hangs past an interrupt, is fatal to the kernel but
        not to the grade: the kernel is restarted and the notebook re-run without that cell.
        """
        started = time.monotonic()
        fatal = {}   # cell index -> CellOutcome that cost a kernel
        while True:
            report, culprit = self._run_cells(fatal, started)
            if culprit is None or len(fatal) >= MAX_FATAL_CELLS:
                break
            fatal[culprit.index] = culprit
            report.kernel_died = True
            self._fresh_kernel()
        report.kernel_died = report.kernel_died or bool(fatal)
        report.fatal_cells = sorted(fatal)
        report.seconds = time.monotonic() - started
        self.report = report
        return report

    def _run_cells(self, fatal, started):
        report = ExecutionReport()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            if index in fatal:
                report.cells.append(fatal[index])
                continue
            if report.budget_exhausted or time.monotonic() - started > self.limits.total_budget:
                report.budget_exhausted = True
                report.cells.append(CellOutcome(index, "not run"))
                continue
            outcome, lost_kernel = self._run_cell(cell, index)
            report.cells.append(outcome)
            if lost_kernel:
                report.died_at = index
                return report, outcome
        return report, None

    def _run_cell(self, cell, index):
        """(outcome, whether the kernel was lost) for one cell, its output within the caps."""
        self.output_budget.start_cell()
        try:
            outcome, lost = self._execute_cell(cell, index)
        finally:
            cut = self.output_budget.finish_cell(cell)
            self.channel.drain()
        outcome.cut_bytes = cut
        return outcome, lost

    def _execute_cell(self, cell, index):
        self.client.timeout = seconds = self.hangs.cell_limit(self.limits.cell_timeout)
        try:
            run_sync(self.client.async_execute_cell)(cell, index)
        except CellTimeoutError:
            responsive, stuck_in = self._interrupted(read_traceback=True)
            timeout = self.hangs.note(stuck_in, seconds)
            if responsive:
                return CellOutcome(index, "timeout", timeout), False
            return CellOutcome(index, "timeout", timeout + " and did not stop when interrupted"), True
        except DeadKernelError:
            return CellOutcome(index, "killed the kernel", "the kernel died while running this cell"), True
        except Exception as error:  # nbclient's own trouble with odd outputs
            if not self.alive():
                return CellOutcome(index, "killed the kernel", "the kernel died while running this cell"), True
            return CellOutcome(index, "error", f"{type(error).__name__}: {error}"[:500]), False
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            return CellOutcome(index, "error", f"{errors[0].get('ename')}: {errors[0].get('evalue')}"[:500]), False
        return CellOutcome(index, "ok"), False

    def _interrupted(self, read_traceback=False):
        """Interrupt a busy kernel: (whether it is responsive again within a few seconds, the graded
        function the interrupt's traceback shows it was stuck in, when ``read_traceback`` asks)."""
        try:
            run_sync(self.client.km.interrupt_kernel)()
            stuck_in = self._stuck_in() if read_traceback else None
            reply = self.channel.execute("pass", timeout=INTERRUPT_GRACE)
            return reply is not None, stuck_in
        except Exception:
            return False, None

    def _stuck_in(self):
        """The graded function in the interrupted cell's traceback, read from the probe client,
        which hears every cell's output; None if no traceback comes within the grace period."""
        deadline = time.monotonic() + INTERRUPT_GRACE
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.probe_client.get_iopub_msg(timeout=left)
            except queue.Empty:
                return None
            if msg.get("msg_type") == "error":
                return innermost_graded(msg.get("content", {}).get("traceback", []), self.kinds)
        return None

    def _fresh_kernel(self):
        try:
            self.probe_client.stop_channels()
            self._stop_processes()
        except Exception:
            pass
        self._shut_down()
        self.output_budget = OutputBudget(self.limits.output)
        clear_outputs(self.nb)
        self.start()

    # ---- probing ------------------------------------------------------------------------
    def request(self, request: Request, timeout: float | None = None) -> Reply:
        """The agent's ``Reply`` to one contract request; a kernel that hangs is interrupted (or
        restarted), one that dies is restarted, so that the next request finds a working kernel."""
        timeout = self.hangs.probe_limit(request.name, timeout or self.limits.probe_timeout)
        try:
            return self.channel.request(request, timeout)
        except TimeoutError:
            self._interrupt_or_restart()
            raise ProbeTimeout(self.hangs.probe_message(request.name, timeout)) from None
        except KernelDied:
            self._restart()
            raise

    def _interrupt_or_restart(self):
        if not self._interrupted()[0]:
            self._restart()

    def _restart(self):
        """A probe broke the kernel: start afresh and re-run the notebook for the next probes."""
        self.restarts += 1
        if self.restarts > MAX_PROBE_RESTARTS:
            raise KernelDied("the kernel was lost too many times; giving up on this notebook")
        first_run = self.report
        self._fresh_kernel()
        self.run_notebook()
        self.report = first_run
