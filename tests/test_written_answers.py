"""Written answers graded by people: found in any layout, packets anonymous, stable and escaped,
sheets read back all or nothing, manual scores kept apart and across re-grades, changed answers
flagged. A small class end to end through ``grade-class`` and ``manual`` without any kernel: each
student's results.json is planted with the cache key grade-class would reuse."""

import csv
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from grader.handin import done_line
from grader.instructor.__main__ import main
from grader.instructor.batch import KEY, RESULTS, student_folders
from grader.instructor.discover import discover
from grader.instructor.fingerprint import grader_version, submission_key
from grader.instructor.term.answer_html import MAX_IMAGES, answer_html
from grader.instructor.term.rubrics import RubricError, read_rubric, read_rubrics
from grader.instructor.term.written_answers import ANSWERED, NO_ANSWER, answers_in_notebook, which_question
from grader.items import ITEMS, WRITTEN
from grader.record import CheckResult, GradingRecord
from grader.report import gradescope_json
from grader.selection import gradable_items

ROOT = Path(__file__).resolve().parents[1]
STARTER = ROOT / "assignment" / "7.2-cross-correlation.ipynb"
PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
LATEX_ANSWER = ("*Your answer:* $\\mathbf{K}$ finds <script>alert('x')</script> no diagonal edge; "
                "$$Y = X \\star K^\\top$$\n\n![plot](attachment:edges.png) ![remote](https://evil.example/x.png)")
SCHEMA = ROOT / "grader" / "instructor" / "schemas" / "gradescope-results.schema.json"


def _starter() -> dict:
    return json.loads(STARTER.read_text(encoding="utf-8"))


def _answer_cells(nb: dict) -> list[dict]:
    """The cell under each written question, in order."""
    cells = nb["cells"]
    return [cells[i + 1] for i, cell in enumerate(cells) if which_question("".join(cell["source"]))]


def _notebook(answers: list[str | None], attachment: bool = False, reflow: bool = False) -> dict:
    nb = _starter()
    for cell, text in zip(_answer_cells(nb), answers):
        if text is not None:
            cell["source"] = text
    if attachment:
        _answer_cells(nb)[0]["attachments"] = {"edges.png": {"image/png": PNG}}
    if reflow:   # the student re-wrapped the question's text: still the same question
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if which_question(source):
                cell["source"] = source.replace(" ", "  \n", 3)
    return nb


