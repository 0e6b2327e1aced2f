"""docs/term.md run as written: every command of its ```bash blocks, in order, in a folder of its own,
on a class of three Classroom repositories (local git repositories), then what an instructor relies on:
the commit each student is graded on, the late penalty, the filled sheet's score, the override, what
``diff`` names, the posted comments, the LMS files. How a command of the page is run here:

- ``python -m grader.instructor ...`` in this process through the same ``main`` (words split by
  ``shlex``, wildcards expanded by ``glob``, as the shell would); anything else in bash, ``.venv/bin``
  first on PATH. ``you/`` becomes ``course-test/`` (``release`` refuses the docs' example owner) and
  ``release`` gets ``--allow-dirty`` (this working tree may hold uncommitted changes;
  ``test_release_hygiene.py`` tests the refusal).
- The fixture does what the page leaves to the instructor: ``roster.txt`` (local clone paths),
  ``classroom_roster.csv``, ``canvas-export.csv``, and the sheets in ``marked/`` filled before ``manual``.
  GitHub's API is ``github_stand_in.py``; no ``ROSTER_TOKEN``: arrival times are the forged commit dates.
- A command that needs GitHub itself (starting with ``gh `` or ``git push``) is skipped only if listed
  in GITHUB_ONLY, and every other command must be of a kind in CHECKED: a command added to the page
  without a check here fails ``test_every_command_is_run_or_listed_as_needing_github``.
"""

import contextlib
import csv
import io
import json
import os
import re
import shlex
import subprocess
from datetime import datetime, timedelta
from glob import glob
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from github_stand_in import running
from mutants import MUTANTS
from notebook_factory import IMPORTS, write_notebook

from grader.instructor.__main__ import main
from grader.instructor.term.written_answers import which_question
from solutions.fill import reference_definitions, write_solved

pytestmark = pytest.mark.kernel

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "term.md"
GITHUB = ("gh ", "git push")   # the commands that need GitHub itself; those of the page are listed below
GITHUB_ONLY = ("gh workflow run grade-of-record.yml -f roster=roster.txt -f dry-run=true    # on GitHub",)
CHECKED = {"release", "fetch-roster", "grade-class", "manual", "gradebook", "diff", "post-results", "export",
           "cp", "mkdir", "cat"}
DUE = datetime(2026, 10, 15, 23, 59, tzinfo=ZoneInfo("America/New_York"))   # course.example.toml's
TOKEN = "github_pat_term-walkthrough"
CORR2D = reference_definitions()["corr2d"]
STUB = "def corr2d(X, K):\n    raise NotImplementedError"
WRITTEN = "7.2 7.2_written_1 /3 (written)"
ROSTER = ("identifier,github_username,github_id,name\nalice@uni.edu,alice,1,Alice Smith\n"
          "bob@uni.edu,bob,2,Bob Jones\ncarol@uni.edu,carol,3,Carol Diaz\n")
CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section,HW2 (12345)\n    Points Possible,,,,,56\n"
          '"Smith, Alice",101,S1,alice@uni.edu,A\n"Jones, Bob",102,S2,bob@uni.edu,A\n'
          '"Diaz, Carol",103,S3,carol@uni.edu,A\n')


def page_commands(text):
    """The commands of the page's bash blocks, in order: continued lines joined, a here-document kept whole."""
    commands = []
    for block in re.findall(r"^```bash\n(.*?)^```", text, re.S | re.M):
        lines, i = block.splitlines(), 0
        while i < len(lines):
            line, i = lines[i], i + 1
            while line.endswith("\\"):
                line, i = line[:-1].rstrip() + " " + lines[i].strip(), i + 1
            heredoc = re.search(r"<<'(\w+)'", line)
            if heredoc:
                end = lines.index(heredoc[1], i)
                line, i = "\n".join([line, *lines[i:end], heredoc[1]]), end + 1
            if line.strip():
                commands.append(line)
    return commands


def kind(command):
    """The instructor tool's command, else the program: what decides how a command is run and checked."""
    words = command.split()
    return words[3] if words[:3] == ["python", "-m", "grader.instructor"] else words[0]


