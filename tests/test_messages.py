"""Short, exact messages: the score table before the details, git's conflict markers named with
their lines, cells named as Jupyter shows them (by what they define, or their place among the code
cells), and a syntax error at the student's cell and line, never IPython's temporary file."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
from notebook_factory import IMPORTS, write_notebook

from grader.cell_names import cell_name, cells_named, ordinal
from grader.kernel_side.error_text import without_cell_file
from grader.submission import read_submission

REPO = Path(__file__).resolve().parents[1]
IPYTHON_FILE = re.compile(r"\d{5,}\.py|ipykernel_\d+")
BROKEN_CORR2D = ("def corr2d(X, K):\n    h, w = K.shape\n"
                 "    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1)\n"
                 "    for i in range(Y.shape[0]):\n        pass\n    return Y")   # line 3 never closes its "("


def conflicted(path):
    """A notebook as git leaves it after a conflicting merge of one cell."""
    lines = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])).splitlines()
    at = next(number for number, line in enumerate(lines) if '"x = 1"' in line)
    lines[at:at + 1] = ["<<<<<<< HEAD", lines[at], "=======", lines[at].replace("x = 1", "x = 2"), ">>>>>>> main"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return at + 1   # the 1-based line of "<<<<<<<"


def test_conflict_markers_are_named_with_their_lines_not_as_bad_json(tmp_path):
    first = conflicted(tmp_path / "7.5-pooling.ipynb")
    (entry,) = read_submission(tmp_path / "7.5-pooling.ipynb")
    assert entry.problem.startswith("could not be read as a notebook: it holds git's merge-conflict markers "
                                    f"(`<<<<<<< HEAD` on line {first}, `=======` on line {first + 2}, "
                                    f"`>>>>>>> main` on line {first + 4})")
    assert "JSON" not in entry.problem and "{" not in entry.problem
    (tmp_path / "hw.ipynb").write_text("{ not json")   # other damage keeps the reader's own reason
    assert "NotJSONError" in read_submission(tmp_path / "hw.ipynb")[0].problem


def test_cells_are_named_by_what_they_define_or_their_place_among_the_code_cells():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]
    cells = [nbformat.v4.new_markdown_cell("# 7.2"), nbformat.v4.new_code_cell(IMPORTS),
             nbformat.v4.new_markdown_cell("Your turn"), nbformat.v4.new_code_cell(BROKEN_CORR2D),
             nbformat.v4.new_code_cell("corr2d(X, K)"), nbformat.v4.new_code_cell("pool2d = nn.MaxPool2d(3)"),
             nbformat.v4.new_code_cell("VGG16_ARCH = ((2, 64),)"), nbformat.v4.new_code_cell("x = 1")]
    cells[4].metadata["grader"] = {"item": "Conv2D"}   # the assignment's mark wins over the code
    assert [cell_name(cells, index) for index in range(len(cells))] == [
        "the 1st Markdown cell", "the 1st code cell", "the 2nd Markdown cell",
        "the cell that defines `corr2d`",           # even though it cannot be parsed
        "the cell that defines `Conv2D`",
        "the 4th code cell",                         # the book's demo binding, not the graded function
        "the cell that defines `VGG16_ARCH`", "the 6th code cell"]
    assert cells_named(cells, [1, 5, 7]) == "the 1st, 4th and 6th code cells"
    assert cells_named(cells, [3, 7]) == "the cell that defines `corr2d` and the 6th code cell"
    assert cell_name(cells, 40) == "cell 41"


def test_ipythons_file_for_a_cell_becomes_the_line_of_the_cell():
    assert without_cell_file("SyntaxError: invalid syntax (3023669395.py, line 9)") == \
        "SyntaxError: invalid syntax (line 9 of its cell)"
    assert without_cell_file("SyntaxError: '(' was never closed (/tmp/ipykernel_7/3023669395.py, line 3)",
                             known_line=True) == "SyntaxError: '(' was never closed"
    assert without_cell_file("SyntaxError: bad (<string>, line 1)") == "SyntaxError: bad (<string>, line 1)"


def test_pytest_grader_prints_the_table_first_and_names_cells_and_lines_as_the_student_sees_them(tmp_path):
    """One real grading of one small notebook (and a conflicted one, which never reaches a kernel)."""
    folder = tmp_path / "my homework"
    write_notebook(folder / "7.2-cross-correlation.ipynb", IMPORTS, "#md ### Your turn: `corr2d`", BROKEN_CORR2D,
                   "corr2d(torch.ones(3, 3), torch.ones(2, 2))", title="# 7.2 Convolutions for Images")
    first = conflicted(folder / "7.5-pooling.ipynb")
    done = subprocess.run([sys.executable, "-m", "pytest", "grader", "--submission", str(folder), "-p",
                           "no:cacheprovider", "-k", "corr2d and not multi and not comp"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 1, out[-3000:] + done.stderr[-2000:]
    assert out.index("= scores =") < out.index("= FAILURES =")   # the table, then each failed check's details
    assert "7.2-cross-correlation.ipynb: the cell that defines `corr2d` raised SyntaxError: '(' was never closed " \
           "at line 3 (`Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1)`)" in out
    assert "the 3rd code cell raised NameError" in out   # the demo under it: Markdown cells not counted
    assert "SyntaxError: '(' was never closed (line 3 of its cell)" in out   # in the check's own feedback
    assert not IPYTHON_FILE.search(out), IPYTHON_FILE.search(out)
    assert f"7.5-pooling.ipynb could not be read as a notebook: it holds git's merge-conflict markers " \
           f"(`<<<<<<< HEAD` on line {first}" in out
