"""Reading results.json back, the gradebook CSV, feedback reports, and what CI publishes (no kernels)."""

import base64
import csv
import io
import json

import matplotlib
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from grader.instructor import classroom
from grader.instructor.__main__ import main
from grader.instructor.batch import GRADED, NOT_GRADED, PROBLEMS, Outcome
from grader.instructor.discover import Submission
from grader.instructor.feedback import write_report
from grader.instructor.figures import training_figures
from grader.instructor.gradebook import write_gradebook
from grader.instructor.progress import Progress
from grader.instructor.results import ResultsError, load, parse
from grader.record import CheckResult, Note
from grader.report import gradescope_json, write_results

matplotlib.use("agg")


def _result(item, section, title, points, full, status, feedback="", hidden=False):
    return CheckResult(f"{section} {item}: {title}", item, section, points, full, status, feedback, hidden)


RESULTS = [
    _result("corr2d", "7.2", "the book's example", 1.0, 1.0, "passed", "matches the book's example"),
    _result("corr2d", "7.2", "generated inputs", 0.0, 3.0, "failed",
            "Smallest failing input found:\n\n`corr2d(tensor([[1.]]), tensor([[2.]]))`\n\nreturned `tensor([[0.]])`"),
    _result("pool2d", "7.5", "max and avg | generated", 4.0, 4.0, "passed", "passed on 72 generated inputs"),
    _result("LeNet", "7.6", "test accuracy after 10**1 epochs", 0.0, 0.0, "skipped", "needs a CUDA GPU (none here)"),
    _result("VGG", "8.2", "hidden shapes", 0.0, 2.0, "failed", "secret detail", hidden=True),
]


CELL_NOTE = Note("cell-error", "7.2.ipynb: cell 3 error: NameError: x", "7.2.ipynb", 3)
UNREADABLE = Note("not-graded", "hw.ipynb could not be read as a notebook", "hw.ipynb", serious=True)


def _payload(error=None, notes=(CELL_NOTE,)):
    return json.loads(json.dumps(gradescope_json(RESULTS, 12.5, list(notes), error)))


def test_results_json_reads_back_into_the_graders_records():
    run = parse(_payload())
    assert (run.score, run.max_score) == (5.0, 10.0)
    assert [c.item for c in run.checks] == ["corr2d", "corr2d", "pool2d", "LeNet", "VGG"]
    assert [c.status for c in run.checks] == ["passed", "failed", "passed", "skipped", "failed"]
    assert run.checks[1].feedback.startswith("Smallest failing input found:")
    assert run.checks[3].skipped and run.checks[4].hidden and run.checks[4].feedback == ""
    assert run.item_points()["corr2d"] == (1.0, 4.0) and run.item_points()["VGG"] == (0.0, 2.0)
    assert run.notes == [CELL_NOTE] and run.problems == []
    assert run.seconds == 12.5 and run.checks[1].max_points == 3  # from the record, not the rounded scores
    broken = parse(_payload(error="SubmissionError: no notebooks", notes=(UNREADABLE,)))
    assert broken.error == "SubmissionError: no notebooks"
    assert broken.problems == ["SubmissionError: no notebooks", "hw.ipynb could not be read as a notebook"]


def test_the_problems_column_takes_the_notes_marked_serious_whatever_their_text(tmp_path):
    """A cell's own error may say anything ("stopped the kernel", "could not be read"): only the
    grader's ``serious`` field makes a note a problem with the whole submission."""
    says_it = Note("cell-error", "7.2.ipynb: cell 4 raised RuntimeError: the loader stopped the kernel; the file "
                   "could not be read", "7.2.ipynb", 4)
    serious = Note("budget", "7.5.ipynb: out of time", "7.5.ipynb", serious=True)
    run = parse(_payload(notes=(says_it, serious)))
    assert run.problems == ["7.5.ipynb: out of time"]
    text = write_report("dave", run, tmp_path / "dave").read_text()
    problems, notes = text.split("## Notes on running your notebooks")
    assert "- 7.5.ipynb: out of time" in problems and "out of time" not in notes
    assert "cell 4 raised RuntimeError: the loader stopped the kernel" in notes


def test_unreadable_results_are_a_clear_error(tmp_path):
    with pytest.raises(ResultsError, match="wrote no results"):
        load(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ResultsError, match="cannot be read"):
        load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"score": 3}')
    with pytest.raises(ResultsError, match="no list of tests"):
        load(tmp_path / "other.json")
    (tmp_path / "old.json").write_text('{"score": 3, "max_score": 4, "tests": []}')  # an older grader's
    with pytest.raises(ResultsError, match="old.json: it holds no grading record.*this grader version"):
        load(tmp_path / "old.json")


