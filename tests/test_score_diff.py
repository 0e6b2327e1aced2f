"""``diff OLD NEW``: every changed score, by item, with its reason; added and removed students; the
exit status of diff(1). Class folders are fabricated (stored_class.py): no kernels."""

import csv

import pytest
from stored_class import solved_checks, write_class

from grader.instructor.__main__ import main

OVERRIDES = "student,item,points,adjust,reason,who,when\nfrank,corr2d,,+1,regrade request,ta-kim,2026-10-20\n"


@pytest.fixture
def classes(tmp_path):
    old = write_class(tmp_path / "old", {"alice": (solved_checks(corr2d=2), "a1"),
                                         "bob": (solved_checks(), "b1"),
                                         "carol": (solved_checks(), "c1"),
                                         "dan": (solved_checks(pool2d=2), "d1"),
                                         "frank": (solved_checks(corr2d=2), "f1")}, grader="git v1")
    new = write_class(tmp_path / "new", {"alice": (solved_checks(corr2d=3), "a1"),   # a check was fixed
                                         "bob": (solved_checks(pool2d=2), "b2"),     # bob handed in again
                                         "dan": (solved_checks(pool2d=2), "d1"),     # nothing changed
                                         "erin": (None, ""),                         # new, not graded
                                         "frank": (solved_checks(corr2d=2), "f1")}, grader="git v2")
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(OVERRIDES)
    assert main(["gradebook", str(new), "--overrides", str(overrides)]) == 0
    return old, new


def test_the_diff_of_two_class_folders_lists_exactly_the_changes_and_their_reasons(classes, capsys):
    old, new = classes
    assert main(["diff", str(old), str(new)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "alice: score 6 -> 7",
        "  7.2 corr2d: 2 -> 3: a check changed (grader git v1 -> git v2): "
        "generated inputs: failed, 1/3 -> failed, 2/3",
        "bob: score 8 -> 6",
        "  7.5 pool2d: 4 -> 2: the submission changed (its notebooks' SHA-256 differ)",
        "carol: removed (was 8)",
        "erin: added (not graded)",
        "frank: score 6 -> 7",
        "  7.2 corr2d: 2 -> 3: an override (none -> corr2d +1 by ta-kim)",
    ]


def test_no_change_exits_0_and_says_so(classes, capsys):
    _, new = classes
    assert main(["diff", str(new), str(new)]) == 0
    assert capsys.readouterr().out.strip() == "no score changed (5 students)"


def test_two_gradebook_csvs_compare_too_with_what_they_carry(classes, capsys):
    old, new = classes
    assert main(["diff", str(old / "gradebook.csv"), str(new / "gradebook.csv")]) == 1
    out = capsys.readouterr().out.splitlines()
    # Without receipts the same origin means the same submission: the checks changed.
    assert "  7.5 pool2d: 4 -> 2: a check changed" in out
    assert "  7.2 corr2d: 2 -> 3: an override (none -> corr2d +1 by ta-kim)" in out


def _gradebook(path, rows):
    columns = ["student", "score", "origin", "commit", "overrides", "penalty", "final_score", "7.2 corr2d /4",
               "7.1 7.1_written_1 /2"]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_penalties_manual_scores_and_new_commits_are_named(tmp_path, capsys):
    base = {"student": "gail", "score": "5", "origin": "org/hw-gail", "commit": "aaa", "penalty": "0",
            "final_score": "5", "7.2 corr2d /4": "4", "7.1 7.1_written_1 /2": "1"}
    old = _gradebook(tmp_path / "old.csv", [base, {**base, "student": "hal"}])
    new = _gradebook(tmp_path / "new.csv", [
        {**base, "penalty": "1", "final_score": "4"},                                       # the due date moved
        {**base, "student": "hal", "commit": "bbb", "7.2 corr2d /4": "3", "7.1 7.1_written_1 /2": "2",
         "score": "5", "final_score": "5"}])
    assert main(["diff", str(old), str(new)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "gail: score 5 -> 4",
        "  a penalty: 0 -> 1",
        "hal: score 5 -> 5",
        "  7.2 corr2d: 4 -> 3: the submission changed (aaa -> bbb)",
        "  7.1 7.1_written_1: 1 -> 2: a manual score",
    ]


def test_what_is_neither_a_gradebook_nor_a_folder_is_a_usage_error(tmp_path, capsys):
    assert main(["diff", str(tmp_path / "nope.csv"), str(tmp_path)]) == 2
    assert "nope.csv is neither a gradebook (CSV) nor a class folder" in capsys.readouterr().err
    (tmp_path / "x.csv").write_text("name,points\nx,1\n")
    assert main(["diff", str(tmp_path / "x.csv"), str(tmp_path / "x.csv")]) == 2
    assert "x.csv, line 1: not a gradebook" in capsys.readouterr().err


def test_grade_class_diff_compares_the_new_gradebook_with_a_kept_copy(tmp_path, capsys):
    """Submissions without a notebook are 'not graded' without any kernel: enough to see the report."""
    old = write_class(tmp_path / "old", {"alice": (solved_checks(), "a1"), "zoe": (solved_checks(), "z1")})
    (tmp_path / "subs" / "alice").mkdir(parents=True)
    (tmp_path / "subs" / "bob").mkdir()
    assert main(["grade-class", str(tmp_path / "subs"), "--out", str(tmp_path / "new"), "--jobs", "1",
                 "--allow-unsandboxed", "--diff", str(old)]) == 0
    out = capsys.readouterr().out
    changes = out.split(f"Changes against {old}:\n", 1)[1].splitlines()
    assert [line for line in changes if not line.startswith(" ")] == [
        "alice: score 8 -> -", "bob: added (not graded)", "zoe: removed (was 8)"]
    assert "  7.2 corr2d: 4 -> -: the submission changed (alice/ -> alice)" in changes


def test_the_gradebook_records_one_grade_that_diff_and_export_read_alike(tmp_path):
    """``grade`` = autograded score after the late policy + written points; every reader agrees."""
    from grader.instructor.term.course_grade import grade_of, grade_values

    assert grade_values({"score": "30", "final_score": "27", "written_score": "5", "max_score": "56",
                         "total_max": "84"}) == {"grade": "32", "grade_max": "84"}
    assert grade_values({"score": "30", "max_score": "56"}) == {"grade": "30", "grade_max": "56"}
    assert grade_values({"score": "", "written_score": "4"}) == {"grade": "", "grade_max": ""}
    out = write_class(tmp_path / "class", {"ann": (solved_checks(corr2d=3), "a1"), "bob": (None, "b1")})
    rows = {row["student"]: row for row in csv.DictReader(open(out / "gradebook.csv", encoding="utf-8"))}
    assert rows["ann"]["grade"] == rows["ann"]["score"] == grade_of(rows["ann"]) == "7"
    assert rows["ann"]["grade_max"] == rows["ann"]["max_score"] == "8"
    assert rows["bob"]["grade"] == ""
