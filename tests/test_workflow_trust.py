"""Who the workflows trust. A student can edit every workflow in their repository, so the ones a
release ships may reference no secret but the run's own GITHUB_TOKEN and may select no
self-hosted runner; the instructor's own workflows keep their secrets inside environments, away
from the GPU runner; and every workflow passes zizmor (auditor persona) and GitHub's schema."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from grader.instructor.release import pinned_workflow
from grader.record import GradingRecord
from grader.report import gradescope_json, write_results

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
SECRET = re.compile(r"\bsecrets\s*(?:\.\s*([A-Za-z_][\w-]*)|\[\s*['\"]([^'\"]+)['\"]\s*\]|\b)")
GITHUB_HOSTED = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path):
    data = yaml.safe_load(Path(path).read_text())
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def secrets_named(text):
    """Every secret an expression in ``text`` reaches: its name, or '*' for the whole context."""
    found = set()
    for expression in EXPRESSION.findall(text):
        for match in SECRET.finditer(expression):
            found.add(match[1] or match[2] or "*")
    return found


def runner_labels(runs_on):
    """The labels a job's ``runs-on`` names (a string, a list, or a group/labels mapping)."""
    if isinstance(runs_on, dict):
        return [str(runs_on.get("group", ""))] + runner_labels(runs_on.get("labels", []))
    if isinstance(runs_on, list):
        return [str(label) for label in runs_on]
    return [str(runs_on)]


def untrusted_problems(path):
    """What a workflow a student can edit must not hold: any secret but GITHUB_TOKEN, a runner
    that is not a literal GitHub-hosted label (an expression could name a self-hosted one), a
    reusable workflow (it could hold either), `secrets: inherit`."""
    text = Path(path).read_text()
    problems = [f"secret {name}" for name in sorted(secrets_named(text) - {"GITHUB_TOKEN"})]
    for job_id, job in load(path)["jobs"].items():
        if "uses" in job or "secrets" in job:
            problems.append(f"{job_id}: calls a reusable workflow or passes secrets")
        for label in runner_labels(job.get("runs-on", "")):
            if not GITHUB_HOSTED.match(label):
                problems.append(f"{job_id}: runs on {label!r}, not a GitHub-hosted runner")
    return problems


def test_the_checker_finds_secrets_and_self_hosted_runners(tmp_path):
    """It can fail: each thing a student's workflow must not hold is found, in any spelling."""
    bad = tmp_path / "bad.yml"
    bad.write_text("""name: bad
on: push
jobs:
  a:
    runs-on: [self-hosted, gpu]
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          token: ${{ secrets.GRADER_TOKEN || github.token }}
  b:
    runs-on: ${{ vars.GPU_RUNNER_LABEL }}
    steps:
      - run: echo "${{ toJSON(secrets) }} ${{ secrets['OTHER'] }}"
  c:
    runs-on: {group: gpus, labels: [linux]}
    steps:
      - run: echo "${{ secrets.GITHUB_TOKEN }}"
  d:
    uses: ./.github/workflows/regrade.yml
    secrets: inherit
""")
    problems = untrusted_problems(bad)
    assert {"secret *", "secret GRADER_TOKEN", "secret OTHER"} <= set(problems)
    assert "secret GITHUB_TOKEN" not in problems
    assert [p for p in problems if p.startswith("a: runs on 'self-hosted'")]
    assert [p for p in problems if p.startswith("b: runs on '${{ vars.GPU_RUNNER_LABEL }}'")]
    assert [p for p in problems if p.startswith("c: runs on 'gpus'")]
    assert "d: calls a reusable workflow or passes secrets" in problems


def test_the_release_ships_only_the_feedback_workflow_and_it_trusts_nothing(released):
    shipped = sorted(p.name for p in (released / ".github" / "workflows").iterdir())
    assert shipped == ["autograde.yml"]   # never the grade of record, the re-grade or the project's tests
    for path in (released / ".github" / "workflows").iterdir():
        assert untrusted_problems(path) == [], path.name
    assert untrusted_problems(WORKFLOWS / "autograde.yml") == []   # as it stands here, too


