"""Deadlines and late work: the course file, extensions, push times, "as of the deadline", penalties.

The class is a roster of local git repositories whose pushes straddle the deadline, GitHub's push
record played by a stand-in API on 127.0.0.1. Grading itself is not what these tests are about: a
stand-in grader scores each snapshot by the ``SCORE = n`` its notebook holds, and writes a real
grading record (``test_grade_of_record.py`` grades repositories for real). What is tested is which
commit each student is graded on, where its time came from, the penalties, and that a moved due
date is recomputed from stored results with the grading entry point made to fail.
"""

import csv
import json
import os
import re
import subprocess
import threading
from datetime import datetime, timedelta
from fractions import Fraction
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from notebook_factory import write_notebook

from grader.instructor import batch
from grader.instructor.__main__ import main
from grader.instructor.post_results import score_line
from grader.instructor.term.course_file import CourseFileError, load_course
from grader.instructor.term.late_policy import assess
from grader.notebooks import notebooks_under
from grader.record import CheckResult, GradingRecord
from grader.report import gradescope_json, write_results

ZONE = ZoneInfo("America/New_York")
DUE = datetime(2026, 10, 15, 23, 59, tzinfo=ZONE)
TOKEN = "github_pat_roster-stand-in"
POLICY = """[late]
policy = "per_day"
penalty = 0.1
unit = "fraction"
cap = 0.5
cutoff_hours = 120
"""


def _course(folder, due="2026-10-15T23:59:00", extensions="", late=POLICY, zone="America/New_York"):
    folder.mkdir(parents=True, exist_ok=True)
    text = f'[deadline]\ndue = {due}\ntimezone = "{zone}"\ngrace_minutes = 10\n\n{late}\n'
    if extensions:
        (folder / "extensions.csv").write_text(extensions)
        text += '[extensions]\nfile = "extensions.csv"\n'
    (folder / "course.toml").write_text(text)
    return folder / "course.toml"


# ---------------------------------------------------------------- the course file and its errors

def test_the_shipped_example_is_valid_and_means_what_it_says(tmp_path):
    example = Path(__file__).resolve().parents[1] / "course.example.toml"
    (tmp_path / "course.toml").write_text(example.read_text())
    (tmp_path / "extensions.csv").write_text("student,due,extra_hours,reason\n"
                                             "classroom-org/hw2-alice,,48,medical note\n"
                                             "classroom-org/hw2-bob,2026-10-20 12:00,,conference\n"
                                             "carol,2026-10-18,,a date alone is the end of that day\n")
    course = load_course(tmp_path / "course.toml", {"classroom-org-hw2-alice", "classroom-org-hw2-bob", "carol"})
    assert course.due == DUE and course.grace == timedelta(minutes=15)
    assert course.late.period == timedelta(days=1) and course.late.cap == 0.5 and course.late.cutoff_hours == 120
    assert course.hidden_checks == "after_published"
    assert course.deadline_for("classroom-org-hw2-alice") == DUE + timedelta(hours=48)
    assert course.deadline_for("classroom-org-hw2-bob") == datetime(2026, 10, 20, 12, 0, tzinfo=ZONE)
    assert course.deadline_for("carol") == datetime(2026, 10, 18, 23, 59, 59, tzinfo=ZONE)
    assert course.deadline_for("someone-else") == DUE


@pytest.mark.parametrize(("change", "line", "words"), [
    (('due = 2026-10-15T23:59:00', 'due = "next Friday"'), 2, "[deadline] due: must be a date and time"),
    (('timezone = "America/New_York"', 'timezone = "Mars/Olympus_Mons"'), 3, "not an IANA time zone"),
    (("penalty = 0.1", "penalty = -0.1"), 8, "[late] penalty: must be at least 0"),
    (("cap = 0.5", "cap = 5"), 10, "a fraction of the score is at most 1"),
    (('unit = "fraction"', 'unit = "percent"'), 9, "[late] unit: must be one of"),
    (("cutoff_hours = 120", "cutof_hours = 120"), 11, "[late] cutof_hours: unknown key"),
])
def test_a_bad_course_file_is_one_error_naming_file_line_and_key(tmp_path, change, line, words):
    path = _course(tmp_path)
    path.write_text(path.read_text().replace(*change))
    with pytest.raises(CourseFileError) as raised:
        load_course(path)
    assert f"{path}, line {line}: " in str(raised.value) and words in str(raised.value)


