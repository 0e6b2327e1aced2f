"""The student release, built and set up on its own, grades like the course's grader and gives no
answer away.

Every public check gets the same status and exact points from the release's ``pytest grader`` as
from the instructor's; the checks the course keeps (the hidden ones) are listed in the release at
0 of 0, so its maximum is the course's less theirs, whatever the notebook holds. VGG-16's and
VGG-19's tables are public: the 8.2 notebook's exercise text prints them.
The blank homework and the first round of mutants (a bug in every item) run by default, the
other rounds with ``-m slow``; ``benchmarks/release_parity.py`` prints the whole table. The
course's side is the in-process grading the other tests of these notebooks share
(shared_gradings.py: the grader's own checks, as ``pytest grader`` runs them); the release's side
is its own ``pytest grader`` in its own interpreter.
"""

import ast
import re
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import nbformat
import pytest
from mutants import rounds, solved_homework
from notebook_factory import write_notebook
from release_env import build_release_env, compare, grade
from shared_gradings import CHECK_CELL, blank_homework

import solutions
from grader.checks import WITHHELD_CHECKS
from grader.items import ITEMS
from grader.kernel_side.stand_ins import HELPER_NAMES
from grader.scoring import check_points
from solutions.fill import reference_definitions

ROUNDS = rounds()
COURSE_TOTAL = sum(item.points for item in ITEMS.values() if not item.training)   # training: GPU only
LOCAL_TOTAL = COURSE_TOTAL - sum(check_points(c) for c in WITHHELD_CHECKS)       # the same for any notebook


@pytest.fixture(scope="module")
def release_env(tmp_path_factory):
    return build_release_env(tmp_path_factory.mktemp("student-release"))


def assert_parity(release_env, graded_homework, tmp_path, cells):
    notebook = write_notebook(tmp_path / "homework.ipynb", *cells, CHECK_CELL)   # graded_homework's notebook
    (tmp_path / "graded").mkdir()
    with ThreadPoolExecutor(1) as pool:   # the release's grading and the course's at once (two cores)
        release = pool.submit(grade, release_env.python, release_env.release, notebook, tmp_path / "graded")
        instructor = graded_homework(cells).record()
        local = release.result()
    rows, differences = compare(instructor, local)
    assert not differences, "\n".join(differences)
    local_max = sum(row[1] for row in rows.values())
    course_max = sum(Fraction(c["max_points"]) for c in instructor["checks"])
    withheld = sum(row[4] for row in rows.values())
    assert course_max == COURSE_TOTAL and local_max == COURSE_TOTAL - withheld == LOCAL_TOTAL


def test_blank_homework_grades_alike_and_the_local_maximum_is_the_courses_less_its_own_checks(release_env,
                                                                                              graded_homework,
                                                                                              tmp_path):
    assert_parity(release_env, graded_homework, tmp_path, blank_homework())


@pytest.mark.slow
def test_the_solved_homework_grades_alike(release_env, graded_homework, tmp_path):
    assert_parity(release_env, graded_homework, tmp_path, solved_homework())


@pytest.mark.parametrize("number", [pytest.param(k, id=f"round{k}", marks=[pytest.mark.slow] if k else [])
                                    for k in range(len(ROUNDS))])
def test_each_round_of_mutants_grades_alike(release_env, graded_homework, tmp_path, number):
    assert_parity(release_env, graded_homework, tmp_path,
                  solved_homework([(item, source) for item, _, source in ROUNDS[number]]))


# ---- nothing of the answers ships -----------------------------------------------------------
def _release_texts(release):
    for path in release.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            try:
                yield path, path.read_text()
            except UnicodeDecodeError:
                continue


def _answer_constants():
    """{name: value} of every graded constant of the references (VGG16_ARCH, VGG19_ARCH)."""
    import importlib
    import pkgutil

    found = {}
    for module in pkgutil.iter_modules(solutions.__path__):
        loaded = importlib.import_module(f"solutions.{module.name}")
        found.update({name: value for name, value in vars(loaded).items()
                      if name in ITEMS and isinstance(value, (tuple, list))})
    return found


def _digits(text):
    return ",".join(re.findall(r"\d+", text))


def _printed_by_the_exercises(release, constants):
    """The constants whose every number the release's notebooks print in their text: the counts
    per block and the channels, each as a list ("2, 2, 3, 3, 3" and "64, 128, 256, 512, 512")."""
    text = "\n".join(cell.source for path in sorted((release / "assignment").glob("*.ipynb"))
                     for cell in nbformat.read(str(path), as_version=4).cells if cell.cell_type == "markdown")
    printed = set()
    for name, value in constants.items():
        columns = [", ".join(str(pair[k]) for pair in value) for k in (0, 1)]
        if all(column in text for column in columns):
            printed.add(name)
    return printed


