"""The similarity report: a near-copy is flagged, the book's and the starter's code never count.

Compared from the notebooks' code alone (no kernels), but for one grade-class run end to end.
"""

import ast
import csv
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from notebook_factory import IMPORTS, write_notebook
from test_book_code import BOOK

from grader.instructor import similarity
from grader.instructor.__main__ import main
from grader.instructor.discover import discover
from grader.instructor.similarity import DEFAULT_THRESHOLD, book_cells, compare_class, documents, flagged, similar_to
from grader.instructor.similarity_report import render, threshold_value, write_similarity
from grader.kernel_side.stand_ins import HELPER_NAMES

REPO = Path(__file__).resolve().parents[1]
STARTER = sorted((REPO / "assignment").glob("*.ipynb"))
SECTION = REPO / "assignment" / "7.2-cross-correlation.ipynb"

# alice's own 7.2 answers: nothing like the book's, so they count
CORR2D = '''def corr2d(X, K):
    h, w = K.shape
    columns = F.unfold(X[None, None], (h, w))[0]
    return (K.reshape(1, -1) @ columns).reshape(X.shape[0] - h + 1, X.shape[1] - w + 1)'''
CONV2D = '''class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.register_parameter('bias', nn.Parameter(torch.zeros(1)))
        self.register_parameter('weight', nn.Parameter(torch.rand(*kernel_size)))

    def forward(self, x):
        h, w = self.weight.shape
        out_h, out_w = x.shape[0] - h + 1, x.shape[1] - w + 1
        y = self.bias.expand(out_h, out_w)
        for a in range(h):
            for b in range(w):
                y = y + self.weight[a, b] * x[a:a + out_h, b:b + out_w]
        return y'''
DIAGONAL = '''def diagonal_edge_image(height=6, width=8):
    img = torch.ones((height, width))
    rows = torch.arange(height)
    for shift in (0, 1):
        cols = rows + shift
        keep = cols < width
        img[rows[keep], cols[keep]] = 0
    return img'''
RENAMES = {"columns": "patches", "out_h": "rows_out", "out_w": "cols_out", "img": "picture", "rows": "r",
           "cols": "c", "keep": "inside", "shift": "offset", "y = ": "result = ", "return y": "return result",
           "y + ": "result + "}
# carol's and dave's own diagonal images: each different from the other's
CAROL_DIAGONAL = '''def diagonal_edge_image(height=6, width=8):
    X = torch.ones((height, width))
    for i in range(height):
        for j in (i, i + 1):
            if j < width:
                X[i, j] = 0
    return X'''
DAVE_DIAGONAL = '''def diagonal_edge_image(height=6, width=8):
    ones = torch.ones(height, width)
    band = torch.eye(height, width) + torch.eye(height, width, diagonal=1)
    return ones * (band == 0)'''


def _renamed(code):
    for old, new in RENAMES.items():
        code = code.replace(old, new)
    return code


def _starter_cells():
    nb = nbformat.read(str(SECTION), as_version=4)
    return [cell.source for cell in nb.cells if cell.cell_type == "code"]


def _class(root):
    """alice: her own answers; bob: alice's, renamed and reordered; carol and dave: the book's
    corr2d and Conv2D, the starter's cells, and a diagonal image of their own."""
    starter = _starter_cells()
    book_corr2d, book_conv2d = BOOK[1], BOOK[3]
    write_notebook(root / "alice" / "7.2-cross-correlation.ipynb", *starter, CORR2D, CONV2D, DIAGONAL)
    write_notebook(root / "bob" / "week 7.2.ipynb", _renamed(DIAGONAL), *starter[:5], "# my answers\n",
                   _renamed(CONV2D), *starter[5:], _renamed(CORR2D))
    write_notebook(root / "carol" / "homework.ipynb", *starter, book_corr2d, book_conv2d, CAROL_DIAGONAL,
                   title="# 7.2 Cross-correlation")
    write_notebook(root / "dave" / "7.2-cross-correlation.ipynb", book_conv2d, *starter, book_corr2d,
                   BOOK[2], DAVE_DIAGONAL)
    return root


