"""The receipt every grading leaves beside results.json: the notebooks' SHA-256, the commit and its
time, the grader's version, the items and the score; shown in the auto-grade run's summary."""

import hashlib
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

from notebook_factory import IMPORTS, write_notebook
from test_deadlines import _stand_in_grader

from grader import receipt
from grader.instructor import batch, classroom
from grader.instructor.__main__ import main
from grader.record import CheckResult, GradingRecord
from grader.report import gradescope_json, write_results

ROOT = Path(__file__).resolve().parents[1]
CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))\n"
          "    for i in range(Y.shape[0]):\n        for j in range(Y.shape[1]):\n"
          "            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()\n    return Y")


def _record(points=3, full=4):
    return GradingRecord(checks=[CheckResult("corr2d agrees", "corr2d", "7.2", Fraction(points), Fraction(full),
                                             "failed", "")])


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_receipt_names_the_files_by_hash_and_the_commit_in_the_students_repository(tmp_path):
    notebook = write_notebook(tmp_path / "repo" / "7.2.ipynb", IMPORTS, "x = 1")
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    subprocess.run(["git", "-C", str(tmp_path / "repo"), "add", "."], check=True)
    subprocess.run(["git", "-C", str(tmp_path / "repo"), "-c", "user.name=s", "-c", "user.email=s@s", "commit", "-qm",
                    "hw", "--date", "2026-10-01T12:00:00+02:00"], check=True,
                   env={"GIT_COMMITTER_DATE": "2026-10-01T12:00:00+02:00", "PATH": "/usr/bin:/bin"})
    head = subprocess.run(["git", "-C", str(tmp_path / "repo"), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    written = receipt.write(tmp_path / "out", receipt.build(_record(), [notebook], tmp_path / "repo"))
    data = json.loads(written.read_text())
    assert data["notebooks"] == [{"file": "7.2.ipynb", "sha256": _sha(notebook)}]
    assert data["commit"] == head and data["commit_date"] == "2026-10-01T12:00:00+02:00"
    assert (data["score"], data["max_score"], data["items"]) == (3, 4, ["corr2d"])
    assert data["grader"].startswith(("git ", "package "))
    text = (tmp_path / "out" / "receipt.txt").read_text()
    assert f"{_sha(notebook)}  7.2.ipynb" in text and f"Commit: {head}" in text and "Score: 3 / 4" in text


def test_a_submission_inside_the_graders_own_checkout_claims_no_commit():
    assert receipt.submission_commit(ROOT / "assignment") == ("", "")


def test_pytest_grader_writes_the_receipt_beside_results_json(tmp_path):
    notebook = write_notebook(tmp_path / "hw" / "7.2-cross-correlation.ipynb", IMPORTS, CORR2D)
    results = tmp_path / "out" / "results.json"
    done = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "grader"), "--submission", str(tmp_path / "hw"),
                           "--results", str(results), "--item", "corr2d", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert results.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    data = receipt.read(results.parent)
    graded = json.loads(results.read_text())
    assert data is not None and data["score"] == graded["score"] and data["items"] == ["corr2d"]
    assert data["notebooks"] == [{"file": "7.2-cross-correlation.ipynb", "sha256": _sha(notebook)}]

    summary = tmp_path / "summary.md"
    assert classroom.main([str(results), "--summary", str(summary)]) == 0
    shown = summary.read_text()
    assert "### Receipt" in shown and _sha(notebook) in shown and data["grader"] in shown


def test_ci_report_without_a_receipt_still_publishes(tmp_path):
    write_results(tmp_path / "results.json", gradescope_json(_record()))
    summary = tmp_path / "summary.md"
    assert classroom.main([str(tmp_path / "results.json"), "--summary", str(summary)]) == 0
    assert "3 / 4 points" in summary.read_text() and "Receipt" not in summary.read_text()


def test_grade_class_writes_each_students_receipt_with_the_submission_time(tmp_path, monkeypatch):
    notebook = write_notebook(tmp_path / "class" / "alice" / "hw.ipynb", "SCORE = 7")
    monkeypatch.setattr(batch, "run_grader", _stand_in_grader([]))
    assert main(["grade-class", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    data = receipt.read(tmp_path / "out" / "students" / "alice")
    assert data is not None and data["student"] == "alice" and data["score"] == 7
    assert data["time_source"] == "newest file time in the submission (LMS export or folder)"
    assert data["submitted_at"] and data["notebooks"] == [{"file": "hw.ipynb", "sha256": _sha(notebook)}]
