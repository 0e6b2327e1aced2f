"""Selecting what is graded and what a student sees before handing in: ``--item`` runs only the
notebooks its items need; every selection's maxima are the course's points; one notebook per
section, said out loud; "N of 23 items done"; unanswered written questions; the VGG tables local."""

import random
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import nbformat
import pytest
from notebook_factory import IMPORTS, QUICK, write_notebook

from grader.checks import ALL_CHECKS, PUBLIC_CHECKS, WITHHELD_CHECKS
from grader.checks.vgg_tables import exercise_table
from grader.handin import QUESTION, done_line, unanswered_questions
from grader.items import ITEMS
from grader.record import FAILED, PASSED, SKIPPED, WITHHELD, CheckResult, GradingRecord
from grader.report import score_table
from grader.scoring import check_points, run_check
from grader.section_notebooks import SECTION_NOTEBOOKS
from grader.selection import UnknownItem, gradable_items, resolve
from grader.session import GradingSession
from solutions.fill import reference_definitions

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = REPO / "assignment"
BUGGY_CORR2D = "def corr2d(X, K):\n    return X[:X.shape[0] - K.shape[0] + 1, :X.shape[1] - K.shape[1] + 1] * 0"


# ---- naming items --------------------------------------------------------------------------
def test_items_are_named_exactly_aliases_accepted_in_the_tables_order():
    assert resolve(["pool2d"]) == ("pool2d",)
    assert resolve(["Modern_LeNet", "corr2d", "corr2d"]) == ("corr2d", "ModernLeNet")
    assert resolve(["LeNet"]) == ("LeNet",)   # the class, not its opt-in training run
    assert resolve(["LeNet_training"]) == ("LeNet_training",)


def test_an_unknown_item_is_a_usage_error_listing_the_items_by_section():
    with pytest.raises(UnknownItem) as raised:
        resolve(["pool", "pool2d"])
    message = str(raised.value)
    assert "'pool' (did you mean 'pool2d'?)" in message and "7.5: pool2d, avg_pooling_via_convolution" in message
    assert "8.2: vgg_block, VGG, VGG16_ARCH, VGG19_ARCH" in message and "LeNet_training" in message


def test_every_section_notebook_is_named_as_in_the_assignment():
    assert sorted(f"{name}.ipynb" for name in SECTION_NOTEBOOKS.values()) == sorted(
        p.name for p in ASSIGNMENT.glob("*.ipynb"))


# ---- maxima for any selection --------------------------------------------------------------
def _record(items, status_of=lambda check: PASSED, release=False):
    """A record as the grader writes one for ``items``; in a release-like record the hidden checks
    are placeholders at 0 of 0, as a student's copy lists them."""
    results = []
    for check in ALL_CHECKS:
        if check.item not in items:
            continue
        full = check_points(check)
        if release and check.hidden:
            results.append(CheckResult(check.test_name, check.item, ITEMS[check.item].section, Fraction(0),
                                       Fraction(0), WITHHELD, "hidden, scored by the course's grader", True))
            continue
        status = SKIPPED if ITEMS[check.item].training else status_of(check)
        out_of = Fraction(0) if status == SKIPPED else full
        results.append(CheckResult(check.test_name, check.item, ITEMS[check.item].section,
                                   out_of if status == PASSED else Fraction(0), out_of, status, "", check.hidden))
    return GradingRecord(results)


def _total_line(table):
    return next(line for line in table.splitlines() if line.split()[:1] == ["total"])


@pytest.mark.parametrize("release", [False, True], ids=["course", "student-copy"])
def test_the_tables_maxima_are_the_courses_points_of_the_selected_items(release):
    rng = random.Random(26)
    selections = [["pool2d"], ["corr2d", "Conv2D", "corr2d_multi_in", "corr2d_multi_in_out", "corr2d_multi_in_out_1x1"],
                  gradable_items()] + [rng.sample(gradable_items(), k) for k in (2, 5, 9)]
    for items in selections:
        table = score_table(_record(items, release=release))
        want = sum(ITEMS[name].points for name in items)
        assert f"/ {want:.2f}" in _total_line(table), (items, table)
        for name in items:
            row = next(line for line in table.splitlines() if line.split()[1:2] == [name])
            assert f"/ {ITEMS[name].points:.2f}" in row, row


