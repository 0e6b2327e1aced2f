"""The class grader end to end: real ``pytest grader`` runs on a small class folder.

The class: a correct submission (alice, who also left an older notebook behind), a blank one
(bob), a broken one (carol: not a notebook at all inside), a byte-identical copy of alice's
work (dave), and a student with no notebook (erin). Only the corr2d checks are selected, so
each run starts one kernel and the whole test takes seconds, not minutes.
"""

import csv
import os
import shutil
import time
import uuid

import psutil
import pytest
from notebook_factory import IMPORTS, write_notebook

from grader.instructor.__main__ import main

SELECT = "-k corr2d:"  # the corr2d item's checks only (a -k word may end in a colon)
CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")
STUB = "def corr2d(X, K):\n    raise NotImplementedError"


def _class_folder(root):
    old = write_notebook(root / "alice.ipynb", IMPORTS, STUB, title="# 7.2 Cross-correlation")
    os.utime(old, (time.time() - 7200,) * 2)
    alice = write_notebook(root / "alice" / "7.2-cross-correlation.ipynb", IMPORTS, CORR2D)
    (root / "dave").mkdir()
    shutil.copy(alice, root / "dave" / "7.2-cross-correlation.ipynb")
    write_notebook(root / "bob.ipynb", IMPORTS, STUB, title="# 7.2 Cross-correlation")
    (root / "carol").mkdir()
    (root / "carol" / "7.2-cross-correlation.ipynb").write_text('{"cells": [ this is not a notebook')
    (root / "erin").mkdir()
    (root / "erin" / "notes.txt").write_text("I forgot to attach the notebook")
    return root


def _gradebook(out):
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("batch")
    root, out = _class_folder(base / "class"), base / "out"
    code = main(["grade-class", str(root), "--out", str(out), "--jobs", "2", "--pytest-args", SELECT])
    return root, out, code


def test_every_submission_gets_a_row_and_the_batch_finishes(graded_class):
    _, out, code = graded_class
    rows = _gradebook(out)
    assert code == 0 and sorted(rows) == ["alice", "bob", "carol", "dave", "erin"]
    alice, bob, carol = rows["alice"], rows["bob"], rows["carol"]
    assert alice["status"] == "graded" and alice["score"] == alice["max_score"] == "4"
    assert alice["7.2 corr2d /4"] == "4" and alice["percent"] == "100.0"
    assert bob["status"] == "graded" and bob["score"] == "0" and bob["max_score"] == "4"
    assert carol["status"] == "graded with problems" and carol["score"] == "0"
    assert "could not be read as a notebook" in carol["problem"]
    assert rows["erin"]["status"] == "not graded" and rows["erin"]["score"] == ""
    assert rows["erin"]["problem"] == "no notebooks (.ipynb) in this submission"


def test_duplicates_are_listed(graded_class):
    _, out, _ = graded_class
    rows = _gradebook(out)
    assert rows["alice"]["superseded"] == "alice.ipynb"            # the same student twice: the latest counts
    assert rows["alice"]["identical_to"] == "dave" and rows["dave"]["identical_to"] == "alice"
    assert rows["dave"]["score"] == "4"                             # both graded, both flagged
    # byte-identical files are graded once: dave's results are alice's run, copied
    assert (out / "students/dave/grading.log").read_text() == (out / "students/alice/grading.log").read_text()


def test_each_student_gets_results_executed_notebooks_and_a_report(graded_class):
    _, out, _ = graded_class
    alice = out / "students" / "alice"
    assert (alice / "results.json").is_file()
    assert [p.name for p in (alice / "executed").glob("*.ipynb")] == ["7.2-cross-correlation.ipynb"]
    report = (alice / "feedback.md").read_text()
    assert "**Score: 4 / 4**" in report and "| 7.2 | corr2d | 4 / 4 | ok |" in report
    assert "not implemented" in (out / "students" / "bob" / "feedback.md").read_text()
    assert "could not be read as a notebook" in (out / "students" / "carol" / "feedback.md").read_text()
    assert "**Not graded.**" in (out / "students" / "erin" / "feedback.md").read_text()


def test_rerun_grades_only_what_changed(graded_class, capsys):
    root, out, _ = graded_class
    capsys.readouterr()
    assert main(["grade-class", str(root), "--out", str(out), "--jobs", "2", "--pytest-args", SELECT]) == 0
    assert "4 unchanged since the last run" in capsys.readouterr().out  # erin has nothing to grade
    write_notebook(root / "bob.ipynb", IMPORTS, CORR2D, title="# 7.2 Cross-correlation")
    assert main(["grade-class", str(root), "--out", str(out), "--jobs", "2", "--pytest-args", SELECT]) == 0
    printed = capsys.readouterr().out
    rows = _gradebook(out)
    assert "3 unchanged since the last run" in printed
    assert rows["bob"]["score"] == "4" and rows["bob"]["cached"] == "" and rows["alice"]["cached"] == "yes"


def _marked(marker):
    """Processes started under this test (they inherit the marker through their environment)."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("BATCH_TEST_MARKER") == marker and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process.cmdline())
        except (psutil.Error, OSError):
            continue
    return found


def test_a_hanging_submission_is_stopped_and_the_rest_still_graded(tmp_path, capsys, monkeypatch):
    root = tmp_path / "class"
    write_notebook(root / "hang.ipynb", IMPORTS, "import time\ntime.sleep(600)", CORR2D)
    write_notebook(root / "fine.ipynb", IMPORTS, CORR2D)
    marker = uuid.uuid4().hex
    monkeypatch.setenv("BATCH_TEST_MARKER", marker)
    code = main(["grade-class", str(root), "--out", str(tmp_path / "out"), "--jobs", "2", "--timeout", "25",
                 "--pytest-args", SELECT])
    rows = _gradebook(tmp_path / "out")
    assert code == 0 and rows["fine"]["score"] == "4"
    assert rows["hang"]["status"] == "timeout" and "longer than 25 s" in rows["hang"]["problem"]
    assert "hang: timeout" in capsys.readouterr().out
    assert _marked(marker) == []  # the grader and its kernel were stopped, not orphaned


def test_a_class_folder_that_cannot_be_read_is_a_clear_error(tmp_path, capsys):
    assert main(["grade-class", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["grade-class", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "0"]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