def _write(path: Path, nb: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")


def _plant(class_dir: Path, out: Path, corr2d_points: Fraction = Fraction(4)) -> None:
    """Results as grade-class would have stored them, under the cache key it reuses."""
    work = out / "work"
    submissions = discover(class_dir, work)
    folders = student_folders(submissions, out)
    for submission in submissions:
        folder = folders[submission.student]
        folder.mkdir(parents=True, exist_ok=True)
        check = CheckResult("7.2 corr2d: matches torch", "corr2d", "7.2", corr2d_points, Fraction(4),
                            "passed" if corr2d_points == 4 else "failed", "")
        (folder / RESULTS).write_text(json.dumps(gradescope_json(GradingRecord([check]))), encoding="utf-8")
        key = submission_key(submission.path, submission.notebooks, grader_version(),
                             {"pytest_args": [], "require_sandbox": True})
        (folder / KEY).write_text(key)


def _gradebook(out: Path) -> dict[str, dict[str, str]]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _sheet(out: Path, question: str) -> tuple[list[str], list[dict[str, str]]]:
    with open(out / "written" / f"{question}.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write_sheet(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _grade(class_dir: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["grade-class", str(class_dir), "--out", str(out), "--jobs", "1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "4 submissions, 4 unchanged since the last run" in captured.out   # every result reused: no kernel
    return captured.out


def test_written_items_leave_the_autograded_items_alone():
    assert not set(WRITTEN) & set(ITEMS) and len(gradable_items()) == 23
    assert done_line([]).endswith("the homework has 23.")
    assert {item.section for item in WRITTEN.values()} <= {item.section for item in ITEMS.values()}
    rubrics = read_rubrics()
    assert all(sum(c.points for c in r.criteria) == Fraction(str(r.item.points)) for r in rubrics.values())


def test_every_question_of_the_assignment_is_found_once_in_its_own_notebook():
    found = {}
    for path in sorted((ROOT / "assignment").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for answer in answers_in_notebook(nb["cells"], path.name):
            assert answer.status == NO_ANSWER and answer.question not in found
            found[answer.question] = path.name
    assert set(found) == set(WRITTEN)
    assert all(found[name].startswith(item.section) for name, item in WRITTEN.items())


def test_an_answer_ends_at_the_next_code_cell_heading_or_question_and_a_heading_naming_it_belongs_to_it():
    question = "**Written question  (not auto-graded).**  What does a stride larger\nthan 1 save in computation?"
    cells = [{"cell_type": "markdown", "source": question},
             {"cell_type": "markdown", "source": "### My answer"},
             {"cell_type": "markdown", "source": "It saves work."},
             {"cell_type": "code", "source": "x = 1"},
             {"cell_type": "markdown", "source": "not part of it"}]
    [answer] = answers_in_notebook(cells, "nb.ipynb")
    assert (answer.question, answer.status) == ("7.3_written_2", ANSWERED)
    assert "It saves work." in answer.text and "not part of it" not in answer.text
    assert which_question("**Written question (not auto-graded).** Something this course never asked") is None


def test_an_answer_written_in_the_question_cell_itself_counts():
    nb = _starter()
    cells = nb["cells"]
    at = next(i for i, cell in enumerate(cells) if which_question("".join(cell["source"])))
    asked = "".join(cells[at]["source"])
    cells[at]["source"] = asked.replace(" ", "\n", 2) + "\n\n**Answer:** $\\mathbf{K}$ misses them."
    questions = {WRITTEN["7.2_written_1"].name: asked}
    [first, second] = answers_in_notebook(cells, "nb.ipynb", {}, questions)
    assert first.status == ANSWERED and first.text == "**Answer:** $\\mathbf{K}$ misses them."
    assert second.status == NO_ANSWER
    assert answers_in_notebook(cells, "nb.ipynb", {}, {})[0].status == NO_ANSWER   # without the starter's text


def test_an_answer_shows_only_the_images_it_holds_and_a_bounded_number_of_them():
    images = {f"{n}.png": ("image/png", PNG) for n in range(20)}
    page = answer_html("![svg](data:image/svg+xml;base64,PHN2Zz4=) ![a](attachment:0.png)", images)
    assert page.count("<img") == MAX_IMAGES and "src=\"data:image/svg" not in page and "too many images" in page
    assert answer_html("![x](attachment:missing.png)").count("<img") == 0


def test_a_broken_rubric_names_its_file_and_line(tmp_path):
    item = WRITTEN["7.5_written_1"]
    (tmp_path / f"{item.name}.toml").write_text('[[criterion]]\nid = "a"\npoints = 1\ntext = "x"\n\n'
                                                '[[criterion]]\nid = "b"\npoints = -1\ntext = "y"\n')
    with pytest.raises(RubricError, match=r"7\.5_written_1\.toml, line 6 \(criterion 2\): points must be a positive"):
        read_rubric(item, tmp_path)
    (tmp_path / f"{item.name}.toml").write_text('[[criterion]]\nid = "a"\npoints = 1\ntext = "x"\n')
    with pytest.raises(RubricError, match="add up to 1 points but 7.5_written_1 is worth 2"):
        read_rubric(item, tmp_path)


def test_a_class_end_to_end_packets_sheets_regrades_and_changed_answers(tmp_path, capsys):
    class_dir, out = tmp_path / "class", tmp_path / "out"
    _write(class_dir / "ana" / "7.2-cross-correlation.ipynb",
           _notebook([LATEX_ANSWER, "More steps and a smaller learning rate."], attachment=True, reflow=True))
    _write(class_dir / "ben" / "7.2-cross-correlation.ipynb", _notebook(["", "   "]))       # blank
    _write(class_dir / "cy" / "7.2-cross-correlation.ipynb", _notebook([None, None]))      # the starter's text
    _write(class_dir / "dee" / "work" / "homework.ipynb",                                # another layout
           _notebook(['<img src="x" onerror="alert(1)"> Only the vertical edges.', None]))
    _plant(class_dir, out)
    _grade(class_dir, out, capsys)

    page = (out / "written" / "7.2_written_1.html").read_text(encoding="utf-8")
    ledger = json.loads((out / "manual" / "answers.json").read_text())["students"]
    ids = {student: entry["id"] for student, entry in ledger.items()}
    assert 'http-equiv="Content-Security-Policy"' in page and "default-src 'none'" in page
    assert "<script>" not in page and "&lt;script&gt;" in page and "onerror=" not in page.replace("onerror=&quot;", "")
    assert '<code class="tex">$\\mathbf{K}$</code>' in page and "$$Y = X \\star K^\\top$$" in page
    assert f"data:image/png;base64,{PNG}" in page and 'src="https://' not in page and "not in the notebook" in page
    assert not any(name in page for name in ("ana", "ben", "dee")) and "2 students gave no answer" in page
    order = re.findall(r'<article id="(S-[0-9a-f]{10})">', page)
    header, rows = _sheet(out, "7.2_written_1")
    assert sorted(order) == sorted([ids["ana"], ids["dee"]]) and [r["anonymous_id"] for r in rows] == order
    assert header[:3] == ["anonymous_id", "question", "answer"] and "diagonal" in header

    book = _gradebook(out)
    assert book["ana"]["score"] == "4" and book["ana"]["7.2 7.2_written_1 /3 (written)"] == ""
    assert book["ben"]["7.2 7.2_written_1 /3 (written)"] == "0" and book["cy"]["7.2 7.2_written_2 /2 (written)"] == "0"
    assert book["ana"]["written_unscored"] == "2" and book["ana"]["total_score"] == "4"
    assert book["ana"]["total_max"] == str(4 + sum(i.points for i in WRITTEN.values()))

    _grade(class_dir, out, capsys)   # a second run: the same ids, order and sheets
    assert (out / "written" / "7.2_written_1.html").read_text(encoding="utf-8") == page
    assert _sheet(out, "7.2_written_1") == (header, rows)

    by_id = {r["anonymous_id"]: r for r in rows}
    ana, dee = by_id[ids["ana"]], by_id[ids["dee"]]
    good = [{**ana, "diagonal": "y", "transpose": "yes", "k_transposed": "n", "comment": "Check K^T's shape."},
            {**dee, "points": "1", "comment": "<b>Only half</b>"}]
    gradebook_before = (out / "gradebook.csv").read_bytes()
    bad_sheets = {
        "over.csv": ([{**ana, "points": "4"}], "4 points is outside 0 to 3"),
        "unknown.csv": ([{**ana, "anonymous_id": "S-0000000000", "points": "1"}], "unknown anonymous id"),
        "criterion.csv": ([{**ana, "diagonal": "y"}], "column 'style' is no criterion"),
        "twice.csv": (good + [{**ana, "points": "1"}], "scored twice"),
    }
    for name, (sheet_rows, message) in bad_sheets.items():
        columns = header + (["style"] if name == "criterion.csv" else [])
        sheet = _write_sheet(tmp_path / name, columns, sheet_rows)
        assert main(["manual", str(sheet), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and str(sheet) in err and "no score was kept" in err, err
        assert f"{sheet}, line" in err
    assert main(["grade-class", str(class_dir), "--out", str(out), "--manual", str(tmp_path / "over.csv")]) == 2
    assert "4 points is outside 0 to 3" in capsys.readouterr().err   # grade-class --manual: stopped before grading
    assert not (out / "manual" / "scores.json").exists() and (out / "gradebook.csv").read_bytes() == gradebook_before

    sheet = _write_sheet(tmp_path / "filled.csv", header, good)
    assert main(["manual", str(sheet), "--out", str(out)]) == 0, capsys.readouterr().err
    book = _gradebook(out)
    assert book["ana"]["7.2 7.2_written_1 /3 (written)"] == "2" and book["ana"]["total_score"] == "6"
    assert book["dee"]["7.2 7.2_written_1 /3 (written)"] == "1" and book["ana"]["score"] == "4"
    feedback = (out / "students" / "ana" / "feedback.md").read_text(encoding="utf-8")
    assert "## Written questions (read by a person)" in feedback and "Check K^T's shape." in feedback
    results = json.loads((out / "students" / "ana" / RESULTS).read_text())
    written = [t for t in results["tests"] if "written" in t.get("tags", [])]
    assert [(t["score"], t["max_score"]) for t in written if "7.2_written_1" in t["name"]] == [(2.0, 3.0)]
    assert results["score"] == 4 + 2 and results["extra_data"]["autograded_score"] == 4
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(results, json.loads(SCHEMA.read_text()))

    # a re-grade after a change to a check: the autograded points move, the manual ones stay
    _plant(class_dir, out, corr2d_points=Fraction(1))
    _grade(class_dir, out, capsys)
    book = _gradebook(out)
    assert (book["ana"]["score"], book["ana"]["7.2 7.2_written_1 /3 (written)"], book["ana"]["total_score"]) == \
        ("1", "2", "3")
    results = json.loads((out / "students" / "ana" / RESULTS).read_text())
    assert len([t for t in results["tests"] if "written" in t.get("tags", [])]) == len(WRITTEN) - 1  # q2 unscored
    assert results["score"] == 1 + 2

    # dee rewrites the answer after it was scored: flagged, kept, and put back before a reader
    _write(class_dir / "dee" / "work" / "homework.ipynb", _notebook(["Vertical and, weakly, diagonal edges.", None]))
    _plant(class_dir, out, corr2d_points=Fraction(1))
    _grade(class_dir, out, capsys)
    book = _gradebook(out)
    assert book["dee"]["written_flags"] == "7.2_written_1: answer changed since it was scored"
    assert book["dee"]["7.2 7.2_written_1 /3 (written)"] == "1" and book["ana"]["written_flags"] == ""
    page = (out / "written" / "7.2_written_1.html").read_text(encoding="utf-8")
    assert "answer changed since it was scored" in page
    _, rows = _sheet(out, "7.2_written_1")
    again = {r["anonymous_id"]: r for r in rows}
    assert again[ids["dee"]]["points"] == "" and "the answer changed since" in again[ids["dee"]]["previous"]
    assert again[ids["ana"]]["diagonal"] == "1" and again[ids["ana"]]["comment"] == "Check K^T's shape."
    rescored = _write_sheet(tmp_path / "rescored.csv", header, [{**again[ids["dee"]], "points": "3"}])
    code = main(["grade-class", str(class_dir), "--out", str(out), "--jobs", "1", "--manual", str(rescored)])
    assert code == 0 and "4 submissions, 4 unchanged" in capsys.readouterr().out
    book = _gradebook(out)
    assert book["dee"]["written_flags"] == "" and book["dee"]["7.2 7.2_written_1 /3 (written)"] == "3"
