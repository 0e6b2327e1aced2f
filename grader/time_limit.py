"""A time limit on a call into student code made in the kernel's own main thread (the check cell).

The check cell cannot hand the student's function to another process: it runs where the
student's definitions live. So an interval timer (SIGALRM) raises ``OutOfTime`` in whatever
frame of the student's code is running when the limit passes, and keeps raising it every
``REPEAT`` seconds until the call has unwound, in case the student's code catches it (a bare
``except:`` in a loop). It never raises in the grader's own frames (the agent's bookkeeping, the
context managers that put the student's helpers back), only in the student's code or the
libraries it calls, so nothing of the notebook is left half restored; and the previous SIGALRM
handler and timer are put back afterwards: the kernel is as it was for the next cell.

Where no such timer exists (Windows, a thread other than the main one) the call runs unbounded.
"""

import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

REPEAT = 0.05   # seconds between reminders once the limit has passed
GRADER = os.path.dirname(os.path.abspath(__file__)) + os.sep   # frames here are never interrupted


class OutOfTime(BaseException):
    """The call ran past its limit. A BaseException, so that ``except Exception`` does not stop it."""


def available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class TimeLimit:
    """``TimeLimit(3).run(fn)``: fn's result, or ``None`` with ``expired`` set when it ran out of time."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._active = False

    def _alarm(self, signum: int, frame: Any) -> None:
        if not self._active:
            return
        self.expired = True
        if frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(GRADER):
            return   # the grader's own code: the next reminder finds the student's, or the call is over
        raise OutOfTime(f"did not return within {self.seconds:g} s")

    def run(self, call: Callable[[], Any]) -> Any:
        if not available():
            return call()
        previous_handler = signal.getsignal(signal.SIGALRM)
        started = time.monotonic()
        self._active = True
        previous_delay, previous_interval = 0.0, 0.0
        try:
            signal.signal(signal.SIGALRM, self._alarm)
            previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, self.seconds, REPEAT)
            try:
                return call()
            except OutOfTime:
                return None
        finally:
            self._active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_handler if previous_handler is not None else signal.SIG_DFL)
            if previous_delay > 0:   # someone else's timer was running: let it go off when it would have
                left = max(previous_delay - (time.monotonic() - started), 0.001)
                signal.setitimer(signal.ITIMER_REAL, left, previous_interval)
