"""Overrides: corrections with who, when and why, applied when the gradebook is built, kept across
re-grades, refused whole on any fault (no kernels: class folders are fabricated, stored_class.py)."""

import csv

import nbformat
import pytest
from nbformat.v4 import new_notebook
from stored_class import check, solved_checks, write_class

from grader.instructor.__main__ import main
from grader.report import gradescope_json, write_results

HEADER = "student,item,points,adjust,reason,who,when\n"
GOOD = HEADER + ("alice,corr2d,,+1,regrade request 12: the transposed kernel is the book's convention,ta-kim,"
                 "2026-10-20\n"
                 "bob,pool2d,3,,late-day policy waived for illness,prof-lee,2026-10-21T09:30\n")


def _rows(out):
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture
def stored(tmp_path):
    out = write_class(tmp_path / "class", {"alice": (solved_checks(corr2d=2), "a1"),
                                           "bob": (solved_checks(pool2d=4), "b1"),
                                           "carol": (None, "")})
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(GOOD, encoding="utf-8")
    return out, overrides


def test_overrides_enter_the_gradebook_and_each_students_feedback(stored):
    out, overrides = stored
    before = _rows(out)
    assert before["alice"]["score"] == "6" and before["alice"]["overrides"] == ""
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 0
    rows = _rows(out)
    assert rows["alice"]["7.2 corr2d /4"] == "3" and rows["alice"]["score"] == "7"
    assert rows["alice"]["max_score"] == "8"
    assert rows["alice"]["overrides"] == "corr2d +1 by ta-kim"
    assert rows["bob"]["7.5 pool2d /4"] == "3" and rows["bob"]["score"] == "7"
    assert rows["bob"]["overrides"] == "pool2d -1 by prof-lee"
    assert rows["carol"]["status"] == "not graded" and rows["carol"]["score"] == ""
    assert [rows[s]["notebooks"] for s in ("alice", "bob", "carol")] == ["1", "1", "0"]   # as before
    assert all(rows[s][c] == before[s][c] for s in rows for c in ("status", "origin", "commit", "notebooks"))
    feedback = (out / "students" / "alice" / "feedback.md").read_text()
    assert "**Score: 7 / 8**" in feedback
    assert "override by ta-kim" in feedback and "regrade request 12" in feedback
    assert "Changed by ta-kim on 2026-10-20" in feedback and "(grading gave 2; now 3)" in feedback
    assert "late-day policy waived" not in feedback   # bob's override is bob's alone
    assert "prof-lee" in (out / "students" / "bob" / "feedback.md").read_text()


def test_override_text_stays_one_plain_line_in_the_feedback(stored):
    out, overrides = stored
    overrides.write_text(HEADER + 'alice,corr2d,3,,"two\n# lines ![x](/etc/passwd)",ta-kim,2026-10-20\n')
    assert main(["gradebook", str(out), "--overrides", str(overrides), "--format", "html"]) == 0
    page = (out / "students" / "alice" / "feedback.html").read_text()
    assert "two # lines ! [x](/etc/passwd)" in page and "<h1>lines" not in page and "data:" not in page


def test_a_regrade_keeps_every_override_and_never_writes_the_file(stored):
    out, overrides = stored
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 0
    # The re-grade after a fix to a check: alice's corr2d now earns 3 of 4, bob's pool2d 2 of 4.
    write_results(out / "students" / "alice" / "results.json", gradescope_json(solved_checks(corr2d=3)))
    write_results(out / "students" / "bob" / "results.json", gradescope_json(solved_checks(pool2d=2)))
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 0
    rows = _rows(out)
    assert rows["alice"]["7.2 corr2d /4"] == "4"   # +1 on the new 3
    assert rows["bob"]["7.5 pool2d /4"] == "3"     # set to 3, whatever grading now gives
    assert rows["bob"]["overrides"] == "pool2d +1 by prof-lee"
    assert overrides.read_text(encoding="utf-8") == GOOD
    # Without the file, the stored results speak for themselves again.
    assert main(["gradebook", str(out)]) == 0
    assert _rows(out)["alice"]["7.2 corr2d /4"] == "3" and _rows(out)["alice"]["overrides"] == ""


