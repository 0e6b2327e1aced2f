"""Finding each student's submission in class folders and LMS zip exports (no grading here)."""

import os
import shutil
import time
import zipfile

import pytest
from notebook_factory import IMPORTS, write_notebook

from grader.instructor.discover import ClassFolderError, discover
from grader.instructor.fingerprint import code_digest, grader_version, shared_code, submission_key

CORR = "def corr2d(X, K):\n    return X"
STUB = "def corr2d(X, K):\n    raise NotImplementedError"


def _aged(path, hours):
    stamp = time.time() - 3600 * hours
    os.utime(path, (stamp, stamp))
    return path


def _by_student(submissions):
    return {s.student: s for s in submissions}


def test_one_folder_or_notebook_per_student_and_the_latest_entry_wins(tmp_path):
    root = tmp_path / "class"
    _aged(write_notebook(root / "alice.ipynb", IMPORTS, STUB), hours=2)
    write_notebook(root / "alice" / "7.2-cross-correlation.ipynb", IMPORTS, CORR)
    write_notebook(root / "bob.ipynb", IMPORTS, STUB)
    (root / "carol").mkdir()
    (root / "carol" / "readme.txt").write_text("no notebook")
    (root / "grades.csv").write_text("an LMS by-product, not a student\n")
    found = _by_student(discover(root, tmp_path / "work"))
    assert sorted(found) == ["alice", "bob", "carol"]
    assert found["alice"].path == root / "alice" and found["alice"].superseded == ["alice.ipynb"]
    assert found["bob"].path == root / "bob.ipynb" and found["bob"].notebooks == [root / "bob.ipynb"]
    assert found["carol"].problem == "no notebooks (.ipynb) in this submission"


def test_lms_file_names_group_one_students_files_and_keep_the_latest_attempt(tmp_path):
    root = tmp_path / "export"
    # Canvas: login_userid_submissionid_original; two attachments of one student are one submission
    write_notebook(root / "smithj_1201_88001_7.2-cross-correlation.ipynb", IMPORTS, CORR)
    write_notebook(root / "smithj_1201_88002_7.5-pooling.ipynb", IMPORTS, STUB)
    write_notebook(root / "doej_LATE_1202_88003_homework.ipynb", IMPORTS, STUB)
    # Blackboard: two attempts, the later one counts
    write_notebook(root / "HW2_leek_attempt_2024-03-01-10-00-00_hw.ipynb", IMPORTS, STUB)
    write_notebook(root / "HW2_leek_attempt_2024-03-02-09-30-00_hw.ipynb", IMPORTS, CORR)
    # Moodle: a folder per student
    write_notebook(root / "Jane Roe_4411_assignsubmission_file_" / "hw.ipynb", IMPORTS, CORR)
    found = _by_student(discover(root, tmp_path / "work"))
    assert sorted(found) == ["Jane Roe", "doej", "leek", "smithj"]
    assert sorted(p.name for p in found["smithj"].notebooks) == ["7.2-cross-correlation.ipynb", "7.5-pooling.ipynb"]
    assert found["smithj"].superseded == []
    assert [p.name for p in found["doej"].notebooks] == ["homework.ipynb"]
    assert found["leek"].attempt == "2024-03-02-09-30-00"
    assert found["leek"].superseded == ["HW2_leek_attempt_2024-03-01-10-00-00_hw.ipynb"]
    assert (code_digest(found["leek"].notebooks[0])
            == code_digest(root / "HW2_leek_attempt_2024-03-02-09-30-00_hw.ipynb"))


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as bundle:
        for name, data, when in entries:
            info = zipfile.ZipInfo(name, date_time=when)
            bundle.writestr(info, data)
    return path


def test_zip_export_with_a_wrapping_folder_and_times_from_the_zip(tmp_path):
    nb = write_notebook(tmp_path / "nb.ipynb", IMPORTS, CORR).read_bytes()
    old, new = (2024, 1, 1, 10, 0, 0), (2024, 1, 2, 10, 0, 0)
    export = _zip(tmp_path / "export.zip", [
        ("submissions/alice/7.2.ipynb", nb, new), ("submissions/alice.ipynb", nb, old),
        ("submissions/bob/hw.ipynb", nb, old), ("__MACOSX/submissions/._bob", b"junk", old),
    ])
    found = _by_student(discover(export, tmp_path / "work"))
    assert sorted(found) == ["alice", "bob"]
    assert found["alice"].path.name == "alice" and found["alice"].superseded == ["alice.ipynb"]
    assert found["bob"].notebooks[0].read_bytes() == nb