def test_the_shipped_book_code_is_the_books_code_the_grader_knows():
    cells = book_cells()
    missing = [cell.splitlines()[0] for cell in BOOK if cell.strip() not in cells]
    assert not missing, f"book_code.txt lacks these cells of tests/test_book_code.py's BOOK: {missing}"
    defined = {node.name for cell in cells for node in ast.walk(ast.parse(cell))
               if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    assert set(HELPER_NAMES) <= defined, set(HELPER_NAMES) - defined


def test_a_near_copy_is_flagged_and_students_who_kept_the_books_code_are_not(tmp_path):
    submissions = discover(_class(tmp_path / "class"), tmp_path / "work")
    comparison = compare_class(submissions, STARTER)
    flags = similar_to(flagged(comparison, DEFAULT_THRESHOLD))
    assert set(flags) == {"alice", "bob"}, flags
    assert flags["alice"][0].startswith("bob (7.2: ")
    alice_bob = next(p for p in comparison.pairs if set(p.students) == {"alice", "bob"})
    assert min(alice_bob.shares) > 0.8
    pairs = {frozenset(p.students): p.similarity for p in comparison.pairs}
    assert pairs.get(frozenset({"carol", "dave"}), 0) < DEFAULT_THRESHOLD


def test_without_the_boilerplate_the_books_code_would_count(tmp_path):
    """The other side of the test above: the book and the starter are what keeps carol and dave apart."""
    submissions = discover(_class(tmp_path / "class"), tmp_path / "work")
    flags = similar_to(flagged(compare_class(submissions, [], book=[]), DEFAULT_THRESHOLD))
    assert any(entry.startswith("dave (7.2: ") for entry in flags.get("carol", [])), flags


HOSTILE = '</pre><script>alert("code")</script><img src=x onerror="alert(1)"><a href="javascript:alert(2)">x</a>'
ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p", "table", "tr", "th",
                "td", "a", "section", "div", "pre", "mark", "ul", "li"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += attrs


def test_the_report_escapes_student_names_and_code(tmp_path):
    hostile_name = '<script>alert("name")</script>'
    code = f"{CORR2D}\n# {HOSTILE}\n{CONV2D}\nnote = '{HOSTILE}'"
    write_notebook(tmp_path / "class" / hostile_name.replace("/", "") / "7.2.ipynb", IMPORTS, code)
    write_notebook(tmp_path / "class" / "mallory" / "7.2.ipynb", IMPORTS, code, f"'{HOSTILE}'")
    path, flags = write_similarity(discover(tmp_path / "class", tmp_path / "work"), STARTER, tmp_path / "out")
    page = path.read_text(encoding="utf-8")
    assert len(flags) == 2 and "<mark>" in page       # the pair is shown, side by side
    parser = _Tags()
    parser.feed(page)
    assert parser.tags <= ALLOWED_TAGS, parser.tags - ALLOWED_TAGS
    assert all(not name.startswith("on") and "javascript" not in (value or "") for name, value in parser.attributes)
    assert "default-src 'none'" in page               # and the browser is told to run nothing anyway
    assert "&lt;script&gt;alert(&quot;name&quot;)" in page


def test_bad_input_is_noted_not_fatal(tmp_path):
    root = tmp_path / "class"
    (root / "erin").mkdir(parents=True)
    (root / "erin" / "7.2.ipynb").write_text("{not json")
    (root / "frank").mkdir()                                             # no notebook at all
    write_notebook(root / "gina" / "7.2.ipynb")                          # no cells
    write_notebook(root / "hal" / "7.2.ipynb", *_starter_cells())        # the starter, untouched
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CORR2D)])
    del nb.cells[0]["source"]                                            # a cell without its source
    (root / "ivan").mkdir()
    (root / "ivan" / "7.2.ipynb").write_text(nbformat.writes(nb, version=4))
    submissions = discover(root, tmp_path / "work")
    comparison = compare_class(submissions, STARTER)
    assert comparison.pairs == []
    noted = " ".join(comparison.notes)
    assert "erin: 7.2.ipynb not compared" in noted and "frank: not compared" in noted and "ivan" in noted
    assert documents(next(s for s in submissions if s.student == "gina")) == ([], [])
    page = render(comparison, DEFAULT_THRESHOLD)
    assert "No two students" in page and "Not compared" in page


def test_code_the_fingerprinting_chokes_on_is_noted_and_the_rest_compared(tmp_path, monkeypatch):
    real = similarity.fingerprint

    def choking(name, text, *args):
        if name.startswith("carol"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(name, text, *args)

    monkeypatch.setattr(similarity, "fingerprint", choking)
    comparison = compare_class(discover(_class(tmp_path / "class"), tmp_path / "work"), STARTER)
    assert "carol: 7.2 not compared (RecursionError" in " ".join(comparison.notes)
    assert set(similar_to(flagged(comparison))) == {"alice", "bob"}


def test_the_similarity_command_alone_and_its_errors(tmp_path, capsys):
    root = _class(tmp_path / "class")
    assert main(["similarity", str(root), "--out", str(tmp_path / "out"), "--similarity-threshold", "60%"]) == 0
    printed = capsys.readouterr().out
    assert "alice: bob (7.2: " in printed and "carol" not in printed
    assert (tmp_path / "out" / "similarity.html").is_file()
    write_notebook(tmp_path / "one" / "solo" / "7.2.ipynb", IMPORTS, CORR2D)     # a class of one
    assert main(["similarity", str(tmp_path / "one"), "--out", str(tmp_path / "out1")]) == 0
    assert main(["similarity", str(tmp_path / "missing"), "--out", str(tmp_path / "out2")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert threshold_value("0.25") == 0.25
    for bad in ("0", "150%", "-1"):
        with pytest.raises(Exception, match="percentage"):
            threshold_value(bad)


def test_grade_class_with_similarity_flags_in_the_gradebook_and_keeps_the_scores(tmp_path):
    """One real grading (the corr2d checks only, two students): the column is filled, scores are whole."""
    root = tmp_path / "class"
    write_notebook(root / "alice" / "7.2-cross-correlation.ipynb", IMPORTS, CORR2D, CONV2D)
    write_notebook(root / "bob" / "7.2-cross-correlation.ipynb", IMPORTS, _renamed(CONV2D), _renamed(CORR2D))
    out = tmp_path / "out"
    assert main(["grade-class", str(root), "--out", str(out), "--jobs", "2", "--similarity",
                 "--pytest-args", "-k corr2d:"]) == 0
    with open(out / "gradebook.csv", encoding="utf-8") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert rows["alice"]["similar_to"].startswith("bob (7.2: ") and rows["bob"]["similar_to"].startswith("alice")
    for row in rows.values():
        assert row["status"] == "graded" and float(row["score"]) == float(row["max_score"]) > 0, row
    assert (out / "similarity.html").is_file()
