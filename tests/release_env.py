"""A student release built and set up beside this checkout, and one notebook graded both ways.

The release gets an interpreter of its own: a virtual environment whose only extra path is the
release itself plus this project's installed packages (torch, Jupyter, hypothesis), so ``grader``,
``d2l`` and the kernels all come from the release and ``solutions`` cannot be imported at all, as
on a student's machine. Grading is ``pytest grader --results`` in a subprocess, on each side.
"""

import json
import os
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from grader.instructor.release import build_release
from grader.record import WITHHELD

# One student release for the tests that only read it (tests/conftest.py builds it once).
RELEASE_ARGS = {"grader_repo": "teacher/convnet-hw", "grader_ref": "0123abcd", "allow_dirty": True,
                "starter_repo": "teacher/convnet-hw-starter", "starter_ref": "fall-2026"}

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ReleaseEnv:
    release: Path
    python: Path


def build_release_env(directory):
    """Build the release into ``directory/release`` and an interpreter that sees only it."""
    directory = Path(directory)
    release = directory / "release"
    build_release(release, "teacher/convnet-hw", "v1", starter_repo="teacher/convnet-hw-starter",
                  allow_dirty=True)   # this checkout, as it is while the project is worked on
    venv = directory / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "release.pth").write_text(f"{release}\n{sysconfig.get_paths()['purelib']}\n")
    return ReleaseEnv(release, python)


def grade(python, cwd, notebook, out):
    """The grading record pytest grader wrote for ``notebook``, as a dict (results.json's record)."""
    results = Path(out) / "results.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([str(python), "-m", "pytest", "grader", "--submission", str(notebook), "--results",
                           str(results), "-q", "-p", "no:cacheprovider"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=1200)
    if not results.is_file():
        raise AssertionError(f"grading wrote no results (exit {done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
    return json.loads(results.read_text())["extra_data"]["record"]


def grade_both_ways(env, notebook, out):
    """(instructor's record, release-local record) for one notebook, both gradings at once."""
    out = Path(out)
    (out / "instructor").mkdir(parents=True, exist_ok=True)
    (out / "release").mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(2) as pool:
        instructor = pool.submit(grade, sys.executable, REPO, notebook, out / "instructor")
        local = pool.submit(grade, env.python, env.release, notebook, out / "release")
        return instructor.result(), local.result()


def _checks(record):
    return {c["name"]: (c["status"], Fraction(c["points"]), Fraction(c["max_points"]), c["hidden"])
            for c in record["checks"]}


def compare(instructor, local):
    """(per-item rows, differences): rows are item -> (local points, local max, CI public points, CI max,
    withheld points); a difference is any public check whose status or exact points differ."""
    ci, here = _checks(instructor), _checks(local)
    differences, rows = [], {}
    for c in local["checks"]:
        name, item = c["name"], c["item"]
        row = rows.setdefault(item, [Fraction(0)] * 5)
        status, points, full, _ = here[name]
        ci_status, ci_points, ci_full, _ = ci.get(name, ("absent", Fraction(0), Fraction(0), False))
        row[0] += points
        row[1] += full
        if status == WITHHELD:
            row[4] += ci_full
            if full or points:
                differences.append(f"{name}: withheld here but worth {points}/{full}")
            continue
        row[2] += ci_points
        row[3] += ci_full
        if (status, points, full) != (ci_status, ci_points, ci_full):
            differences.append(f"{name}: here {status} {points}/{full}, course's grader {ci_status} "
                               f"{ci_points}/{ci_full}")
    missing = sorted(set(ci) - set(here))
    differences += [f"{name}: graded by the course's grader, absent here" for name in missing]
    return rows, differences