def test_toml_syntax_errors_keep_tomllibs_line(tmp_path):
    path = _course(tmp_path)
    path.write_text(path.read_text().replace("grace_minutes = 10", "grace_minutes = = 10"))
    with pytest.raises(CourseFileError, match=r"course\.toml: not valid TOML: .*line 4"):
        load_course(path)


@pytest.mark.parametrize(("rows", "line", "words"), [
    ("alice,,24,flu\nmallory,,24,typo\n", 3, "no student 'mallory' in this class"),
    ("alice,,24,flu\nalice,,48,again\n", 3, "alice already has an extension (line 2)"),
    ("alice,2026-10-17 12:00,24,both\n", 2, "either a new due date or extra hours, not both"),
    ("alice,,-3,negative\n", 2, "extra_hours must be between 0 and a year"),
    ("alice,Friday,,vague\n", 2, "due 'Friday' is not a date and time"),
])
def test_a_bad_extensions_file_names_its_line(tmp_path, rows, line, words):
    path = _course(tmp_path, extensions="student,due,extra_hours,reason\n" + rows)
    with pytest.raises(CourseFileError) as raised:
        load_course(path, {"alice", "bob"})
    assert f"extensions.csv, line {line}: " in str(raised.value) and words in str(raised.value)


def test_penalties_per_started_day_with_grace_cap_points_and_cutoff(tmp_path):
    course = load_course(_course(tmp_path))
    assert assess(course, "a", DUE + timedelta(minutes=9), 40).penalty == 0          # within grace
    late = assess(course, "a", DUE + timedelta(minutes=11), 40)                       # 1 started day
    assert late.penalty == pytest.approx(4) and late.hours_late == pytest.approx(11 / 60)
    assert assess(course, "a", DUE + timedelta(hours=49), 40).penalty == pytest.approx(12)   # 3 days
    assert assess(course, "a", DUE + timedelta(hours=119), 40).penalty == pytest.approx(20)  # capped at half
    gone = assess(course, "a", DUE + timedelta(hours=121), 40)
    assert not gone.accepted and gone.final(40) == 0
    points = load_course(_course(tmp_path / "p", late='[late]\npolicy = "per_hour"\npenalty = 2\nunit = "points"\n'))
    assert assess(points, "a", DUE + timedelta(hours=2, minutes=30), 40).penalty == 6        # 3 started hours
    assert assess(points, "a", DUE + timedelta(hours=30), 40).final(25) == 0                # never below 0


# ---------------------------------------------------------------- a roster straddling the deadline

def _git(repo, *args, env=None):
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True,
                          env=env).stdout.strip()


def _repository(path, scores_and_dates):
    """A repository with one commit per (score, forged commit date or None); their ids."""
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    commits = []
    for score, forged in scores_and_dates:
        write_notebook(path / "hw.ipynb", f"SCORE = {score}", f"# {path.name}")   # no two students alike
        _git(path, "add", ".")
        env = None
        if forged:
            stamp = forged.isoformat()
            env = {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "PATH": "/usr/bin:/bin", "HOME": str(path)}
        _git(path, "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", f"score {score}", env=env)
        commits.append(_git(path, "rev-parse", "HEAD"))
    return commits


def _push(at, head, ref="refs/heads/main"):
    return {"type": "PushEvent", "created_at": at.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "payload": {"ref": ref, "head": head, "before": "0" * 40}}


class _GitHub:
    """GitHub's events and actions-runs endpoints on 127.0.0.1, recording each request's path and token."""

    def __init__(self, events, runs=None):
        self.events, self.runs, self.requests = events, runs or {}, []

    def __enter__(self):
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                state.requests.append((self.path, self.headers.get("Authorization")))
                found = re.fullmatch(r"/repos/([^/]+/[^/]+)/(events|actions/runs)", self.path.split("?")[0])
                if not found:
                    payload, status = {"message": "Not Found"}, 404
                elif found[2] == "events":
                    payload, status = list(reversed(state.events.get(found[1], []))), 200   # newest first
                else:
                    sha = re.search(r"head_sha=([0-9a-f]+)", self.path)[1]
                    runs = [{"head_sha": sha, "created_at": at, "event": "push"}
                            for at in state.runs.get(found[1], {}).get(sha, [])]
                    payload, status = {"total_count": len(runs), "workflow_runs": runs}, 200
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _stand_in_grader(graded):
    """Plays ``pytest grader`` for one submission: a real grading record scoring its SCORE out of 10."""

    def run_grader(submission_path, folder, options, env=None):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (notebook,) = notebooks_under(submission_path)
        score = int(re.search(r"SCORE = (\d+)", notebook.read_text())[1])
        graded.append(score)
        check = CheckResult("corr2d agrees with F.conv2d", "corr2d", "7.2", Fraction(score), Fraction(10),
                            "passed" if score == 10 else "failed", "")
        write_results(folder / batch.RESULTS, gradescope_json(GradingRecord(checks=[check])))
        return batch.GRADED, "", 0.1

    return run_grader


