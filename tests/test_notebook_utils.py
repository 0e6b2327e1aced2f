"""The notebook utilities every step shares (grader/notebooks.py): which files are notebooks,
and a notebook without its outputs."""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from grader.notebooks import clear_outputs, notebooks_under, visible


def _touch(root, *names):
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("{}")


def test_junk_and_hidden_files_are_not_notebooks(tmp_path):
    _touch(tmp_path, "b.ipynb", "a/one.ipynb", "__MACOSX/a/._one.ipynb", ".ipynb_checkpoints/b-checkpoint.ipynb",
           ".hidden/c.ipynb", "a/._two.ipynb", "notes.txt")
    assert notebooks_under(tmp_path) == [tmp_path / "a" / "one.ipynb", tmp_path / "b.ipynb"]
    assert notebooks_under(tmp_path / "b.ipynb") == [tmp_path / "b.ipynb"]
    assert notebooks_under(tmp_path / "notes.txt") == []
    assert not visible("Thumbs.db") and visible("week2/hw.ipynb")


def test_clearing_outputs_keeps_the_sources_and_markdown():
    code = new_code_cell("print(1)", execution_count=3, outputs=[new_output("stream", name="stdout", text="1\n")])
    nb = new_notebook(cells=[new_markdown_cell("# title"), code])
    cleared = clear_outputs(nb)
    assert cleared is nb and nb.cells[1].outputs == [] and nb.cells[1].execution_count is None
    assert nb.cells[1].source == "print(1)" and nb.cells[0].source == "# title"
    nbformat.validate(nb)