def _commit(repo, hours, *cells):
    """Commit the 7.2 notebook (these cells, or the solved one when none) dated ``hours`` from the deadline."""
    notebook = repo / "7.2-cross-correlation.ipynb"
    write_notebook(notebook, *cells) if cells else write_solved(REPO / "assignment" / notebook.name, notebook)
    when = (DUE + timedelta(hours=hours)).isoformat()
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    git = ["git", "-C", str(repo), "-c", "user.name=s", "-c", "user.email=s@s"]
    for step in (["add", "."], ["commit", "-qm", "work"]):
        subprocess.run([*git, *step], check=True, env=env)
    return subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()


def _classroom(base):
    """alice on time; bob fixes his bug 20 h late, inside his 48 h extension; carol's whole 7.2 comes
    3 h late after an on-time stub. Writes roster.txt; returns each student's commits."""
    starter = json.loads((REPO / "assignment" / "7.2-cross-correlation.ipynb").read_text())
    question = "#md " + next(s for s in ("".join(c["source"]) for c in starter["cells"]) if which_question(s))
    mutant = next(source for item, what, source in MUTANTS if item == "corr2d" and "integer" in what)
    alice = "#md *Your answer:* only the vertical edges: $\\mathbf{K}$ sees no change along a diagonal."
    bob = "#md *Your answer:* the diagonal edges come out as well."
    plan = {"alice": [(-2, (IMPORTS, CORR2D, question, alice))],
            "bob": [(-1, (IMPORTS, mutant, question, bob)), (20, (IMPORTS, CORR2D, question, bob))],
            "carol": [(-5, (IMPORTS, STUB)), (3, ())]}
    commits, repos = {}, []
    for name, pushes in plan.items():
        repo = base / "remote" / "classroom-org" / f"hw2-{name}"
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        commits[name] = [_commit(repo, hours, *cells) for hours, cells in pushes]
        repos.append(f"{repo}\n")
    (base / "roster.txt").write_text("".join(repos))
    return commits


