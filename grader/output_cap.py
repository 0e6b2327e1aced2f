"""Caps on what a notebook's cells print, in the grader's process (the authoritative cap).

Whatever a cell sends (print, display, a hand-made message on the kernel's socket) is kept up to
``cell_bytes`` per cell and ``notebook_bytes`` per notebook; the rest is dropped on arrival and a
note at the end of the cell says how much. Errors are always kept (the grader reads them), cut
to their share. So printing a gigabyte fills neither the grader's memory, nor the executed
notebook on disk, nor the feedback built from it.
"""

import re

import nbformat
from nbclient import NotebookClient

from .execution import OutputLimits

CAPPED = {"stream", "display_data", "execute_result", "error", "update_display_data"}
KERNEL_NOTE = re.compile(r"\[grader: ([\d,]+) characters of output were cut in the kernel\]")
ERROR_BYTES = 32 * 1024


def _size(content):
    if "text" in content:
        return len(content["text"])
    if "traceback" in content:
        return len(content.get("evalue", "")) + sum(len(line) for line in content["traceback"])
    return sum(len(str(value)) for value in (content.get("data") or {}).values())


def _trim_error(content, room):
    room = max(room, 1024)
    lines, kept, used = content.get("traceback", []), [], 0
    for line in reversed(lines):   # the last frames say where it went wrong
        if used + len(line) > room:
            break
        kept.insert(0, line)
        used += len(line)
    if len(kept) < len(lines):
        kept.insert(0, f"[grader: {len(lines) - len(kept)} traceback lines cut]")
    return {**content, "evalue": str(content.get("evalue", ""))[:2000], "traceback": kept}


class OutputBudget:
    """Bytes kept so far in this notebook and in the running cell; what was cut from the cell."""

    def __init__(self, limits=None):
        self.limits = limits or OutputLimits()
        self.notebook_used = 0
        self.cell_used = self.cell_cut = 0

    def start_cell(self):
        self.cell_used = self.cell_cut = 0

    def room(self):
        return max(0, min(self.limits.cell_bytes - self.cell_used,
                          self.limits.notebook_bytes - self.notebook_used - self.cell_used))

    def admit(self, msg):
        """``msg`` as it may be kept (perhaps shortened), or None to drop it."""
        content = msg.get("content") or {}
        size, room = _size(content), self.room()
        if msg.get("msg_type") == "error":
            if size > ERROR_BYTES:
                content = _trim_error(content, ERROR_BYTES)
                self.cell_cut += size - _size(content)
            self.cell_used += _size(content)
            return {**msg, "content": content}
        if size <= room:
            self.cell_used += size
            return msg
        if msg.get("msg_type") == "stream" and room > 0:
            self.cell_used += room
            self.cell_cut += size - room
            return {**msg, "content": {**content, "text": content["text"][:room]}}
        self.cell_cut += size
        return None

    def cleared(self):
        """The cell's outputs were cleared (live plots do this): what they held no longer counts."""
        self.cell_used = 0

    def finish_cell(self, cell):
        """Close the cell's account: a note on what this cap dropped; returns all that was cut,
        by this cap and by the kernel's own print cap (which leaves its note in the output)."""
        self.notebook_used += self.cell_used
        in_kernel = 0
        for output in cell.get("outputs", []):
            found = KERNEL_NOTE.search(output.get("text", "") or "")
            if found:
                in_kernel += int(found.group(1).replace(",", ""))
        if self.cell_cut:
            cap = f"{self.limits.cell_bytes // 1024} KiB a cell, {self.limits.notebook_bytes // 2**20} MiB a notebook"
            cell.setdefault("outputs", []).append(nbformat.v4.new_output(
                "stream", name="stderr", text=f"[grader: {self.cell_cut:,} bytes of output were cut here ({cap})]\n"))
        cut, self.cell_cut = self.cell_cut + in_kernel, 0
        return cut


class CappedNotebookClient(NotebookClient):
    """nbclient's client, with every output message passed through an ``OutputBudget``."""

    def __init__(self, *args, output_budget=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.output_budget = output_budget or OutputBudget()

    def process_message(self, msg, cell, cell_index):
        if msg.get("msg_type") == "clear_output":
            self.output_budget.cleared()
        elif msg.get("msg_type") in CAPPED:
            msg = self.output_budget.admit(msg)
            if msg is None:
                return None
        return super().process_message(msg, cell, cell_index)