def _png():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([1, 2, 3], [2.0, 1.0, 0.5])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _notebook_with_training_curve(path, png):
    cells = [new_code_cell("x = 1"),
             new_code_cell("history = trainer.fit(model, data)", outputs=[
                 new_output("stream", name="stdout", text="after epoch 10: validation accuracy 0.871\n"),
                 new_output("display_data",
                            data={"image/png": base64.b64encode(png).decode(), "text/plain": "<Figure>"}),
             ]),
             new_code_cell("plot(X)", outputs=[
                 new_output("display_data", data={"image/png": base64.b64encode(png).decode()})])]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


def test_training_curves_come_from_training_cells_only(tmp_path):
    png = _png()
    nb = _notebook_with_training_curve(tmp_path / "7.6-lenet.ipynb", png)
    figures = training_figures(nb, "your notebook")
    assert len(figures) == 1
    assert (figures[0].cell == 2 and figures[0].png == png
            and figures[0].caption == "after epoch 10: validation accuracy 0.871")
    (tmp_path / "broken.ipynb").write_text("{")
    assert training_figures(tmp_path / "broken.ipynb", "x") == []


def test_markdown_report_has_items_counterexamples_notes_and_curves(tmp_path):
    submitted = _notebook_with_training_curve(tmp_path / "sub" / "7.6-lenet.ipynb", _png())
    path = write_report("alice", parse(_payload()), tmp_path / "alice", "md", tmp_path / "no-executed", [submitted])
    text = path.read_text()
    assert path.name == "feedback.md" and "# Feedback for alice" in text and "**Score: 5 / 10** (50 %)" in text
    assert "| 7.2 | corr2d | 1 / 4 | failed |" in text and "| 7.5 | pool2d | 4 / 4 | ok |" in text
    assert "`corr2d(tensor([[1.]]), tensor([[2.]]))`" in text
    assert "test accuracy after 10\\*\\*1 epochs**: skipped" in text and "needs a CUDA GPU" in text
    assert "secret detail" not in text and "on Gradescope it appears once the course publishes the grades" in text
    assert "cell 3 error: NameError" in text
    images = list((tmp_path / "alice" / "figures").glob("*.png"))
    assert len(images) == 1 and f"(figures/{images[0].name})" in text
    assert "from your notebook: after epoch 10" in text


def test_html_report_is_one_self_contained_page(tmp_path):
    submitted = _notebook_with_training_curve(tmp_path / "sub" / "lenet.ipynb", _png())
    text = write_report("bob <b>", parse(_payload()), tmp_path / "bob", "html", None, [submitted]).read_text()
    assert text.startswith("<!DOCTYPE html>") and "<title>Feedback for bob &lt;b&gt;</title>" in text
    assert "<td>corr2d</td>" in text and "<code>corr2d(tensor([[1.]]), tensor([[2.]]))</code>" in text
    assert "max and avg | generated" in text  # an escaped pipe stays inside its table cell
    assert 'src="data:image/png;base64,' in text and "<b>" not in text
    with pytest.raises(ValueError, match="unknown report format"):
        write_report("x", parse(_payload()), tmp_path / "x", "pdf")


def test_report_for_a_submission_that_was_not_graded(tmp_path):
    text = write_report("erin", None, tmp_path / "erin", problem="no notebooks (.ipynb) in this submission").read_text()
    assert "**Not graded.**" in text and "no notebooks" in text


def _outcome(tmp_path, student, status, run=None, problem="", superseded=()):
    submission = Submission(student, tmp_path / student, student, notebooks=[tmp_path / "a.ipynb"],
                            superseded=list(superseded))
    return Outcome(submission, tmp_path / "out" / student, status, problem, 3.25, run=run)


