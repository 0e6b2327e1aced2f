"""The grading record: exact round trip (notes as records), hidden feedback kept out of results.json,
strict reading (malformed records, older results files and other record versions are clear errors),
per-check timings, and the sandbox limits it records from each kernel's status record."""

import copy
import json
import time
from dataclasses import replace
from fractions import Fraction
from types import SimpleNamespace

import pytest

from grader.checks.base import Check, CheckFailed
from grader.instructor.results import ResultsError, load, parse
from grader.kernel_side.confinement_contract import SandboxStatus
from grader.record import CheckResult, GradingRecord, Note, RecordError
from grader.report import gradescope_json, score_table, write_results
from grader.scoring import run_check

SECRET = "corr2d(torch.ones(5, 7), torch.eye(3))  (the hidden input)"
NOTE = Note("cell-error", "7.2.ipynb: cell 3 error: NameError: x", "7.2.ipynb", 3)


def _check(title, points, full, status, feedback, hidden=False, seconds=0.0):
    item, section = ("LeNet", "7.6") if status == "skipped" else ("corr2d", "7.2")
    return CheckResult(f"{section} {item}: {title}", item, section, points, full, status, feedback, hidden, seconds)


def _record():
    third = Fraction(4, 3)
    return GradingRecord(
        checks=[_check("a", third, third, "passed", "fine", seconds=0.25),
                _check("b", Fraction(0), third, "failed", "wrong shape", seconds=1.5),
                _check("c", Fraction(2, 3), third, "failed", SECRET, hidden=True, seconds=0.125),
                _check("d", Fraction(0), Fraction(0), "skipped", "needs a CUDA GPU")],
        notes=[NOTE, Note("budget", "7.5.ipynb: the time budget ran out; later cells did not run", "7.5.ipynb",
                          serious=True)], error="", sandbox="not sandboxed: pretend",
        seconds=12.75, execution_seconds=4.5)


def test_record_round_trips_exactly_through_json():
    record = _record()
    data = json.loads(json.dumps(record.to_dict()))
    assert data["checks"][0]["points"] == "4/3" and data["checks"][2]["points"] == "2/3"
    back = GradingRecord.from_dict(data)
    assert back == record
    assert back.checks[2].hidden and back.checks[2].feedback == SECRET  # the record itself keeps everything
    assert back.totals() == (Fraction(2), Fraction(4)) and back.checks[1].seconds == 1.5
    assert (back.seconds, back.execution_seconds, back.sandbox) == (12.75, 4.5, "not sandboxed: pretend")
    assert back.item_points()["corr2d"] == (2.0, 4.0) and back.item_points()["LeNet"] == (0.0, 0.0)


def test_notes_round_trip_as_records_and_read_as_their_text():
    data = json.loads(json.dumps(_record().to_dict()))
    assert data["version"] == 3
    assert data["notes"][0] == {"kind": "cell-error", "text": "7.2.ipynb: cell 3 error: NameError: x",
                                "notebook": "7.2.ipynb", "cell": 3, "serious": False}
    assert data["notes"][1]["cell"] is None and data["notes"][1]["serious"] is True
    notes = GradingRecord.from_dict(data).notes
    assert notes == _record().notes and all(isinstance(n, Note) for n in notes)
    assert gradescope_json(_record())["output"] == ("- 7.2.ipynb: cell 3 error: NameError: x\n"
                                                    "- 7.5.ipynb: the time budget ran out; later cells did not run")
    with pytest.raises(RecordError, match="unknown note kind 'gossip'"):
        Note("gossip", "x")


def test_a_version_2_record_with_text_notes_is_refused_by_its_version():
    data = _record().to_dict()
    data["version"], data["notes"] = 2, ["7.2.ipynb: cell 3 error: NameError: x"]   # what graders before 3 wrote
    with pytest.raises(RecordError, match=r"^record: version 2; this grader reads version 3$"):
        GradingRecord.from_dict(data)
    payload = gradescope_json(_record())
    payload["extra_data"]["record"] = data
    with pytest.raises(ResultsError, match="version 2; this grader reads version 3.*grade the submission again"):
        parse(payload)