def test_a_student_copy_shows_which_part_of_an_item_only_the_course_scores():
    table = score_table(_record(["pool2d"], release=True))
    hidden = sum(check_points(c) for c in ALL_CHECKS if c.item == "pool2d" and c.hidden)
    row = next(line for line in table.splitlines() if " pool2d " in line)
    assert f"{float(4 - hidden):.2f} / 4.00" in row and f"{float(hidden):.2f}" in row and "course-only" in table
    assert "course-only" not in score_table(_record(["pool2d"]))   # the course's grader runs them all


@pytest.mark.parametrize("release", [False, True], ids=["course", "student-copy"])
def test_the_check_cell_shows_the_same_maxima_as_the_table(release):
    from grader.check_view import CheckReport

    items = ["corr2d", "pool2d"]
    record = _record(items, release=release)
    shown = repr(CheckReport(record.checks, items, 0.1))
    hidden = {name: sum(check_points(c) for c in ALL_CHECKS if c.item == name and c.hidden) for name in items}
    for name in items:
        line = next(line for line in shown.splitlines() if line.startswith(f"{name}:"))
        assert f"/ {ITEMS[name].points:.2f}" in line, line
        assert (f"({float(hidden[name]):.2f} of them only the course's grader scores)" in line) == release, line
    assert shown.startswith(f"d2l.check: {float(8 - sum(hidden.values())) if release else 8.0:.2f} / 8.00 points")


def test_items_done_counts_the_23_a_student_defines():
    assert len(gradable_items()) == 23
    failing = {"corr2d", "VGG"}
    record = _record(list(ITEMS), lambda check: FAILED if check.item in failing and not check.hidden else PASSED)
    assert done_line(record.checks).startswith("21 of 23 items done")
    assert "21 of 23 items done" in score_table(record)
    assert done_line(_record(["pool2d", "corr2d"], lambda c: FAILED if c.item == "corr2d" else PASSED).checks) \
        .startswith("1 of 2 items graded here done; the homework has 23")


# ---- written questions ----------------------------------------------------------------------
def test_every_written_question_of_the_blank_assignment_is_unanswered_until_answered():
    for path in sorted(ASSIGNMENT.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        questions = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith(QUESTION)]
        assert questions and len(unanswered_questions(nb)) == len(questions), path.name
        nb.cells[questions[0] + 1].source += "Because the kernel is flipped."
        assert len(unanswered_questions(nb)) == len(questions) - 1, path.name


# ---- VGG-16/19 are public ------------------------------------------------------------------
def test_the_vgg_tables_are_public_checks_matching_the_reference_and_the_exercise_text():
    from solutions import sec8_2_vgg

    assert {"VGG16_ARCH", "VGG19_ARCH"} <= {c.item for c in PUBLIC_CHECKS}
    assert not {"VGG16_ARCH", "VGG19_ARCH"} & {c.item for c in WITHHELD_CHECKS}
    text = "\n".join(c.source for c in nbformat.read(str(ASSIGNMENT / "8.2-vgg.ipynb"), as_version=4).cells)
    for name, label in (("VGG16_ARCH", "VGG-16"), ("VGG19_ARCH", "VGG-19")):
        assert exercise_table(name) == getattr(sec8_2_vgg, name)
        counts = ", ".join(str(n) for n, _ in exercise_table(name))
        assert f"**{label}**: {counts} convolutions per block" in text
    assert "(64, 128, 256, 512, 512)" in text


# ---- through real kernels -------------------------------------------------------------------
@pytest.fixture
def submission(tmp_path):
    """7.2 correct under its own name and buggy in Colab's copy; 7.5 with pool2d and a written
    question left unanswered."""
    folder = tmp_path / "hw"
    solution = reference_definitions()
    write_notebook(folder / "7.2-cross-correlation.ipynb", IMPORTS, solution["corr2d"])
    write_notebook(folder / "Copy of 7.2-cross-correlation.ipynb", IMPORTS, BUGGY_CORR2D)
    write_notebook(folder / "7.5-pooling.ipynb", IMPORTS, solution["pool2d"],
                   f"#md {QUESTION}).** Why max?", "#md *Your answer:* ")
    return folder