def _fill_sheets(course):
    """What a reader does between grade-class and manual: alice meets two criteria, bob gets one point."""
    ledger = json.loads((course / "build" / "class" / "manual" / "answers.json").read_text())["students"]
    ids = {entry["id"]: student for student, entry in ledger.items()}
    sheet = course / "marked" / "7.2_written_1.csv"
    reader = csv.DictReader(io.StringIO(sheet.read_text()))
    header, rows = reader.fieldnames, list(reader)
    for row in rows:
        if ids[row["anonymous_id"]].endswith("alice"):
            row.update(diagonal="y", transpose="y", k_transposed="n", comment="Say what transposing K does.")
        elif ids[row["anonymous_id"]].endswith("bob"):
            row.update(points="1", comment="The diagonal edges are not found.")
    with open(sheet, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def _gradebook(course):
    path = course / "build" / "class" / "gradebook.csv"
    rows = csv.DictReader(io.StringIO(path.read_text())) if path.exists() else []
    return {row["student"].removeprefix("classroom-org-hw2-"): row for row in rows}


def _run(command, course):
    """(exit status, stdout, stderr) of one command of the page, run in ``course``."""
    if kind(command) == command.split()[0]:
        path = f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
        done = subprocess.run(["bash", "-c", command], cwd=course, env={**os.environ, "PATH": path},
                              capture_output=True, text=True, timeout=300)
        return done.returncode, done.stdout, done.stderr
    words = shlex.split(command, comments=True)[3:]
    argv = [m for w in words for m in (sorted(glob(w)) or [w] if re.search(r"[*?[]", w) else [w])]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as stop:
            status = stop.code
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    """Every runnable command of the page run in order: ([(command, status, stdout, stderr, gradebook,
    requests sent to GitHub so far)], the stand-in's state, the course folder, the commits)."""
    course = tmp_path_factory.mktemp("term")
    commits = _classroom(course)
    (course / "course.example.toml").write_text((REPO / "course.example.toml").read_text())
    (course / "classroom_roster.csv").write_text(ROSTER)
    (course / "canvas-export.csv").write_text(CANVAS)
    steps = []
    with running() as api, pytest.MonkeyPatch.context() as patch:
        patch.chdir(course)
        patch.setenv("RESULTS_TOKEN", TOKEN)
        patch.setenv("GITHUB_API_URL", api.url)
        patch.delenv("ROSTER_TOKEN", raising=False)
        for command in page_commands(PAGE.read_text()):
            if command.startswith(GITHUB):
                continue
            run = command.replace("you/", "course-test/")
            if kind(command) == "release":
                run += " --allow-dirty"
            if kind(command) == "manual":
                _fill_sheets(course)
            status, stdout, stderr = _run(run, course)
            steps.append((command, status, stdout, stderr, _gradebook(course), len(api.requests)))
    return steps, api, course, commits


def _step(term, wanted, nth=0):
    return [s for s in term[0] if kind(s[0]) == wanted][nth]


def test_every_command_is_run_or_listed_as_needing_github():
    commands = page_commands(PAGE.read_text())
    assert {kind(c) for c in commands if not c.startswith(GITHUB)} == CHECKED   # each kind checked below
    assert [c for c in commands if c.startswith(GITHUB)] == list(GITHUB_ONLY)


def test_each_command_succeeds_and_diff_reports_a_change(term):
    for command, status, stdout, stderr, *_ in term[0]:
        assert status == (1 if kind(command) == "diff" else 0), f"{command}\n{stdout[-2000:]}\n{stderr[-3000:]}"


def test_the_release_is_built_for_the_starter_repository_without_the_answers(term):
    stdout, release = _step(term, "release")[2], term[2] / "build" / "student-repo"
    assert len(list((release / "assignment").glob("*.ipynb"))) == 8 and not (release / "solutions").exists()
    assert "GRADER_REF: fall-2026" in (release / ".github" / "workflows" / "autograde.yml").read_text()
    assert "gh repo create course-test/convnet-homework-starter" in stdout


def test_each_student_is_graded_as_of_their_deadline_and_carol_pays_for_one_late_day(term):
    book, commits = _step(term, "grade-class")[4], term[3]
    alice, bob, carol = book["alice"], book["bob"], book["carol"]
    assert (alice["commit"], alice["penalty"], alice["grade"]) == (commits["alice"][0], "0", "4")
    # bob's fix came 20 h after the course's deadline, inside his 48-hour extension: on time
    assert [bob[k] for k in ("commit", "extension", "deadline", "penalty", "grade")] == [
        commits["bob"][1], "medical note", "2026-10-17T23:59-04:00", "0", "4"]
    # carol's on-time stub scores 0; her solved 7.2 (10 points), 3 h late, costs one started day:
    # 10 % of the maximum score, and the better of the two counts
    assert (carol["commit"], carol["late_commit"], carol["hours_late"]) == (*commits["carol"], "3.00")
    assert (carol["raw_score"], carol["penalty"], carol["grade"]) == ("10", "5.6", "4.4")
    assert carol["counted"].startswith("latest") and carol["time_source"].startswith("commit date")


def test_the_packet_is_anonymous_and_the_filled_sheet_reaches_gradebook_and_feedback(term):
    course = term[2]
    packet = (course / "build" / "class" / "written" / "7.2_written_1.html").read_text()
    assert "the diagonal edges come out as well" in packet and "hw2-" not in packet
    book = _step(term, "manual")[4]
    # alice met two criteria, bob got a point; carol left the starter's text: no answer, 0, read by no one
    assert [(book[s][WRITTEN], book[s]["grade"]) for s in book] == [("2", "6"), ("1", "5"), ("0", "4.4")]
    feedback = (course / "build" / "class" / "students" / "classroom-org-hw2-alice" / "feedback.md").read_text()
    assert "Say what transposing K does." in feedback


def test_the_override_is_applied_and_a_regrade_keeps_it_with_the_manual_scores(term):
    book = _step(term, "gradebook")[4]
    alice = book["alice"]
    assert (alice["7.6 LeNet_training /2"], alice["overrides"]) == ("2", "LeNet_training +2 by prof-lee")
    assert (alice["score"], alice[WRITTEN], alice["grade"]) == ("6", "2", "8")
    assert (book["carol"]["penalty"], book["carol"]["grade"]) == ("5.6", "4.4")
    regraded = _step(term, "grade-class", 1)[4]
    assert {row["cached"] for row in regraded.values()} == {"yes"}     # nothing graded again
    stable = [{s: {k: v for k, v in row.items() if k not in ("seconds", "cached")} for s, row in b.items()}
              for b in (regraded, book)]
    assert stable[0] == stable[1]


def test_diff_names_every_change_and_its_reason(term):
    _, status, stdout, *_ = _step(term, "diff")
    assert status == 1
    assert "classroom-org-hw2-alice: score 4 -> 8" in stdout and "classroom-org-hw2-bob: score 4 -> 5" in stdout
    assert "LeNet_training: - -> 2: an override" in stdout and "7.2_written_1: - -> 2: a manual score" in stdout
    assert "carol" not in stdout


def test_the_dry_run_sends_nothing_and_the_post_reaches_each_graded_commit(term):
    steps, api = term[0], term[1]
    first = next(n for n, step in enumerate(steps) if kind(step[0]) == "post-results")
    dry, posted = steps[first], steps[first + 1]
    assert "--dry-run" in dry[0] and dry[5] == steps[first - 1][5] and "--dry-run" not in posted[0]
    book = posted[4]
    assert sorted(api.comments) == sorted(f"classroom-org/hw2-{s}@{row['commit']}" for s, row in book.items())
    assert {r.headers["Authorization"] for r in api.requests} == {f"Bearer {TOKEN}"}
    (carol,) = api.comments[f"classroom-org/hw2-carol@{book['carol']['commit']}"]
    assert "after the late policy, **4.4 / 56**" in carol["body"]


def _csv(path):
    return list(csv.reader(io.StringIO(path.read_text())))


def test_each_export_carries_the_grade_under_its_platforms_header(term):
    course = term[2]
    assert _csv(course / "canvas-import.csv") == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW2 (12345)"],
        ["    Points Possible", "", "", "", "", "86"],   # the class's maximum: alice's override counts LeNet_training
        ["Smith, Alice", "101", "S1", "alice@uni.edu", "A", "8"], ["Jones, Bob", "102", "S2", "bob@uni.edu", "A", "5"],
        ["Diaz, Carol", "103", "S3", "carol@uni.edu", "A", "4.4"]]
    grades = [("Smith", "Alice", "alice@uni.edu", "8"), ("Jones", "Bob", "bob@uni.edu", "5"),
              ("Diaz", "Carol", "carol@uni.edu", "4.4")]
    assert _csv(course / "moodle.csv") == [["Email address", "HW2"], *([who, got] for *_, who, got in grades)]
    assert _csv(course / "blackboard.csv") == [["Last Name", "First Name", "Username", "HW2 |12345"],
                                               *(list(row) for row in grades)]
    header, *rows = _csv(course / "scores-long.csv")
    assert header == ["student", "item", "kind", "points", "max_points"]
    assert ["classroom-org-hw2-alice", "LeNet_training", "override", "2", "2"] in rows
    assert ["classroom-org-hw2-bob", "7.2_written_1", "written", "1", "3"] in rows
    assert ["classroom-org-hw2-carol", "late penalty", "penalty", "-5.6", "0"] in rows


def test_the_long_export_adds_up_to_each_students_grade(term):
    """Its rows should be the grade's parts: for carol, the late work that counted, then its penalty."""
    total = {}
    for student, _, _, points, _ in _csv(term[2] / "scores-long.csv")[1:]:
        total[student] = total.get(student, 0) + float(points)
    book = _step(term, "export")[4]
    assert total == pytest.approx({f"classroom-org-hw2-{s}": float(row["grade"]) for s, row in book.items()})
