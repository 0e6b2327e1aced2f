"""The set-up (``make setup``, or ``python -m grader.homework_setup`` without make): quiet, a no-op
when the environment is this copy's, a repair when it was made for another copy, and one plain
message where PyTorch has no build for the platform."""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader import homework_setup
from grader.homework_setup import SetupFailed, is_current, made_for, set_up, venv_python

REPO = Path(__file__).resolve().parents[1]
NO_TORCH = ("ERROR: Could not find a version that satisfies the requirement torch==2.13.0 (from versions: none)\n"
            "ERROR: No matching distribution found for torch==2.13.0\n")


class FakeInstaller:
    """Stands in for ``subprocess.run``: records each command, creates the interpreter when asked
    for a venv, and fails the commands whose text contains ``fail_on`` with ``output``."""

    def __init__(self, fail_on=None, output=""):
        self.commands, self.fail_on, self.output = [], fail_on, output

    def __call__(self, command, **_):
        self.commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            python = venv_python(command[3])
            python.parent.mkdir(parents=True, exist_ok=True)
            python.touch()
        failed = self.fail_on is not None and self.fail_on in " ".join(command)
        return SimpleNamespace(returncode=1 if failed else 0, stdout="", stderr=self.output if failed else "")


def homework(folder):
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (folder / "grader").mkdir()
    return folder


def test_set_up_is_quiet_records_its_copy_and_then_does_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(homework_setup, "reachable", lambda index: False)   # no network in tests
    copy, said, pip = homework(tmp_path / "hw"), [], FakeInstaller()
    assert set_up(copy, ".venv", runner=pip, say=said.append) is True
    assert len(said) == 2 and said[0].startswith("Setting up .venv: PyTorch") and said[1].startswith("Ready: ")
    installs = [c for c in pip.commands if "pip" in c and "install" in c]
    assert installs and all("-qq" in c for c in installs)
    assert [str(copy) + "[dev,grading]"] == [c[-1] for c in installs if "-e" in c]
    assert made_for(copy / ".venv") == copy.resolve() and is_current(copy / ".venv", copy)
    pip.commands.clear()
    assert set_up(copy, ".venv", runner=pip, say=said.append) is False and pip.commands == [] and len(said) == 2


def test_an_environment_made_for_another_copy_is_set_up_again_for_this_one(tmp_path, monkeypatch):
    monkeypatch.setattr(homework_setup, "reachable", lambda index: False)
    original = homework(tmp_path / "hw")
    set_up(original, ".venv", runner=FakeInstaller(), say=lambda line: None)
    copy = tmp_path / "Copy of hw"
    shutil.copytree(original, copy, symlinks=True)   # the folder copied with its .venv
    assert made_for(copy / ".venv") == original.resolve() and not is_current(copy / ".venv", copy)
    said, pip = [], FakeInstaller()
    assert set_up(copy, ".venv", runner=pip, say=said.append) is True
    assert f"again: it was made for {original.resolve()}" in said[0]
    assert [str(copy.resolve()) + "[dev,grading]"] == [c[-1] for c in pip.commands if "-e" in c]
    assert is_current(copy / ".venv", copy)


def test_a_changed_project_file_or_an_unrecorded_stamp_sets_up_again(tmp_path):
    copy = homework(tmp_path / "hw")
    venv_python(copy / ".venv").parent.mkdir(parents=True)
    venv_python(copy / ".venv").touch()
    (copy / ".venv" / ".installed").write_text("")   # what set-ups before the recorded path wrote
    assert made_for(copy / ".venv") is None and not is_current(copy / ".venv", copy)
    (copy / ".venv" / ".installed").write_text(f"{copy.resolve()}\n")
    assert is_current(copy / ".venv", copy)
    later = (copy / ".venv" / ".installed").stat().st_mtime + 10
    os.utime(copy / "pyproject.toml", (later, later))
    assert not is_current(copy / ".venv", copy)


def test_no_torch_build_for_the_platform_says_what_to_do_in_one_message(tmp_path, monkeypatch):
    monkeypatch.setattr(homework_setup, "reachable", lambda index: False)
    copy = homework(tmp_path / "hw")
    with pytest.raises(SetupFailed) as failed:
        set_up(copy, ".venv", runner=FakeInstaller("torch==", NO_TORCH), say=lambda line: None)
    text = str(failed.value)
    assert text.startswith("installing PyTorch 2.13.0 failed:") and "No matching distribution found" in text
    assert "has no build for Python" in text and "make setup PYTHON=" in text
    assert "py -3.12 -m grader.homework_setup" in text
    assert made_for(copy / ".venv") is None   # no stamp: the next set-up tries again
    offline = homework_setup.torch_failure("Failed to establish a new connection\n" + NO_TORCH, "2.13.0")
    assert offline.startswith("pip could not reach the package index")