def test_an_override_can_give_points_to_an_item_that_did_not_run_here(tmp_path):
    skipped = solved_checks() + [check("LeNet_training", "7.6", "accuracy", 0, 0, "skipped", "needs a GPU")]
    out = write_class(tmp_path / "class", {"dan": (skipped, "d1")})
    overrides = tmp_path / "o.csv"
    overrides.write_text(HEADER + "dan,LeNet_training,2,,trained on the TA's GPU: 91 %,ta-kim,2026-10-22\n")
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 0
    row = _rows(out)["dan"]
    assert row["7.6 LeNet_training /2"] == "2" and (row["score"], row["max_score"]) == ("10", "10")


def test_a_written_question_is_sent_to_its_score_sheet(tmp_path, capsys):
    """Its points are the manual scores' (OUT/manual/), added to the autograded score in total_score:
    an override in the record as well would count them twice."""
    out = write_class(tmp_path / "class", {"erin": (solved_checks(), "e1")})
    overrides = tmp_path / "o.csv"
    overrides.write_text(HEADER + "erin,7.2_written_1,2,,regrade,ta-kim,2026-10-22\n")
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 2
    assert "line 2: 7.2_written_1 is a written question: change its score on its score sheet" in capsys.readouterr().err


BAD = {
    "unknown student": ("zed,corr2d,,+1,r,ta,2026-10-20", "line 3: unknown student 'zed'"),
    "unknown item": ("alice,corr3d,,+1,r,ta,2026-10-20", "line 3: unknown item 'corr3d'"),
    "over the maximum": ("alice,corr2d,4.5,,r,ta,2026-10-20", "line 3: alice's corr2d would be 4.5 points"),
    "below zero": ("alice,corr2d,,-3,r,ta,2026-10-20", "line 3: alice's corr2d would be -1 points"),
    "no reason": ("alice,corr2d,,+1,,ta,2026-10-20", "line 3: reason is empty"),
    "no author": ("alice,corr2d,,+1,r, ,2026-10-20", "line 3: who is empty"),
    "both kinds": ("alice,corr2d,3,+1,r,ta,2026-10-20", "line 3: give either points"),
    "neither kind": ("alice,corr2d,,,r,ta,2026-10-20", "line 3: give either points"),
    "not a number": ("alice,corr2d,three,,r,ta,2026-10-20", "line 3: points must be a number"),
    "not a date": ("alice,corr2d,,+1,r,ta,last Tuesday", "line 3: when must be a date"),
    "duplicate": ("alice,corr2d,,+1,r,ta,2026-10-20\nalice,corr2d,3,,r2,ta,2026-10-21",
                  "line 4: a second override for alice's corr2d (the first is on line 3)"),
    "not graded": ("carol,corr2d,3,,r,ta,2026-10-20", "line 3: carol has no graded result"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_overrides_are_one_error_naming_file_and_line_and_change_nothing(stored, case, capsys):
    out, overrides = stored
    # A good override first, so a half-applied file would show in bob's row.
    overrides.write_text(HEADER + "bob,pool2d,3,,r,ta,2026-10-20\n" + BAD[case][0] + "\n", encoding="utf-8")
    gradebook = (out / "gradebook.csv").read_bytes()
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.count("\n") == 0 and f"{overrides}, {BAD[case][1]}" in error
    assert (out / "gradebook.csv").read_bytes() == gradebook
    assert not (out / "students" / "bob" / "feedback.md").exists()


def test_a_file_without_the_columns_names_what_it_lacks(stored, capsys):
    out, overrides = stored
    overrides.write_text("student,item,points\nalice,corr2d,3\n")
    assert main(["gradebook", str(out), "--overrides", str(overrides)]) == 2
    assert "line 1: not an overrides file: no adjust, reason, who, when column" in capsys.readouterr().err


def test_grade_class_checks_the_overrides_before_grading_anyone(tmp_path, capsys):
    submissions = tmp_path / "subs"
    (submissions / "alice").mkdir(parents=True)
    nbformat.write(new_notebook(), submissions / "alice" / "7.2.ipynb")
    overrides = tmp_path / "o.csv"
    overrides.write_text(HEADER + "alicia,corr2d,3,,typo in the name,ta,2026-10-20\n")
    out = tmp_path / "out"
    assert main(["grade-class", str(submissions), "--out", str(out), "--overrides", str(overrides),
                 "--allow-unsandboxed"]) == 2
    assert "line 2: unknown student 'alicia'" in capsys.readouterr().err
    assert not (out / "students").exists() and not (out / "gradebook.csv").exists()


def test_the_gradebook_command_needs_a_class_folder(tmp_path, capsys):
    assert main(["gradebook", str(tmp_path)]) == 2
    assert "gradebook.csv does not exist: run grade-class" in capsys.readouterr().err
