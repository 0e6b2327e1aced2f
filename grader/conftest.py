"""pytest plugin for ``pytest grader``: options, the grading session, the score table, results.json."""

import contextlib
import threading
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from .hidden_visibility import DEFAULT, SETTINGS
from .items import ITEMS
from .kernel import ExecutionLimits
from .library_location import library_mismatch
from .record import GradingRecord
from .report import gradescope_json, score_table, write_results
from .selection import UnknownItem, resolve
from .session import GradingSession

RESULTS_KEY = pytest.StashKey[list]()
SESSION_KEY = pytest.StashKey[dict]()
ITEMS_KEY = pytest.StashKey[tuple]()   # the items --item named; () for all
GRADED_KEY = pytest.StashKey[tuple | None]()   # the items the collected checks grade; None for all


def pytest_addoption(parser):
    group = parser.getgroup("grader", "notebook grading")
    group.addoption("--submission", default=None,
                    help="notebook or folder of notebooks to grade (default: assignment/)")
    group.addoption("--results", default=None, help="write Gradescope-style results.json here")
    group.addoption("--hidden-visibility", choices=SETTINGS, default=DEFAULT,
                    help="when Gradescope shows hidden checks: after_published (default) or after_due_date")
    group.addoption("--cell-timeout", type=float, default=60.0, help="seconds per notebook cell (default 60)")
    group.addoption("--total-budget", type=float, default=900.0, help="seconds per notebook (default 900)")
    group.addoption("--kernel-memory", type=float, default=6.0, help="GiB of memory per kernel (default 6)")
    group.addoption("--parallel-kernels", type=int, default=ExecutionLimits.parallel_kernels,
                    help=f"notebooks executed at the same time (default {ExecutionLimits.parallel_kernels})")
    group.addoption("--require-sandbox", action="store_true",
                    help="refuse to grade where student code cannot be confined (Landlock); "
                         "without it, grading goes on and the scores say 'not sandboxed: <reason>'")
    group.addoption("--train", action="store_true",
                    help="also run the training checks (LeNet, ResNet-18 on Fashion-MNIST; needs a CUDA GPU)")
    group.addoption("--require-gpu", action="store_true",
                    help="refuse to start (exit status 4) where CUDA is absent, instead of skipping the training "
                         "checks: the GPU path of the grade of record (grade-class --train passes it)")
    group.addoption("--executed-dir", default=None,
                    help="save each notebook as the grader executed it (outputs included) in this folder")
    group.addoption("--item", action="append", default=[], metavar="NAME",
                    help="grade only this item (repeatable; aliases accepted), running only the notebooks that "
                         "define it; -k keeps pytest's meaning, a substring of the checks' names")


def pytest_configure(config):
    mismatch = library_mismatch()
    if mismatch:
        raise pytest.UsageError(f"grading cannot start: {mismatch}")
    if config.getoption("--require-gpu", default=False):
        from .checks.trained_accuracy import cuda_missing

        if cuda_missing():
            raise pytest.UsageError(f"--require-gpu: no CUDA GPU to train on: {cuda_missing()}")
    try:
        config.stash[ITEMS_KEY] = resolve(config.getoption("--item", default=[]) or [])
    except UnknownItem as unknown:
        raise pytest.UsageError(str(unknown)) from None
    config.stash[RESULTS_KEY] = []
    config.stash[SESSION_KEY] = {"started": time.monotonic(), "error": None, "session": None}


@pytest.hookimpl(trylast=True)   # after -k and -m have deselected theirs
def pytest_collection_modifyitems(config, items):
    """Keep only the checks of ``--item``'s items; the session runs only the notebooks the kept
    checks need (for ``-k`` too)."""
    chosen = config.stash.get(ITEMS_KEY, ())
    checks = {test: test.callspec.params["check"] for test in items
              if hasattr(test, "callspec") and "check" in test.callspec.params}
    if chosen:
        dropped = [test for test, check in checks.items() if check.item not in chosen]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [test for test in items if test not in dropped]
    graded = {check.item for test, check in checks.items() if test in items}
    config.stash[GRADED_KEY] = None if graded >= set(ITEMS) - _training() else tuple(n for n in ITEMS if n in graded)


def _training():
    return {name for name, item in ITEMS.items() if item.training}


def _submission_path(config):
    given = config.getoption("--submission")
    return Path(given) if given else Path(config.rootpath) / "assignment"


