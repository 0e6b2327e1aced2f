"""A progress bar for the whole class, whatever engine grades it: redrawn in place on a terminal,
one line per student in a log; both with the time left, estimated from the students so far."""

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None, width: int = 24) -> None:
        self.total, self.done, self.problems = total, 0, 0
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        if self.live:
            self._draw("")

    def advance(self, label: str, problem: bool = False) -> None:
        self.done += 1
        self.problems += bool(problem)
        if self.live:
            self._draw(label)
        else:
            print(f"[{self.done}/{self.total}] {label}{self._eta(least=1)}", file=self.stream, flush=True)

    def _eta(self, least: float = 0.0) -> str:
        """The time left at the pace so far; a log leaves out estimates under ``least`` seconds."""
        if not 0 < self.done < self.total:
            return ""
        left = (time.monotonic() - self.started) / self.done * (self.total - self.done)
        return f"  eta {_clock(left)}" if left >= least else ""

    def _draw(self, label: str) -> None:
        elapsed = time.monotonic() - self.started
        filled = self.width * self.done // max(self.total, 1)
        eta = self._eta()
        line = (f"\r[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
                f"  problems {self.problems}  {_clock(elapsed)}{eta}  {label[:40]}")
        print(f"{line:<110}", end="", file=self.stream, flush=True)

    def close(self) -> None:
        if self.live:
            print(file=self.stream, flush=True)