def test_the_feedback_workflow_grades_with_the_public_starter_repository(released):
    data = load(released / ".github" / "workflows" / "autograde.yml")
    assert data["env"] == {"GRADER_REPOSITORY": "teacher/convnet-hw-starter", "GRADER_REF": "fall-2026"}
    assert "not the grade of record" in data["name"]
    # no ref given: the starter's default branch (an empty ref), still no token
    unpinned = pinned_workflow((WORKFLOWS / "autograde.yml").read_text(), "teacher/convnet-hw-starter", None)
    assert '  GRADER_REF: ""\n' in unpinned and yaml.safe_load(unpinned)["env"]["GRADER_REF"] == ""


def test_the_release_publishes_feedback_with_its_own_code(released, tmp_path):
    """ci-report runs from the release alone: the report modules it imports ship, the rest of the
    instructor tools do not."""
    results = tmp_path / "results.json"
    write_results(results, gradescope_json(GradingRecord()))
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(released), "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import grader.instructor.classroom as c; print(c.__file__)"],
                           cwd=released, capture_output=True, text=True, timeout=120, env=env)
    assert where.stdout.strip() == str(released / "grader" / "instructor" / "classroom.py"), where.stderr
    run = subprocess.run([sys.executable, "-m", "grader.instructor.classroom", str(results), "--summary",
                          str(summary), "--output", str(output), "--feedback", str(tmp_path / "feedback")],
                         cwd=released, capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Points 0/0" in run.stdout and summary.read_text().startswith("## Autograding: 0 / 0 points")
    assert output.read_text().startswith("result=") and (tmp_path / "feedback" / "feedback.md").is_file()
    assert not (released / "grader" / "instructor" / "release.py").exists()


def test_instructor_secrets_live_in_environments_away_from_the_gpu_runner():
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_id, job in load(path)["jobs"].items():
            used = secrets_named(yaml.safe_dump(job))
            assert not used or job.get("environment"), f"{path.name}/{job_id} uses {used} outside an environment"
            self_hosted = any(not GITHUB_HOSTED.match(label) for label in runner_labels(job.get("runs-on", "ubuntu-x")))
            if self_hosted:   # the GPU runner: the instructor's workflow alone, no secret, no environment
                assert path.name == "grade-of-record.yml" and not used and "environment" not in job, job_id
    record = load(WORKFLOWS / "grade-of-record.yml")
    assert {"schedule", "workflow_dispatch"} <= set(record["on"]) and record["permissions"] == {}
    post = record["jobs"]["post"]
    (step,) = [s for s in post["steps"] if "post-results" in s.get("run", "")]
    assert step["env"]["RESULTS_TOKEN"] == "${{ secrets.RESULTS_TOKEN }}" and post["environment"] == "results"
    assert re.search(r"post-results gradebook --roster \"\$ROSTER\"", step["run"])
    assert record["jobs"]["grade"]["uses"].split()[0] == "./.github/workflows/regrade.yml"
    assert "workflow_call" in load(WORKFLOWS / "regrade.yml")["on"]


def test_every_action_is_pinned_to_one_commit_with_its_version_beside_it():
    pins: dict[str, set[str]] = {}
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", line)
            if not match or match[1].startswith("./"):
                continue
            assert SHA_PIN.match(match[1]) and re.match(r"\s*# v\d", match[2]), f"{path.name}: {line.strip()}"
            action, sha = match[1].split("@")
            pins.setdefault(action.split("/")[0] + "/" + action.split("/")[1], set()).add(sha)
    assert pins and all(len(shas) == 1 for shas in pins.values()), pins   # cache, cache/restore, cache/save alike


def _tool(name):
    return shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)


@pytest.mark.parametrize("where", ["release", "instructor"])
@pytest.mark.skipif(not (_tool("zizmor") and _tool("check-jsonschema")),
                    reason="zizmor and check-jsonschema come with the lint extra (pip install -e '.[lint]')")
def test_workflows_pass_zizmor_and_the_workflow_schema(released, where):
    folder = released / ".github" / "workflows" if where == "release" else WORKFLOWS
    zizmor = subprocess.run([_tool("zizmor"), "--persona=auditor", "--offline", "--format=json", str(folder)],
                            capture_output=True, text=True, timeout=120)
    assert zizmor.returncode == 0 and json.loads(zizmor.stdout or "[]") == [], zizmor.stdout + zizmor.stderr
    schema = subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *sorted(map(str, folder.glob("*.yml")))], capture_output=True, text=True, timeout=120)
    assert schema.returncode == 0, schema.stdout + schema.stderr