def test_results_json_carries_the_record_without_hidden_feedback(tmp_path):
    record = _record()
    payload = gradescope_json(record)
    assert SECRET not in json.dumps(payload)
    written = payload["extra_data"]["record"]
    assert [c["feedback"] for c in written["checks"]] == ["fine", "wrong shape", "", "needs a CUDA GPU"]
    assert written["checks"][2]["hidden"] is True and written["checks"][2]["points"] == "2/3"
    assert record.checks[2].feedback == SECRET  # the terminal's record is not blanked
    assert payload["score"] == 2.0 and payload["max_score"] == 4.0 and payload["execution_time"] == 12.75
    write_results(tmp_path / "results.json", payload)
    run = load(tmp_path / "results.json")
    assert run.checks == record.without_hidden_feedback().checks and run.notes == record.notes
    assert run.totals() == (Fraction(2), Fraction(4)) and run.execution_seconds == 4.5
    assert score_table(run) == score_table(record)


def test_instructor_tools_read_the_record_not_the_markdown():
    payload = json.loads(json.dumps(gradescope_json(_record())))
    for test in payload["tests"]:
        test["output"], test["name"] = "**passed**\n\nrewritten", "9.9 other: renamed"
    payload["output"] = "**Grading did not finish:** made up\n- made-up note"
    run = parse(payload)
    assert [c.name for c in run.checks] == [c.name for c in _record().checks]
    assert [c.status for c in run.checks] == ["passed", "failed", "failed", "skipped"]
    assert run.error == "" and run.notes == _record().notes


def _set(path, value):
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        data[last] = value
    return change


def _drop(*path):
    def change(data):
        *parents, last = path
        for key in parents:
            data = data[key]
        del data[last]
    return change