def test_the_command_refuses_a_folder_that_is_not_the_homework_or_an_old_python(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert homework_setup.main([]) == 2
    assert "run this in the homework folder" in capsys.readouterr().err
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(sys, "version_info", (3, 9, 18))
    assert homework_setup.main([]) == 2
    assert "needs Python 3.10 or newer" in capsys.readouterr().err


def test_make_runs_the_module_and_quotes_a_submission_with_spaces():
    if shutil.which("make") is None:
        pytest.skip("no make on this machine")
    path = "/tmp/my work/Copy of 7.2-cross-correlation.ipynb"
    shown = subprocess.run(["make", "-n", "grade", f"SUBMISSION={path}", "PYTEST_ARGS=-k corr2d"], cwd=REPO,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    setup_line, grade_line = [line for line in shown.stdout.splitlines() if "-m grader.homework_setup" in line or
                              "-m pytest grader" in line]
    assert "--venv" in setup_line and "--torch-version" in setup_line
    words = shlex.split(grade_line.split(";")[0])
    assert words[words.index("--submission") + 1] == path and words[-2:] == ["-k", "corr2d"]


@pytest.mark.slow
def test_a_copied_homework_folder_repairs_its_environment_and_then_grades_its_own_library(tmp_path):
    """End to end with real pip: a copy set up, copied with its .venv, set up again in the copy;
    the copy's kernels then import the copy's d2l. torch and the rest come from this environment
    (a .pth), so pip finds them already there and nothing large is downloaded."""
    import sysconfig

    original = tmp_path / "hw"
    for tree in ("grader", "d2l", "solutions"):
        shutil.copytree(REPO / tree, original / tree, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, original / name)
    subprocess.run([sys.executable, "-m", "venv", str(original / ".venv")], check=True, timeout=300)
    purelib = subprocess.run([str(venv_python(original / ".venv")), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "shared.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    def setup(folder):
        return subprocess.run([sys.executable, "-m", "grader.homework_setup", "--extras", "grading",
                               "--torch-index", "", "--torch-version", __import__("torch").__version__.split("+")[0]],
                              cwd=folder, capture_output=True, text=True, timeout=1200)

    def kernels_d2l(folder):
        return subprocess.run([str(venv_python(folder / ".venv")), "-I", "-c", "import d2l; print(d2l.__file__)"],
                              capture_output=True, text=True, timeout=120).stdout.strip()

    first = setup(original)
    assert first.returncode == 0, first.stdout + first.stderr
    copy = tmp_path / "Copy of hw"
    shutil.copytree(original, copy, symlinks=True)
    assert kernels_d2l(copy).startswith(str(original / "d2l"))   # the broken state the grader refuses
    again = setup(copy)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"again: it was made for {original}" in again.stdout
    assert kernels_d2l(copy).startswith(str(copy / "d2l"))
    assert setup(copy).stdout == ""   # current now: nothing to do


def test_torch_comes_from_the_cpu_index_where_it_can_be_reached(tmp_path, monkeypatch):
    copy, pip = homework(tmp_path / "hw"), FakeInstaller()
    monkeypatch.setattr(homework_setup, "reachable", lambda index: True)
    set_up(copy, ".venv", torch_index=homework_setup.CPU_INDEX, runner=pip, say=lambda line: None)
    (torch,) = [c for c in pip.commands if "torch==2.13.0" in c]
    assert torch[-2:] == ["--extra-index-url", homework_setup.CPU_INDEX]
    monkeypatch.setattr(homework_setup, "reachable", lambda index: False)   # offline, a local mirror: left out
    (tmp_path / "hw" / ".venv" / ".installed").unlink()
    pip.commands.clear()
    set_up(copy, ".venv", torch_index=homework_setup.CPU_INDEX, runner=pip, say=lambda line: None)
    assert "--extra-index-url" not in [word for c in pip.commands for word in c]


def test_on_windows_the_environment_runs_scripts_python():
    assert venv_python(".venv", windows=True).parts[-3:] == (".venv", "Scripts", "python.exe")
    assert venv_python(".venv", windows=False).parts[-3:] == (".venv", "bin", "python")
