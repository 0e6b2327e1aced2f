"""The Gradescope autograder: the zip `python -m grader.instructor gradescope` builds, unpacked into
a Gradescope-like layout (``source/``, ``submission/``, ``results/``, ``submission_metadata.json``
under a temporary root), its ``run_autograder`` run there, and the results.json it writes checked
against a JSON Schema written from Gradescope's specification and against ``pytest grader``.

Which Python: ``setup.sh`` (which needs the network and root) is not run here. What it leaves
behind is an interpreter that imports the grader, the course library and the references from the
zip's copy (an editable install of ``/autograder/source``) and everything else from its
environment. The tests make exactly that: a bare venv (made once per module) whose ``.pth`` files
put the unpacked source first on ``sys.path`` and this checkout's installed packages after it.
This checkout's own ``.venv/bin/python`` would not do: its editable install points at this
checkout, so the grader would rightly refuse (exit 4, ``grader/library_location.py``) to grade
from the unpacked copy, whose kernels would import another ``d2l``.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from mutants import MUTANTS, rounds, solved_homework
from notebook_factory import write_notebook

from grader.instructor import gradescope_run
from grader.instructor.gradescope import GradescopeError, build_autograder
from grader.instructor.gradescope_metadata import read_metadata, summarize
from grader.instructor.release import release_files
from grader.sandbox import sandbox_support
from solutions.fill import graded_item, solved

REPO = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((REPO / "grader/instructor/schemas/gradescope-results.schema.json").read_text())
SCRIPTS = REPO / "grader/instructor/gradescope_files"
ON_TIME = {"id": 123, "created_at": "2026-10-02T10:00:00.000000-07:00",
           "assignment": {"title": "Convnets", "due_date": "2026-10-01T23:59:00.000000-07:00",
                          "late_due_date": "2026-10-03T23:59:00-07:00"},
           "previous_submissions": [{"submission_time": "2026-09-30T10:00:00-07:00", "score": 12.5, "results": {}}]}


def validate(results):
    jsonschema.Draft202012Validator(SCHEMA).validate(results)
    for test in results["tests"]:   # the fields the brief asks of every test Gradescope shows
        assert {"name", "score", "max_score", "visibility", "output"} <= set(test), test
    assert "stdout_visibility" in results and isinstance(results["extra_data"], dict)


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The zip, built and unpacked once: (the zip, its source folder)."""
    base = tmp_path_factory.mktemp("gradescope")
    archive = base / "autograder.zip"
    build_autograder(archive)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(base / "source")
    for name in ("run_autograder", "setup.sh"):   # zipfile does not restore permissions; Gradescope does
        (base / "source" / name).chmod(0o755)
    return archive, base / "source"


@pytest.fixture(scope="module")
def image_python(unpacked, tmp_path_factory):
    """An interpreter set up as setup.sh sets up the image's: the zip's source first (see the top)."""
    venv = tmp_path_factory.mktemp("image") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "00-autograder-source.pth").write_text(f"{unpacked[1]}\n")
    here = sysconfig.get_paths()["purelib"]
    (Path(purelib) / "01-installed-packages.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    found = subprocess.run([str(python), "-I", "-c", "import d2l, grader, solutions; print(d2l.__file__)"],
                           check=True, capture_output=True, text=True, cwd="/").stdout
    assert found.startswith(str(unpacked[1])), found
    return str(python)


def layout(tmp_path, unpacked, metadata=ON_TIME):
    """A Gradescope root: source (the unpacked zip), an empty submission folder, results, metadata."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    (root / "results").mkdir()
    (root / "source").symlink_to(unpacked[1])
    if metadata is not None:
        text = metadata if isinstance(metadata, str) else json.dumps(metadata)
        (root / "submission_metadata.json").write_text(text)
    return root


def run_autograder(root, python, **env):
    settings = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": python, "AUTOGRADER_USER": "",
                **env}
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=settings, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    validate(results)
    return results, run.stdout


def pytest_grader(submission, tmp_path):
    """This checkout's ``pytest grader`` on the same submission: its results.json."""
    out = tmp_path / "direct.json"
    subprocess.run([sys.executable, "-m", "pytest", "grader", "-p", "no:cacheprovider", "-q", "--submission",
                    str(submission), "--results", str(out)], cwd=REPO, capture_output=True, timeout=900)
    return json.loads(out.read_text())


def assert_same_scores(graded, direct):
    assert graded["score"] == direct["score"] and graded["max_score"] == direct["max_score"]
    assert {t["name"]: (t["score"], t["max_score"], t.get("status"), t["visibility"]) for t in graded["tests"]} == \
        {t["name"]: (t["score"], t["max_score"], t.get("status"), t["visibility"]) for t in direct["tests"]}


