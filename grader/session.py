"""Runs the pipeline for one submission: notebooks -> kernels -> which kernel answers for each name.

Scores are not computed here; ``scoring.py`` turns check results into points.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from .cell_failures import cell_failure, data_note, needs_missing_data, plain_error
from .execution import ExecutionLimits
from .items import ITEMS, kinds_for_kernel
from .oracles import preload
from .probe import BORROWED, COULD_NOT_RUN, NOT_SUBMITTED, Probe, ProbeFailure


def inventory_of(kernel):
    """{graded name: contract.InventoryEntry} of what the notebook defined; {} if the kernel will not say."""
    try:
        return Probe(kernel, "").inventory()
    except ProbeFailure:
        return {}


class GradingSession:
    """Owns one kernel per notebook for the length of a grading run."""

    def __init__(self, path, limits=None):
        self.path = path
        self.limits = limits or ExecutionLimits()
        self.notebooks = []
        self.kernels = {}       # notebook label -> KernelSession
        self.inventory = {}     # notebook label -> {name: contract.InventoryEntry}
        self.execution_seconds = 0.0
        self.poisoned = {}      # item -> the ProbeFailure that cost a kernel (not probed again)
        self.data_dir = None    # the staged Fashion-MNIST copy the kernels may read
        self.data_problem = None   # why there is none (training.data.DataProblem), for the notes
        self.unconfined = []    # why kernels ran without the sandbox, kept after they close
        self.reports = {}       # notebook label -> ExecutionReport, kept after the kernels close
        self.executed = {}      # notebook label -> the notebook as it ran (sources and outputs)
        self._cell_failures = None

    def start(self):
        # Kernel machinery (nbclient, jupyter_client, nbformat) is imported here, not above: a
        # notebook's check cell uses this class without starting kernels, on a light install.
        from .sandbox.fence import not_sandboxed_reason
        from .submission import read_submission
        from .training.data import provide

        started = time.monotonic()
        preload()
        not_sandboxed_reason(self.limits.require_sandbox)   # --require-sandbox fails here, before any kernel starts
        self.data_dir, self.data_problem = provide()   # downloads here: kernels have no network
        self.notebooks = read_submission(self.path)
        runnable = [entry for entry in self.notebooks if not entry.problem]
        # Kernels are separate processes: running a few notebooks at once uses the cores that
        # one notebook (mostly single-threaded Python) leaves idle.
        with ThreadPoolExecutor(max_workers=max(1, min(self.limits.parallel_kernels, len(runnable) or 1))) as pool:
            for entry, kernel, inventory in pool.map(self._execute, runnable):
                if kernel is not None:
                    self.kernels[entry.label] = kernel
                    self.inventory[entry.label] = inventory
        self.execution_seconds = time.monotonic() - started
        return self

    def _execute(self, entry):
        """(entry, kernel, inventory) once the notebook ran; (entry, None, None) if it could not."""
        from .kernel import KernelSession
        from .preprocess import prepare

        nb, entry.notes = prepare(entry.nb)
        kernel = KernelSession(nb, kinds_for_kernel(), self.limits, data_dir=self.data_dir)
        try:
            kernel.start()
            if not kernel.sandbox_status.get("confined"):
                self.unconfined.append(kernel.not_sandboxed or kernel.sandbox_status.get("reason") or "unknown")
            kernel.run_notebook()
            self.executed[entry.label] = kernel.nb
            return entry, kernel, inventory_of(kernel)
        except Exception as error:
            entry.problem = f"could not be executed: {type(error).__name__}: {error}"
            kernel.close()
            return entry, None, None

    def close(self):
        for label, kernel in self.kernels.items():
            self.reports[label] = kernel.report   # the notes are written after the kernels are gone
            kernel.close()
        self.kernels.clear()

    def _report(self, label):
        kernel = self.kernels.get(label)
        return kernel.report if kernel is not None else self.reports.get(label)

    # ---- who answers for a graded name ----------------------------------------------------
    def locate(self, item_name):
        """(notebook label, bound name) of the definition to grade, or raise ``ProbeFailure``."""
        item = ITEMS[item_name]
        names = (item.name, *item.aliases)
        bound, failed = [], []
        for entry in self.notebooks:
            found = self.inventory.get(entry.label, {})
            for name in names:
                state = found.get(name)
                if state is not None and state.state == "bound":
                    bound.append((entry, name, state))
                    break
                if state is not None and state.state == "failed":
                    failed.append((entry, name, state))
        if bound:
            own = [b for b in bound if b[0].section == item.section]
            entry, name, state = (own or bound)[-1]
            module = state.module
            if module == "d2l" or module.startswith("d2l."):
                raise ProbeFailure(BORROWED, f"{name} is the course library's {module}.{name}, not a definition of yours")
            return entry.label, name
        if failed:
            entry, name, state = failed[-1]
            raise ProbeFailure(COULD_NOT_RUN, f"{entry.label}: {plain_error(state.error) or 'the defining cell failed'}")
        broken = [e for e in self.notebooks if e.problem or self._died_early(e)]
        if broken:
            reasons = "; ".join(f"{e.label} {e.problem or 'lost its kernel in a cell'}" for e in broken)
            raise ProbeFailure(COULD_NOT_RUN, f"{item_name} was not found, and {reasons}")
        raise ProbeFailure(NOT_SUBMITTED, f"no notebook defines {item_name}")

    def _died_early(self, entry):
        report = self._report(entry.label)
        return report is not None and report.kernel_died

    def cell_failures(self):
        """Every cell that raised, with the line and the names it never got to (``cell_failures``).

        Worked out once, after the notebooks ran: every failing check's feedback consults it."""
        if self._cell_failures is None:
            self._cell_failures = self._find_cell_failures()
        return self._cell_failures

    def _find_cell_failures(self):
        found = []
        for entry in self.notebooks:
            report, nb = self._report(entry.label), self.executed.get(entry.label)
            if report is None or nb is None:
                continue
            for outcome in report.failures():
                if outcome.status == "error":
                    found.append(cell_failure(entry.label, nb.cells[outcome.index], outcome.index, outcome.error,
                                              kinds_for_kernel()))
        return found

    def probe(self, item_name, helpers=()):
        label, name = self.locate(item_name)
        return Probe(self.kernels[label], name, item_name, helpers)

    def sandbox_note(self):
        """None when every kernel ran confined; else 'not sandboxed: <reason>' for the reports."""
        reasons = set(self.unconfined)
        for kernel in self.kernels.values():
            if not kernel.sandbox_status.get("confined"):
                reasons.add(kernel.not_sandboxed or kernel.sandbox_status.get("reason") or "unknown")
        return f"not sandboxed: {'; '.join(sorted(reasons))}" if reasons else None

    def limits_held(self):
        """Which of the sandbox's limits held in every kernel, in words, for the record: where the
        grader runs as an ordinary user (a Slurm job), the process cap is RLIMIT_NPROC, say."""
        held = None
        for kernel in self.kernels.values():
            status = kernel.sandbox_status or {}
            found = set()
            if status.get("confined"):
                found.add("Landlock file and network rules")
            if status.get("socket_filter") is True:
                found.add("socket filter")
            for key in ("processes", "open_files", "capabilities"):
                if isinstance(status.get(key), str) and status[key] not in ("not capped", "could not be dropped"):
                    found.add(f"{key.replace('_', ' ')}: {status[key]}")
            held = found if held is None else held & found
        return "; ".join(sorted(held or ()))

    def execution_notes(self):
        notes = []
        if self.sandbox_note():
            notes.append(self.sandbox_note() + " (student code ran with the grader's rights)")
        no_data = [f for f in self.cell_failures() if needs_missing_data(f)]
        if no_data:   # one note for the whole report, however many cells needed the data
            notes.append(data_note(no_data, self.data_problem))
        for entry in self.notebooks:
            notes.extend(f"{entry.label}: {note}" for note in entry.notes)
            if entry.problem:
                notes.append(f"{entry.label} {entry.problem}")
            report = self._report(entry.label)
            if report:
                if report.fatal_cells:
                    cells = ", ".join(str(i + 1) for i in report.fatal_cells)
                    notes.append(f"{entry.label}: cell {cells} stopped the kernel; the notebook was re-run without it")
                if report.budget_exhausted:
                    notes.append(f"{entry.label}: the time budget ran out; later cells did not run")
                for cell in report.failures():
                    if cell.status != "error":
                        notes.append(f"{entry.label}: cell {cell.index + 1} {cell.status}: {cell.error}")
                raised = [f for f in self.cell_failures() if f.notebook == entry.label and f not in no_data]
                stubs = [f for f in raised if f.error.startswith("NotImplementedError")]
                notes.extend(f.note() for f in raised if f not in stubs)
                if stubs:   # expected until the stubs are filled in: one line, not one per demo cell
                    cells = ", ".join(str(f.cell) for f in stubs)
                    notes.append(f"{entry.label}: cell{'s' if len(stubs) > 1 else ''} {cells} stopped at a stub "
                                 "that is not filled in yet (NotImplementedError)")
                for cell in report.cells:
                    if cell.cut_bytes:
                        notes.append(f"{entry.label}: cell {cell.index + 1} printed too much; "
                                     f"{cell.cut_bytes:,} bytes of its output were cut")
        return notes
