"""Grading a class beyond one machine: submitit's job arrays (through its local executor, the
Slurm code path without Slurm) and the sharded re-grade's shard and merge steps, each compared
with ``grade-class`` on one machine: the same scores, maxima, problems and feedback.

The class is tiny (one corr2d notebook each, only the corr2d checks selected): a solved one, a
blank one, a byte-identical copy, a student with no notebook, and "crashy", whose grader crashes
the first time (tests/plugins/crash_once.py) and is retried once.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import yaml
from notebook_factory import IMPORTS, write_notebook
from test_instructor_batch import CORR2D, STUB

from grader.instructor.__main__ import main
from grader.instructor.shards import in_shard

REPO = Path(__file__).resolve().parents[1]
PLUGINS = str(Path(__file__).parent / "plugins")
ARGS = ["--pytest-args", "-k corr2d: -p crash_once"]
VOLATILE = {"seconds", "cached"}          # timing and provenance: the rest must match exactly


def _class(root):
    write_notebook(root / "ann.ipynb", IMPORTS, CORR2D)
    write_notebook(root / "ben.ipynb", IMPORTS, STUB)
    shutil.copy(root / "ann.ipynb", root / "cat.ipynb")
    write_notebook(root / "crashy.ipynb", IMPORTS, CORR2D)
    (root / "eve").mkdir()
    (root / "eve" / "notes.txt").write_text("no notebook")
    return root


def gradebook(out):
    with open(Path(out) / "gradebook.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]


def feedback(out):
    return {p.parent.name: p.read_text() for p in sorted(Path(out).glob("students/*/feedback.md"))}


def _grade(root, out, *extra, crash_dir):
    os.environ["CRASH_ONCE_DIR"] = str(crash_dir)
    try:
        return main(["grade-class", str(root), "--out", str(out), "--jobs", "2", *ARGS, *extra])
    finally:
        del os.environ["CRASH_ONCE_DIR"]


@pytest.fixture(scope="module", autouse=True)
def plugin_path():
    before = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [PLUGINS, before]))
    yield
    if before is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = before


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class graded on one machine, the way grade-class always has."""
    base = tmp_path_factory.mktemp("scale")
    root = _class(base / "class")
    assert _grade(root, base / "threads", crash_dir=base / "crash-threads") == 0
    return root, base


def test_reference_retried_the_crash_once_and_graded_everyone(reference):
    root, base = reference
    rows = {row["student"]: row for row in gradebook(base / "threads")}
    assert rows["crashy"]["status"] == "graded" and rows["crashy"]["score"] == "4"
    assert rows["ann"]["score"] == rows["cat"]["score"] == "4" and rows["ben"]["score"] == "0"
    assert rows["eve"]["status"] == "not graded"
    assert '"attempts": 2' in (base / "threads/students/crashy/done.json").read_text()
    assert (base / "threads/summary.png").read_bytes().startswith(b"\x89PNG")
    assert "| 7.2 | corr2d | 3 | 4 | 75 % |" in (base / "threads/summary.md").read_text()


def test_local_executor_packs_students_and_gives_the_same_gradebook(reference, capsys):
    root, base = reference
    out = base / "local"
    assert _grade(root, out, "--executor", "local", "--students-per-task", "2", "--concurrent", "2",
                  crash_dir=base / "crash-local") == 0
    assert gradebook(out) == gradebook(base / "threads") and feedback(out) == feedback(base / "threads")
    assert '"attempts": 2' in (out / "students/crashy/done.json").read_text()
    # 4 graded runs in 2 array tasks of 2 students; one progress count, with the time left, for the class
    assert len(list((out / "submitit").glob("*_result.pkl"))) == 2
    progress = capsys.readouterr().err
    assert "[1/4] " in progress and "eta " in progress and "[4/4] " in progress


def _submitit_tasks(marker):
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("SCALE_TEST_MARKER") == marker and "submitit" in " ".join(process.cmdline()):
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def _kill_tree(process):
    try:
        victims = process.children(recursive=True) + [process]
    except psutil.Error:   # already gone with an ancestor's tree
        return
    for victim in victims:
        try:
            victim.send_signal(signal.SIGKILL)
        except psutil.Error:
            pass


