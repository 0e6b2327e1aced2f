"""Publishing that cannot drift: ``release`` builds from committed files only (the commit it pins
is the one students' feedback and the grade of record both come from), refuses the docs' example
repository names, ends with the publishing steps, and gives students a set-up with only what
grading needs.

One release is built, by the command itself, from a temporary git repository holding this
checkout's files (``grader.instructor.__main__.ROOT`` pointed at it): first made dirty (refused,
nothing written), then clean (built, steps printed with its commit).
"""

import contextlib
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from grader.instructor import __main__ as cli
from grader.instructor.release import RELEASE_INPUTS, ReleaseError, build_release
from grader.instructor.release_checks import placeholder_problem, source_problem
from grader.instructor.release_steps import (
    GPU_VARIABLE,
    RESULTS_ENVIRONMENT,
    RESULTS_SECRET,
    ROSTER_ENVIRONMENT,
    ROSTER_SECRET,
    ROSTER_VARIABLE,
)

REPO = Path(__file__).resolve().parents[1]
NAMES = ["--grader-repo", "teacher/convnet-hw", "--starter-repo", "teacher/convnet-hw-starter"]


def git(root, *args):
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                          capture_output=True, text=True, check=True).stdout.strip()


def release(root, *args):
    """(exit status, stdout, stderr) of ``release`` run as if this project lived in ``root``."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        patch.setattr(cli, "ROOT", Path(root))
        code = cli.main(["release", *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """This checkout's files committed in a repository of their own; the release refused while
    it is dirty, then built from it clean: (folder, commit, refusal, stdout of the build)."""
    base = tmp_path_factory.mktemp("hygiene")
    source = base / "source"
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "-z", "-co", "--exclude-standard"],
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    git(source, "init", "-q", "-b", "main")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "the course")
    commit = git(source, "rev-parse", "HEAD")
    out = base / "student-repo"
    out.mkdir()
    (out / "old.txt").write_text("last term's release")
    with open(source / "grader" / "items.py", "a") as items:
        items.write("# corr2d is worth 5 now\n")                        # edited, not committed
    (source / "grader" / "checks" / "extra_check.py").write_text("")    # new, not added
    (source / "Makefile").write_text((source / "Makefile").read_text() + "\n# staged\n")
    git(source, "add", "Makefile")                                       # staged, not committed
    refused = release(source, "--out", str(out), "--force", *NAMES)
    assert sorted(p.name for p in out.iterdir()) == ["old.txt"]          # nothing written, nothing removed
    git(source, "reset", "-q", "--hard")
    (source / "grader" / "checks" / "extra_check.py").unlink()
    (source / "NOTES.txt").write_text("not part of a release")           # outside what a release reads
    code, stdout, stderr = release(source, "--out", str(out), "--force", *NAMES)
    assert code == 0, stderr
    return out, commit, refused, stdout


def test_a_dirty_tree_is_refused_naming_each_change_and_nothing_is_written(published):
    _, commit, (code, stdout, stderr), _ = published
    assert code == 2 and stdout == ""
    assert "changes that are not committed" in stderr and commit[:12] in stderr and "--allow-dirty" in stderr
    for change in ("M grader/items.py", "?? grader/checks/extra_check.py", "M Makefile"):
        assert change in stderr


def test_a_clean_tree_is_released_with_the_publishing_steps_and_the_commit_pinned(published):
    out, commit, _, stdout = published
    assert (out / "README.md").is_file() and not (out / "old.txt").exists()
    assert f"built from commit {commit}" in stdout
    assert f"git push https://github.com/teacher/convnet-hw.git {commit}:refs/heads/main" in stdout
    assert f"Release of teacher/convnet-hw at {commit[:12]}" in stdout
    for step in ("gh repo create teacher/convnet-hw-starter --public", "gh repo edit teacher/convnet-hw-starter "
                 "--template", "add NONE", "gh secret set RESULTS_TOKEN --env results --repo teacher/convnet-hw",
                 "gh variable set GPU_RUNNER_LABEL", "gh workflow run grade-of-record.yml"):
        assert step in stdout


def test_the_students_set_up_installs_only_what_grading_needs(published):
    out = published[0]
    planned = subprocess.run(["make", "-n", "setup"], cwd=out, capture_output=True, text=True, timeout=60)
    extras = re.findall(r'--extras "?([\w,]+)|\.\[([\w,]+)\]', planned.stdout)
    assert planned.returncode == 0 and extras, planned.stdout + planned.stderr
    assert {e for pair in extras for part in pair for e in part.split(",") if e} == {"dev", "grading"}
    project = (out / "pyproject.toml").read_text()
    assert not re.search(r"^(lint|instructor)\s*=", project, re.M) and re.search(r"^grading\s*=", project, re.M)
    for workflow in (out / ".github" / "workflows").glob("*.y*ml"):
        for job in yaml.safe_load(workflow.read_text())["jobs"].values():
            for step in job.get("steps", []):
                assert not re.search(r"EXTRAS|\[[\w,]*(instructor|lint)", step.get("run", "")), (workflow, step)


def _tiny_repository(root):
    for name, text in (("grader/items.py", "POINTS = 4\n"), ("grader/old.py", ""), ("tests/test_x.py", ""),
                       (".gitignore", "*.log\n")):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    return git(root, "rev-parse", "HEAD")


def test_what_counts_as_a_change_to_the_release(tmp_path):
    head = _tiny_repository(tmp_path)
    inputs = ("grader", ".gitignore")
    assert source_problem(tmp_path, inputs, None) == ""
    (tmp_path / "grader" / "run.log").write_text("ignored")              # ignored by .gitignore
    (tmp_path / "tests" / "test_y.py").write_text("")                    # outside the release's inputs
    assert source_problem(tmp_path, inputs, None) == ""
    git(tmp_path, "mv", "grader/old.py", "grader/new name.py")           # a staged rename, a space in the name
    problem = source_problem(tmp_path, inputs, None)
    assert "R grader/new name.py" in problem and head[:12] in problem
    git(tmp_path, "commit", "-qm", "two")
    assert source_problem(tmp_path, inputs, None) == ""
    assert "leave --grader-ref out" in source_problem(tmp_path, inputs, head)   # an older commit than the checkout
    assert source_problem(tmp_path, inputs, "HEAD") == "" and source_problem(tmp_path, inputs, "v9") == ""
    plain = tmp_path.parent / f"{tmp_path.name}-plain"
    plain.mkdir()
    assert "not a git checkout" in source_problem(plain, inputs, None)


def _documented_names():
    texts = [(REPO / p).read_text() for p in ("README.md", "Makefile", "docs/instructors.md")]
    found = set()
    for text in texts:
        found |= set(re.findall(r"(?:GRADER_REPO|STARTER_REPO)=([\w./-]+)", text))
        found |= set(re.findall(r"--(?:grader|starter)-repo ([\w./-]+)", text))
    return {name for name in found if "/" in name}


def test_the_documentations_example_names_are_refused_before_anything_is_written(tmp_path):
    examples = _documented_names()
    assert {"you/convnet-homework", "you/convnet-homework-starter", "OWNER/NAME", "owner/name"} <= examples
    for name in examples:
        assert "the documentation's example name" in placeholder_problem("--grader-repo", name)
        with pytest.raises(ReleaseError, match="real owner/name"):
            build_release(tmp_path / "out", name, starter_repo="teacher/hw-starter", allow_dirty=True)
        with pytest.raises(ReleaseError, match="--starter-repo .* example"):
            build_release(tmp_path / "out", "teacher/hw", starter_repo=name, allow_dirty=True)
    assert not (tmp_path / "out").exists()
    assert placeholder_problem("--grader-repo", "teacher/convnet-hw") == ""
    assert placeholder_problem("--grader-repo", "yourself/name-of-course") == ""


def test_the_steps_name_what_the_grade_of_record_workflow_reads():
    workflow = (REPO / ".github" / "workflows" / "grade-of-record.yml").read_text()
    for needed in (f"environment: {RESULTS_ENVIRONMENT}", f"secrets.{RESULTS_SECRET}",
                   f"environment: {ROSTER_ENVIRONMENT}", f"vars.{ROSTER_VARIABLE}", f"vars.{GPU_VARIABLE}"):
        assert needed in workflow
    assert f"secrets.{ROSTER_SECRET}" in workflow + (REPO / ".github" / "workflows" / "regrade.yml").read_text()


def test_release_inputs_are_what_a_release_reads():
    for path in RELEASE_INPUTS:
        assert (REPO / path).exists(), path
