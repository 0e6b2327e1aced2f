"""``export``: Canvas, Moodle and Blackboard import files and the long format, header by header
against the rules their documentation gives (grader/instructor/term/lms_formats.py); the
roster join; missing and extra students reported, never dropped; formulas never reach a cell.
Class folders are fabricated (stored_class.py): no kernels."""

import csv
import io

import pytest
from stored_class import check, solved_checks, write_class

from grader.instructor.__main__ import main
from grader.instructor.term import lms_formats

ROSTER = ('"identifier","github_username","github_id","name"\n'
          '"alice@uni.edu","alice","1001","Alice Smith"\n'
          '"bob@uni.edu","Bob","1002","=HYPERLINK(""http://evil.example"") Jones"\n')
CANVAS = ("Student,ID,SIS User ID,SIS Login ID,Section,HW1 (11111),HW2 (12345),Current Score\n"
          "    Points Possible,,,,,10,8,(read only)\n"
          '"Smith, Alice",101,S1,alice@uni.edu,CS 101,9,,\n'
          "\"=cmd|' /C calc'!A0\",102,S2,bob@uni.edu,CS 101,7,,\n"
          '"Student, Test",999,,,CS 101,,,\n')
OVERRIDES = "student,item,points,adjust,reason,who,when\norg-hw2-bob,pool2d,,+1,regrade,ta-kim,2026-10-20\n"


@pytest.fixture
def course(tmp_path):
    out = write_class(tmp_path / "class", {"org-hw2-alice": (solved_checks(), "a"),
                                           "org-hw2-bob": (solved_checks(corr2d=2, pool2d=2), "b")})
    (tmp_path / "overrides.csv").write_text(OVERRIDES)
    assert main(["gradebook", str(out), "--overrides", str(tmp_path / "overrides.csv")]) == 0
    (tmp_path / "classroom_roster.csv").write_text(ROSTER)
    (tmp_path / "canvas-export.csv").write_text(CANVAS)
    return tmp_path


def _export(course, target, *extra):
    out = course / f"{target}.csv"
    status = main(["export", str(course / "class"), "--to", target, "--out", str(out), *extra])
    return status, out