def test_a_student_zip_inside_the_class_folder_is_unpacked(tmp_path):
    nb = write_notebook(tmp_path / "nb.ipynb", IMPORTS, CORR).read_bytes()
    root = tmp_path / "class"
    (root / "dana").mkdir(parents=True)
    _zip(root / "dana" / "upload.zip", [("hw/7.2.ipynb", nb, (2024, 1, 1, 0, 0, 0))])
    _zip(root / "eve.zip", [("7.5.ipynb", nb, (2024, 1, 1, 0, 0, 0))])
    found = _by_student(discover(root, tmp_path / "work"))
    assert [p.name for p in found["dana"].notebooks] == ["7.2.ipynb"]
    assert [p.name for p in found["eve"].notebooks] == ["7.5.ipynb"]


def test_a_class_of_one_is_not_mistaken_for_a_wrapping_folder(tmp_path):
    nb = write_notebook(tmp_path / "nb.ipynb", IMPORTS, CORR).read_bytes()
    export = _zip(tmp_path / "one.zip", [("alice/7.2.ipynb", nb, (2024, 1, 1, 0, 0, 0)),
                                         ("alice/7.5.ipynb", nb, (2024, 1, 1, 0, 0, 0))])
    found = discover(export, tmp_path / "work")
    assert [s.student for s in found] == ["alice"] and len(found[0].notebooks) == 2


def test_unsafe_and_unreadable_inputs_are_refused_with_a_reason(tmp_path):
    evil = _zip(tmp_path / "evil.zip", [("../outside.ipynb", b"{}", (2024, 1, 1, 0, 0, 0))])
    with pytest.raises(ClassFolderError, match="unsafe entry"):
        discover(evil, tmp_path / "work")
    assert not (tmp_path / "outside.ipynb").exists()
    (tmp_path / "fake.zip").write_text("not a zip")
    with pytest.raises(ClassFolderError, match="not a readable zip"):
        discover(tmp_path / "fake.zip", tmp_path / "work2")
    with pytest.raises(ClassFolderError, match="does not exist"):
        discover(tmp_path / "missing", tmp_path / "work3")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClassFolderError, match="no submissions"):
        discover(tmp_path / "empty", tmp_path / "work4")
    # one student's bad zip costs that student only
    root = tmp_path / "class"
    write_notebook(root / "bob.ipynb", IMPORTS, STUB)
    (root / "mallory.zip").write_text("not a zip")
    found = _by_student(discover(root, tmp_path / "work5"))
    assert found["bob"].problem == "" and "not a readable zip" in found["mallory"].problem


def test_identical_code_is_flagged_but_untouched_starter_notebooks_are_not(tmp_path):
    starter = write_notebook(tmp_path / "starter" / "7.2.ipynb", IMPORTS, STUB)
    root = tmp_path / "class"
    write_notebook(root / "alice" / "7.2.ipynb", IMPORTS, CORR)
    write_notebook(root / "dave" / "renamed.ipynb", IMPORTS, CORR)      # same code, other cell ids and name
    shutil.copy(starter, root / "bob.ipynb")
    shutil.copy(starter, root / "carl.ipynb")                         # both untouched: not a match
    found = discover(root, tmp_path / "work")
    assert code_digest(root / "alice" / "7.2.ipynb") == code_digest(root / "dave" / "renamed.ipynb")
    assert shared_code(found, [starter]) == {"alice": ["dave"], "dave": ["alice"]}
    assert "bob" in shared_code(found, [])  # without the starter, the two blanks would match


def test_cache_key_follows_the_files_the_grader_and_the_options(tmp_path):
    nb = write_notebook(tmp_path / "a" / "hw.ipynb", IMPORTS, CORR)
    key = submission_key(nb.parent, [nb], "v1", {"pytest_args": []})
    assert key == submission_key(nb.parent, [nb], "v1", {"pytest_args": []})
    assert key != submission_key(nb.parent, [nb], "v2", {"pytest_args": []})
    assert key != submission_key(nb.parent, [nb], "v1", {"pytest_args": ["-k", "pool2d"]})
    copy = tmp_path / "b" / "hw.ipynb"
    copy.parent.mkdir()
    shutil.copy(nb, copy)
    assert submission_key(copy.parent, [copy], "v1", {"pytest_args": []}) == key  # same files, other student
    nb.write_text(nb.read_text().replace("return X", "return X * 1"))
    assert submission_key(nb.parent, [nb], "v1", {"pytest_args": []}) != key


def test_grader_version_changes_with_grading_code_but_not_with_instructor_tools(tmp_path):
    for relative in ("grader/checks/a.py", "grader/instructor/cli.py", "solutions/s.py", "d2l/x.py"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("x = 1\n")
    before = grader_version(tmp_path)
    (tmp_path / "grader/instructor/cli.py").write_text("x = 2\n")
    assert grader_version(tmp_path) == before
    (tmp_path / "solutions/s.py").write_text("x = 2\n")
    assert grader_version(tmp_path) != before
