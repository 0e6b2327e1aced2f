"""``d2l.check("corr2d")``: the grader's checks, run on the definitions live in this notebook.

The grader lives beside the course library in the homework's repository (and in the package a
hosted notebook installs). Where it is not importable - inside the grader's own sandboxed kernels,
for one - a check cell only says so, and the notebook runs on unchanged.
"""

UNAVAILABLE = ("d2l.check: the grader's checks are not available in this kernel{why}; "
               "`pytest grader` (or your push) grades this notebook.")


class Unavailable:
    def __init__(self, why):
        self.text = UNAVAILABLE.format(why=why)

    def __repr__(self):
        return self.text


def check(*items):
    """Points, each check's result and what to fix, for ``items`` (all this notebook defines if none)."""
    try:
        from grader import notebook_check
    except ImportError as missing:
        return Unavailable(f" ({missing})")
    return notebook_check.check(*items)


def watch():
    """Start noting which graded names each cell defines; a no-op where the grader is not importable
    or this is no notebook. Never stops ``import d2l``."""
    try:
        from grader import notebook_watch
        notebook_watch.watch()
    except Exception:
        pass
