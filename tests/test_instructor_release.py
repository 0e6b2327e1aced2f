"""The student repository: what it holds, what it must never hold, and that it works on its own."""

import importlib.util
import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from release_env import RELEASE_ARGS

from grader.instructor.fingerprint import code_digest
from grader.instructor.release import (
    SHIPPED_TOOLS,
    ReleaseError,
    build_release,
    check_release,
    pinned_workflow,
    release_files,
    starter_install_url,
    student_makefile,
    student_pyproject,
)
from grader.items import ITEMS
from grader.preprocess import prepare
from grader.record import WITHHELD
from grader.setup_cell import is_setup_cell

REPO = Path(__file__).resolve().parents[1]
STUDENTS_PAGE = REPO / "docs" / "students.md"
INSTALL = '%pip install -q "git+https://github.com/teacher/convnet-hw-starter@fall-2026"'


def test_release_holds_the_students_files_and_nothing_of_the_instructors(released):
    files = {p.relative_to(released).as_posix() for p in released.rglob("*") if p.is_file()}
    assert {f"assignment/{p.name}" for p in (REPO / "assignment").glob("*.ipynb")} <= files
    assert {"README.md", "Makefile", "pyproject.toml", ".github/workflows/autograde.yml",
            "grader/conftest.py", "grader/oracles.py", "d2l/torch.py"} <= files
    assert not [f for f in files if f.startswith(("solutions/", "tests/", "benchmarks/"))]
    # of the instructor tools, only what the feedback workflow publishes with (ci-report)
    assert {f for f in files if f.startswith("grader/instructor/")} == set(SHIPPED_TOOLS)
    assert "grader/checks/hidden.py" not in files and ".github/workflows/tests.yml" not in files
    assert not [f for f in files if "__pycache__" in f or f.endswith(".pyc")]
    assert (released / "README.md").read_text() == STUDENTS_PAGE.read_text()   # the students' page, not the project's
    assert not [f for f in files if f.startswith("docs/")] and "make grade" in (released / "README.md").read_text()


def test_the_students_page_stands_alone_in_the_release():
    """It is the release's README and the release ships no docs/: no relative link may point
    anywhere (a page of docs/, an image), and it names none of the instructor's make targets."""
    text = STUDENTS_PAGE.read_text()
    relative = [link for link in re.findall(r"\]\(([^)\s]+)\)", text) if not re.match(r"[a-z]+:|#", link)]
    assert not relative, f"docs/students.md links to files the release does not ship: {relative}"
    assert not re.search(r"make (test|test-all|grade-class|release)\b", text)


def test_released_notebooks_are_the_blank_ones_without_outputs_after_a_set_up_cell(released):
    for path in sorted((REPO / "assignment").glob("*.ipynb")):
        original = nbformat.read(str(path), as_version=4)
        copy = nbformat.read(str(released / "assignment" / path.name), as_version=4)
        assert is_setup_cell(copy.cells[0]) and INSTALL in copy.cells[0].source
        assert not any(is_setup_cell(c) for c in original.cells)
        assert [c.source for c in copy.cells[1:]] == [c.source for c in original.cells]
        code = [c for c in copy.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code)
        assert code_digest(released / "assignment" / path.name) == code_digest(path)   # not "identical code"


def run_set_up_cell(source, monkeypatch, missing=()):
    """The install calls the cell makes where the modules in ``missing`` cannot be found (IPython's
    own rewrite of ``%pip``, run with a stand-in shell)."""
    calls, hidden = [], set(missing)

    def install(magic, line):   # what the install does: the missing modules are found afterwards
        calls.append(f"%{magic} {line}")
        hidden.clear()

    shell = type("Shell", (), {"run_line_magic": lambda self, magic, line: install(magic, line)})()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None if name in hidden else real(name))
    try:
        exec(TransformerManager().transform_cell(source), {"get_ipython": lambda: shell})
    finally:
        monkeypatch.undo()
    return calls