# ---- the zip ---------------------------------------------------------------------------------------
def test_the_zip_holds_the_scripts_and_the_grader_and_nothing_it_must_not(unpacked, tmp_path):
    archive, _ = unpacked
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        modes = {info.filename: info.external_attr >> 16 for info in opened.infolist()}
    assert {"setup.sh", "run_autograder", "pyproject.toml", "README.md", "grader/checks/hidden.py",
            "solutions/sec7_2_cross_correlation.py", "d2l/torch.py"} <= set(names)
    assert modes["run_autograder"] & 0o111 and modes["setup.sh"] & 0o111
    forbidden = (".venv/", "build/", "tests/", ".git/", "benchmarks/", "fashion-mnist/", ".hypothesis/")
    assert not [n for n in names if n.startswith(forbidden) or "__pycache__" in n or n.endswith(".pyc")]
    with pytest.raises(GradescopeError, match="exists"):
        build_autograder(archive)


def test_data_is_bundled_only_when_asked_and_only_when_complete(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(GradescopeError, match="missing train-images-idx3-ubyte.gz"):
        build_autograder(tmp_path / "a.zip", data)
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                 "t10k-labels-idx1-ubyte"):
        (data / f"{name}.gz").write_bytes(b"stand-in")
    names = build_autograder(tmp_path / "a.zip", data)
    assert sorted(n for n in names if n.startswith("fashion-mnist/")) == [
        "fashion-mnist/t10k-images-idx3-ubyte.gz", "fashion-mnist/t10k-labels-idx1-ubyte.gz",
        "fashion-mnist/train-images-idx3-ubyte.gz", "fashion-mnist/train-labels-idx1-ubyte.gz"]
    with pytest.raises(GradescopeError, match=r"\.zip"):
        build_autograder(tmp_path / "autograder.tar", data)


def test_setup_script_installs_the_cpu_torch_the_grader_and_the_data():
    setup = (SCRIPTS / "setup.sh").read_text()
    assert subprocess.run(["bash", "-n", str(SCRIPTS / "setup.sh")]).returncode == 0
    assert subprocess.run(["bash", "-n", str(SCRIPTS / "run_autograder")]).returncode == 0
    assert 'TORCH_VERSION="2.13.0"' in setup and "https://download.pytorch.org/whl/cpu" in setup
    assert '"torch==$TORCH_VERSION" --index-url "$TORCH_INDEX"' in setup
    assert '-e "$SOURCE[grading,instructor]"' in setup and "d2l.fashion_mnist_fetch --dir" in setup
    assert "useradd" in setup and "set -euo pipefail" in setup


def test_the_student_release_ships_none_of_it():
    shipped = {p.as_posix() for p in release_files(REPO)}
    assert shipped and not [p for p in shipped if "gradescope" in p or p.startswith("grader/instructor/schemas")]


# ---- submission_metadata.json -----------------------------------------------------------------------
def test_metadata_says_how_late_and_never_changes_a_score():
    kept, notes = summarize(ON_TIME)
    assert notes == [] and kept["late"] is True and kept["hours_late"] == 10.02
    assert kept["after_late_due_date"] is False and kept["previous_submissions"] == 1
    assert kept["best_previous_score"] == 12.5 and kept["submission_id"] == 123
    early, _ = summarize({**ON_TIME, "created_at": "2026-10-01T12:00:00Z"})
    assert early["late"] is False and early["hours_late"] == 0.0


@pytest.mark.parametrize("text, note", [
    ("{not json", "could not be read (JSONDecodeError"),
    ("[1, 2]", "is not a JSON object"),
    ('{"created_at": "yesterday", "assignment": {"due_date": 5}}', "created_at is not an ISO 8601 time"),
    ('{"created_at": "2026-10-01T12:00:00", "assignment": null, "previous_submissions": "many"}',
     "no 'assignment' object"),
])
def test_malformed_metadata_gives_a_note_not_a_crash(tmp_path, text, note):
    path = tmp_path / "submission_metadata.json"
    path.write_text(text)
    kept, notes = read_metadata(path)
    assert any(note in n for n in notes), notes
    assert kept.get("late") is None


# ---- run_autograder ---------------------------------------------------------------------------------
def test_an_empty_submission_gets_zero_and_a_test_that_says_why(unpacked, image_python, tmp_path):
    root = layout(tmp_path, unpacked, metadata="{broken")
    results, log = run_autograder(root, image_python)
    assert results["score"] == 0 and len(results["tests"]) == 1
    test = results["tests"][0]
    assert test["status"] == "failed" and "no files were submitted" in test["output"]
    assert test["max_score"] > 0 and test["visibility"] == "visible"
    assert "could not be read" in results["extra_data"]["metadata_notes"][0] and "could not be read" in log


def test_a_broken_image_still_writes_a_result(unpacked, tmp_path):
    root = layout(tmp_path, unpacked)
    write_notebook(root / "submission" / "hw.ipynb", "x = 1")
    results, log = run_autograder(root, str(tmp_path / "no-such-python"))
    assert results["score"] == 0 and "could not start" in results["tests"][0]["output"]
    assert "could not start" in log


