"""Can this machine confine kernels? Asked once per grading run, before any kernel starts."""

from functools import cache

from ..kernel_side import landlock


class SandboxUnavailable(RuntimeError):
    """Confinement was required (``--require-sandbox``) and this machine cannot provide it."""


@cache
def sandbox_support():
    """(True, 'Landlock ABI N') or (False, the reason), for the score table and results.json."""
    try:
        abi = landlock.abi_version()
    except landlock.LandlockUnavailable as missing:
        return False, str(missing)
    extras = []
    if abi < 4:
        extras.append("no network rules before ABI 4")
    if abi < 6:
        extras.append("no signal scoping before ABI 6")
    return True, f"Landlock ABI {abi}" + (f" ({'; '.join(extras)})" if extras else "")
