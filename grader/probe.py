"""Step 4 of the pipeline: ask the student's kernel to run a graded object on grader-made inputs.

Every request goes through ``Probe``; every reply is decoded by ``wire.decode`` and becomes
either a value or a ``ProbeFailure`` whose ``kind`` the report distinguishes.
"""

from . import wire
from .kernel import KernelDied, ProbeTimeout

NOT_SUBMITTED = "not submitted"
NOT_IMPLEMENTED = "not implemented"
COULD_NOT_RUN = "could not run"
RAISED = "raised an error"
TIMED_OUT = "timed out"
KERNEL_DIED = "kernel died"
BORROWED = "not your own code"


class ProbeFailure(Exception):
    """The graded object could not be exercised; ``kind`` says why, ``message`` says how."""

    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind, self.message = kind, message


class Probe:
    """Calls into one kernel for one graded name, with reference helpers swapped in on request."""

    def __init__(self, session, name, reference_sources=None):
        self.session, self.name = session, name
        self.reference = dict(reference_sources or {})

    def _request(self, payload, timeout=None):
        payload = {"name": self.name, "reference": self.reference, **payload}
        try:
            reply = self.session.request(payload, timeout=timeout)
        except ProbeTimeout as slow:
            raise ProbeFailure(TIMED_OUT, str(slow)) from None
        except KernelDied as died:
            raise ProbeFailure(KERNEL_DIED, str(died)) from None
        if not reply.get("ok"):
            kind = {"missing": NOT_SUBMITTED, "not_implemented": NOT_IMPLEMENTED}.get(reply.get("kind"), RAISED)
            raise ProbeFailure(kind, str(reply.get("message", ""))[:2000])
        try:
            return wire.decode(reply.get("value"))
        except wire.WireError as bad:
            raise ProbeFailure(RAISED, f"returned something the grader cannot read: {bad}") from None

    def call(self, *args, seed=0, **kwargs):
        """One call; exceptions from the student's code become ``ProbeFailure(RAISED)``."""
        return self._request({"op": "call", "args": [wire.encode(a) for a in args],
                              "kwargs": {k: wire.encode(v) for k, v in kwargs.items()}, "seed": seed})

    def value(self):
        """A graded constant, as the student bound it."""
        return self._request({"op": "value"})

    def cases(self, cases, seed=0):
        """Many calls in one round trip: ``cases`` is a list of (args, kwargs).

        Returns a list of ``(True, value)`` or ``(False, error message)``; a stub or a broken
        kernel fails the whole batch with ``ProbeFailure``.
        """
        encoded = [{"args": [wire.encode(a) for a in args], "kwargs": {k: wire.encode(v) for k, v in kwargs.items()}}
                   for args, kwargs in cases]
        replies = self._request({"op": "cases", "cases": encoded, "seed": seed})
        if not isinstance(replies, list) or len(replies) != len(cases):
            raise ProbeFailure(RAISED, "the kernel answered a different number of cases")
        return [(True, r["value"]) if r.get("ok") else (False, str(r.get("message"))) for r in replies]

    def model(self, x, args=(), kwargs=None, fill=None, modes=("eval",), summary=False, grads=False, seed=0):
        """Build ``name(*args, **kwargs)``, run ``x`` through it; see ``agent.op_model``."""
        payload = {"op": "model", "args": [wire.encode(a) for a in args],
                   "kwargs": {k: wire.encode(v) for k, v in (kwargs or {}).items()},
                   "input": wire.encode(x), "modes": list(modes), "summary": summary, "grads": grads,
                   "seed": seed}
        if fill is not None:
            payload["fill"] = fill
        return self._request(payload, timeout=self.session.limits.probe_timeout * 2)