def _rows(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def test_canvas_keeps_its_identity_columns_its_assignment_id_and_the_points_possible_row(course):
    status, out = _export(course, "canvas", "--roster", str(course / "classroom_roster.csv"),
                          "--canvas-export", str(course / "canvas-export.csv"), "--assignment", "HW2")
    assert status == 0
    header, points, *students = _rows(out)
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW2 (12345)"]
    assert tuple(header[:5]) == lms_formats.CANVAS_IDENTITY
    assert points == ["    Points Possible", "", "", "", "", "8"]
    assert students == [["Smith, Alice", "101", "S1", "alice@uni.edu", "CS 101", "8"],
                        ["'=cmd|' /C calc'!A0", "102", "S2", "bob@uni.edu", "CS 101", "5"]]   # 4 + the override
    assert out.read_bytes().count(b"\r\n") == 4


def test_canvas_makes_a_new_assignment_column_when_the_export_has_none_by_that_name(course):
    status, out = _export(course, "canvas", "--roster", str(course / "classroom_roster.csv"),
                          "--canvas-export", str(course / "canvas-export.csv"), "--assignment", "Convnets")
    assert status == 0 and _rows(out)[0][-1] == "Convnets"


def test_moodle_has_the_identifier_column_and_one_grade_column(course):
    status, out = _export(course, "moodle", "--roster", str(course / "classroom_roster.csv"), "--assignment", "HW2")
    assert status == 0
    assert _rows(out) == [["Email address", "HW2"], ["alice@uni.edu", "8"], ["bob@uni.edu", "5"]]
    status, out = _export(course, "moodle", "--roster", str(course / "classroom_roster.csv"), "--assignment", "HW2",
                          "--moodle-id", "idnumber")
    assert _rows(out)[0] == ["ID number", "HW2"]


def test_blackboard_has_its_three_name_columns_the_column_id_after_a_pipe_and_every_value_quoted(course):
    status, out = _export(course, "blackboard", "--roster", str(course / "classroom_roster.csv"),
                          "--assignment", "HW2", "--column-id", "12345")
    assert status == 0
    lines = out.read_text().splitlines()
    assert lines[0] == '"Last Name","First Name","Username","HW2 |12345"'
    assert lines[1] == '"Smith","Alice","alice@uni.edu","8"'
    # A roster name that is a formula stays text: its cell starts with an apostrophe.
    assert lines[2] == '"Jones","\'=HYPERLINK(""http://evil.example"")","bob@uni.edu","5"'
    status, out = _export(course, "blackboard", "--roster", str(course / "classroom_roster.csv"), "--assignment", "HW2")
    assert _rows(out)[0][-1] == "HW2"   # no id: Blackboard creates the column


def test_the_long_format_is_one_row_per_student_and_item_with_its_kind(course):
    status, out = _export(course, "long")
    assert status == 0
    rows = _rows(out)
    assert rows[0] == list(lms_formats.LONG_COLUMNS)
    assert rows[1:] == [["org-hw2-alice", "corr2d", "auto", "4", "4"], ["org-hw2-alice", "pool2d", "auto", "4", "4"],
                        ["org-hw2-bob", "corr2d", "auto", "2", "4"], ["org-hw2-bob", "pool2d", "override", "3", "4"]]


@pytest.fixture
def messy(tmp_path):
    write_class(tmp_path / "class", {"org-hw2-alice": (solved_checks(), "a"), "org-hw2-carol": (None, ""),
                                     "org-hw2-mallory": ([check("corr2d", "7.2", "x", 1, 4, "failed")], "m")})
    (tmp_path / "classroom_roster.csv").write_text(
        ROSTER + '"carol@uni.edu","carol","1003","Carol Diaz"\n"dave@uni.edu","dave","1004","Dave Wu"\n'
        '"erin@uni.edu","","","Erin Ko"\n')
    (tmp_path / "canvas-export.csv").write_text(CANVAS)
    return tmp_path


EXPECTED_PROBLEMS = [
    "export: org-hw2-carol: no score (not graded: no notebook found)",
    "export: org-hw2-mallory: graded, but not in the roster {roster}",
    "export: bob@uni.edu (Bob): in the roster (line 3) without a submission",
    "export: dave@uni.edu (dave): in the roster (line 5) without a submission",
    "export: erin@uni.edu (no GitHub account): in the roster (line 6) without a submission",
]


@pytest.mark.parametrize("target", ["moodle", "blackboard", "long"])
def test_missing_and_extra_students_are_reported_and_nothing_is_written_unless_allowed(messy, target, capsys):
    roster = messy / "classroom_roster.csv"
    status, out = _export(messy, target, "--roster", str(roster), "--assignment", "HW2", "--column-id", "1")
    err = capsys.readouterr().err.splitlines()
    assert status == 1 and not out.exists()
    assert err[:5] == [line.format(roster=roster) for line in EXPECTED_PROBLEMS]
    assert "nothing written" in err[-1]
    status, out = _export(messy, target, "--roster", str(roster), "--assignment", "HW2", "--column-id", "1",
                          "--allow-missing")
    assert status == 0 and out.exists()
    assert capsys.readouterr().err.splitlines()[:5] == [line.format(roster=roster) for line in EXPECTED_PROBLEMS]
    written = out.read_text()
    assert "alice" in written and "carol" not in written and "dave" not in written


def test_canvas_reports_its_students_without_a_submission(messy, capsys):
    status, out = _export(messy, "canvas", "--roster", str(messy / "classroom_roster.csv"),
                          "--canvas-export", str(messy / "canvas-export.csv"), "--assignment", "HW2", "--allow-missing")
    err = capsys.readouterr().err
    assert status == 0
    assert "export: =cmd|' /C calc'!A0: in the Canvas export (line 4) without a graded submission" in err
    assert "org-hw2-carol: no score" in err
    assert _rows(out)[3] == ["'=cmd|' /C calc'!A0", "102", "S2", "bob@uni.edu", "CS 101", ""]   # blank: unchanged


BAD_INPUT = {
    "no canvas export": (["--to", "canvas", "--assignment", "HW2"], "--to canvas needs --canvas-export"),
    "no assignment": (["--to", "moodle"], "--to moodle needs --assignment"),
    "not a roster": (["--to", "long", "--roster", "{tmp}/canvas-export.csv"],
                     "canvas-export.csv, line 1: not GitHub Classroom's"),
    "not a canvas export": (["--to", "canvas", "--assignment", "HW2", "--canvas-export", "{tmp}/classroom_roster.csv"],
                            "classroom_roster.csv, line 1: not a Canvas gradebook export"),
}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_unusable_inputs_are_one_clear_error(course, case, capsys):
    args, message = BAD_INPUT[case]
    out = course / "x.csv"
    status = main(["export", str(course / "class"), "--out", str(out), *[a.format(tmp=course) for a in args]])
    assert status == 2 and not out.exists()
    assert message in capsys.readouterr().err


def test_a_duplicated_roster_user_names_both_lines(course, capsys):
    (course / "classroom_roster.csv").write_text(ROSTER + '"a2@uni.edu","ALICE","1009","Alice Again"\n')
    assert _export(course, "long", "--roster", str(course / "classroom_roster.csv"))[0] == 2
    assert "line 4: GitHub user alice is also on line 2" in capsys.readouterr().err


def test_two_graded_students_for_one_roster_row_is_an_error_not_an_overwrite(tmp_path, capsys):
    write_class(tmp_path / "class", {"alice": (solved_checks(), "a"), "org-hw2-alice": (solved_checks(), "b")})
    (tmp_path / "classroom_roster.csv").write_text(ROSTER)
    status, out = _export(tmp_path, "moodle", "--roster", str(tmp_path / "classroom_roster.csv"), "--assignment", "X")
    assert status == 2 and not out.exists()
    assert "classroom_roster.csv, line 2: both alice and org-hw2-alice are alice@uni.edu" in capsys.readouterr().err


def test_two_graded_students_for_one_canvas_row_is_an_error(tmp_path, capsys):
    write_class(tmp_path / "class", {"alice@uni.edu": (solved_checks(), "a"), "S1": (solved_checks(), "b")})
    (tmp_path / "export.csv").write_text(CANVAS)
    status, out = _export(tmp_path, "canvas", "--canvas-export", str(tmp_path / "export.csv"), "--assignment", "HW2")
    assert status == 2 and not out.exists()
    assert "export.csv, line 3: two graded students are this Canvas student (the second is S1)" in \
        capsys.readouterr().err


def test_the_export_never_writes_over_its_inputs(course, capsys):
    for target, given in (("canvas", "canvas-export.csv"), ("long", "class/gradebook.csv"),
                          ("moodle", "classroom_roster.csv")):
        before = (course / given).read_bytes()
        status = main(["export", str(course / "class"), "--to", target, "--out", str(course / given),
                       "--assignment", "HW2", "--canvas-export", str(course / "canvas-export.csv"),
                       "--roster", str(course / "classroom_roster.csv")])
        assert status == 2 and (course / given).read_bytes() == before
        assert f"--out {course / given} is one of the export's inputs" in capsys.readouterr().err


def test_every_formula_start_is_guarded():
    assert [lms_formats.guarded(t) for t in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "Ann", "3")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "Ann", "3"]