def test_only_constants_the_exercise_text_prints_can_be_read_from_the_release(release_env):
    """Written out as its pairs, in any spelling (tuples, lists, JSON), a graded constant appears
    nowhere in the release unless the notebook's exercise text prints its numbers already: then
    withholding it protects nothing (VGG-16's and VGG-19's tables are checked locally)."""
    constants = _answer_constants()
    assert {"VGG16_ARCH", "VGG19_ARCH"} <= set(constants)
    printed = _printed_by_the_exercises(release_env.release, constants)
    assert {"VGG16_ARCH", "VGG19_ARCH"} <= printed
    for path, text in _release_texts(release_env.release):
        numbers = _digits(text)
        for name, value in constants.items():
            assert name in printed or _digits(repr(value)) not in numbers, f"{path} holds {name}'s numbers"


def _bodies(source):
    """AST dumps of every function and class in ``source``, docstrings left out, names included."""
    dumps = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            dumps.add(ast.dump(ast.Module(body=body, type_ignores=[])))
    return dumps


def test_no_reference_body_ships_beyond_the_books_own_helpers(release_env):
    """The grader's stand-ins are the book's printed code for the helpers other items build on
    (corr2d, pool2d, Residual, ...); no other reference definition, nor any function or class
    inside one, ships in any layout or with other names (the oracles compute from definitions)."""
    shipped = set()
    for path, text in _release_texts(release_env.release):
        if path.suffix == ".py":
            shipped |= _bodies(text)
    for item, source in reference_definitions().items():
        if item not in ITEMS or item in HELPER_NAMES:   # the book's layer_summary, init_cnn are not graded
            continue
        leaked = _bodies(source) & shipped
        assert not leaked, f"the release holds the body of the reference {item}"


@pytest.mark.slow
def test_make_grade_works_in_a_fresh_clone_of_a_fresh_release(tmp_path):
    """As a student gets it: a clone of the release repository, then the one command its README gives.
    Slow: ``make setup`` installs torch and the rest into the clone's own environment."""
    import subprocess

    from grader.instructor.release import build_release

    built = tmp_path / "starter"
    build_release(built, "teacher/convnet-hw", "v1", starter_repo="teacher/convnet-hw-starter", allow_dirty=True)
    git = ["git", "-c", "user.email=ta@example.org", "-c", "user.name=TA"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "release"]):
        subprocess.run([*git, *command], cwd=built, check=True, timeout=60)
    subprocess.run(["git", "clone", "-q", str(built), str(tmp_path / "clone")], check=True, timeout=60)
    assert "make grade" in (tmp_path / "clone" / "README.md").read_text()
    done = subprocess.run(["make", "grade"], cwd=tmp_path / "clone", capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "total" in done.stdout and "0.00 / " in done.stdout and "course-only" in done.stdout
    assert "0 of 23 items done" in done.stdout

    # The check cell in a notebook run by the clone's own environment: d2l finds the grader the
    # release installed by its entry point, and grades the live definition.
    clone = tmp_path / "clone"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from d2l import torch as d2l"), nbformat.v4.new_code_cell(OWN_CORR2D),
        nbformat.v4.new_code_cell("print(repr(d2l.check('corr2d')))")]), str(clone / "check.ipynb"))
    script = ("import sys, nbformat, nbclient\nnb = nbformat.read(sys.argv[1], as_version=4)\n"
              "nbclient.NotebookClient(nb, timeout=300, kernel_name='python3').execute()\n"
              "print(nb.cells[-1].outputs[0].text)")
    ran = subprocess.run([str(clone / ".venv" / "bin" / "python"), "-c", script, "check.ipynb"], cwd=clone,
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    shown = re.match(r"d2l.check: ([\d.]+) / ([\d.]+) points(?: \(([\d.]+) of them only the course's grader scores\))?",
                     ran.stdout)
    assert shown and float(shown[2]) > 0, ran.stdout[-3000:]   # full marks, but for what only the course scores
    assert abs(float(shown[1]) + float(shown[3] or 0) - float(shown[2])) < 0.01, ran.stdout[-3000:]


# A student's own corr2d, in another way than the book's loop: every window at once.
OWN_CORR2D = """def corr2d(X, K):
    h, w = K.shape
    return (X.unfold(0, h, 1).unfold(1, w, 1) * K).sum((-1, -2))"""
