"""Set-up step for the grading environment: torchvision where a build matching torch works.

The design lists torchvision, and students import it (the book's data module used to). PyPI's
builds for a given torch are made against its CUDA build, and next to a CPU-only torch they fail
on import (``operator torchvision::nms does not exist``). So the set-up tries the matching
release without dependencies (never pulling another torch), keeps it only if it imports, and
records the outcome beside the interpreter; the grader's notes then say plainly why a notebook's
``import torchvision`` failed. Other extra packages are the ``grading`` extra in pyproject.toml.

    python -m grader.setup_environment
"""

import json
import subprocess
import sys
from pathlib import Path

import torch

RECORD = Path(sys.prefix) / "grading-environment.json"


def matching_torchvision(torch_version=None):
    """torchvision's release for a torch release: 2.13.x goes with 0.28.x (minor + 15)."""
    major, minor = (int(part) for part in (torch_version or torch.__version__).split("+")[0].split(".")[:2])
    return f"0.{minor + 15}.*" if major == 2 else None


def _imports(module):
    run = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True)
    return run.returncode == 0, (run.stderr.strip().splitlines() or [""])[-1]


def _pip(*args):
    run = subprocess.run([sys.executable, "-m", "pip", *args, "-q", "--disable-pip-version-check"],
                         capture_output=True, text=True)
    return run.returncode == 0, (run.stderr.strip().splitlines() or [""])[-1]


def ensure_torchvision():
    """{"available": bool, "reason": str}; installs, verifies, and removes a build that does not import."""
    works, _ = _imports("torchvision")
    if works:
        return {"available": True, "reason": "installed"}
    wanted = matching_torchvision()
    if wanted is None:
        return {"available": False, "reason": f"no known torchvision release for torch {torch.__version__}"}
    installed, why = _pip("install", "--no-deps", f"torchvision=={wanted}")
    if not installed:
        return {"available": False, "reason": f"torchvision {wanted} could not be installed ({why})"}
    works, why = _imports("torchvision")
    if works:
        return {"available": True, "reason": f"torchvision {wanted} installed"}
    _pip("uninstall", "-y", "torchvision")
    return {"available": False, "reason": f"the torchvision build for torch {torch.__version__} does not import "
                                          f"next to it ({why}); it was removed"}


def recorded():
    """What the set-up recorded: {package: {"available", "reason"}}, or {} if it never ran."""
    try:
        return json.loads(RECORD.read_text())
    except (OSError, ValueError):
        return {}


def main(argv=None):
    """Records what is available; prints it only with ``--verbose`` (the grader's notes say it where it matters)."""
    record = {"torchvision": ensure_torchvision()}
    RECORD.write_text(json.dumps(record, indent=2))
    if "--verbose" in (sys.argv[1:] if argv is None else argv):
        for name, outcome in record.items():
            print(f"{name}: {'available' if outcome['available'] else 'not available'} - {outcome['reason']}")


if __name__ == "__main__":
    main()
