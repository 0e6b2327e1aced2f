"""Wall time of grading the complete reference submission vs. merely executing it.

    python benchmarks/grading_speed.py [--repeat N] [--all-in-one | --student-loop]

Builds the solved assignment in a temporary folder (marked cells filled from solutions/),
then, in one run: (a) executes every notebook with plain nbclient, one fresh kernel each, and
(b) runs ``pytest grader`` on the same folder, one kernel at a time and with the default
number of kernels at once. Prints both times, their ratio, and the score.
Training is capped the same way in both (D2L_MAX_EPOCHS=1, D2L_MAX_BATCHES=2).

``--all-in-one`` does the same for one notebook holding every reference definition and nothing
else (tests/mutants.py's ``solved_homework``): executing it takes seconds, so the ratio is what
the checks themselves cost.

``--student-loop`` times what a student waits for, one solved notebook at a time: executing it,
grading it alone (``pytest grader --submission NOTEBOOK``), grading one item
(``-k ITEM``, its first item), and each item's check cell (``d2l.check("ITEM")`` at the end of
the notebook, as the student runs it; the cell's wall time, the first one's including the import
of the checks), then the check cells of every bug in tests/mutants.py.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from grader.items import ITEMS
from grader.kernel import ExecutionLimits
from solutions.fill import solved

REPO = Path(__file__).resolve().parents[1]


def build_solved(target):
    for path in sorted((REPO / "assignment").glob("*.ipynb")):
        nbformat.write(solved(nbformat.read(str(path), as_version=4)), str(target / path.name))
    return sorted(target.glob("*.ipynb"))


def build_all_in_one(target):
    """One notebook of every reference definition, as the tests' mutants are packed."""
    sys.path.insert(0, str(REPO / "tests"))
    from mutants import solved_homework
    from notebook_factory import write_notebook

    return [write_notebook(target / "homework.ipynb", *solved_homework())]


def execute_plain(paths, workdir):
    started = time.perf_counter()
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    return time.perf_counter() - started


def grade(folder, results, parallel_kernels, *options):
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(folder), "--results", str(results),
                    "--parallel-kernels", str(parallel_kernels), "-q", "-p", "no:cacheprovider", *options],
                   cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - started


def check_cell_seconds(path, items, workdir):
    """{item: wall seconds of its check cell}, the cells appended to the executed notebook."""
    nb = nbformat.read(str(path), as_version=4)
    # the notebook's own check cells go: the first timed cell then pays for importing the checks
    nb.cells = [c for c in nb.cells if not c.source.startswith("d2l.check")]
    first = len(nb.cells)
    nb.cells += [new_code_cell(f"d2l.check({item!r})") for item in items]
    NotebookClient(nb, timeout=600, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(workdir)}}).execute()
    found = {}
    for item, cell in zip(items, nb.cells[first:]):   # the cell's own wall time, imports included
        timing = cell.metadata.get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        found[item] = (datetime.fromisoformat(end.replace("Z", "+00:00"))
                       - datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()
    return found


def timed_check_cells(cells, items, workdir):
    """{item: wall seconds of its check cell} for a notebook of ``cells`` with a check cell per item."""
    nb = nbformat.v4.new_notebook(cells=[new_code_cell(c) for c in cells])
    path = workdir / "checked.ipynb"
    nbformat.write(nb, str(path))
    return check_cell_seconds(path, items, workdir)


def mutant_check_cells(tmp):
    """Check cells on buggy code: each round of tests/mutants.py in one notebook, a cell per bug."""
    sys.path.insert(0, str(REPO / "tests"))
    from mutants import rounds, solved_homework

    seconds = []
    for mutants in rounds():
        items = [item for item, _, _ in mutants]
        found = timed_check_cells(solved_homework([(item, source) for item, _, source in mutants]), items, tmp)
        seconds += list(found.values())
    seconds.sort()
    print(f"check cells on {len(seconds)} buggy items (tests/mutants.py): median {seconds[len(seconds) // 2]:4.1f} s, "
          f"max {seconds[-1]:4.1f} s")


def student_loop(paths, tmp):
    """Per notebook: execute, grade alone, grade its first item, and each item's check cell."""
    results = tmp / "one.json"
    for path in paths:
        alone = tmp / path.stem
        alone.mkdir()
        shutil.copy(path, alone / path.name)
        section = path.name.split("-")[0]
        items = [name for name, item in ITEMS.items() if item.section == section and not item.training]
        plain = execute_plain([path], tmp)
        whole = grade(alone, results, 1)
        one = grade(alone, results, 1, "-k", items[0])
        cells = check_cell_seconds(path, items, tmp)
        print(f"{path.name:32} execute {plain:5.1f} s | grade {whole:5.1f} s | -k {items[0]} {one:5.1f} s | "
              f"check cell per item: max {max(cells.values()):4.1f} s, mean {sum(cells.values()) / len(cells):4.1f} s")
    mutant_check_cells(tmp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--student-loop", action="store_true", help="time one notebook at a time instead")
    parser.add_argument("--all-in-one", action="store_true", help="one notebook of every definition instead")
    args = parser.parse_args()
    os.environ.update({"D2L_MAX_EPOCHS": "1", "D2L_MAX_BATCHES": "2"})
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        paths = build_all_in_one(folder) if args.all_in_one else build_solved(folder)
        results = Path(tmp) / "results.json"
        if args.student_loop:
            return student_loop(paths, Path(tmp))
        for run in range(args.repeat):
            plain = execute_plain(paths, Path(tmp))
            print(f"run {run + 1}: {len(paths)} notebooks | execute only (nbclient, one after another) {plain:6.1f} s")
            for parallel in sorted({1, ExecutionLimits.parallel_kernels}):
                graded = grade(folder, results, parallel)
                payload = json.loads(results.read_text())
                print(f"       grade (pytest grader, {parallel} kernel(s) at a time) {graded:6.1f} s | "
                      f"ratio {graded / plain:4.2f} | score {payload['score']:g}/{payload['max_score']:g} "
                      f"over {len(payload['tests'])} checks")


if __name__ == "__main__":
    main()
