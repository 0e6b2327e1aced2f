"""What the grader learns when a cell runs past its limit: which graded function it was stuck in.

A notebook with an endless loop in ``corr2d`` calls it from every demonstration cell, and the
grader's own probes call it again. Waiting out the full limit each time costs minutes for one
bug. So the first cell that times out inside a graded function names it (from the traceback of
the interrupt), and from then on, in that kernel, cells get ``AFTER_A_HANG`` seconds instead of
the full limit, and probes of that function get ``PROBE_AFTER_A_HANG``: still a fair chance on
the grader's small inputs, a few seconds lost if it hangs again.
"""

import re
from collections.abc import Collection, Iterable

AFTER_A_HANG = 2.0          # seconds per cell once a graded function has hung in this kernel
PROBE_AFTER_A_HANG = 3.0    # seconds per probe of a function that hung in a cell
ALREADY_HUNG = "which had already hung in an earlier cell"   # the notes give such cells one line
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_FRAME = re.compile(r", in (\w+)\(")


def innermost_graded(traceback: Iterable[str], names: Collection[str]) -> str | None:
    """The innermost frame of ``traceback`` (IPython's lines, colours and all) that runs a
    graded name, or None when the cell was stuck elsewhere (a library, a sleep in the cell)."""
    found = None
    for entry in traceback:
        lines = _ANSI.sub("", entry).splitlines()
        frame = _FRAME.search(lines[0]) if lines else None   # "Cell In[1], line 4, in corr2d(X, K)"
        if frame and frame.group(1) in names:
            found = frame.group(1)
    return found


class Hangs:
    """The graded functions that hung in a kernel's cells: {name: seconds waited the first time}.
    (The notes name the cells; these texts follow a cell's name.)"""

    def __init__(self) -> None:
        self.found: dict[str, float] = {}

    def note(self, name: str | None, seconds: float) -> str:
        """Record a cell stopped after ``seconds`` inside ``name`` (None: not in a graded function)."""
        if name is None:
            return f"stopped after {seconds:g} s"
        if name in self.found:
            return f"stopped after {seconds:g} s in `{name}`, {ALREADY_HUNG}"
        self.found[name] = seconds
        return (f"stopped after {seconds:g} s in `{name}` (an endless loop?); later cells get {AFTER_A_HANG:g} s "
                f"each and the grader's calls of `{name}` {PROBE_AFTER_A_HANG:g} s")

    def cell_limit(self, full: float) -> float:
        return min(full, AFTER_A_HANG) if self.found else full

    def probe_limit(self, name: str, full: float) -> float:
        return min(full, PROBE_AFTER_A_HANG) if name in self.found else full

    def probe_message(self, name: str, seconds: float) -> str:
        if name in self.found:
            return (f"your `{name}` did not return within {seconds:g} s (in a cell of this notebook it had already "
                    f"run for {self.found[name]:g} s without returning: an endless loop?)")
        return f"no answer within {seconds:g} s (an endless loop?)"
