"""The grade of record, run here as the instructor's workflow runs it: the shell steps of
``regrade.yml`` (fetch a shard's repositories, grade the shard, merge the shards) and of
``grade-of-record.yml`` (post the results), on a roster of local git repositories, with
GitHub's API played by a stand-in on 127.0.0.1: each result must go to the commit that was graded.

The default tests grade one item (corr2d, whose checks include a hidden one) of a solved and a
mutant repository, one in each of two shards, once. The slow test grades the whole homework of a
solved, a blank and a mutant repository, through the workflow and by ``grade-class`` on one
machine, and asks for the same gradebook, hidden checks included."""

import csv
import json
import os
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import yaml
from github_stand_in import running
from mutants import MUTANTS, solved_homework
from notebook_factory import IMPORTS, write_notebook
from test_instructor_batch import CORR2D

from grader.instructor.__main__ import main
from grader.instructor.shards import shard_of

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
TOKEN = "github_pat_grade-of-record-stand-in"
VOLATILE = {"seconds", "cached"}


def _step(workflow, job, name):
    data = yaml.safe_load((WORKFLOWS / workflow).read_text())
    (step,) = [s for s in data["jobs"][job]["steps"] if s.get("name") == name]
    return step


def _bash(script, cwd, **env):
    done = subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=1800,
                          env={**os.environ, **env})
    return done


def _commit(path):
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    subprocess.run(["git", "-C", str(path), "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", "hw"],
                   check=True)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def _gradebook(folder):
    with open(Path(folder) / "gradebook.csv", newline="") as handle:
        return {row["student"]: {k: v for k, v in row.items() if k not in VOLATILE} for row in csv.DictReader(handle)}


def _artifact(step, source, target):
    """upload-artifact's ``path`` list (a folder, then ``!folder/sub/`` exclusions) copied as the
    next job would download it: hidden files left out unless the step sets include-hidden-files
    (upload-artifact's default since v4.4)."""
    lines = [line.strip() for line in step["with"]["path"].splitlines() if line.strip()]
    left_out = [Path(line[1:]).name for line in lines if line.startswith("!")]
    hidden = str(step["with"].get("include-hidden-files", False)).lower() == "true"

    def ignored(folder, names):
        return [n for n in names if (Path(folder) == Path(source) and n in left_out)
                or (n.startswith(".") and not hidden)]

    shutil.copytree(source, target, ignore=ignored)


def _job_folder(path):
    """A job's checkout: an empty folder with this project's environment as its .venv."""
    path.mkdir()
    (path / ".venv").symlink_to(REPO / ".venv")
    return path