def test_gradebook_has_totals_status_flags_and_points_per_item(tmp_path):
    outcomes = [
        _outcome(tmp_path, "alice", GRADED, parse(_payload()), superseded=["alice.ipynb"]),
        _outcome(tmp_path, "carol", PROBLEMS, parse(_payload(notes=(UNREADABLE,))),
                 problem="hw.ipynb could not be read as a notebook"),
        _outcome(tmp_path, "erin", NOT_GRADED, problem="no notebooks (.ipynb) in this submission"),
    ]
    path = write_gradebook(outcomes, tmp_path / "out" / "gradebook.csv", {"alice": ["dave"]})
    rows = {r["student"]: r for r in csv.DictReader(path.open())}
    assert rows["alice"]["score"] == "5" and rows["alice"]["max_score"] == "10" and rows["alice"]["percent"] == "50.0"
    assert rows["alice"]["identical_to"] == "dave" and rows["alice"]["superseded"] == "alice.ipynb"
    assert rows["alice"]["7.2 corr2d /4"] == "1" and rows["alice"]["7.5 pool2d /4"] == "4"
    assert rows["alice"]["7.6 LeNet /4"] == "" and rows["alice"]["8.2 VGG /4"] == "0"  # skipped vs. graded zero
    assert rows["carol"]["status"] == "graded with problems" and "could not be read" in rows["carol"]["problem"]
    assert (rows["erin"]["score"] == "" and rows["erin"]["status"] == "not graded"
            and "no notebooks" in rows["erin"]["problem"])


def test_classroom_result_carries_the_graders_points_as_one_exact_total():
    parts = [_result("corr2d", "7.2", "a", 0.1, 0.1, "passed"), _result("corr2d", "7.2", "b", 0.2, 0.2, "passed")]
    run = parse(json.loads(json.dumps(gradescope_json(parts, 1.0))))
    assert sum(c.points for c in run.checks) != 0.3  # adding the checks' floats would show 0.30000000000000004
    decoded = json.loads(base64.b64decode(classroom.encode(classroom.classroom_result(run))))
    assert decoded["version"] == 1 and decoded["status"] == "pass" and decoded["max_score"] == 0.3
    assert [t["score"] for t in decoded["tests"]] == [0.3]
    run = parse(_payload())
    decoded = classroom.classroom_result(run)
    assert decoded["status"] == "fail" and decoded["max_score"] == 10.0 and decoded["tests"][0]["score"] == 5.0
    assert "corr2d" in decoded["tests"][0]["message"] and "secret detail" not in decoded["tests"][0]["message"]
    assert classroom.points_line(run) == "Points 5/10"
    broken = classroom.classroom_result(None, "no results")
    assert broken["status"] == "error" and broken["tests"][0]["score"] == 0


def test_ci_report_writes_summary_output_and_feedback(tmp_path, capsys):
    results = tmp_path / "out" / "results.json"
    write_results(results, _payload())
    summary, output = tmp_path / "summary.md", tmp_path / "github_output"
    code = main(["ci-report", str(results), "--summary", str(summary), "--output", str(output),
                 "--feedback", str(tmp_path / "out" / "feedback"), "--student", "alice"])
    printed = capsys.readouterr().out
    assert code == 0 and "Points 5/10" in printed and "total" in printed
    assert "## Autograding: 5 / 10 points" in summary.read_text()
    assert "| 7.2 | corr2d | 1 / 4 | failed |" in summary.read_text()
    name, _, value = output.read_text().strip().partition("=")
    assert name == "result" and json.loads(base64.b64decode(value))["max_score"] == 10.0
    assert (tmp_path / "out" / "feedback" / "feedback.md").is_file()


def test_ci_report_without_results_still_publishes_the_failure(tmp_path, capsys):
    summary, output = tmp_path / "summary.md", tmp_path / "github_output"
    code = main(["ci-report", str(tmp_path / "nothing.json"), "--summary", str(summary), "--output", str(output)])
    assert code == 1 and "grading did not finish" in capsys.readouterr().out
    assert "grading did not finish" in summary.read_text()
    result = json.loads(base64.b64decode(output.read_text().strip().partition("=")[2]))
    assert (result["status"] == "error" and result["max_score"] == 0
            and "wrote no results" in result["tests"][0]["message"])


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_in_place_on_a_terminal_and_writes_lines_to_a_log():
    screen = _Terminal()
    bar = Progress(2, screen, width=10)
    bar.advance("alice: 4/4")
    bar.advance("bob: error", problem=True)
    bar.close()
    text = screen.getvalue()
    assert "\r[#####.....] 1/2  problems 0" in text and "eta" in text and "alice: 4/4" in text
    assert "\r[##########] 2/2  problems 1" in text and text.endswith("\n") and text.count("\n") == 1
    log = io.StringIO()
    bar = Progress(2, log)
    bar.advance("alice: 4/4")
    bar.close()
    assert log.getvalue() == "[1/2] alice: 4/4\n"
