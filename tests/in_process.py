"""Checks run on definitions in this process: the real ``Probe`` talking to the kernel agent's own
request handling, without a Jupyter kernel. Fast enough for unit tests of the check logic; the
packed notebook tests (test_mutants.py and friends) cover the same paths through real kernels."""

import linecache
from types import SimpleNamespace
from unittest import mock

from notebook_factory import IMPORTS

from grader.checks.base import CheckFailed
from grader.items import kinds_for_kernel
from grader.kernel_side import capture, dispatch
from grader.notebook_check import InProcessChannel
from grader.probe import Probe, ProbeFailure


class InProcessKernel(InProcessChannel):
    """The check cell's channel (grader/notebook_check.py) on a namespace of its own: cells run
    here, and ``get_ipython`` is faked for the agent. Logs each request's op and the reference
    helpers it asked for in the "kernel"; ``raw_reply`` may be replaced to tamper with replies."""

    def __init__(self, *cells):
        self.namespace = {}
        for number, source in enumerate((IMPORTS, *cells)):
            # each cell's lines are kept where tracebacks look them up, as IPython keeps them
            filename = f"<cell {id(self)}-{number}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            exec(compile(source, filename, "exec"), self.namespace)
        super().__init__(dispatch.Agent(kinds_for_kernel()))
        self.requests = []
        self.references = []

    def raw_reply(self, request):
        self.requests.append(request.OP)
        self.references.append(sorted(request.helpers))
        user = SimpleNamespace(user_ns=self.namespace)
        with mock.patch.object(dispatch, "get_ipython", lambda: user), \
                mock.patch.object(capture, "get_ipython", lambda: user):
            return super().raw_reply(request)


def run_check(check, *cells, kernel=None, name=None):
    """(passed, fraction of the check's points, message or feedback) for ``check`` on ``cells``,
    scored as ``grader.scoring`` scores it (a probe failure is worth nothing)."""
    kernel = kernel or InProcessKernel(*cells)
    probe = Probe(kernel, name or check.item, check.item, check.helpers)
    try:
        return True, 1.0, check.run(probe)
    except CheckFailed as failed:
        return False, failed.fraction, failed.feedback
    except ProbeFailure as failure:
        return False, 0.0, f"{failure.kind}: {failure.message}"


def checks_of(item, title_part="", checks=None):
    from grader.checks import ALL_CHECKS

    found = [c for c in (checks or ALL_CHECKS) if c.item == item and title_part in c.title]
    assert found, (item, title_part)
    return found