@pytest.mark.slow   # ~80 s on 2 cores: three students in one task, killed, then resumed
def test_a_task_killed_part_way_is_resumed_grading_only_the_missing(reference, tmp_path):
    root, base = reference
    out, marker = tmp_path / "killed", uuid.uuid4().hex
    command = [sys.executable, "-m", "grader.instructor", "grade-class", str(root), "--out", str(out), "--jobs", "1",
               "--executor", "local", "--students-per-task", "3", "--concurrent", "1", *ARGS]
    env = {**os.environ, "SCALE_TEST_MARKER": marker, "CRASH_ONCE_DIR": str(tmp_path / "crash")}
    first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("students/*/done.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(out.glob("students/*/done.json")), "no student finished in time"
    for task in _submitit_tasks(marker):
        _kill_tree(task)
    log, _ = first.communicate(timeout=120)
    assert first.returncode == 0, log
    killed = {row["student"]: row for row in gradebook(out)}
    missing = sorted(s for s, row in killed.items() if row["status"] == "error")
    assert missing and all("array task ended" in killed[s]["problem"] for s in missing), log
    command[command.index("--concurrent") + 1] = "2"      # the re-run may use more tasks: same cache keys
    again = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr
    finished = sum(row["status"] == "graded" for row in killed.values())
    assert f"{finished} unchanged since the last run" in again.stdout   # only the missing were graded
    assert gradebook(out) == gradebook(base / "threads") and feedback(out) == feedback(base / "threads")


def _workflow_step(job, name):
    data = yaml.safe_load((REPO / ".github/workflows/regrade.yml").read_text())
    (step,) = [s for s in data["jobs"][job]["steps"] if s.get("name") == name]
    return step["run"]


def _bash(script, workspace, **env):
    run = subprocess.run(["bash", "-e", "-c", script], cwd=workspace, capture_output=True, text=True, timeout=300,
                         env={**os.environ, **env})
    assert run.returncode == 0, run.stdout + run.stderr
    return run


def test_regrade_workflow_shard_and_merge_steps_give_grade_class_s_gradebook(reference, tmp_path):
    """The workflow's own shell steps, run here: three shards, their artifacts, one merge."""
    root, base = reference
    workspace = tmp_path / "checkout"
    workspace.mkdir()
    (workspace / ".venv").symlink_to(REPO / ".venv")
    env = {"ROSTER": str(root), "PYTEST_ARGS": ARGS[1], "SHARDS": "3", "CRASH_ONCE_DIR": str(tmp_path / "crash")}
    matrix = _bash(_workflow_step("plan", "Shard numbers (at most 256, the matrix's cap)").replace(
        '>> "$GITHUB_OUTPUT"', ""), REPO, **env).stdout
    assert matrix.strip() == "shards=[0, 1, 2]"
    for shard in range(3):
        _bash(_workflow_step("grade", "Grade this shard"), workspace, SHARD=str(shard), **env)
        artifact = workspace / "shards" / f"shard-{shard}"     # upload-artifact, then download-artifact
        shutil.copytree(workspace / "shard-out", artifact, ignore=shutil.ignore_patterns("work"))
        shutil.rmtree(workspace / "shard-out")
    _bash(_workflow_step("merge", "Merge the shards"), workspace, **env)
    merged = workspace / "gradebook"
    assert gradebook(merged) == gradebook(base / "threads") and feedback(merged) == feedback(base / "threads")
    assert (merged / "summary.png").is_file()
    # a shard that never ran: its students are reported, not lost
    lost = in_shard(["ann", "ben", "cat", "crashy"], 0, 3)
    assert main(["merge-shards", str(root), *map(str, sorted((workspace / "shards").iterdir())[1:]),
                 "--out", str(tmp_path / "partial"), "--pytest-args", ARGS[1]]) == 0
    rows = {row["student"]: row for row in gradebook(tmp_path / "partial")}
    assert sorted(rows) == ["ann", "ben", "cat", "crashy", "eve"]
    assert lost and {s for s, row in rows.items() if "no shard graded" in row["problem"]} == lost


def test_fetch_roster_clones_only_its_shards_repositories(tmp_path):
    roster, names = tmp_path / "roster.txt", []
    for n in range(4):
        repo = tmp_path / "remote" / "course" / f"hw-student{n}"
        write_notebook(repo / "assignment" / "7.2.ipynb", IMPORTS, CORR2D)
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "add", "."], check=True)
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "hw"],
                       check=True)
        names.append(str(repo))
    roster.write_text("# the class\n" + "\n".join(names) + "\n")
    fetched = []
    for shard in range(2):
        into = tmp_path / f"shard-{shard}"
        assert main(["fetch-roster", str(roster), "--shard", str(shard), "--shards", "2", "--into", str(into)]) == 0
        fetched += [p.name for p in into.iterdir()]
        assert all((p / "assignment" / "7.2.ipynb").is_file() and not (p / ".git").exists() for p in into.iterdir())
        assert set(p.name for p in into.iterdir()) == in_shard([f"course-hw-student{n}" for n in range(4)], shard, 2)
    assert sorted(fetched) == [f"course-hw-student{n}" for n in range(4)]