@pytest.fixture(scope="session")
def grading_session(request):
    config = request.config
    state = config.stash[SESSION_KEY]
    limits = ExecutionLimits(cell_timeout=config.getoption("--cell-timeout"),
                             total_budget=config.getoption("--total-budget"),
                             memory_bytes=int(config.getoption("--kernel-memory") * 2**30),
                             parallel_kernels=max(1, config.getoption("--parallel-kernels")),
                             require_sandbox=config.getoption("--require-sandbox"))
    session = GradingSession(_submission_path(config), limits, train=config.getoption("--train"),
                             items=config.stash.get(GRADED_KEY, None))
    session.progress = _progress_lines(config)
    state["session"] = session
    try:
        session.start()
    except Exception as error:
        state["error"] = f"{type(error).__name__}: {error}"
        session.close()
        pytest.exit(f"grading could not start: {state['error']}", returncode=3)
    yield session
    if config.getoption("--executed-dir"):
        save_executed(session, Path(config.getoption("--executed-dir")))
    session.close()


def _progress_lines(config):
    """A line on the terminal as each notebook starts and ends, while the kernels run (``-qq``: none).
    Kernels run in threads: one line at a time, past pytest's capture of the fixture's output (as
    its live logging is), or the lines would come only with a failure's details, at the end."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    lock = threading.Lock()

    def say(line):
        if reporter is None or config.getoption("verbose") <= -2:
            return
        with lock, (capture.global_and_fixture_disabled() if capture is not None else contextlib.nullcontext()):
            reporter.write_line(f"grading {line}")

    return say


def save_executed(session, directory):
    """The executed notebooks, for the feedback report; a failure here never costs the grade."""
    for label, kernel in session.kernels.items():
        try:
            (directory / label).parent.mkdir(parents=True, exist_ok=True)   # a label may be nested: part1/hw.ipynb
            nbformat.write(kernel.nb, str(directory / label))
        except Exception as error:  # disk full, odd outputs: the scores still stand
            warnings.warn(f"could not save the executed {label}: {type(error).__name__}: {error}", stacklevel=2)


@pytest.fixture
def record_check(request):
    return request.config.stash[RESULTS_KEY].append


def pytest_sessionfinish(session, exitstatus):
    """Build the grading record once (the score table below renders it too); write results.json."""
    config = session.config
    state = config.stash.get(SESSION_KEY, {})
    grading = state.get("session")
    error = state.get("error")
    if error is None and exitstatus not in (0, 1):
        error = f"pytest ended with status {int(exitstatus)}"
    state["record"] = record = GradingRecord(
        checks=list(config.stash.get(RESULTS_KEY, [])),
        notes=grading.execution_notes() if grading is not None else [],
        error=error or "",
        sandbox=(grading.sandbox_note() if grading is not None else None) or "",
        limits=grading.limits_held() if grading is not None else "",
        seconds=time.monotonic() - state.get("started", time.monotonic()),
        execution_seconds=grading.execution_seconds if grading is not None else 0.0)
    path = config.getoption("--results", default=None)
    if path:
        write_results(path, gradescope_json(record, hidden_visibility=config.getoption("--hidden-visibility")))
        _write_receipt(Path(path).parent, record, _submission_path(config))


def _write_receipt(folder, record, submission):
    """The student's receipt beside results.json (``receipt.py``); never a reason to fail grading."""
    from . import receipt
    from .notebooks import notebooks_under

    try:
        receipt.write(folder, receipt.build(record, notebooks_under(submission), submission))
    except OSError as error:
        warnings.warn(f"no receipt written: {error}", stacklevel=1)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The table first: pytest's own summary (each failed check's details, the FAILURES section)
    is written inside this wrapper, after it, so the scores are not scrolled away above it."""
    _write_scores(terminalreporter, config)
    return (yield)


def _write_scores(terminalreporter, config):
    state = config.stash.get(SESSION_KEY, {})
    record = state.get("record") or GradingRecord(list(config.stash.get(RESULTS_KEY, [])))
    if not record.checks:
        return
    # The table is the summary: pytest's own one-line-per-failed-check list would repeat it
    # check by check right below, so keep only its lines for skipped checks (they say why).
    if hasattr(terminalreporter, "reportchars"):
        terminalreporter.reportchars = "".join(c for c in terminalreporter.reportchars if c in "sS")
    terminalreporter.section("scores")
    terminalreporter.write_line(score_table(record))
    if record.sandbox:
        terminalreporter.write_line(f"{record.sandbox}; `--require-sandbox` makes this an error")
    if record.notes:
        terminalreporter.section("notes on running your notebooks")
        for note in record.notes:
            terminalreporter.write_line(f"- {note.text}")
