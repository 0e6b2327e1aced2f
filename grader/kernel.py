"""Step 3 of the pipeline: execute one notebook in its own fresh, fenced-in Jupyter kernel.

The kernel is a separate process started by ``kernel_side/boot.py``; the grader talks to it
only through Jupyter messages. The kernel stays up after the notebook ran so that the probe
step can call the student's definitions, and it is restarted (the notebook re-run) if a probe
kills it.
"""

import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import run_sync

KERNEL_SIDE = Path(__file__).parent / "kernel_side"
AGENT_MIME = "application/x-convnet-grader+json"


@dataclass
class ExecutionLimits:
    cell_timeout: float = 60.0        # seconds per cell
    total_budget: float = 600.0       # seconds for the whole notebook
    memory_bytes: int = 6 * 2**30     # address-space cap of the kernel process
    probe_timeout: float = 60.0       # seconds per probe request


@dataclass
class CellOutcome:
    index: int
    status: str          # "ok" | "error" | "timeout" | "not run"
    error: str = ""


@dataclass
class ExecutionReport:
    cells: list = field(default_factory=list)
    kernel_died: bool = False
    died_at: int | None = None
    budget_exhausted: bool = False
    seconds: float = 0.0

    def failures(self):
        return [c for c in self.cells if c.status in ("error", "timeout")]


class KernelDied(RuntimeError):
    """The kernel process ended (os._exit, a crash, the memory cap)."""


class ProbeTimeout(RuntimeError):
    """A probe request did not answer in time (an endless loop in the student's code)."""


def _kernel_environment(workdir):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "PYTEST", "JPY_"))}
    env.update({
        # the notebook's own training cells are cut short: the grader measures training itself
        "D2L_MAX_EPOCHS": "1",
        "D2L_MAX_BATCHES": "2",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "agg",
        "CUDA_VISIBLE_DEVICES": "",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    })
    env["HOME"] = env.get("HOME", str(workdir))
    return env


def _write_kernelspec(directory, limits, workdir):
    spec_dir = Path(directory) / "kernels" / "graded-python"
    spec_dir.mkdir(parents=True)
    env = _kernel_environment(workdir)
    env["GRADER_KERNEL_MEMORY_BYTES"] = str(limits.memory_bytes)
    spec = {"argv": [sys.executable, "-I", str(KERNEL_SIDE / "boot.py"), "-f", "{connection_file}"],
            "display_name": "graded python", "language": "python", "env": env}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return KernelSpecManager(kernel_dirs=[str(Path(directory) / "kernels")])