def test_the_set_up_cell_installs_only_where_the_library_is_missing_and_the_grader_skips_it(released, monkeypatch):
    nb = nbformat.read(str(released / "assignment" / "7.2-cross-correlation.ipynb"), as_version=4)
    source = nb.cells[0].source
    assert run_set_up_cell(source, monkeypatch) == []                         # this environment has d2l
    assert run_set_up_cell(source, monkeypatch, missing=("d2l",)) == [INSTALL]
    assert run_set_up_cell(source, monkeypatch, missing=("d2l.check",)) == [INSTALL]   # PyPI's d2l is not ours
    graded, notes = prepare(nb)
    assert not [line for line in graded.cells[0].source.splitlines() if line.strip().startswith("%")]
    assert not [note for note in notes if "skipped" in note]   # a no-op when grading, with no note
    with pytest.raises(RuntimeError, match="could not install the course library"):   # nothing installed
        run_set_up_cell(graded.cells[0].source, monkeypatch, missing=("d2l",))


def test_released_project_file_and_workflow_are_rewritten(released):
    assert "solutions" not in (released / "pyproject.toml").read_text()
    workflow = (released / ".github/workflows/autograde.yml").read_text()
    # the feedback's grader is the public starter repository's (the release), never the instructor's
    assert "  GRADER_REPOSITORY: teacher/convnet-hw-starter\n" in workflow and "  GRADER_REF: fall-2026\n" in workflow
    assert "teacher/convnet-hw\n" not in workflow and "0123abcd" not in workflow
    assert "github.repository }}\n" not in workflow.split("jobs:")[0]


def test_file_selection_leaves_out_hidden_checks_and_instructor_tools(tmp_path):
    for relative in ("assignment/7.2.ipynb", "d2l/torch.py", "grader/conftest.py", "grader/checks/hidden.py",
                     "grader/checks/sec7_2.py", "grader/instructor/release.py",
                     "grader/__pycache__/x.pyc", "grader/stored/reference_reports.json", "solutions/sec7_2.py",
                     "tests/test_x.py", "Makefile", ".gitignore"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    chosen = {p.as_posix() for p in release_files(tmp_path)}
    assert chosen == {".gitignore", "assignment/7.2.ipynb", "d2l/torch.py", "grader/conftest.py",
                      "grader/checks/sec7_2.py"}   # the Makefile and the store are written, not copied


def test_a_leak_or_a_bad_option_stops_the_release(tmp_path):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "sec7_2.py").write_text("")
    with pytest.raises(ReleaseError, match="must not see: solutions, solutions/sec7_2.py"):
        check_release(tmp_path)
    with pytest.raises(ReleaseError, match="owner/name"):
        pinned_workflow("env:\n  GRADER_REPOSITORY: x\n  GRADER_REF: y\n", "not a repo", "v1")
    with pytest.raises(ReleaseError, match="commit, tag or branch"):
        pinned_workflow("env:\n  GRADER_REPOSITORY: x\n  GRADER_REF: y\n", "a/b", "v1; rm -rf /")
    with pytest.raises(ReleaseError, match="exactly once"):
        pinned_workflow("env:\n  GRADER_REF: y\n", "a/b", "v1")
    with pytest.raises(ReleaseError, match="packages"):
        student_pyproject("[project]\nname = 'x'\n")
    with pytest.raises(ReleaseError, match="--starter-repo is required"):
        starter_install_url(None, None, "a/b")
    with pytest.raises(ReleaseError, match="owner/name"):
        starter_install_url("https://github.com/a/c", None, "a/b")
    with pytest.raises(ReleaseError, match="commit, tag or branch"):
        starter_install_url("a/c", "main; curl evil", "a/b")
    with pytest.raises(ReleaseError, match="not be the grader's repository"):
        starter_install_url("A/B", None, "a/b")
    assert starter_install_url("a/c", None, "a/b") == "git+https://github.com/a/c"   # its default branch
    assert student_pyproject('packages = ["d2l", "solutions", "grader"]\n') == 'packages = ["d2l", "grader"]\n'
    assert student_pyproject('include = ["d2l*", "solutions*", "grader*"]\n') == 'include = ["d2l*", "grader*"]\n'


def test_release_will_not_overwrite_without_force_and_keeps_git(tmp_path):
    out = tmp_path / "student"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "old.txt").write_text("from last term")
    with pytest.raises(ReleaseError, match="not empty"):
        build_release(out, **RELEASE_ARGS)
    build_release(out, force=True, **RELEASE_ARGS)
    assert (out / ".git" / "HEAD").exists() and not (out / "old.txt").exists()
    with pytest.raises(ReleaseError, match="overlaps"):
        build_release(REPO / "grader" / "student", **RELEASE_ARGS)


