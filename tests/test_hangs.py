"""Code that never returns costs seconds, not minutes: the check cell's time limits, the grader's
shorter waits once a graded function has hung in a notebook, and counterexamples that are small.

The time limit itself and the counterexample search run in-process; one check cell runs in a
real kernel (as a student runs it) and one small notebook is graded through the grader's kernels,
with the waits shortened so the test stays quick (the full-length run is marked slow)."""

import re
import signal
import time

import nbformat
import pytest
import torch
from in_process import InProcessKernel, checks_of, run_check
from mutants import MUTANTS
from nbclient import NotebookClient
from notebook_factory import IMPORTS, grade, write_notebook

from grader import hangs, notebook_check
from grader.checks.counterexample import SMALL
from grader.kernel import ExecutionLimits
from grader.time_limit import TimeLimit
from solutions.fill import reference_definitions

ENDLESS = ("def corr2d(X, K):\n"
           "    while True:   # swallows every Exception, as a careless retry loop does\n"
           "        try:\n"
           "            X = X + 0\n"
           "        except Exception:\n"
           "            pass\n")


def mutant(description):
    (source,) = [source for _, text, source in MUTANTS if text.startswith(description)]
    return source


# ---- the time limit ----------------------------------------------------------------------------
def test_a_call_past_its_limit_is_stopped_and_the_previous_timer_comes_back():
    fired = []

    def other_timer(*_):
        fired.append(True)

    previous = signal.signal(signal.SIGALRM, other_timer)
    signal.setitimer(signal.ITIMER_REAL, 30.0)
    try:
        limit = TimeLimit(0.2)

        def endless():
            while True:
                try:
                    time.sleep(0.01)
                except Exception:
                    pass

        assert limit.run(endless) is None and limit.expired
        assert not fired   # the other timer did not go off early, and ours left no reminder behind
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        assert signal.getsignal(signal.SIGALRM) is other_timer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_call_within_its_limit_returns_its_value():
    limit = TimeLimit(5)
    assert limit.run(lambda: 42) == 42 and not limit.expired
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_an_endless_loop_is_reported_with_the_input_it_was_given():
    (book_example, *_) = checks_of("corr2d")
    passed, _, feedback = run_check(book_example, ENDLESS)
    assert not passed
    assert "timed out: your `corr2d` did not return within 3 s on a 3×3 input" in feedback
    assert "torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])" in feedback


def test_a_call_stopped_in_the_middle_leaves_the_students_own_definitions_in_place(monkeypatch):
    """The book's corr2d is swapped in only while a request runs: a time-out must put the student's back."""
    monkeypatch.setattr(notebook_check, "MODEL_SECONDS", 1.0)
    kernel = InProcessKernel(ENDLESS, reference_definitions()["Conv2D"])
    own = kernel.namespace["corr2d"]
    (layer_check,) = checks_of("Conv2D")
    passed, _, feedback = run_check(layer_check, kernel=kernel)
    assert not passed and "did not build and run within" in feedback, feedback
    assert kernel.namespace["corr2d"] is own and kernel.namespace["Conv2D"].__module__ != "grader"


# ---- counterexamples ---------------------------------------------------------------------------
def tensors_in(feedback):
    """The tensors the feedback's code block builds."""
    code = re.search(r"```python\n(.*?)\n```", feedback, re.S).group(1)
    namespace = {"torch": torch}
    exec("\n".join(code.splitlines()[:-1]), namespace)
    return [value for value in namespace.values() if isinstance(value, torch.Tensor)]


@pytest.mark.parametrize("item, title, description", [
    ("corr2d", "generated", "flipped kernel"),
    ("corr2d", "generated", "kernel height and width swapped"),
    ("pool2d", "avg mode", "mode ignored"),
])
def test_a_wrong_function_gets_a_counterexample_of_a_few_elements(item, title, description):
    (check,) = checks_of(item, title)
    passed, _, feedback = run_check(check, mutant(description))
    assert not passed and feedback.startswith("Smallest failing input found")
    found = tensors_in(feedback)
    assert found and max(t.numel() for t in found) <= SMALL, feedback


