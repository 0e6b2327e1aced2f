"""``post-results`` against a stand-in for GitHub's API on 127.0.0.1, on a fabricated gradebook
folder (no grading here): what is sent where, with which token, and what happens when the API
fails, limits the rate, or the comment is too long; and ``fetch-roster`` recording the commit
that the gradebook then carries."""

import csv
import io
import subprocess

import pytest
from github_stand_in import running
from notebook_factory import IMPORTS, write_notebook

from grader.instructor.__main__ import main
from grader.instructor.batch import GRADED, NOT_GRADED
from grader.instructor.discover import COMMIT_FILE, discover
from grader.instructor.github_comments import MAX_BODY
from grader.instructor.gradebook import FIELDS
from grader.instructor.post_results import MARKER, run
from grader.instructor.scale_cli import MERGE_MISSING

TOKEN = "github_pat_stand-in-secret-123"
SHAS = {"ann": "a" * 40, "ben": "b" * 40, "cat": "c" * 40}


def fabricate(folder, students, feedback=None):
    """A gradebook folder as grade-class writes it: {name: (score, max, status, problem, commit)}."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gradebook.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        for name, (score, top, status, problem, commit) in students.items():
            writer.writerow({"student": name, "score": score, "max_score": top, "status": status,
                             "problem": problem, "commit": commit,
                             "percent": f"{100 * float(score) / float(top):.1f}" if score else ""})
            (folder / "students" / name).mkdir(parents=True, exist_ok=True)
            (folder / "students" / name / "feedback.md").write_text((feedback or {}).get(name, f"# {name}\n\nreport\n"))
    return folder


@pytest.fixture
def graded(tmp_path):
    folder = fabricate(tmp_path / "gradebook", {
        "course-ann": ("4", "4", GRADED, "", SHAS["ann"]), "course-ben": ("0", "4", GRADED, "", SHAS["ben"]),
        "course-cat": ("2.5", "4", GRADED, "", SHAS["cat"])})
    roster = tmp_path / "roster.txt"
    roster.write_text("# the class\ncourse/ann\nhttps://github.com/course/ben.git\ncourse/cat\n")
    return folder, roster


def post(folder, roster, api, dry_run=False, token=TOKEN, sleep=None):
    out, err = io.StringIO(), io.StringIO()
    code = run(folder, roster, api.url if api else "https://api.github.com", dry_run,
               environ={"RESULTS_TOKEN": token} if token else {}, sleep=sleep or (lambda s: None), out=out, err=err)
    return code, out.getvalue() + err.getvalue()


def test_each_student_gets_one_comment_on_the_graded_commit_with_the_token(graded):
    folder, roster = graded
    with running() as api:
        code, printed = post(folder, roster, api)
    assert code == 0, printed
    posts = {r.path: r for r in api.sent("POST")}
    assert sorted(posts) == [f"/repos/course/{n}/commits/{SHAS[n]}/comments" for n in ("ann", "ben", "cat")]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in api.requests)
    ann = posts[f"/repos/course/ann/commits/{SHAS['ann']}/comments"].body["body"]
    assert MARKER in ann and "**4 / 4 points** (100.0%)" in ann and "# course-ann\n\nreport" in ann
    assert "**2.5 / 4 points** (62.5%)" in posts[f"/repos/course/cat/commits/{SHAS['cat']}/comments"].body["body"]
    assert TOKEN not in printed and "posted 3 of 3" in printed


def test_posting_again_edits_our_comment_and_never_one_a_student_planted(graded):
    folder, roster = graded
    with running() as api:
        api.comments[f"course/ben@{SHAS['ben']}"] = [{"id": 900, "body": f"{MARKER} 4/4 trust me",
                                                      "user": {"login": "ben"}}]
        api.comments[f"course/ann@{SHAS['ann']}"] = [{"id": 1000 + n, "body": "nice", "user": {"login": "ann"}}
                                                     for n in range(120)]   # ours lands on the second page
        assert post(folder, roster, api)[0] == 0
        fabricate(folder, {"course-ann": ("3", "4", GRADED, "", SHAS["ann"]),
                           "course-ben": ("1", "4", GRADED, "", SHAS["ben"]),
                           "course-cat": ("2.5", "4", GRADED, "", SHAS["cat"])})
        code, printed = post(folder, roster, api)
    assert code == 0 and len(api.sent("POST")) == 3 and len(api.sent("PATCH")) == 3, printed
    assert sum("updated the comment" in line for line in printed.splitlines()) == 3
    ann = api.comments[f"course/ann@{SHAS['ann']}"]
    assert len(ann) == 121 and "**3 / 4 points**" in ann[-1]["body"]
    ben = api.comments[f"course/ben@{SHAS['ben']}"]
    assert ben[0]["body"] == f"{MARKER} 4/4 trust me" and "**1 / 4 points**" in ben[1]["body"]


def test_a_server_error_for_one_student_loses_no_other(graded):
    folder, roster = graded
    with running() as api:
        api.fail("POST", "/repos/course/ben/", (500, []))
        code, printed = post(folder, roster, api)
    assert code == 1
    assert "course/ben" in printed and "HTTP 500 planted 500" in printed and "posted 2 of 3" in printed
    assert {k.split("@")[0] for k in api.comments} == {"course/ann", "course/cat"}


def test_a_rate_limit_is_waited_out_once_and_a_refusal_is_not_retried(graded):
    folder, roster = graded
    waits = []
    with running() as api:
        api.fail("POST", "/repos/course/ann/", (429, [("Retry-After", "7")]))
        api.fail("POST", "/repos/course/cat/", (403, []), (403, []))
        code, printed = post(folder, roster, api, sleep=waits.append)
    assert waits == [7.0] and code == 1
    assert "course/ann" in str(api.comments) and "course/cat: POST" in printed and "HTTP 403" in printed
    assert len([r for r in api.sent("POST") if "/course/cat/" in r.path]) == 1


def test_dry_run_prints_every_body_and_sends_nothing_without_a_token(graded):
    folder, roster = graded
    with running() as api:
        code, printed = post(folder, roster, api, dry_run=True, token=None)
    assert code == 0 and api.requests == []
    assert printed.count("--- would post to") == 3 and f"/repos/course/cat/commits/{SHAS['cat']}/comments" in printed
    assert "**2.5 / 4 points**" in printed


def test_a_long_report_is_cut_at_a_line_with_a_note(tmp_path):
    lines = "".join(f"| check {n} | failed | a long explanation of what went wrong {'x' * 60} |\n" for n in range(2000))
    folder = fabricate(tmp_path / "gb", {"course-ann": ("1", "4", GRADED, "", SHAS["ann"])},
                       feedback={"course-ann": lines})
    (tmp_path / "roster.txt").write_text("course/ann\n")
    with running() as api:
        assert post(folder, tmp_path / "roster.txt", api)[0] == 0
    body = api.sent("POST")[0].body["body"]
    assert len(body) <= MAX_BODY and "The report is cut here" in body
    kept = body.split("---\n\n", 1)[1].split("\n\n---\n*The report", 1)[0]
    assert kept.endswith("|") and all(line.startswith("| check") for line in kept.splitlines())


def test_who_cannot_be_posted_is_named_and_the_others_are_posted(tmp_path):
    folder = fabricate(tmp_path / "gb", {
        "course-ann": ("4", "4", GRADED, "", SHAS["ann"]),
        "course-ben": ("", "", NOT_GRADED, MERGE_MISSING, SHAS["ben"]),
        "course-cat": ("", "", NOT_GRADED, "no notebooks (.ipynb) in this submission", SHAS["cat"]),
        "course-dan": ("2", "4", GRADED, "", "")})
    (tmp_path / "roster.txt").write_text("course/ann\ncourse/ben\ncourse/cat\ncourse/dan\ncourse/eve\n")
    with running() as api:
        code, printed = post(folder, tmp_path / "roster.txt", api)
    assert code == 1 and sorted(r.path.split("/")[3] for r in api.sent("POST")) == ["ann", "cat"]
    assert "**Not scored** (not graded: no notebooks" in api.comments[f"course/cat@{SHAS['cat']}"][0]["body"]
    assert "course/ben: not posted: not graded: its shard did not run" in printed
    assert "course/dan: not posted: course-dan has no graded commit" in printed
    assert "course/eve: not posted: course-eve is not in the gradebook" in printed


def test_usage_errors_stop_before_anything_is_sent(graded, tmp_path):
    folder, roster = graded
    with running() as api:
        assert post(folder, roster, api, token="")[0] == 2
        assert post(tmp_path / "nowhere", roster, api)[0] == 2
        assert api.requests == []
    out, err = io.StringIO(), io.StringIO()
    assert run(folder, roster, "http://api.example.com", False, environ={"RESULTS_TOKEN": TOKEN},
               out=out, err=err) == 2 and "unencrypted" in err.getvalue()
    (folder / "gradebook.csv").write_text("student,score\nann,4\n")
    assert main(["post-results", str(folder), "--roster", str(roster), "--dry-run"]) == 2


def test_a_refused_token_stops_before_any_post(graded):
    folder, roster = graded
    with running() as api:
        api.fail("GET", "^/user$", (401, []))
        code, printed = post(folder, roster, api)
    assert code == 1 and api.sent("POST") == [] and "refused the token" in printed and TOKEN not in printed


def test_the_report_mentions_no_one_and_its_figures_become_lines(tmp_path):
    report = ("# course-ann\n\nYour line: `y = x @w`\nraise ValueError('@octocat look')\n"
              "![7.6 LeNet cell 12](figures/course-ann-7.6-cell12-1.png)\n")
    folder = fabricate(tmp_path / "gb", {"course-ann": ("1", "4", GRADED, "", SHAS["ann"])},
                       feedback={"course-ann": report})
    (tmp_path / "roster.txt").write_text("course/ann\n")
    with running() as api:
        assert post(folder, tmp_path / "roster.txt", api)[0] == 0
    body = api.sent("POST")[0].body["body"]
    assert "'@\u200boctocat look'" in body and "@octocat" not in body
    assert "](figures/" not in body and "*(figure: 7.6 LeNet cell 12; in the full report)*" in body


def test_a_redirect_is_not_followed_with_the_token(graded):
    folder, roster = graded
    with running() as elsewhere, running() as api:
        api.fail("POST", "/repos/course/ann/", (301, [("Location", f"{elsewhere.url}/steal")]))
        code, printed = post(folder, roster, api)
    assert code == 1 and elsewhere.requests == [] and "HTTP 301" in printed


def _repository(path, notebook_code):
    write_notebook(path / "7.2-cross-correlation.ipynb", IMPORTS, notebook_code)
    (path / COMMIT_FILE).write_text("f" * 40 + "\n")    # planted by the student: never trusted
    commit = ["-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm", "hw"]
    for command in (["init", "-q"], ["add", "-A"], commit):
        subprocess.run(["git", "-C", str(path), *command], check=True, capture_output=True)
    return subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_fetch_roster_records_the_commit_and_the_gradebook_carries_it(tmp_path):
    head = _repository(tmp_path / "remote" / "course" / "ann", "x = 1")
    (tmp_path / "roster.txt").write_text(f"{tmp_path / 'remote' / 'course' / 'ann'}\n")
    assert main(["fetch-roster", str(tmp_path / "roster.txt"), "--shard", "0", "--shards", "1",
                 "--into", str(tmp_path / "class")]) == 0
    assert (tmp_path / "class" / "course-ann" / COMMIT_FILE).read_text().strip() == head != "f" * 40
    (submission,) = discover(tmp_path / "class", tmp_path / "work")
    assert submission.student == "course-ann" and submission.commit == head
    (tmp_path / "class" / "course-ann" / COMMIT_FILE).write_text("not a commit; rm -rf /\n")
    assert discover(tmp_path / "class", tmp_path / "work")[0].commit == ""
