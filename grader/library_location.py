"""Before grading: the kernels must import the same course library as the grader.

Kernels start with ``python -I``, so they import ``d2l`` from whatever this environment installed,
not from the current folder. An environment set up in another copy of the homework (an editable
install pointing there) would give kernels that copy's library, which the sandbox does not let them
read: every model cell would fail with ``PermissionError``. Said once, up front, instead.
"""

import importlib.util
import subprocess
import sys
from pathlib import Path

_FIND = ("import importlib.util as u; s = u.find_spec('d2l'); "
         "print(list(s.submodule_search_locations)[0] if s and s.submodule_search_locations else '')")


def package_dir(name):
    """The folder this process imports ``name`` from (a package's own, a module's parent), or None."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    if spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0]).resolve()
    return Path(spec.origin).resolve().parent if spec.origin else None


def kernels_library(python=sys.executable):
    """Where ``python -I`` finds the course library, or None."""
    try:
        found = subprocess.run([str(python), "-I", "-c", _FIND], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    text = found.stdout.strip()
    return Path(text).resolve() if found.returncode == 0 and text else None


def library_mismatch(python=sys.executable):
    """Why grading here would fail (the kernels' ``d2l`` is another copy's, or none), or None."""
    here, there = package_dir("d2l"), kernels_library(python)
    if here is None or here == there:
        return None
    if there is None:
        return (f"the grading kernels cannot import the course library (d2l) with {python}; "
                "run `make setup` in this folder (without make: `python -m grader.homework_setup`)")
    return (f"the grading kernels would import the course library from {there}, but this grader's is {here}: "
            f"the environment {sys.prefix} was set up in another copy of the homework. Run `make setup` in "
            f"{here.parent} (without make: `python -m grader.homework_setup` there) and grade again")
