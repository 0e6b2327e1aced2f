"""The GitHub Actions workflows: they parse, have the structure the course relies on, and the
commands they run work here (in a workspace laid out the way the feedback job lays it out). Who
they trust (secrets, runners, linters) is tests/test_workflow_trust.py's."""

import base64
import json
import os
import re
import subprocess
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


def autograde_text():
    return (WORKFLOWS / "autograde.yml").read_text()


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
        if "uses" in job:   # a call of a reusable workflow of this repository
            assert job["uses"].startswith("./.github/workflows/") and "steps" not in job, job_id
            continue
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
    assert "https://download.pytorch.org/whl/cpu" in makefile and '--torch-index "$(TORCH_INDEX)"' in makefile
    # (grader/homework_setup.py adds it as --extra-index-url where reachable: tests/test_homework_setup.py)


@pytest.mark.parametrize("build, index", [("cpu", "https://download.pytorch.org/whl/cpu"), ("cuda", ""),
                                          ("cu126", "https://download.pytorch.org/whl/cu126")])
def test_torch_build_picks_the_index_make_setup_installs_torch_from(build, index):
    """The CPU build by default (Linux); TORCH_BUILD=cuda for the GPU path (PyPI's CUDA build)."""
    if build == "cpu" and os.uname().sysname != "Linux":
        index = ""
    run = subprocess.run(["make", "-s", "--no-print-directory", "--eval", "print-index: ; @echo '[$(TORCH_INDEX)]'",
                          "print-index", f"TORCH_BUILD={build}"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == f"[{index}]", run.stdout + run.stderr


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
    """The recipe is one silent command; what it prints (two lines, pip at -qq) is tested in
    tests/test_homework_setup.py, where the module runs with a stand-in pip."""
    recipe = (REPO / "Makefile").read_text().split("\nsetup:\n", 1)[1].split("\n\n", 1)[0]
    commands = [line.strip() for line in recipe.splitlines() if line.startswith("\t")]
    assert len(commands) == 1 and commands[0].startswith("@$(PYTHON) -m grader.homework_setup "), commands


def test_feedback_takes_the_grader_from_the_pinned_public_repository_with_no_token():
    data = autograde()
    assert "push" in data["on"] and {"GRADER_REPOSITORY", "GRADER_REF"} <= set(data["env"])
    job = data["jobs"]["grade"]
    checkouts = steps_using(job, "actions/checkout")
    assert all(s["with"]["persist-credentials"] is False and "token" not in s["with"] for s in checkouts)
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


def test_feedback_publishes_summary_artifacts_and_classroom_points_with_least_permissions():
    data = autograde()
    assert "not the grade of record" in data["name"] and data["permissions"] == {}
    job = data["jobs"]["grade"]
    assert job["permissions"] == {"contents": "read"} and job["runs-on"] == "ubuntu-latest"
    grading = step_running(job, "-m pytest grader")["run"]
    assert '--results "$GITHUB_WORKSPACE/out/results.json"' in grading
    assert '--executed-dir "$GITHUB_WORKSPACE/out/executed"' in grading
    publish = step_running(job, "-m grader.instructor.classroom")
    assert publish["id"] == "publish" and publish["if"] == "always()"
    assert '--summary "$GITHUB_STEP_SUMMARY"' in publish["run"] and '--output "$GITHUB_OUTPUT"' in publish["run"]
    assert '--feedback "$GITHUB_WORKSPACE/out/feedback"' in publish["run"]
    assert job["outputs"]["result"] == "${{ steps.publish.outputs.result }}"
    (upload,) = steps_using(job, "actions/upload-artifact")
    assert upload["if"] == "always()" and upload["with"]["path"] == "out/"
    report = data["jobs"]["report"]
    assert report["needs"] == "grade" and "always()" in report["if"] and report["permissions"] == {}
    (reporter,) = steps_using(report, "classroom-resources/autograding-grading-reporter@")
    assert reporter["with"]["runners"] == "grader" and "feedback" in reporter["name"]
    assert reporter["env"] == {"GRADER_RESULTS": "${{ needs.grade.outputs.result }}"}


def test_the_gpu_job_is_the_instructors_and_installs_a_cuda_torch():
    data = load("grade-of-record.yml")
    job = data["jobs"]["train"]
    assert "vars.GPU_RUNNER_LABEL != ''" in job["if"] and job["runs-on"] == "${{ vars.GPU_RUNNER_LABEL }}"
    assert step_running(job, "make setup")["run"] == "make setup TORCH_BUILD=cuda"
    preflight = step_running(job, "--require-gpu")
    assert job["steps"].index(preflight) < job["steps"].index(step_running(job, "grade-class"))
    assert data["jobs"]["post"]["if"].count("needs.train.result == 'success'") == 1   # a failed check posts nothing
    grading = step_running(job, "grade-class")["run"]
    assert "--train" in grading and "secrets" not in yaml.safe_dump(job)
    assert "GPU_RUNNER_LABEL" not in autograde_text() and "self-hosted" not in autograde_text()
    # without a GPU runner the class is graded on GitHub's runners; one or the other is posted
    assert data["jobs"]["grade"]["if"] == "vars.GPU_RUNNER_LABEL == ''"
    assert set(data["jobs"]["post"]["needs"]) == {"grade", "train"}


def test_the_gpu_path_stops_where_cuda_is_absent(tmp_path):
    """`pytest grader --require-gpu` is a usage error (status 4) before any kernel starts where
    torch cannot reach a CUDA device, instead of skipping the training checks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["CUDA_VISIBLE_DEVICES"] = ""
    run = subprocess.run([str(REPO / ".venv" / "bin" / "python"), "-m", "pytest", "grader", "-p", "no:cacheprovider",
                          "--train", "--require-gpu", "--submission", str(tmp_path / "none")],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 4, run.stdout[-2000:] + run.stderr[-2000:]
    assert "--require-gpu: no CUDA GPU to train on" in run.stderr
    # the GPU job's own check, run here: it stops the job the same way
    job = load("grade-of-record.yml")["jobs"]["train"]
    check = subprocess.run(["bash", "-e", "-c", step_running(job, "--require-gpu")["run"]], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 4 and "no CUDA GPU to train on" in check.stderr, check.stdout + check.stderr


def test_grade_class_train_asks_for_the_gpu_path(monkeypatch, tmp_path):
    from grader.instructor import __main__ as cli
    from grader.instructor import scale_cli

    seen = []
    monkeypatch.setattr(scale_cli, "grade_outcomes", lambda args, subs, out, options: seen.append(options) or [])
    write_notebook(tmp_path / "class" / "ann" / "7.2.ipynb", IMPORTS, CORR2D)
    for train in (False, True):
        cli.main(["grade-class", str(tmp_path / "class"), "--out", str(tmp_path / "out"), *(["--train"] * train)])
    assert [("--train" in o.pytest_args, "--require-gpu" in o.pytest_args) for o in seen] == [(False, False),
                                                                                           (True, True)]


def test_workflow_scripts_hold_no_expressions():
    """Values reach scripts through the environment only (no template injection into bash)."""
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job in load(path.name)["jobs"].values():
            for step in job.get("steps", []):
                assert "${{" not in step.get("run", ""), (path.name, step)


def _workspace(tmp_path):
    workspace = tmp_path / "workspace"
    write_notebook(workspace / "submission" / "assignment" / "7.2-cross-correlation.ipynb", IMPORTS, CORR2D)
    (tmp_path / "runner-temp").mkdir()
    (tmp_path / "runner-temp" / "grader").symlink_to(REPO)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(GITHUB_WORKSPACE=str(workspace), RUNNER_TEMP=str(tmp_path / "runner-temp"),
               GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"),
               GITHUB_OUTPUT=str(tmp_path / "github_output"), GITHUB_ACTOR="alice")
    return workspace, env


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "python").exists(), reason="the workflow calls .venv/bin/python")
@pytest.mark.skipif(not sandbox_support()[0], reason=f"the jobs grade with --require-sandbox: {sandbox_support()[1]}")
def test_grading_job_commands_run_here(tmp_path):
    """Run the job's own grading and publishing commands, as the runner would (bash -eo pipefail)."""
    workspace, env = _workspace(tmp_path)
    job, out = autograde()["jobs"]["grade"], "out"
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
    assert results["score"] == 4 and "corr2d" in summary and "Autograding: 4 / " in summary
    assert [p.name for p in (workspace / out / "executed").glob("*.ipynb")] == ["7.2-cross-correlation.ipynb"]
    assert classroom["max_score"] == round(results["max_score"], 2) > 4
    assert sum(t["score"] for t in classroom["tests"]) == 4