def _gradebook(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    """Four repositories: alice late after an on-time push, bob inside his 48-hour extension, carol
    with commit dates forged into the past but pushed late, dave's last push past the cutoff."""
    base = tmp_path_factory.mktemp("roster")
    week_ago = DUE - timedelta(days=7)
    plan = {"alice": [(6, None), (10, None)], "bob": [(4, None), (9, None)],
            "carol": [(5, None), (10, week_ago)], "dave": [(7, None), (10, None)]}
    pushed = {"alice": [-2, 30], "bob": [-1, 20], "carol": [-5, 3], "dave": [-1, 200]}   # hours from DUE
    commits, events = {}, {}
    for name, steps in plan.items():
        commits[name] = _repository(base / "org" / f"hw2-{name}", steps)
        events[f"org/hw2-{name}"] = [_push(DUE + timedelta(hours=h), c) for h, c in zip(pushed[name], commits[name])]
    events["org/hw2-alice"].append(_push(DUE + timedelta(hours=90), "f" * 40, ref="refs/heads/experiment"))
    (base / "roster.txt").write_text("".join(f"{base / 'org' / f'hw2-{n}'}\n" for n in plan))
    (base / "extensions.csv").write_text("student,due,extra_hours,reason\norg/hw2-bob,,48,medical note\n")
    return base, commits, events


def _course_text(due):
    return (f'[deadline]\ndue = {due}\ntimezone = "America/New_York"\ngrace_minutes = 10\n\n{POLICY}\n'
            '[extensions]\nfile = "extensions.csv"\n')


def test_each_student_is_graded_as_of_their_deadline_and_a_moved_due_date_regrades_nothing(roster, monkeypatch):
    base, commits, events = roster
    course = base / "course.toml"
    course.write_text(_course_text("2026-10-15T23:59:00"))
    monkeypatch.setenv("ROSTER_TOKEN", TOKEN)
    with _GitHub(events) as api:
        code = main(["fetch-roster", str(base / "roster.txt"), "--shard", "0", "--shards", "1",
                     "--into", str(base / "class"), "--course", str(course), "--api-url", api.url])
    assert code == 0
    assert {auth for _, auth in api.requests} == {f"Bearer {TOKEN}"}
    folders = sorted(p.name for p in (base / "class").iterdir() if not p.name.startswith("."))
    assert folders == ["org-hw2-alice", "org-hw2-alice@late", "org-hw2-bob", "org-hw2-carol", "org-hw2-carol@late",
                       "org-hw2-dave"]   # bob's second push is inside his extension; dave's is past the cutoff

    def cloned(folder):
        return (base / "class" / folder / ".roster-commit").read_text().strip()

    assert cloned("org-hw2-alice") == commits["alice"][0] and cloned("org-hw2-alice@late") == commits["alice"][1]
    assert cloned("org-hw2-bob") == commits["bob"][1]
    assert cloned("org-hw2-carol") == commits["carol"][0] and cloned("org-hw2-carol@late") == commits["carol"][1]
    assert cloned("org-hw2-dave") == commits["dave"][0]

    graded = []
    monkeypatch.setattr(batch, "run_grader", _stand_in_grader(graded))
    out = base / "out"
    assert main(["grade-class", str(base / "class"), "--out", str(out), "--jobs", "1", "--course", str(course)]) == 0
    assert sorted(graded) == [5, 6, 7, 9, 10, 10]   # dave's 10 came after the cutoff: never graded
    book = _gradebook(out)
    assert sorted(book) == ["org-hw2-alice", "org-hw2-bob", "org-hw2-carol", "org-hw2-dave"]
    alice, bob, carol, dave = (book[f"org-hw2-{n}"] for n in ("alice", "bob", "carol", "dave"))
    # alice: 6 on time, or 10 pushed 30 h late (2 started days, 20%): the late work counts, 8
    assert (alice["commit"], alice["late_commit"]) == (commits["alice"][0], commits["alice"][1])
    assert [alice[k] for k in ("raw_score", "penalty", "final_score", "hours_late")] == ["10", "2", "8", "30.00"]
    assert alice["counted"].startswith("latest") and alice["time_source"].startswith("GitHub push record")
    assert alice["submitted_at"] == "2026-10-17T05:59-04:00" and alice["deadline"] == "2026-10-15T23:59-04:00"
    # bob: his deadline is 48 h later, so his push 20 h after the course's is on time
    assert (bob["commit"], bob["final_score"], bob["penalty"], bob["late_commit"]) == (commits["bob"][1], "9", "0", "")
    assert bob["deadline"] == "2026-10-17T23:59-04:00" and bob["extension"] == "medical note"
    # carol: the commit dated a week early was pushed 3 h late; the push record wins (1 day, 10%)
    assert carol["late_commit"] == commits["carol"][1]
    assert [carol[k] for k in ("raw_score", "penalty", "final_score", "hours_late")] == ["10", "1", "9", "3.00"]
    assert (dave["commit"], dave["final_score"], dave["late_commit"]) == (commits["dave"][0], "7", "")

    receipt = json.loads((out / "students" / "org-hw2-carol_late" / "receipt.json").read_text())
    assert receipt["commit"] == commits["carol"][1] and receipt["time_source"].startswith("GitHub push record")
    assert receipt["commit_date"] == ""   # fetch-roster's record names the commit; no forged date on show
    assert receipt["score"] == 10 and receipt["notebooks"][0]["file"] == "hw.ipynb"

    # The due date moves a day later: every penalty is recomputed from the stored results, no grading runs
    def no_grading(*args, **kwargs):
        raise AssertionError("a submission was graded again")

    monkeypatch.setattr(batch, "run_grader", no_grading)
    course.write_text(_course_text("2026-10-16T23:59:00"))
    assert main(["grade-class", str(base / "class"), "--out", str(out), "--jobs", "1", "--course", str(course)]) == 0
    moved = _gradebook(out)
    alice, bob, carol = (moved[f"org-hw2-{n}"] for n in ("alice", "bob", "carol"))
    assert (alice["penalty"], alice["final_score"], alice["hours_late"]) == ("1", "9", "6.00")
    assert (carol["penalty"], carol["final_score"], carol["hours_late"]) == ("0", "10", "0.00")
    assert bob["deadline"] == "2026-10-18T23:59-04:00"
    assert all(row["cached"] == "yes" for row in moved.values())

    # and back, through `gradebook CLASS_OUT --course`: from the output folder alone
    course.write_text(_course_text("2026-10-15T23:59:00"))
    assert main(["gradebook", str(out), "--course", str(course)]) == 0
    back = _gradebook(out)
    assert sorted(back) == sorted(book)
    alice = back["org-hw2-alice"]
    assert [alice[k] for k in ("penalty", "final_score", "late_commit")] == ["2", "8", commits["alice"][1]]
    assert [back["org-hw2-carol"][k] for k in ("penalty", "final_score")] == ["1", "9"]
    assert back["org-hw2-bob"]["deadline"] == "2026-10-17T23:59-04:00"


def test_an_extension_for_a_student_not_in_the_roster_stops_fetch_roster_with_its_line(roster, capsys):
    base, _, _ = roster
    folder = base / "typo"
    folder.mkdir()
    (folder / "extensions.csv").write_text("student,due,extra_hours,reason\norg/hw2-bob,,48,ok\norg/hw2-bobby,,24,x\n")
    (folder / "course.toml").write_text(_course_text("2026-10-15T23:59:00"))
    code = main(["fetch-roster", str(base / "roster.txt"), "--shard", "0", "--shards", "1",
                 "--into", str(folder / "class"), "--course", str(folder / "course.toml")])
    assert code == 2 and not (folder / "class").exists()
    assert f"{folder / 'extensions.csv'}, line 3: no student 'org-hw2-bobby' in this class" in capsys.readouterr().err


def test_grade_class_refuses_a_bad_course_file_before_grading_anything(tmp_path, monkeypatch, capsys):
    write_notebook(tmp_path / "class" / "alice" / "hw.ipynb", "SCORE = 3")
    path = _course(tmp_path, due='"2026-13-45 25:00"')
    monkeypatch.setattr(batch, "run_grader", lambda *a, **k: pytest.fail("graded despite a bad course file"))
    assert main(["grade-class", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--course", str(path)]) == 2
    assert f"{path}, line 2: [deadline] due: must be a date and time" in capsys.readouterr().err
    assert not (tmp_path / "out" / "gradebook.csv").exists() and not (tmp_path / "out" / "students").exists()


def test_lms_times_blackboard_stamp_file_time_and_canvas_late_marker(tmp_path, monkeypatch):
    root = tmp_path / "export"
    write_notebook(root / "hw2_alice_attempt_2026-10-16-08-30-00_hw.ipynb", "SCORE = 10")
    write_notebook(root / "bob_LATE_1234_5678_hw.ipynb", "SCORE = 8")
    stamp = (DUE - timedelta(hours=1)).timestamp()
    os.utime(root / "bob_LATE_1234_5678_hw.ipynb", (stamp, stamp))
    graded = []
    monkeypatch.setattr(batch, "run_grader", _stand_in_grader(graded))
    course = _course(tmp_path)
    assert main(["grade-class", str(root), "--out", str(tmp_path / "out"), "--jobs", "1", "--course", str(course)]) == 0
    book = _gradebook(tmp_path / "out")
    alice, bob = book["alice"], book["bob"]
    assert alice["time_source"].startswith("Blackboard attempt time") and alice["hours_late"] == "8.52"
    assert (alice["penalty"], alice["final_score"]) == ("1", "9")
    assert bob["time_source"] == "newest file time in the submission (LMS export or folder); Canvas marked it LATE"
    assert (bob["hours_late"], bob["final_score"]) == ("0.00", "8")


def test_without_a_push_record_the_forged_commit_date_is_all_there_is_and_it_says_so(roster, monkeypatch):
    base, commits, _ = roster
    monkeypatch.delenv("ROSTER_TOKEN", raising=False)
    (base / "plain.toml").write_text(_course_text("2026-10-15T23:59:00"))
    assert main(["fetch-roster", str(base / "roster.txt"), "--shard", "0", "--shards", "1",
                 "--into", str(base / "plain"), "--course", str(base / "plain.toml")]) == 0
    assert (base / "plain" / "org-hw2-carol" / ".roster-commit").read_text().strip() == commits["carol"][1]
    (record,) = (base / "plain").glob(".roster-times-*.json")
    carol = json.loads(record.read_text())["org-hw2-carol"]
    assert carol["source"].startswith("commit date (written by the student's machine")
    assert "no push record" in carol["note"]


def test_the_posted_grade_of_record_shows_the_late_policys_final_score():
    row = {"score": "6", "max_score": "10", "percent": "60.0", "status": "graded", "final_score": "8",
           "counted": "latest (commit 0123456789ab)", "hours_late": "30.00", "penalty": "2"}
    assert score_line(row) == ("**6 / 10 points** (60.0%); after the late policy, **8 / 10** "
                               "(latest (commit 0123456789ab): 30.00 h late, penalty 2)")
    assert score_line({**row, "final_score": "6"}) == "**6 / 10 points** (60.0%)"


def test_where_the_push_events_have_aged_out_the_auto_grade_runs_date_the_commits(tmp_path, monkeypatch):
    early, late = _repository(tmp_path / "org" / "hw2-erin", [(6, None), (9, None)])
    stamp = {sha: [_push(DUE + timedelta(hours=h), sha)["created_at"]] for h, sha in ((-1, early), (2, late))}
    (tmp_path / "roster.txt").write_text(f"{tmp_path / 'org' / 'hw2-erin'}\n")
    (tmp_path / "extensions.csv").write_text("student,due,extra_hours,reason\n")
    (tmp_path / "course.toml").write_text(_course_text("2026-10-15T23:59:00"))
    monkeypatch.setenv("ROSTER_TOKEN", TOKEN)
    with _GitHub({}, {"org/hw2-erin": stamp}) as api:
        assert main(["fetch-roster", str(tmp_path / "roster.txt"), "--shard", "0", "--shards", "1",
                     "--into", str(tmp_path / "class"), "--course", str(tmp_path / "course.toml"),
                     "--api-url", api.url]) == 0
    (record,) = (tmp_path / "class").glob(".roster-times-*.json")
    times = json.loads(record.read_text())
    assert times["org-hw2-erin"]["commit"] == early and times["org-hw2-erin@late"]["commit"] == late
    assert times["org-hw2-erin@late"]["source"].startswith("GitHub auto-grade run")
    arrived = datetime.fromisoformat(times["org-hw2-erin@late"]["submitted_at"])
    assert arrived == DUE + timedelta(hours=2)
