"""Step 3 of the pipeline: execute one notebook in its own fresh, fenced-in Jupyter kernel.

The kernel is a separate process started by ``kernel_side/boot.py``; the grader talks to it
only through Jupyter messages. The kernel stays up after the notebook ran so that the probe
step can call the student's definitions, and it is restarted (the notebook re-run) if a probe
kills it.
"""

import json
import os
import queue
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

from .notebooks import clear_outputs
from .output_cap import CappedNotebookClient, OutputBudget, OutputLimits
from .sandbox.fence import KERNEL_NAME, KernelFence

KERNEL_SIDE = Path(__file__).parent / "kernel_side"
AGENT_MIME = "application/x-convnet-grader+json"
# Read once at import, before any notebook runs: a notebook could rewrite the file on disk.
AGENT_SOURCE = (KERNEL_SIDE / "agent.py").read_text()
PRINT_CAP_SOURCE = (KERNEL_SIDE / "print_cap.py").read_text()
MAX_FATAL_CELLS = 3       # cells that may cost a kernel before the rest of the notebook is given up
MAX_PROBE_RESTARTS = 5    # probes that may cost a kernel per notebook
INTERRUPT_GRACE = 5.0     # seconds a kernel gets to come back after an interrupt


@dataclass
class ExecutionLimits:
    cell_timeout: float = 60.0        # seconds per cell
    total_budget: float = 600.0       # seconds for the whole notebook
    memory_bytes: int = 6 * 2**30     # address-space cap of the kernel process
    probe_timeout: float = 60.0       # seconds per probe request
    parallel_kernels: int = min(2, os.cpu_count() or 1)  # notebooks executed at the same time
    require_sandbox: bool = False     # refuse to run student code where it cannot be confined
    max_processes: int = 256          # processes and threads a kernel may add
    max_open_files: int = 4096
    output: OutputLimits = field(default_factory=OutputLimits)


@dataclass
class CellOutcome:
    index: int
    status: str          # "ok" | "error" | "timeout" | "killed the kernel" | "not run"
    error: str = ""
    cut_bytes: int = 0   # output dropped by the caps


@dataclass
class ExecutionReport:
    cells: list = field(default_factory=list)
    kernel_died: bool = False
    died_at: int | None = None
    budget_exhausted: bool = False
    seconds: float = 0.0
    fatal_cells: list = field(default_factory=list)

    def failures(self):
        return [c for c in self.cells if c.status not in ("ok", "not run")]


class KernelDied(RuntimeError):
    """The kernel process ended (os._exit, a crash, the memory cap)."""


class ProbeTimeout(RuntimeError):
    """A probe request did not answer in time (an endless loop in the student's code)."""


class KernelSession:
    """One submitted notebook, executed in one kernel that the probe step can then query."""

    def __init__(self, nb, kinds, limits=None, env_overrides=None, data_dir=None):
        self.nb = nb
        self.kinds = kinds
        self.limits = limits or ExecutionLimits()
        self.fence = KernelFence(self.limits, env_overrides, data_dir)
        self.workdir = self.fence.workdir
        self.not_sandboxed = self.fence.not_sandboxed
        self.cgroup = self.fence.cgroup
        self.client = None
        self.report = None
        self.restarts = 0
        self.sandbox_status = {}
        self.output_budget = OutputBudget(self.limits.output)

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
        except RuntimeError as error:
            raise RuntimeError(self.fence.start_failure(error)) from None
        self.sandbox_status = self.fence.status()
        self._install_agent()

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

    def _install_agent(self):
        self._install_module("__grader_agent__", AGENT_SOURCE, f"{self.kinds!r}", "the grading agent",
                             filename="<grader agent>")
        # a little under the grader's cap, so that the kernel's own note on what it cut still fits
        self._install_module("__grader_print_cap__", PRINT_CAP_SOURCE, str(max(0, self.limits.output.cell_bytes - 1024)),
                             "the print cap", filename="<grader print cap>")

    def _install_module(self, module_name, source, install_args, what, filename, timeout=60):
        """Run ``source`` in the kernel as module ``module_name`` and call its ``install(...)``."""
        bootstrap = (
            "import sys as _s, types as _t\n"
            f"_m = _t.ModuleType({module_name!r}); _s.modules[{module_name!r}] = _m\n"
            f"exec(compile({source!r}, {filename!r}, 'exec'), _m.__dict__)\n"
            f"_m.install({install_args}); del _s, _t, _m\n"
        )
        reply = self._execute(bootstrap, timeout=timeout)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not install {what}: {reply['content'].get('evalue')}")

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
            self._drain_probe_channel()
        outcome.cut_bytes = cut
        return outcome, lost

    def _drain_probe_channel(self):
        """The probe client hears every cell's output too; drop it so it does not pile up there."""
        try:
            while True:
                self.probe_client.get_iopub_msg(timeout=0)
        except (queue.Empty, Exception):
            pass

    def _execute_cell(self, cell, index):
        try:
            run_sync(self.client.async_execute_cell)(cell, index)
        except CellTimeoutError:
            timeout = f"stopped after {self.limits.cell_timeout:g} s"
            if self._interrupted():
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

    def _interrupted(self):
        """Interrupt a busy kernel; True if it is responsive again within a few seconds."""
        try:
            run_sync(self.client.km.interrupt_kernel)()
            reply = self._execute("pass", timeout=INTERRUPT_GRACE)
            return reply is not None
        except Exception:
            return False

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
    def _execute(self, code, timeout, on_output=None):
        return self.probe_client.execute_interactive(
            code, silent=False, store_history=False, allow_stdin=False, timeout=timeout,
            output_hook=on_output or (lambda msg: None),
        )

    def request(self, payload, timeout=None):
        """Send one probe request to the agent; return its JSON reply, checked for the nonce."""
        timeout = timeout or self.limits.probe_timeout
        nonce = uuid.uuid4().hex
        text = json.dumps({**payload, "nonce": nonce})
        code = f"__import__('__grader_agent__').agent.handle({text!r})"
        try:
            replies = self._collect(code, timeout)
        except TimeoutError:
            self._interrupt_or_restart()
            raise ProbeTimeout(f"no answer within {timeout:g} s (an endless loop?)") from None
        except KernelDied:
            self._restart()
            raise
        genuine = [r for r in replies if isinstance(r, dict) and r.get("nonce") == nonce]
        if len(genuine) != 1:
            raise KernelDied("the kernel gave no answer to the grader (was the grading agent tampered with?)")
        return genuine[0]

    def _collect(self, code, timeout):
        """Run ``code``; gather the agent's replies until the kernel is idle. Notices death quickly."""
        client = self.probe_client
        msg_id = client.execute(code, silent=False, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        replies = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            try:
                msg = client.get_iopub_msg(timeout=min(0.5, remaining))
            except queue.Empty:
                if not self.alive():
                    raise KernelDied("the kernel died while running your code") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            content = msg.get("content", {})
            if msg["msg_type"] == "display_data" and AGENT_MIME in content.get("data", {}):
                replies.append(content["data"][AGENT_MIME])
            elif msg["msg_type"] == "status" and content.get("execution_state") == "idle":
                return replies

    def _interrupt_or_restart(self):
        if not self._interrupted():
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
