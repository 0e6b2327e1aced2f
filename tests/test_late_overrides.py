"""An override reaches the grade whichever snapshot the late policy counts: a student whose late work
counts (``carol@late``, graded beside her on-time snapshot) keeps the point a TA gave back, in
``gradebook --course --overrides`` (and so ``manual``) as in ``grade-class``. No kernels: the class
folder is fabricated (stored_class.py) with each snapshot's stored submission time."""

import csv
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from stored_class import solved_checks, write_class

from grader.instructor.__main__ import main
from grader.instructor.term.submission_times import SubmissionTime, store_time
from grader.report import gradescope_json, write_results

DUE = datetime(2026, 10, 15, 23, 59, tzinfo=ZoneInfo("America/New_York"))
COURSE = ('[deadline]\ndue = 2026-10-15T23:59:00\ntimezone = "America/New_York"\n\n'
          '[late]\npolicy = "per_day"\npenalty = 0.1\nunit = "fraction"\n')


def _class(tmp_path):
    """alice on time (8 of 8); carol's on-time stub scores 0, her late work 7 of 8, 3 h late."""
    out = write_class(tmp_path / "out", {"alice": (solved_checks(), "a"),
                                         "carol": (solved_checks(corr2d=0, pool2d=0), "c")})
    late = out / "students" / "carol_late"
    late.mkdir()
    write_results(late / "results.json", gradescope_json(solved_checks(corr2d=3)))
    for folder, student, hours in ((out / "students" / "alice", "alice", -2),
                                   (out / "students" / "carol", "carol", -5), (late, "carol@late", 3)):
        store_time(folder, student, SubmissionTime(DUE + timedelta(hours=hours), "commit date", owner="carol"
                                                   if student.startswith("carol") else ""))
    (tmp_path / "course.toml").write_text(COURSE)
    return out


def _rows(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_an_override_reaches_the_late_work_that_counts(tmp_path):
    out = _class(tmp_path)
    course = str(tmp_path / "course.toml")
    assert main(["gradebook", str(out), "--course", course]) == 0
    before = _rows(out)["carol"]
    assert (before["raw_score"], before["penalty"], before["final_score"]) == ("7", "0.8", "6.2")
    (tmp_path / "overrides.csv").write_text("student,item,points,adjust,reason,who,when\n"
                                            "carol,corr2d,,+1,regrade request 7,ta-kim,2026-10-20\n")
    assert main(["gradebook", str(out), "--course", course, "--overrides", str(tmp_path / "overrides.csv")]) == 0
    carol, alice = _rows(out)["carol"], _rows(out)["alice"]
    assert (carol["raw_score"], carol["penalty"], carol["final_score"], carol["grade"]) == ("8", "0.8", "7.2", "7.2")
    assert carol["overrides"] == "corr2d +1 by ta-kim" and carol["counted"].startswith("latest")
    assert (alice["final_score"], alice["overrides"]) == ("8", "")
