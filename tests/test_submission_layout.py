"""Step 1 of the pipeline on layouts nobody planned for: names that repeat across folders."""

from notebook_factory import IMPORTS, write_notebook

from grader.submission import read_submission


def test_same_notebook_name_in_two_folders_gets_two_labels(tmp_path):
    write_notebook(tmp_path / "part1" / "homework.ipynb", IMPORTS, title="# 7.2 Convolutions for Images")
    write_notebook(tmp_path / "part2" / "homework.ipynb", IMPORTS, title="# 7.5 Pooling")
    entries = read_submission(tmp_path)
    assert sorted(e.label for e in entries) == ["part1/homework.ipynb", "part2/homework.ipynb"]
    assert sorted(e.section for e in entries) == ["7.2", "7.5"]


def test_single_notebook_is_labelled_by_its_file_name(tmp_path):
    path = write_notebook(tmp_path / "deep" / "HW2.ipynb", IMPORTS)
    (entry,) = read_submission(path)
    assert entry.label == "HW2.ipynb" and entry.section is None