def test_item_runs_only_the_notebook_that_defines_it_and_shows_the_courses_points(submission, tmp_path):
    executed = tmp_path / "executed"
    run = subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(submission), "--item", "pool2d",
                          "--executed-dir", str(executed), "-p", "no:cacheprovider", "--cell-timeout", "20"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert sorted(p.name for p in executed.iterdir()) == ["7.5-pooling.ipynb"]
    scores = run.stdout.split("scores")[-1]
    assert "4.00 / 4.00" in scores and "1 of 1 item graded here done" in scores and "corr2d" not in scores.split(
        "notes on running")[0]
    assert "not run, as they define none of the items asked for (pool2d)" in run.stdout
    assert "7.5-pooling.ipynb: 1 written question not answered yet" in run.stdout and "“Why max?”" in run.stdout


def test_of_two_notebooks_defining_an_item_the_sections_own_is_graded_and_the_report_says_so(submission):
    session = GradingSession(submission, QUICK, items=("corr2d",)).start()
    try:
        assert sorted(session.kernels) == ["7.2-cross-correlation.ipynb", "Copy of 7.2-cross-correlation.ipynb"]
        results = [run_check(session, c) for c in ALL_CHECKS if c.item == "corr2d"]
        notes = [note.text for note in session.execution_notes()]
    finally:
        session.close()
    assert all(r.passed for r in results), [r.feedback for r in results if not r.passed]
    duplicate = [text for text in notes if text.startswith("Copy of 7.2-cross-correlation.ipynb: not graded")]
    assert len(duplicate) == 1 and "7.2-cross-correlation.ipynb was graded (the section's own notebook)" \
        in duplicate[0], notes


def test_the_check_cell_without_arguments_says_what_is_done_unanswered_and_graded_instead(tmp_path):
    """A real kernel, told its notebook's file as VS Code tells it: ``d2l.check()`` counts this
    notebook's items, lists its unanswered written question and, for Colab's copy, names the
    notebook the grader grades instead."""
    from nbclient import NotebookClient

    path = tmp_path / "Copy of 7.2-cross-correlation.ipynb"
    write_notebook(path, f"__vsc_ipynb_file__ = {str(path)!r}", IMPORTS, reference_definitions()["corr2d"],
                   f"#md {QUESTION}).** Why cross-correlation?", "#md *Your answer:*",
                   "print(repr(d2l.check()))")
    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    assert "1 of this notebook's 1 item done; the homework has 23" in printed, printed
    assert "Written question not answered yet (as last saved): “Why cross-correlation?”" in printed
    assert "the grader grades 7.2-cross-correlation.ipynb and ignores this one" in printed


def test_a_section_notebook_under_its_own_name_gets_no_advice_about_copies(tmp_path):
    from grader.handin import check_cell_lines, notebook_file

    path = write_notebook(tmp_path / "7.5-pooling.ipynb", "x = 1")
    results = _record(["pool2d"]).checks
    assert notebook_file({"__session__": str(path)}) == path and notebook_file({"__session__": 3}) is None
    assert check_cell_lines(results, path) == [
        "1 of this notebook's 1 item done; the homework has 23 (`make grade` counts them all)."]


@pytest.mark.slow   # one more kernel for an edge case
def test_an_item_defined_where_no_section_name_says_is_still_found(tmp_path):
    """``pool2d`` handed in inside 7.1's notebook: no 7.5 notebook runs first, none defines it,
    so the other notebooks run after all rather than the item being called missing."""
    write_notebook(tmp_path / "hw" / "7.1-from-fc-to-conv.ipynb", IMPORTS, reference_definitions()["pool2d"])
    session = GradingSession(tmp_path / "hw", QUICK, items=("pool2d",)).start()
    try:
        assert list(session.kernels) == ["7.1-from-fc-to-conv.ipynb"] and session.not_run == []
        results = [run_check(session, c) for c in ALL_CHECKS if c.item == "pool2d" and not c.hidden][:2]
    finally:
        session.close()
    assert all(r.passed for r in results), [r.feedback for r in results]