def _shard_job(base, shard, env):
    workspace = _job_folder(base / f"shard-job-{shard}")
    for name in ("Fetch this shard's repositories", "Grade this shard"):
        done = _bash(_step("regrade.yml", "grade", name)["run"], workspace, SHARD=str(shard), **env)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def grade_of_record(base, notebooks, pytest_args, reference=False):
    """Run the workflow's steps (and, with ``reference``, grade-class) on one roster; (the post
    job's gradebook folder, grade-class's or None, {student: graded commit}, the post step's script)."""
    entries, commits = [], {}
    for kind, write in notebooks.items():
        repo = base / "remote" / "course" / f"hw-{kind}"
        write(repo)
        commits[f"course-hw-{kind}"] = _commit(repo)
        entries.append(str(repo))
    roster = base / "roster.txt"
    roster.write_text("# the class\n" + "\n".join(entries) + "\n")
    assert {shard_of(s, 2) for s in commits} == {0, 1}
    env = {"ROSTER": str(roster), "SHARDS": "2", "PYTEST_ARGS": pytest_args, "ROSTER_TOKEN": ""}
    with ThreadPoolExecutor(2) as pool:      # the matrix: each shard a job of its own, at once
        list(pool.map(lambda shard: _shard_job(base, shard, env), (0, 1)))
    workspace = _job_folder(base / "merge-job")
    for shard in (0, 1):                     # upload-artifact in each shard job, download-artifact here
        _artifact(_step("regrade.yml", "grade", "Upload this shard's records"),
                  base / f"shard-job-{shard}" / "shard-out", workspace / "shards" / f"shard-{shard}")
    done = _bash(_step("regrade.yml", "merge", "Merge the shards")["run"], workspace, **env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    posting = _job_folder(base / "post-job")
    _artifact(_step("regrade.yml", "merge", "Upload the gradebook, feedback and summary"), workspace / "gradebook",
              posting / "gradebook")
    post = _step("grade-of-record.yml", "post", "Post the results")["run"]
    if not reference:
        return posting, None, commits, post
    # grade-class on one machine, on the same repositories
    assert main(["fetch-roster", str(roster), "--shard", "0", "--shards", "1", "--into", str(base / "class")]) == 0
    assert main(["grade-class", str(base / "class"), "--out", str(base / "reference"), "--jobs", "2",
                 "--pytest-args", pytest_args]) == 0
    return posting, base / "reference", commits, post


def _post(posting, post, api, dry_run=""):
    return _bash(post, posting, ROSTER=str(posting.parent / "roster.txt"), RESULTS_TOKEN=TOKEN, DRY_RUN=dry_run,
                 GITHUB_API_URL=api.url)


def _checks_the_scores(gradebook, commits, hidden_item):
    """Every student graded, at the commit cloned; the solved one has every point, the hidden
    checks' included; the mutant loses some."""
    rows = _gradebook(gradebook)
    assert sorted(rows) == sorted(commits) and {s: row["commit"] for s, row in rows.items()} == commits
    solved = json.loads((gradebook / "students" / "course-hw-solved" / "results.json").read_text())
    hidden = [t for t in solved["tests"] if t["visibility"] == "after_published" and hidden_item in t["name"]]
    assert hidden and all(t["score"] == t["max_score"] > 0 for t in hidden)     # counted, and passed
    assert float(rows["course-hw-solved"]["score"]) == float(rows["course-hw-solved"]["max_score"]) > 0
    assert 0 < float(rows["course-hw-mutant"]["score"]) < float(rows["course-hw-mutant"]["max_score"])
    return rows


def _checks_the_posting(posting, post, commits, rows, failing):
    """One comment per student on the commit graded, with the token and the gradebook's score; a
    server error for ``failing`` is reported and loses no other student's comment."""
    with running() as api:
        api.fail("POST", f"/repos/course/hw-{failing}/", (500, []))
        done = _post(posting, post, api)
    assert done.returncode == 1 and f"course/hw-{failing}" in done.stderr and "HTTP 500" in done.stderr
    assert TOKEN not in done.stdout + done.stderr
    sent = {r.path: r for r in api.sent("POST")}
    assert len(sent) == len(commits)
    for student, commit in commits.items():
        repository = student.replace("course-", "course/", 1)
        request = sent[f"/repos/{repository}/commits/{commit}/comments"]
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        row = rows[student]
        assert f"**{row['score']} / {row['max_score']} points**" in request.body["body"]
        assert (f"{repository}@{commit}" in api.comments) == (repository != f"course/hw-{failing}")


def _corr2d_repository(source):
    return lambda repo: write_notebook(repo / "7.2-cross-correlation.ipynb", IMPORTS, source)


@pytest.fixture(scope="module")
def corr2d_class(tmp_path_factory):
    """Solved, and a mutant whose integer accumulator passes the book's integer example only."""
    mutant = next(source for item, description, source in MUTANTS if item == "corr2d" and "integer" in description)
    notebooks = {"solved": _corr2d_repository(CORR2D), "mutant": _corr2d_repository(mutant)}
    return grade_of_record(tmp_path_factory.mktemp("grade-of-record"), notebooks, "-k corr2d:")


def test_the_workflows_steps_grade_each_repository_at_its_commit_hidden_checks_included(corr2d_class):
    posting, _, commits, _ = corr2d_class
    _checks_the_scores(posting / "gradebook", commits, "corr2d")


def test_each_result_goes_to_the_commit_graded_and_a_failure_loses_no_other(corr2d_class):
    posting, _, commits, post = corr2d_class
    _checks_the_posting(posting, post, commits, _gradebook(posting / "gradebook"), "solved")


def test_the_workflows_dry_run_sends_nothing(corr2d_class):
    posting, _, commits, post = corr2d_class
    with running() as api:
        done = _post(posting, post, api, dry_run="--dry-run")
    assert done.returncode == 0 and api.requests == [] and done.stdout.count("--- would post to") == len(commits)
    assert all(sha in done.stdout for sha in commits.values())


def _homework(cells):
    def write(repo):
        write_notebook(repo / "homework.ipynb", *cells)
    return write


def _blank(repo):
    repo.mkdir(parents=True)
    for path in sorted((REPO / "assignment").glob("*.ipynb")):
        nbformat.write(nbformat.read(str(path), as_version=4), str(repo / path.name))


@pytest.mark.slow
def test_the_whole_homework_through_the_workflow_scores_as_grade_class(tmp_path):
    mutant = next((item, source) for item, description, source in MUTANTS if item == "pool2d")
    posting, reference, commits, post = grade_of_record(
        tmp_path, {"solved": _homework(solved_homework()), "blank": _blank,
                   "mutant": _homework(solved_homework([mutant]))}, "", reference=True)
    rows = _gradebook(posting / "gradebook")
    assert rows == _gradebook(reference)       # grade-class's scores, item by item, hidden checks included
    assert float(rows["course-hw-blank"]["score"]) == 0
    _checks_the_scores(reference, commits, "corr2d")
    _checks_the_posting(posting, post, commits, rows, "blank")
