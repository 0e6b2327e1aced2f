"""Set up the homework's environment: what ``make setup`` runs, and the route without ``make``.

    python -m grader.homework_setup        # in the homework folder; on Windows: py -m grader.homework_setup

One implementation for every OS: a virtual environment (``.venv``) with PyTorch (the CPU build),
this copy of the homework installed editable (the course library and the grader) and the
torchvision step of ``grader/setup_environment.py``. Only the standard library is used here: it
runs with the system's Python, before the environment exists.

The stamp ``.venv/.installed`` holds the absolute path of the copy the environment was made for.
A homework folder copied with its ``.venv`` (or a ``.venv`` made for another checkout) imports
the other copy's course library, and the grader refuses to grade with it
(``grader/library_location.py`` says to run ``make setup``). So set-up is done again whenever the
stamp names another folder, as when ``pyproject.toml`` is newer than the stamp, and that
re-installs this copy: the advice then works.
"""

import argparse
import os
import platform
import subprocess
import sys
import urllib.request
from pathlib import Path

TORCH_VERSION = "2.13.0"
MINIMUM_PYTHON = (3, 10)   # pyproject.toml's requires-python; this module runs before that is checked
CPU_INDEX = "https://download.pytorch.org/whl/cpu"   # Linux: PyPI's build pulls gigabytes of CUDA
STAMP = ".installed"
NO_WHEEL = ("No matching distribution found for torch", "Could not find a version that satisfies the requirement torch")
OFFLINE = ("Failed to establish a new connection", "Temporary failure in name resolution", "Network is unreachable",
           "No route to host", "ConnectTimeout", "ReadTimeout")


class SetupFailed(Exception):
    """One step failed; the message says which and what to do."""


def venv_python(venv, windows=os.name == "nt"):
    """The environment's interpreter: ``bin/python``, or ``Scripts\\python.exe`` on Windows."""
    venv = Path(venv)
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def made_for(venv):
    """The folder the environment at ``venv`` was set up for, from its stamp; None without one
    (never set up, or by a set-up that did not record it)."""
    try:
        text = (Path(venv) / STAMP).read_text().strip()
    except OSError:
        return None
    return Path(text) if text else None


def is_current(venv, copy):
    """True when ``venv`` was set up for ``copy`` and after its ``pyproject.toml`` last changed."""
    stamp, project = Path(venv) / STAMP, Path(copy) / "pyproject.toml"
    if made_for(venv) != Path(copy).resolve() or not venv_python(venv).exists():
        return False
    try:
        return stamp.stat().st_mtime >= project.stat().st_mtime
    except OSError:
        return False


def default_torch_index():
    return CPU_INDEX if platform.system() == "Linux" else ""


def reachable(index):
    try:
        urllib.request.urlopen(index.rstrip("/") + "/torch/", timeout=10)
    except (OSError, ValueError):
        return False
    return True


def torch_failure(pip_output, version):
    """A plain sentence for pip's failure to install torch: no build for this platform, or offline."""
    if any(sign in pip_output for sign in OFFLINE):
        return ("pip could not reach the package index (is this machine offline, or behind a proxy pip does not "
                "know?). Connect, then run the set-up again")
    if any(sign in pip_output for sign in NO_WHEEL):
        here = f"Python {platform.python_version()} ({platform.architecture()[0]}) on {platform.system()} " \
               f"{platform.machine()}"
        return (f"PyTorch {version} has no build for {here}. Set up with a 64-bit Python that PyTorch {version} "
                "supports (https://pytorch.org/get-started/locally/ lists them), for example "
                "`make setup PYTHON=python3.12`, or `py -3.12 -m grader.homework_setup` on Windows; "
                "or work on Colab, which needs no set-up")
    return ""


def _pip_tail(output, lines=8):
    kept = [line for line in output.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _run(command, what, runner, explain=None):
    done = runner([str(part) for part in command], capture_output=True, text=True)
    if done.returncode != 0:
        output = (done.stdout or "") + (done.stderr or "")
        hint = explain(output) if explain else ""
        raise SetupFailed(f"{what} failed:\n{_pip_tail(output)}" + (f"\n\n{hint}." if hint else ""))
    return done


def set_up(copy, venv, extras="dev,grading", torch_version=TORCH_VERSION, torch_index=None,
           runner=subprocess.run, say=print):
    """Create or repair the environment at ``venv`` for the homework in ``copy``; a no-op when the
    stamp says it is current. Quiet: one line when it starts, one when it is done."""
    copy = Path(copy).resolve()
    venv = Path(venv) if Path(venv).is_absolute() else copy / venv
    if is_current(venv, copy):
        return False
    other = made_for(venv)
    again = f" again: it was made for {other}" if other and other != copy else ""
    say(f"Setting up {venv.name}{again}: PyTorch {torch_version} (CPU), the course library and the grader "
        "(a few minutes, once)")
    python = venv_python(venv)
    _run([sys.executable, "-m", "venv", venv], f"creating {venv}", runner)
    _run([python, "-m", "pip", "install", "-qq", "--upgrade", "pip"], "upgrading pip", runner)
    index = default_torch_index() if torch_index is None else torch_index
    extra = ["--extra-index-url", index] if index and reachable(index) else []
    pip = [python, "-m", "pip", "install", "-qq"]
    _run([*pip, f"torch=={torch_version}", *extra], f"installing PyTorch {torch_version}", runner,
         explain=lambda output: torch_failure(output, torch_version))
    _run([*pip, "-e", f"{copy}[{extras}]"], "installing the homework (editable)", runner)
    # torchvision only where a build matching torch imports (recorded; the grader's notes say why not)
    _run([python, "-m", "grader.setup_environment"], "the torchvision step", runner)
    (venv / STAMP).write_text(f"{copy}\n")
    grade = "make grade" if os.environ.get("MAKELEVEL") else f"{python} -m pytest grader"
    say(f"Ready: {grade}, or open the notebooks with {python} as the kernel")
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader.homework_setup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", default=".venv", help="where the environment goes (default .venv)")
    parser.add_argument("--extras", default="dev,grading", help="the project's extras to install (default dev,grading)")
    parser.add_argument("--torch-version", default=TORCH_VERSION, help=f"default {TORCH_VERSION}")
    parser.add_argument("--torch-index", default=None,
                        help=f"extra index for torch ('' for none; default {CPU_INDEX} on Linux, none elsewhere)")
    args = parser.parse_args(argv)
    if tuple(sys.version_info[:2]) < MINIMUM_PYTHON:
        print(f"the homework needs Python 3.10 or newer; this is Python {platform.python_version()} "
              f"({sys.executable}). Run the set-up with a newer one (make setup PYTHON=python3.12, or "
              "py -3.12 -m grader.homework_setup)", file=sys.stderr)
        return 2
    copy = Path.cwd()
    if not (copy / "pyproject.toml").is_file() or not (copy / "grader").is_dir():
        print(f"run this in the homework folder (the one with pyproject.toml and grader/); {copy} is not it",
              file=sys.stderr)
        return 2
    try:
        set_up(copy, args.venv, args.extras, args.torch_version, args.torch_index)
    except SetupFailed as failure:
        print(f"Set-up stopped: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
