"""``d2l.check("corr2d")``: a grader's checks, run on the definitions live in this notebook.

The course library never imports a grader. A grader registers itself instead, as the package
entry points ``check`` and ``watch`` of the group ``d2l.grader`` (the homework's own package does,
in its pyproject.toml), and this module looks them up when a notebook asks. So the library stands
alone - the book's first line works with no grader installed - and a kernel where the registered
grader cannot load (the grader's own sandboxed kernels) gets a sentence, not a traceback.
"""

import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

GROUP = "d2l.grader"
NOT_INSTALLED = ("d2l.check: no grader is installed in this kernel (no package registers one as a "
                 f"`{GROUP}` entry point); `pytest grader` (or your push) grades this notebook.")
NOT_LOADABLE = ("d2l.check: the grader's checks are not available in this kernel ({why}); "
                "`pytest grader` (or your push) grades this notebook.")


class Unavailable:
    """What a check cell shows when no grader answers: a plain sentence, whatever the front end."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


class NoGrader(Exception):
    """No grader is registered, or the registered one does not load here; the message says which."""


def registered(name: str) -> Callable[..., Any]:
    """The grader's hook ``name``, loaded from its entry point (the first that loads, should
    several packages register one).

    Every distribution's metadata is read, not only the first of each name as
    ``metadata.entry_points`` does: a stale ``*.egg-info`` in the notebook's folder (left by an
    old build) would otherwise hide the installed grader's registration."""
    found = sorted({point.value: point for dist in metadata.distributions() for point in dist.entry_points
                    if point.group == GROUP and point.name == name}.values(), key=lambda point: point.value)
    if not found:
        raise NoGrader(NOT_INSTALLED)
    failures = []
    for point in found:
        try:
            hook: Callable[..., Any] = point.load()
            return hook
        except Exception as failure:   # the sandbox hides the grader's files, or an install is broken
            failures.append(f"{type(failure).__name__}: {failure}")
    raise NoGrader(NOT_LOADABLE.format(why="; ".join(failures)))


def check(*items: Any) -> Any:
    """Points, each check's result and what to fix, for ``items`` (all this notebook defines if none)."""
    try:
        grader_check = registered("check")
    except NoGrader as missing:
        return Unavailable(str(missing))
    return grader_check(*items)


def watch() -> None:
    """In a notebook, start the grader's note of which graded names each cell defines.

    Called by every ``import d2l``, so it never raises, and outside an IPython kernel it does not
    even look for a grader (a script or a training process pays nothing)."""
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        return
    try:
        registered("watch")()
    except Exception:
        pass
