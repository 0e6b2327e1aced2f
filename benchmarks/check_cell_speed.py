"""How fast a check cell answers, and how small its counterexamples are, on every student bug.

    python benchmarks/check_cell_speed.py [ITEM ...]

For the solved homework and for every mutant of tests/mutants.py (the parameter mutants too),
runs the checks of the mutated item as ``d2l.check(item)`` runs them: the grader's session over
the definitions live in this process (``notebook_check.NotebookSession`` on the check cell's own
in-process channel, time limits included). Prints each item's time and, where a check failed,
the element count of the largest tensor its feedback shows (the counterexample's size).

Targets (issue 26): <= 3 s with a wrong function, <= 1 s with a correct one, and <= 16 elements
per tensor in every counterexample of a function item. Say how busy the machine was (``uptime``).
"""

import os
import re
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from in_process import InProcessKernel  # noqa: E402
from mutants import MUTANTS, PARAMETER_MUTANTS, solved_homework  # noqa: E402

from grader.checks import ALL_CHECKS  # noqa: E402
from grader.checks.counterexample import SMALL  # noqa: E402
from grader.items import ITEMS  # noqa: E402
from grader.notebook_check import NotebookSession, run_checks  # noqa: E402
from grader.oracles import preload  # noqa: E402

TENSOR = re.compile(r"torch\.(tensor|zeros|ones|full|rand|randn)\(")
NUMBER = re.compile(r"-?\d+(?:\.\d*)?(?:e[-+]?\d+)?|nan|inf")


def _balanced(text, start):
    """The end of the bracketed expression that opens at ``text[start]``."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(text[index], 0)
        if depth == 0:
            return index + 1
    return len(text)


def largest_tensor(feedback):
    """The element count of the largest tensor written out in ``feedback`` (0 if none)."""
    largest = 0
    for found in TENSOR.finditer(feedback):
        opening = found.end() - 1
        body = feedback[opening + 1:_balanced(feedback, opening) - 1]
        if found.group(1) == "tensor":   # torch.tensor([[1.0, -2.5], ...], dtype=...): count the numbers
            count = len(NUMBER.findall(body.split("dtype=")[0]))
        else:   # torch.zeros((2, 3)): the shape's product
            sizes = [int(n) for n in re.findall(r"\d+", body.split("dtype=")[0])]
            count = 1
            for n in sizes:
                count *= n
        largest = max(largest, count)
    return largest


def item_run(cells, item):
    """(seconds, checks failed, largest tensor of a generated counterexample, largest tensor of any
    failing check's feedback the student sees: the book's fixed examples too) for ``item``'s checks."""
    session = NotebookSession(InProcessKernel(*cells))
    started = time.perf_counter()
    results = run_checks(session, [check for check in ALL_CHECKS if check.item == item])
    seconds = time.perf_counter() - started
    failed = [r for r in results if not r.passed and not r.skipped]
    shown = [r for r in failed if not r.hidden]
    generated = [r for r in shown if r.feedback.startswith("Smallest failing input found")]
    return (seconds, len(failed), max((largest_tensor(r.feedback) for r in generated), default=0),
            max((largest_tensor(r.feedback) for r in shown), default=0))


def main(selected):
    preload()
    rows = []
    correct = solved_homework()
    for item, spec in ITEMS.items():
        if not spec.training and (not selected or item in selected):
            rows.append(("correct", item, *item_run(correct, item)))
    mutants = [(item, description, source) for item, description, source in MUTANTS]
    mutants += [(item, description, source) for item, _, description, source in PARAMETER_MUTANTS]
    for item, description, source in mutants:
        if not selected or item in selected:
            rows.append((description, item, *item_run(solved_homework([(item, source)]), item)))
    print(f"{'item':<30} {'seconds':>7} {'failed':>6} {'found':>5} {'shown':>5}  code")
    for code, item, seconds, failed, found, shown in rows:
        print(f"{item:<30} {seconds:7.2f} {failed:6d} {found or '':>5} {shown or '':>5}  {code[:60]}")
    slow_right = [r for r in rows if r[0] == "correct" and r[2] > 1]
    slow_wrong = [r for r in rows if r[0] != "correct" and r[2] > 3]
    big = [r for r in rows if r[4] > SMALL and ITEMS[r[1]].kind == "function"]
    print(f"\nfound: largest tensor of a generated counterexample; shown: of any failing check's feedback "
          f"(the book's fixed examples included)\ncorrect items over 1 s: {len(slow_right)}; wrong items over 3 s: "
          f"{len(slow_wrong)}; generated counterexamples of functions over {SMALL} elements: {len(big)}; "
          f"load average: {os.getloadavg()[0]:.1f}")

if __name__ == "__main__":
    main(set(sys.argv[1:]))