def _mutant_7_1(path):
    """The 7.1 notebook (the quickest to grade) solved, one item replaced by a student bug from
    tests/mutants.py."""
    nb = solved(nbformat.read(str(REPO / "assignment/7.1-from-fc-to-conv.ipynb"), as_version=4))
    bug = next(source for item, _, source in MUTANTS if item == "local_param_count")
    for cell in nb.cells:
        if graded_item(cell) == "local_param_count":
            cell.source = bug
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))


def test_one_mutant_notebook_scores_as_pytest_grader_scores_it(unpacked, image_python, tmp_path):
    root = layout(tmp_path, unpacked)
    _mutant_7_1(root / "submission" / "uploaded" / "my homework.ipynb")   # any layout
    results, log = run_autograder(root, image_python)
    direct = pytest_grader(root / "submission", tmp_path)
    assert_same_scores(results, direct)
    mutated = [t for t in results["tests"] if t["name"].startswith("7.1 local_param_count")]
    assert 0 < results["score"] and any(t["status"] == "failed" for t in mutated)
    assert any(t["visibility"] == "after_published" for t in results["tests"])   # hidden checks graded too
    extra = results["extra_data"]
    assert extra["gradescope"]["late"] is True and extra["gradescope"]["hours_late"] == 10.02
    assert extra["grading_exit_status"] == 1 and extra["sandbox"] and extra["record"]["version"] == 3
    assert results["stdout_visibility"] == "hidden" and f"sandbox: {extra['sandbox']}" in log
    assert extra["confinement"] == f"confined: {sandbox_support()[1]}" and extra["confinement"] in log
    assert str(tmp_path) not in json.dumps({k: v for k, v in results.items() if k != "extra_data"})


def test_where_landlock_is_missing_the_autograder_itself_says_the_score_cannot_be_trusted(monkeypatch):
    """The grading user writes the record, so its sandbox line could be forged where Landlock is
    missing; the autograder's own line, written after grading, says so instead."""
    monkeypatch.setattr(gradescope_run, "sandbox_support", lambda: (False, "Landlock is not supported"))
    line = gradescope_run.confinement_seen_by_autograder()
    assert line.startswith("NOT confined (Landlock is not supported)") and "re-grade" in line


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["solved", "blank", "mutants"])
def test_the_whole_homework_scores_as_pytest_grader_scores_it(unpacked, image_python, tmp_path, kind):
    root = layout(tmp_path, unpacked)
    if kind == "blank":
        shutil.copytree(REPO / "assignment", root / "submission", dirs_exist_ok=True)
    else:
        cells = solved_homework() if kind == "solved" else \
            solved_homework([(item, source) for item, _, source in rounds()[0]])
        write_notebook(root / "submission" / "homework.ipynb", *cells)
    results, _ = run_autograder(root, image_python)
    direct = pytest_grader(root / "submission", tmp_path)
    assert_same_scores(results, direct)
    expected = {"solved": results["max_score"], "blank": 0.0}
    if kind in expected:
        assert results["score"] == expected[kind]
    else:
        assert 0 < results["score"] < results["max_score"]


def _system_python():
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return next((p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if Path(p).exists()), None)


@pytest.mark.slow
def test_student_code_runs_as_the_grading_user_and_cannot_write_the_results(tmp_path):
    """As on Gradescope: run_autograder as root, `pytest grader` as the unprivileged user setup.sh
    makes. A notebook that tries to plant a results file leaves nothing behind, and the result says
    who graded. (Under pytest's private temporary folder the user could read nothing, so this test
    uses a world-readable one; and a system interpreter, since this venv's may live under /root.)"""
    python = _system_python()
    if os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("userdel")) or python is None:
        pytest.skip("needs root, useradd/userdel and a system Python of this version to make a grading user")
    user = f"gs{uuid.uuid4().hex[:8]}"
    if subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user]).returncode:
        pytest.skip("useradd failed")
    base = Path(tempfile.mkdtemp(prefix="gradescope-user-"))
    try:
        build_autograder(base / "autograder.zip")
        with zipfile.ZipFile(base / "autograder.zip") as opened:
            opened.extractall(base / "root" / "source")
        root = base / "root"
        (root / "source" / "run_autograder").chmod(0o755)
        (root / "results").mkdir()
        venv = base / "venv"
        subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True)
        purelib = next((venv / "lib").glob("python3*/site-packages"))
        (purelib / "00-autograder-source.pth").write_text(f"{root / 'source'}\n")
        (purelib / "01-installed-packages.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
        forged = root / "results" / "forged.json"
        write_notebook(root / "submission" / "7.1-from-fc-to-conv.ipynb",
                       f"open({str(forged)!r}, 'w').write('{{\"score\": 1000}}')",
                       "def fully_connected_param_count(height, width):\n    return (height * width) ** 2")
        subprocess.run(["chmod", "-R", "a+rX", str(base)], check=True)
        results, log = run_autograder(root, str(venv / "bin" / "python"), AUTOGRADER_USER=user)
        planted = sorted(p.name for p in (root / "results").iterdir())
    finally:
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
    assert results["extra_data"]["graded_as"] == user and results["extra_data"]["grading_exit_status"] == 1
    assert planted == ["results.json"] and results["score"] > 0, log