def _student_environment(tmp_path, repo):
    """A fresh virtual environment that installs the released repository the way ``make setup``
    does (editable), borrowing this environment's installed packages, not its ``solutions``."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "borrowed-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(repo)],
                   check=True, capture_output=True, timeout=300)
    return python


def test_released_repository_grades_its_blank_notebooks_to_zero_cleanly(released, tmp_path):
    python = _student_environment(tmp_path, released)
    probe = subprocess.run([str(python), "-c", "import importlib.util, grader; "
                            "print(grader.__file__, importlib.util.find_spec('solutions'))"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert probe.stdout.split() == [str(released / "grader" / "__init__.py"), "None"], probe.stderr
    results = tmp_path / "results.json"
    run = subprocess.run([str(python), "-m", "pytest", "grader", "-p", "no:cacheprovider", "--results", str(results)],
                         cwd=released, capture_output=True, text=True, timeout=900)
    summary = run.stdout.strip().splitlines()[-1]
    assert run.returncode == 1, run.stdout[-3000:] + run.stderr[-2000:]   # checks fail; nothing crashed
    assert "error" not in summary and "failed" in summary, summary
    payload = json.loads(results.read_text())
    notes = payload.get("output", "") + run.stdout
    assert "%pip" not in notes and "the 1st code cell" not in notes   # the set-up cell: silent
    assert (payload["score"] == 0 and payload["max_score"] > 0
            and "Grading did not finish" not in payload.get("output", ""))
    statuses = {t["output"].split("**")[1] for t in payload["tests"]}
    assert statuses == {"not implemented", "skipped", f"hidden, {WITHHELD}"}, statuses   # VGG-16/19: public
    skipped = {t["name"].split(":")[0] for t in payload["tests"] if t["output"].startswith("**skipped**")}
    assert skipped == {"7.6 LeNet_training", "8.6 ResNet18_training"}   # only the GPU checks; no reference needed
    withheld = [t for t in payload["tests"] if WITHHELD in t["output"]]
    assert all(t["max_score"] == 0 and "point" in t["output"] for t in withheld)
    course_total = sum(item.points for item in ITEMS.values() if not item.training)
    assert "total" in run.stdout and f"0.00 / {course_total:.2f}" in run.stdout   # the course's points, per syllabus
    assert f"This copy scores the other {payload['max_score']:.2f} of the {course_total:.2f}" in run.stdout


def test_the_students_makefile_keeps_set_up_and_grading_and_drops_the_instructors_targets(released):
    makefile = (released / "Makefile").read_text()
    assert "\ngrade: setup" in makefile and "\nsetup:" in makefile and "\nclean:" in makefile
    for target in ("lint", "test", "test-all", "grade-class", "release"):
        assert f"\n{target}:" not in makefile
    assert "instructor only" not in makefile and "shared/data" not in makefile
    with pytest.raises(ReleaseError, match="never closed"):
        student_makefile("a\n# >>> instructor only\nb\n")
    with pytest.raises(ReleaseError, match="does not pair up"):
        student_makefile("a\n# <<< instructor only\nb\n")


def test_the_students_project_file_leaves_out_the_instructors_code_health_tools():
    text = ('[project.optional-dependencies]\ngrading = ["pytest"]\n# code health\nlint = ["ruff"]\n\n'
            '[project.entry-points."d2l.grader"]\ncheck = "grader.notebook_check:check"\n\n'
            '# lint settings\n[tool.ruff]\nline-length = 120\n\n[tool.ruff.lint]\nselect = ["E"]\n\n'
            '[[tool.mypy.overrides]]\nmodule = ["solutions.*"]\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["d2l*", "solutions*", "grader*"]\n')
    assert student_pyproject(text) == (
        '[project.optional-dependencies]\ngrading = ["pytest"]\n\n'
        '[project.entry-points."d2l.grader"]\ncheck = "grader.notebook_check:check"\n\n'
        '[tool.setuptools.packages.find]\ninclude = ["d2l*", "grader*"]\n')
