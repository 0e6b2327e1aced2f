"""Caps what a cell prints at the source, so a runaway print never leaves the kernel whole.

The grader's own cap (``grader/output_cap.py``) is the one that counts, since student code can
undo anything done in its kernel; this one spares the grader from receiving a gigabyte for an
ordinary ``print``. Installed as a module before the first cell, like the agent.
"""

import sys

from IPython import get_ipython


class _Budget:
    def __init__(self, limit):
        self.limit, self.used, self.cut = limit, 0, 0

    def take(self, text):
        room = max(0, self.limit - self.used)
        kept = text[:room]
        self.used += len(kept)
        self.cut += len(text) - len(kept)
        return kept


class CappedStream:
    """Writes through to the kernel's stream until the cell's budget is spent, then drops."""

    def __init__(self, stream, budget):
        self._stream, self._budget = stream, budget

    def write(self, text):
        if not isinstance(text, str):
            return self._stream.write(text)
        kept = self._budget.take(text)
        if kept:
            self._stream.write(kept)
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def install(limit):
    budget = _Budget(limit)
    streams = (sys.stdout, sys.stderr)
    sys.stdout, sys.stderr = (CappedStream(stream, budget) for stream in streams)

    def reset(*_):
        budget.used = budget.cut = 0

    def report(*_):
        if budget.cut:
            streams[1].write(f"[grader: {budget.cut:,} characters of output were cut in the kernel]\n")
            streams[1].flush()

    get_ipython().events.register("pre_run_cell", reset)
    get_ipython().events.register("post_run_cell", report)