def test_the_frame_a_cell_was_stuck_in_is_read_from_ipythons_traceback():
    traceback = ["\x1b[31mKeyboardInterrupt\x1b[39m      Traceback (most recent call last)",
                 "\x1b[36mCell\x1b[39m In[2], line 2\n----> 2 for x in corr2d(1, 2):\n",
                 "\x1b[36mCell\x1b[39m In[1], line 4, in \x1b[36mcorr2d\x1b[39m\x1b[34m(X, K)\x1b[39m\n"
                 "      3 for i in range(9):\n",
                 "File ~/torch/nn/modules/module.py:12, in forward(self, x)\n",
                 "\x1b[31mKeyboardInterrupt\x1b[39m: "]
    assert hangs.innermost_graded(traceback, {"corr2d", "pool2d"}) == "corr2d"
    assert hangs.innermost_graded(traceback[:2], {"corr2d"}) is None


# ---- in a real kernel --------------------------------------------------------------------------
def test_the_check_cell_returns_from_an_endless_loop_and_the_kernel_runs_the_next_cell(tmp_path):
    timer = "import signal\nprint('TIMER', signal.getsignal(signal.SIGALRM), signal.getitimer(signal.ITIMER_REAL))"
    path = write_notebook(tmp_path / "loop.ipynb", IMPORTS, ENDLESS, timer,
                          "started = __import__('time').perf_counter()\n_report = d2l.check('corr2d')\n"
                          "print('SECONDS', __import__('time').perf_counter() - started)\n_report",
                          timer)
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    before, check_cell, next_cell = nb.cells[2], nb.cells[3], nb.cells[4]
    printed = "".join(o.get("text", "") for o in check_cell.outputs if o.get("output_type") == "stream")
    shown = [o["data"]["text/plain"] for o in check_cell.outputs if "text/plain" in o.get("data", {})]
    print(printed)
    assert any("d2l.check: 5 checks of corr2d ran in" in text for text in shown), shown   # the progress line
    assert any("did not return within 3 s on a 3×3 input" in text for text in shown), shown
    after = "".join(o.get("text", "") for o in next_cell.outputs)   # the next cell ran, the timer as it was
    assert after.startswith("TIMER") and after == "".join(o.get("text", "") for o in before.outputs)


def _loop_notebook(path, demo_cells):
    definitions = reference_definitions()
    demo = "corr2d(torch.ones((3, 3)), torch.ones((2, 2)))"
    return write_notebook(path, IMPORTS, ENDLESS, *([demo] * demo_cells), definitions["Conv2D"])


def _assert_one_hang_costs_little(table, notes, demo_cells, first, later):
    stopped = [note for note in notes if " timeout: stopped after " in note]
    assert len(stopped) == 2, notes   # the first cell, then one line for the others: the same hang
    assert f"stopped after {first:g} s in `corr2d` (an endless loop?)" in stopped[0]
    assert f"stopped after {later:g} s in `corr2d`, which had already hung in an earlier cell" in stopped[1]
    assert stopped[1].count("code cell") == 1 and "code cells" in stopped[1], stopped[1]
    print("\n".join(stopped))
    points, _, statuses, feedback = table["corr2d"]
    assert points == 0 and set(statuses) == {"timed out"}, statuses
    assert len(set(feedback)) == 1 and f"had already run for {first:g} s" in feedback[0]   # probed once, not again
    points, full, statuses, feedback = table["Conv2D"]
    assert points == full and "on the book's helpers" in feedback[0], feedback


def test_grading_a_notebook_whose_function_never_returns_waits_once(tmp_path, monkeypatch):
    monkeypatch.setattr(hangs, "AFTER_A_HANG", 1.0)
    monkeypatch.setattr(hangs, "PROBE_AFTER_A_HANG", 2.0)
    path = _loop_notebook(tmp_path / "loop.ipynb", 3)
    table, notes = grade(path, items={"corr2d", "Conv2D"},
                         limits=ExecutionLimits(cell_timeout=4, total_budget=120, probe_timeout=30))
    _assert_one_hang_costs_little(table, notes, 3, first=4, later=1)


@pytest.mark.slow
def test_grading_with_the_full_limits_a_notebook_whose_function_never_returns(tmp_path):
    """As ``pytest grader`` runs by default: 60 s for the first cell, then a few seconds each."""
    path = _loop_notebook(tmp_path / "loop.ipynb", 5)
    started = time.monotonic()
    table, notes = grade(path, items={"corr2d", "Conv2D"}, limits=ExecutionLimits())
    print(f"graded in {time.monotonic() - started:.0f} s")
    _assert_one_hang_costs_little(table, notes, 5, first=60, later=hangs.AFTER_A_HANG)