def test_the_exported_grade_is_the_final_autograded_score_plus_the_written_points(tmp_path):
    columns = ["student", "score", "max_score", "status", "overrides", "penalty", "final_score", "7.2 corr2d /4",
               "7.1 7.1_written_1 /2 (written)", "written_score", "total_score", "total_max"]
    with open(tmp_path / "gradebook.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerow(["ann", "4", "4", "graded", "", "1", "3", "4", "1.5", "1.5", "5.5", "6"])
    status = main(["export", str(tmp_path / "gradebook.csv"), "--to", "moodle", "--assignment", "HW2",
                   "--out", str(tmp_path / "m.csv")])
    assert status == 0 and _rows(tmp_path / "m.csv") == [["Email address", "HW2"], ["ann", "4.5"]]
    assert main(["export", str(tmp_path / "gradebook.csv"), "--to", "long", "--out", str(tmp_path / "l.csv")]) == 0
    assert _rows(tmp_path / "l.csv")[1:] == [["ann", "corr2d", "auto", "4", "4"],
                                              ["ann", "7.1_written_1", "written", "1.5", "2"],
                                              ["ann", "late penalty", "penalty", "-1", "0"]]


def test_canvas_points_possible_is_the_class_maximum_not_the_first_students(tmp_path):
    """A training run a TA scored by override raises that student's maximum; the column's points
    possible must then be the largest, wherever that student sits in the gradebook."""
    skipped = check("LeNet_training", "7.6", "accuracy", 0, 0, "skipped", "needs a GPU")
    out = write_class(tmp_path / "class", {"ann": (solved_checks() + [skipped], "a"),
                                           "zoe": (solved_checks() + [skipped], "z")})
    (tmp_path / "overrides.csv").write_text("student,item,points,adjust,reason,who,when\n"
                                            "zoe,LeNet_training,2,,trained on the TA's GPU,ta-kim,2026-10-22\n")
    assert main(["gradebook", str(out), "--overrides", str(tmp_path / "overrides.csv")]) == 0
    assert main(["export", str(out), "--to", "canvas", "--assignment", "HW2", "--out", str(tmp_path / "c.csv"),
                 "--canvas-export", str(_canvas_export(tmp_path))]) in (0, 1)
    points = next(row for row in _rows(tmp_path / "c.csv") if row[0].strip() == "Points Possible")
    assert points[-1] == "10"   # 8 for everyone, + 2 for the training run zoe was scored on


def _canvas_export(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
                    "Ann,1,S1,ann,CS\nZoe,2,S2,zoe,CS\n")
    return path
