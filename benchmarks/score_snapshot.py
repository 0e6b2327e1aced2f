"""Every check's status and exact points on three reference submissions, for comparing two versions.

    python benchmarks/score_snapshot.py OUT.json

Grades, with ``pytest grader`` as a student would: the solved assignment (marked cells filled
from solutions/), the solved assignment in a float64 kernel (``torch.set_default_dtype`` first),
the blank assignment as released, the book's own chapter 7-8 code (tests/test_book_code.py), and
every student bug of tests/mutants.py packed as the tests pack them (``mutants-N`` and
``parameter-mutants-N`` rounds). Writes {submission: {check: [status, points, max_points]}} plus
the totals. Run it before and after a refactor and ``diff`` the two files: a change of behaviour
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

from mutants import MUTANTS, PARAMETER_MUTANTS, rounds, solved_homework  # noqa: E402
from notebook_factory import write_notebook  # noqa: E402
from test_book_code import BOOK  # noqa: E402

from solutions.fill import solved  # noqa: E402

FLOAT64 = "import torch\ntorch.set_default_dtype(torch.float64)"


def in_float64(nb):
    """The solved notebook with a first cell that makes float64 the kernel's default dtype."""
    nb = solved(nb)
    nb.cells.insert(0, nbformat.v4.new_code_cell(FLOAT64))
    return nb


def submissions(folder):
    found = {}
    for name, transform in (("solved", solved), ("solved-float64", in_float64), ("blank", lambda nb: nb)):
        target = found[name] = folder / name
        target.mkdir()
        for path in sorted((REPO / "assignment").glob("*.ipynb")):
            nbformat.write(transform(nbformat.read(str(path), as_version=4)), str(target / path.name))
    found["book"] = write_notebook(folder / "book" / "book.ipynb", *BOOK)
    parameter_mutants = [(item, description, source) for item, _, description, source in PARAMETER_MUTANTS]
    for label, table in (("mutants", MUTANTS), ("parameter-mutants", parameter_mutants)):
        for k, entries in enumerate(rounds(table)):
            cells = solved_homework([(item, source) for item, _, source in entries])
            found[f"{label}-{k}"] = write_notebook(folder / f"{label}-{k}" / "homework.ipynb", *cells)
    return found


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
