"""Grading from a copy of the homework that this environment was not set up in stops up front,
saying which copy the kernels would use and what to run, instead of failing every model cell with
PermissionError inside the sandbox."""

import shutil
import subprocess
import sys
from pathlib import Path

from grader.library_location import library_mismatch

REPO = Path(__file__).resolve().parents[1]


def test_a_copy_graded_with_another_copys_environment_is_refused_with_what_to_run(tmp_path):
    copy = tmp_path / "my-homework"
    for tree in ("grader", "d2l", "assignment"):
        shutil.copytree(REPO / tree, copy / tree, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pytest", "grader", "-q", "-p", "no:cacheprovider"], cwd=copy,
                          capture_output=True, text=True, timeout=120)
    said = done.stdout + done.stderr
    assert done.returncode == 4, said[-2000:]
    assert f"would import the course library from {REPO / 'd2l'}" in said
    assert f"Run `make setup` in {copy}" in said
    assert "`python -m grader.homework_setup` there" in said   # what it does: tests/test_homework_setup.py


def test_the_checkout_the_environment_was_set_up_in_grades():
    assert library_mismatch() is None
