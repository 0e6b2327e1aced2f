"""Every check's status and exact points on three reference submissions, for comparing two versions.

    python benchmarks/score_snapshot.py OUT.json

Grades, with ``pytest grader`` as a student would: the solved assignment (marked cells filled
from solutions/), the blank assignment as released, and the book's own chapter 7-8 code
(tests/test_book_code.py). Writes {submission: {check: [status, points, max_points]}} plus the
totals. Run it before and after a refactor and ``diff`` the two files: a change of behaviour
shows up as a changed line. Training is capped as in the tests (D2L_MAX_EPOCHS=1, D2L_MAX_BATCHES=2).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from notebook_factory import write_notebook  # noqa: E402
from solutions.fill import solved  # noqa: E402
from test_book_code import BOOK  # noqa: E402


def submissions(folder):
    solved_dir, blank_dir = folder / "solved", folder / "blank"
    for target, transform in ((solved_dir, solved), (blank_dir, lambda nb: nb)):
        target.mkdir()
        for path in sorted((REPO / "assignment").glob("*.ipynb")):
            nbformat.write(transform(nbformat.read(str(path), as_version=4)), str(target / path.name))
    return {"solved": solved_dir, "blank": blank_dir, "book": write_notebook(folder / "book" / "book.ipynb", *BOOK)}


def snapshot(submission, results):
    subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(submission), "--results",
                    str(results), "-q", "-p", "no:cacheprovider"], cwd=REPO, capture_output=True, text=True)
    payload = json.loads(results.read_text())
    checks = {t["name"]: [t.get("status", "skipped"), t["extra_data"]["points"], t["extra_data"]["max_points"]]
              for t in payload["tests"]}
    return {"score": payload["score"], "max_score": payload["max_score"], "checks": checks}


def main():
    out = Path(sys.argv[1])
    os.environ.update({"D2L_MAX_EPOCHS": "1", "D2L_MAX_BATCHES": "2"})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        table = {name: snapshot(path, folder / f"{name}.json") for name, path in submissions(folder).items()}
    out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    for name, result in table.items():
        print(f"{name}: {result['score']} / {result['max_score']} over {len(result['checks'])} checks")


if __name__ == "__main__":
    main()
