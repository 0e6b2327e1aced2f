"""What executing a notebook may cost, and what happened to each cell: the records of step 3."""

import os
from dataclasses import dataclass, field


@dataclass
class OutputLimits:
    """What cells may print (``output_cap.py`` enforces it); here, so the limits load without nbclient."""
    cell_bytes: int = 1 * 2**20
    notebook_bytes: int = 8 * 2**20


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