MALFORMED = {
    "missing checks": (_drop("checks"), "missing checks"),
    "missing a check's points": (_drop("checks", 0, "points"), "missing points"),
    "unknown key": (_set(("grade",), "A"), "unknown grade"),
    "checks not a list": (_set(("checks",), {"a": 1}), "'checks' must be list"),
    "a check not an object": (_set(("checks", 1), "7.2 corr2d: b"), "check 2: expected an object"),
    "notes not records": (_set(("notes",), [1, 2]), "note 1: expected an object, got int"),
    "a note's cell not a number": (_set(("notes", 0, "cell"), "3"), "note 1: 'cell' must be int | None"),
    "a note's cell a bool": (_set(("notes", 0, "cell"), True), "note 1: 'cell' must be int | None"),
    "a note without serious": (_drop("notes", 1, "serious"), "note 2: missing serious"),
    "a note of an unknown kind": (_set(("notes", 1, "kind"), "gossip"), "note 2: unknown note kind 'gossip'"),
    "error not a string": (_set(("error",), None), "'error' must be str"),
    "hidden not a bool": (_set(("checks", 2, "hidden"), "yes"), "'hidden' must be bool"),
    "name not a string": (_set(("checks", 0, "name"), 7), "'name' must be str"),
    "points as a float": (_set(("checks", 0, "points"), 1.5), "'points' must be an exact number"),
    "junk points": (_set(("checks", 0, "points"), "four thirds"), "'points' must be an exact number"),
    "points over zero": (_set(("checks", 0, "max_points"), "1/0"), "'max_points' must be an exact number"),
    "seconds as a string": (_set(("seconds",), "12"), "'seconds' must be a finite number"),
    "seconds as a bool": (_set(("checks", 0, "seconds"), True), "'seconds' must be a finite number"),
    "seconds not finite": (_set(("execution_seconds",), float("nan")), "'execution_seconds' must be a finite"),
    "another version": (_set(("version",), 1), "version 1; this grader reads version 3"),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_records_are_a_clear_error(case):
    change, message = MALFORMED[case]
    data = copy.deepcopy(_record().to_dict())
    change(data)
    with pytest.raises(RecordError, match=message):
        GradingRecord.from_dict(data)
    payload = gradescope_json(_record())
    payload["extra_data"]["record"] = data
    with pytest.raises(ResultsError, match="grading record is malformed"):
        parse(payload)


@pytest.mark.parametrize("data", [None, [], "record", 3])
def test_a_record_that_is_not_an_object_is_a_clear_error(data):
    with pytest.raises(RecordError, match="record: expected an object"):
        GradingRecord.from_dict(data)


def test_results_from_an_older_grader_say_to_grade_again(tmp_path):
    payload = gradescope_json(_record())
    del payload["extra_data"]["record"]  # what graders before the record wrote
    write_results(tmp_path / "results.json", payload)
    with pytest.raises(ResultsError, match="no grading record.*grade the submission again with this grader version"):
        load(tmp_path / "results.json")
    del payload["extra_data"]
    with pytest.raises(ResultsError, match="older grader"):
        parse(payload)


class _Session:
    poisoned = {}

    def probe(self, item, helpers=()):
        return SimpleNamespace()

    def cell_failures(self):
        return []


def _slow(seconds, fail=False):
    def run(probe):
        time.sleep(seconds)
        if fail:
            raise CheckFailed("too slow and wrong", 0.5)
        return "fine"
    return run


def test_run_check_records_how_long_each_check_took():
    session = _Session()
    slow = run_check(session, Check("corr2d", "slow", _slow(0.2)))
    failing = run_check(session, Check("corr2d", "slow and wrong", _slow(0.1, fail=True)))
    quick = run_check(session, Check("corr2d", "quick", _slow(0)))
    assert slow.passed and failing.status == "failed" and quick.passed
    assert 0.2 <= slow.seconds < 5 and 0.1 <= failing.seconds < 5
    assert 0 <= quick.seconds < 0.1
    written = gradescope_json(GradingRecord([slow, failing, quick]))["extra_data"]["record"]
    assert [c["seconds"] for c in written["checks"]] == [slow.seconds, failing.seconds, quick.seconds]


def test_results_json_check_points_add_up_to_its_total_exactly():
    from grader.report import gradescope_json

    third = Fraction(4, 3)
    checks = [CheckResult(f"7.2 corr2d: part {k}", "corr2d", "7.2", third, third, "passed", "") for k in range(3)]
    checks += [CheckResult(f"7.3 pool: part {k}", "pool2d", "7.5", Fraction(0), Fraction(2, 7), "failed", "x")
               for k in range(7)]
    payload = gradescope_json(checks)
    assert round(sum(t["score"] for t in payload["tests"]), 4) == payload["score"] == 4
    assert round(sum(t["max_score"] for t in payload["tests"]), 4) == payload["max_score"] == 6
    assert all(abs(t["max_score"] - float(c.max_points)) <= 1e-4 for t, c in zip(payload["tests"], checks))


def test_a_students_table_says_what_the_course_grader_scores_besides():
    from grader.checks import ALL_CHECKS
    from grader.record import WITHHELD
    from grader.scoring import check_points

    hidden = next(c for c in ALL_CHECKS if c.item == "corr2d" and c.hidden)
    kept = check_points(hidden)
    checks = [CheckResult("7.2 corr2d: example", "corr2d", "7.2", 4 - kept, 4 - kept, "passed", "")]
    assert "course-only" not in score_table(checks)
    checks.append(CheckResult(hidden.test_name, "corr2d", "7.2", Fraction(0), Fraction(0), WITHHELD, "", True))
    shown = score_table(checks)   # a student's copy: the hidden check is a placeholder at 0 of 0
    row = next(line for line in shown.splitlines() if " corr2d " in line)
    assert f"{float(4 - kept):.2f} / 4.00" in row and f"{float(kept):.2f}" in row and "course-only" in shown
    assert f"scores the other {float(4 - kept):.2f} of the 4.00" in shown


def test_the_record_says_which_sandbox_limits_held_in_every_kernel():
    from grader.session import GradingSession

    user = SandboxStatus(confined=True, socket_filter="installed", open_files="at most 1024", capabilities="dropped",
                         processes="at most 256 more for this user (RLIMIT_NPROC)")
    weaker = replace(user, socket_filter="not installed: EPERM")
    kernels = {"a.ipynb": SimpleNamespace(sandbox_status=user), "b.ipynb": SimpleNamespace(sandbox_status=weaker)}
    held = GradingSession.limits_held(SimpleNamespace(kernels=kernels))
    assert held == ("Landlock file and network rules; capabilities: dropped; open files: at most 1024; "
                    "processes: at most 256 more for this user (RLIMIT_NPROC)")   # no socket filter: one lacked it
    record = GradingRecord([], limits=held)
    assert GradingRecord.from_dict(json.loads(json.dumps(record.to_dict()))).limits == held
    assert gradescope_json(record)["extra_data"]["sandbox"] == f"confined: {held}"


def test_the_sandbox_note_names_each_reason_once_from_the_status_records():
    from grader.session import GradingSession

    kernels = {"a.ipynb": SimpleNamespace(sandbox_status=SandboxStatus(confined=True)),
               "b.ipynb": SimpleNamespace(sandbox_status=SandboxStatus(reason="Landlock is not available")),
               "c.ipynb": SimpleNamespace(sandbox_status=SandboxStatus())}
    session = SimpleNamespace(kernels=kernels, unconfined=["Landlock is not available"])
    assert GradingSession.sandbox_note(session) == "not sandboxed: Landlock is not available; unknown"
    assert GradingSession.sandbox_note(SimpleNamespace(kernels={"a": kernels["a.ipynb"]}, unconfined=[])) is None


def test_execution_notes_are_records_with_the_texts_students_read():
    from grader.execution import CellOutcome, ExecutionReport
    from grader.session import GradingSession

    session = GradingSession(None)
    session.unconfined = ["pretend"]
    session.notebooks = [SimpleNamespace(label="7.5.ipynb", section="7.5", problem="", notes=["cell 1: skipped `ls`"]),
                         SimpleNamespace(label="hw.ipynb", section="", problem="could not be read as a notebook",
                                         notes=[])]
    session.reports["7.5.ipynb"] = ExecutionReport(
        cells=[CellOutcome(0, "ok"), CellOutcome(1, "error", "ZeroDivisionError: division by zero"),
               CellOutcome(2, "timeout", "cell timed out after 60 s", cut_bytes=2048),
               CellOutcome(3, "error", "NotImplementedError: pool2d")], budget_exhausted=True, fatal_cells=[4])
    session.executed["7.5.ipynb"] = SimpleNamespace(cells=[{"cell_type": "markdown", "source": "# 7.5"}] + [
        {"cell_type": "code", "source": source} for source in ("1 / 0", "", "pool2d(X, (2, 2))", "")])
    notes = session.execution_notes()
    assert [(n.kind, n.notebook, n.cell, n.serious, n.text) for n in notes] == [
        ("sandbox", "", None, False, "not sandboxed: pretend (student code ran with the grader's rights)"),
        ("preprocess", "7.5.ipynb", None, False, "7.5.ipynb: cell 1: skipped `ls`"),
        ("fatal-cell", "7.5.ipynb", 5, True,
         "7.5.ipynb: the 4th code cell stopped the kernel; the notebook was re-run without it"),
        ("budget", "7.5.ipynb", None, True, "7.5.ipynb: the time budget ran out; later cells did not run"),
        ("cell-status", "7.5.ipynb", 3, False, "7.5.ipynb: the 2nd code cell timeout: cell timed out after 60 s"),
        ("cell-error", "7.5.ipynb", 2, False,
         "7.5.ipynb: the 1st code cell raised ZeroDivisionError: division by zero"),
        ("stubs", "7.5.ipynb", 4, False,
         "7.5.ipynb: the 3rd code cell stopped at a stub that is not filled in yet (NotImplementedError)"),
        ("output-cut", "7.5.ipynb", 3, False,
         "7.5.ipynb: the 2nd code cell printed too much; 2,048 bytes of its output were cut"),
        ("not-graded", "hw.ipynb", None, True, "hw.ipynb could not be read as a notebook"),
    ]
    run = parse(gradescope_json(GradingRecord([], notes)))
    assert run.problems == [n.text for n in notes if n.serious]   # the gradebook's column, by the field