class KernelSession:
    """One submitted notebook, executed in one kernel that the probe step can then query."""

    def __init__(self, nb, kinds, limits=None, workdir=None):
        self.nb = nb
        self.kinds = kinds
        self.limits = limits or ExecutionLimits()
        self._tmp = tempfile.TemporaryDirectory(prefix="grader-kernel-")
        self.workdir = Path(workdir or Path(self._tmp.name) / "work")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.spec_manager = _write_kernelspec(Path(self._tmp.name) / "spec", self.limits, self.workdir)
        self.client = None
        self.report = None
        self.restarts = 0

    # ---- lifecycle --------------------------------------------------------------------
    def start(self):
        km = AsyncKernelManager(kernel_name="graded-python", kernel_spec_manager=self.spec_manager)
        self.client = NotebookClient(
            self.nb, km=km, timeout=self.limits.cell_timeout, allow_errors=True,
            interrupt_on_timeout=True, record_timing=False, shutdown_kernel="immediate",
            resources={"metadata": {"path": str(self.workdir)}}, startup_timeout=60,
        )
        self.client.km = km
        run_sync(self.client.async_start_new_kernel)(cwd=str(self.workdir))
        run_sync(self.client.async_start_new_kernel_client)()
        self.probe_client = self.client.km.blocking_client()
        self.probe_client.start_channels()
        self.probe_client.wait_for_ready(timeout=60)
        self._install_agent()

    def close(self):
        if getattr(self, "probe_client", None) is not None:
            self.probe_client.stop_channels()
        if self.client is not None and self.client.km is not None:
            try:
                run_sync(self.client._async_cleanup_kernel)()
            except Exception:
                pass
        self.client = None
        self._tmp.cleanup()

    def alive(self):
        return self.client is not None and run_sync(self.client.km.is_alive)()

    def _install_agent(self):
        source = (KERNEL_SIDE / "agent.py").read_text()
        bootstrap = (
            "import sys as _s, types as _t\n"
            "_m = _t.ModuleType('__grader_agent__'); _s.modules['__grader_agent__'] = _m\n"
            f"exec(compile({source!r}, '<grader agent>', 'exec'), _m.__dict__)\n"
            f"_m.install({self.kinds!r}); del _s, _t, _m\n"
        )
        reply = self._execute(bootstrap, timeout=60)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"could not install the grading agent: {reply['content'].get('evalue')}")

    # ---- executing the notebook ---------------------------------------------------------
    def run_notebook(self):
        """Execute every code cell, continuing past failures, within the time budget."""
        report = ExecutionReport()
        started = time.monotonic()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type != "code":
                continue
            if report.kernel_died or report.budget_exhausted:
                report.cells.append(CellOutcome(index, "not run"))
                continue
            if time.monotonic() - started > self.limits.total_budget:
                report.budget_exhausted = True
                report.cells.append(CellOutcome(index, "not run"))
                continue
            report.cells.append(self._run_cell(cell, index, report))
        report.seconds = time.monotonic() - started
        self.report = report
        return report

    def _run_cell(self, cell, index, report):
        try:
            run_sync(self.client.async_execute_cell)(cell, index)
        except CellTimeoutError:
            return CellOutcome(index, "timeout", f"stopped after {self.limits.cell_timeout:.0f} s")
        except DeadKernelError as died:
            report.kernel_died, report.died_at = True, index
            return CellOutcome(index, "error", f"the kernel died: {died}")
        except Exception as error:  # nbclient's own trouble with odd outputs
            if not self.alive():
                report.kernel_died, report.died_at = True, index
                return CellOutcome(index, "error", "the kernel died")
            return CellOutcome(index, "error", f"{type(error).__name__}: {error}")
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if errors:
            return CellOutcome(index, "error", f"{errors[0].get('ename')}: {errors[0].get('evalue')}"[:500])
        return CellOutcome(index, "ok")

    # ---- probing ------------------------------------------------------------------------
    def _execute(self, code, timeout, on_output=None):
        return self.probe_client.execute_interactive(
            code, silent=False, store_history=False, allow_stdin=False, timeout=timeout,
            output_hook=on_output or (lambda msg: None),
        )

    def request(self, payload, timeout=None):
        """Send one probe request to the agent; return its JSON reply, checked for the nonce."""
        nonce = uuid.uuid4().hex
        text = json.dumps({**payload, "nonce": nonce})
        replies = []

        def on_output(msg):
            data = msg.get("content", {}).get("data", {})
            if msg.get("msg_type") == "display_data" and AGENT_MIME in data:
                replies.append(data[AGENT_MIME])

        code = f"__import__('__grader_agent__').agent.handle({text!r})"
        try:
            self._execute(code, timeout or self.limits.probe_timeout, on_output)
        except TimeoutError:
            self._interrupt_or_restart()
            raise ProbeTimeout(f"no answer within {timeout or self.limits.probe_timeout:.0f} s") from None
        except Exception as error:  # a dead kernel surfaces here in several shapes
            if not self.alive():
                self._restart()
                raise KernelDied("the kernel died while running your code") from error
            raise
        if not self.alive():
            self._restart()
            raise KernelDied("the kernel died while running your code")
        genuine = [r for r in replies if isinstance(r, dict) and r.get("nonce") == nonce]
        if len(genuine) != 1:
            raise KernelDied("the kernel gave no answer to the grader (was the grading agent tampered with?)")
        return genuine[0]

    def _interrupt_or_restart(self):
        try:
            run_sync(self.client.km.interrupt_kernel)()
            self._execute("pass", timeout=10)
        except Exception:
            self._restart()

    def _restart(self):
        """A probe broke the kernel: start afresh and re-run the notebook for the next probes."""
        self.restarts += 1
        try:
            run_sync(self.client._async_cleanup_kernel)()
        except Exception:
            pass
        self.nb = nbformat.from_dict(self.nb)
        for cell in self.nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        first_run = self.report
        self.start()
        self.run_notebook()
        self.report = first_run
