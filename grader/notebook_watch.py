"""The agent of a live notebook, started when the notebook imports d2l: from then on it notes which
graded names each cell defines, as the grader's agent does in its kernels. Light on purpose (no
checks, no hypothesis), since every ``from d2l import torch as d2l`` runs it."""

from .items import kinds_for_kernel
from .kernel_side.dispatch import Agent

_agent = None


def watch(shell=None):
    """The notebook's agent, started on first call; None outside an IPython kernel."""
    global _agent
    if shell is None:
        from IPython import get_ipython
        shell = get_ipython()
    if shell is None or _agent is not None:
        return _agent
    _agent = Agent(kinds_for_kernel())
    _agent.capture.watch(shell.events)
    return _agent
