"""Runs the pipeline for one submission: notebooks -> kernels -> which kernel answers for each name.

Scores are not computed here; ``scoring.py`` turns check results into points.
"""

import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .cell_failures import CellFailure, cell_failure, data_note, needs_missing_data, plain_error
from .cell_names import cells_named
from .execution import ExecutionLimits, ExecutionReport
from .handin import hand_in_notes
from .hangs import ALREADY_HUNG
from .items import ITEMS, SECTIONS, kinds_for_kernel
from .kernel_seam import KernelChannel, NotebookEntry
from .kernel_side.contract import InventoryEntry
from .oracles import preload
from .probe import BORROWED, COULD_NOT_RUN, NOT_SUBMITTED, Probe, ProbeFailure
from .record import Note
from .section_notebooks import preference
from .selection import sections_for

if TYPE_CHECKING:
    from .kernel import KernelSession
    from .submission import SubmittedNotebook
    from .training.data import DataProblem


def inventory_of(kernel: KernelChannel) -> dict[str, InventoryEntry]:
    """{graded name: contract.InventoryEntry} of what the notebook defined; {} if the kernel will not say."""
    try:
        return Probe(kernel, "").inventory()
    except ProbeFailure:
        return {}


class GradingSession:
    """Owns one kernel per notebook for the length of a grading run.

    ``start`` finds the notebooks at ``path`` and runs each in a kernel of its own; a session over
    notebooks that already ran (the check cell's own) is given them and their kernels instead."""

    def __init__(self, path: str | os.PathLike[str] | None, limits: ExecutionLimits | None = None, *,
                 notebooks: Iterable[NotebookEntry] = (), kernels: Mapping[str, KernelChannel] | None = None,
                 train: bool = False, items: Iterable[str] | None = None) -> None:
        self.path = path
        # the items this run grades (``--item``); None: all. Only their sections' notebooks are run.
        self.items: tuple[str, ...] | None = tuple(items) if items is not None else None
        self.not_run: list[str] = []   # notebooks left unexecuted: they define none of ``items``
        self.limits = limits or ExecutionLimits()
        self.progress: Callable[[str], None] = lambda line: None   # a line per notebook as it starts and ends
        self.train = train   # this run asked for the GPU training checks (``pytest grader --train``)
        self.notebooks: list[NotebookEntry] = list(notebooks)
        # notebook label -> its kernel: a KernelSession in the pipeline (which reads its sandbox and
        # closes it), any KernelChannel in the check cell (which only probes it)
        self.kernels: dict[str, Any] = dict(kernels or {})
        # notebook label -> {name: contract.InventoryEntry}
        self.inventory = {label: inventory_of(kernel) for label, kernel in self.kernels.items()}
        self.execution_seconds = 0.0
        self.poisoned: dict[str, ProbeFailure] = {}   # item -> the failure that cost a kernel (not probed again)
        self.data_dir: Path | None = None    # the staged Fashion-MNIST copy the kernels may read
        self.data_problem: DataProblem | None = None   # why there is none, for the notes
        self.unconfined: list[str] = []    # why kernels ran without the sandbox, kept after they close
        self.reports: dict[str, ExecutionReport | None] = {}   # notebook label -> its report, kept after close
        self.executed: dict[str, Any] = {}   # notebook label -> the notebook as it ran (sources and outputs)
        self._cell_failures: list[CellFailure] | None = None

    def start(self) -> "GradingSession":
        # Kernel machinery (nbclient, jupyter_client, nbformat) is imported here, not above: a
        # notebook's check cell uses this class without starting kernels, on a light install.
        from .checks import ALL_CHECKS
        from .checks.model_compare import compute_references
        from .sandbox.fence import not_sandboxed_reason
        from .submission import read_submission
        from .training.data import provide

        started = time.monotonic()
        preload()
        not_sandboxed_reason(self.limits.require_sandbox)   # --require-sandbox fails here, before any kernel starts
        ahead = threading.Thread(target=compute_references, args=(ALL_CHECKS, self.items), daemon=True)
        ahead.start()   # the references' reports, while this process would wait for the kernels
        self.data_dir, self.data_problem = provide()   # downloads here: kernels have no network
        self.notebooks = read_submission(self.path)
        runnable = [entry for entry in self.notebooks if not entry.problem]
        first, later = runnable, []
        if self.items is not None:   # the selected items' sections first; notebooks of no known section too
            sections = sections_for(self.items)
            first = [entry for entry in runnable if entry.section is None or entry.section in sections]
            later = [entry for entry in runnable if entry not in first]
        self._execute_all(first)
        if later and self._missing_items():   # defined where its section's name did not say: run the rest
            self._execute_all(later)
            later = []
        self.not_run = [entry.label for entry in later]
        self.execution_seconds = time.monotonic() - started
        ahead.join()
        return self

    def _execute_all(self, entries: list[NotebookEntry]) -> None:
        # Kernels are separate processes: running a few notebooks at once uses the cores that
        # one notebook (mostly single-threaded Python) leaves idle. The long ones start first (no
        # known section, then the later sections, which train deeper networks), so that none starts
        # last and runs alone; what they give is kept in the notebooks' order all the same.
        with ThreadPoolExecutor(max_workers=max(1, min(self.limits.parallel_kernels, len(entries) or 1))) as pool:
            runs = {id(e): pool.submit(self._execute, cast("SubmittedNotebook", e)) for e in _long_first(entries)}
            for entry, ran in (runs[id(entry)].result() for entry in entries):
                if ran is not None:
                    self.kernels[entry.label], self.inventory[entry.label] = ran

    def _missing_items(self) -> list[str]:
        """Selected items that no notebook run so far defined, or tried to."""
        return [name for name in self.items or () if not self.definitions(name)]

    def _execute(self, entry: "SubmittedNotebook") -> tuple["SubmittedNotebook",
                                                            "tuple[KernelSession, dict[str, InventoryEntry]] | None"]:
        """(entry, (kernel, inventory)) once the notebook ran; (entry, None) if it could not."""
        from .kernel import KernelSession
        from .preprocess import prepare

        nb, entry.notes = prepare(entry.nb)
        kernel = KernelSession(nb, kinds_for_kernel(), self.limits, data_dir=self.data_dir)
        self.progress(f"{entry.label}: running")
        began = time.monotonic()
        try:
            kernel.start()
            if kernel.sandbox_status.unconfined_reason:
                self.unconfined.append(kernel.sandbox_status.unconfined_reason)
            report = kernel.run_notebook()
            self.executed[entry.label] = kernel.nb
            stopped = sum(cell.status == "timeout" for cell in report.cells)
            cut = f" ({stopped} cell{'s' if stopped > 1 else ''} stopped at the time limit)" if stopped else ""
            self.progress(f"{entry.label}: ran in {time.monotonic() - began:.1f} s{cut}")   # kernel start included
            return entry, (kernel, inventory_of(kernel))
        except Exception as error:
            entry.problem = f"could not be executed: {type(error).__name__}: {error}"
            self.progress(f"{entry.label}: {entry.problem}")
            kernel.close()
            return entry, None

    def close(self) -> None:
        for label, kernel in self.kernels.items():
            self.reports[label] = kernel.report   # the notes are written after the kernels are gone
            kernel.close()
        self.kernels.clear()

    def _report(self, label: str) -> ExecutionReport | None:
        kernel = self.kernels.get(label)
        return kernel.report if kernel is not None else self.reports.get(label)

    # ---- who answers for a graded name ----------------------------------------------------
    def locate(self, item_name: str) -> tuple[str, str]:
        """(notebook label, bound name) of the definition to grade, or raise ``ProbeFailure``.
        Of several notebooks defining it, the one ``section_notebooks.preference`` ranks first."""
        found = self.definitions(item_name)
        if found:
            entry, name, state = found[0]
            if state.state == "failed":
                why = plain_error(state.error) or "the defining cell failed"
                raise ProbeFailure(COULD_NOT_RUN, f"{entry.label}: {why}")
            module = state.module
            if module == "d2l" or module.startswith("d2l."):
                raise ProbeFailure(BORROWED,
                                   f"{name} is the course library's {module}.{name}, not a definition of yours")
            return entry.label, name
        broken = [e for e in self.notebooks if e.problem or self._died_early(e)]
        if broken:
            reasons = "; ".join(f"{e.label} {e.problem or 'lost its kernel in a cell'}" for e in broken)
            raise ProbeFailure(COULD_NOT_RUN, f"{item_name} was not found, and {reasons}")
        raise ProbeFailure(NOT_SUBMITTED, f"no notebook defines {item_name}")

    def definitions(self, item_name: str) -> list[tuple[NotebookEntry, str, InventoryEntry]]:
        """[(notebook, bound name, inventory entry)] of every notebook that defined the item or
        tried to (a name bound over one whose cell failed), the one to grade first."""
        item = ITEMS[item_name]
        found = []
        for position, entry in enumerate(self.notebooks):
            held = self.inventory.get(entry.label, {})
            states = [(name, held[name]) for name in (item.name, *item.aliases) if name in held]
            states = [s for s in states if s[1].state == "bound"] or [s for s in states if s[1].state == "failed"]
            if states:
                name, state = states[0] if states[0][1].state == "bound" else states[-1]
                rank = preference(entry.label, entry.section, item.section, state.state == "bound")
                found.append(((*rank, position), (entry, name, state)))
        return [definition for _, definition in sorted(found, key=lambda pair: pair[0], reverse=True)]

    def _died_early(self, entry: NotebookEntry) -> bool:
        report = self._report(entry.label)
        return report is not None and report.kernel_died

    def cell_failures(self) -> list[CellFailure]:
        """Every cell that raised, with the line and the names it never got to (``cell_failures``).

        Worked out once, after the notebooks ran: every failing check's feedback consults it."""
        if self._cell_failures is None:
            self._cell_failures = self._find_cell_failures()
        return self._cell_failures

    def _find_cell_failures(self) -> list[CellFailure]:
        found = []
        for entry in self.notebooks:
            report, nb = self._report(entry.label), self.executed.get(entry.label)
            if report is None or nb is None:
                continue
            # A name the kernel holds was defined after all (a failed try block may have got to it
            # before raising): only the others can have been lost to a failing cell.
            held = self.inventory.get(entry.label, {})
            graded = {name: kind for name, kind in kinds_for_kernel().items()
                      if name not in held or held[name].state != "bound"}
            for outcome in report.failures():
                if outcome.status == "error":
                    found.append(cell_failure(entry.label, nb.cells[outcome.index], outcome.index, outcome.error,
                                              graded, nb.cells))
        return found

    def probe(self, item_name: str, helpers: Iterable[str] = ()) -> Probe:
        label, name = self.locate(item_name)
        return Probe(self.kernels[label], name, item_name, helpers)

    def sandbox_note(self) -> str | None:
        """None when every kernel ran confined; else 'not sandboxed: <reason>' for the reports."""
        found = (kernel.sandbox_status.unconfined_reason for kernel in self.kernels.values())
        reasons = set(self.unconfined) | {reason for reason in found if reason}
        return f"not sandboxed: {'; '.join(sorted(reasons))}" if reasons else None

    def limits_held(self) -> str:
        """Which of the sandbox's limits held in every kernel, in words, for the record: where the
        grader runs as an ordinary user (a Slurm job), the process cap is RLIMIT_NPROC, say."""
        held = [kernel.sandbox_status.limits_held() for kernel in self.kernels.values()]
        return "; ".join(sorted(set.intersection(*held))) if held else ""

    def execution_notes(self) -> list[Note]:
        """The notes on running the notebooks; ``serious`` where a notebook, or the rest of one, never ran."""
        notes = []
        sandbox = self.sandbox_note()
        if sandbox:
            notes.append(Note("sandbox", sandbox + " (student code ran with the grader's rights)"))
        no_data = [f for f in self.cell_failures() if needs_missing_data(f)]
        if no_data:   # one note for the whole report, however many cells needed the data
            notes.append(Note("data", data_note(no_data, self.data_problem)))
        for entry in self.notebooks:
            notes.extend(self._notebook_notes(entry, no_data))
        return notes + hand_in_notes(self)

    def _notebook_notes(self, entry: NotebookEntry, no_data: list) -> list[Note]:
        label = entry.label

        def note(kind: str, text: str, cell: int | None = None, serious: bool = False) -> Note:
            return Note(kind, f"{label}: {text}", label, cell, serious)

        cells_run = getattr(self.executed.get(label), "cells", None)

        def named(numbers: list[int]) -> str:   # 1-based over all cells, as the notes' ``cell`` keeps them
            if cells_run is None:
                return f"cell{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"
            return cells_named(cells_run, [number - 1 for number in numbers])

        notes = [note("preprocess", text) for text in entry.notes]
        if entry.problem:
            notes.append(Note("not-graded", f"{label} {entry.problem}", label, serious=True))
        report = self._report(label)
        if report is None:
            return notes
        if report.fatal_cells:
            cells = [i + 1 for i in report.fatal_cells]
            notes.append(note("fatal-cell", f"{named(cells)} stopped the kernel; the notebook "
                              "was re-run without it", _only(cells), serious=True))
        if report.budget_exhausted:
            notes.append(note("budget", "the time budget ran out; later cells did not run", serious=True))
        stopped = [cell for cell in report.failures() if cell.status != "error"]
        again = [cell for cell in stopped if ALREADY_HUNG in cell.error]   # the same hang: one line for them all
        notes += [note("cell-status", f"{named([cell.index + 1])} {cell.status}: {cell.error}", cell.index + 1)
                  for cell in stopped if cell not in again]
        for error in dict.fromkeys(cell.error for cell in again):
            cells = [cell.index + 1 for cell in again if cell.error == error]
            notes.append(note("cell-status", f"{named(cells)} timeout: {error}", _only(cells)))
        raised = [f for f in self.cell_failures() if f.notebook == label and f not in no_data]
        stubs = [f for f in raised if f.error.startswith("NotImplementedError")]
        notes += [Note("cell-error", f.note(), label, f.cell) for f in raised if f not in stubs]
        if stubs:   # expected until the stubs are filled in: one line, not one per demo cell
            cells = [f.cell for f in stubs]
            notes.append(note("stubs", f"{named(cells)} stopped "
                              "at a stub that is not filled in yet (NotImplementedError)", _only(cells)))
        notes += [note("output-cut", f"{named([cell.index + 1])} printed too much; {cell.cut_bytes:,} bytes of its "
                       "output were cut", cell.index + 1) for cell in report.cells if cell.cut_bytes]
        return notes


def _long_first(entries: list[NotebookEntry]) -> list[NotebookEntry]:
    return sorted(entries, key=lambda e: -SECTIONS.index(e.section) if e.section in SECTIONS else -len(SECTIONS))


def _only(cells: list[int]) -> int | None:
    """The cell a note is about, where it is about one."""
    return cells[0] if len(cells) == 1 else None
