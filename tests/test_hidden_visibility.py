"""When hidden checks show: the course's one setting drives results.json's ``visibility`` and every text
a student reads (feedback report, docs/students.md); without a course file both say the default."""

import json
import zipfile
from pathlib import Path

import pytest
from stored_class import check, solved_checks, write_class

from grader import hidden_visibility
from grader.conftest import pytest_addoption
from grader.instructor.__main__ import main
from grader.instructor.feedback import render_markdown
from grader.instructor.results import parse
from grader.instructor.term.course_file import VISIBILITIES, load_course
from grader.report import gradescope_json, write_results

ROOT = Path(__file__).resolve().parents[1]
WORDS = {"after_published": "once the course publishes the grades", "after_due_date": "after the due date"}
HIDDEN = solved_checks() + [check("VGG", "8.2", "hidden shapes", 0, 2, "failed", "secret detail", hidden=True)]


def _course(tmp_path, setting):
    text = '[deadline]\ndue = 2026-10-15T23:59:00\ntimezone = "UTC"\n'
    if setting:
        text += f'[visibility]\nhidden_checks = "{setting}"\n'
    (tmp_path / "course.toml").write_text(text)
    return load_course(tmp_path / "course.toml")


@pytest.mark.parametrize("setting", [None, "after_published", "after_due_date"])
def test_results_json_and_the_feedback_say_the_same_for_each_setting(tmp_path, setting):
    chosen = _course(tmp_path, setting).hidden_checks   # what grade-class --course hands on
    assert chosen == (setting or "after_published")
    payload = json.loads(json.dumps(gradescope_json(HIDDEN, hidden_visibility=chosen)))
    shown = {t["visibility"] for t in payload["tests"] if "hidden" in t["name"]}
    assert shown == {chosen} and {t["visibility"] for t in payload["tests"] if "hidden" not in t["name"]} == {"visible"}
    text = render_markdown("alice", parse(payload), hidden_checks=chosen)
    assert f"on Gradescope it appears {WORDS[chosen]}" in text and "secret detail" not in text
    other = next(w for s, w in WORDS.items() if s != chosen)
    assert other not in text


def test_without_a_course_file_every_text_says_the_default():
    assert hidden_visibility.DEFAULT == "after_published"
    payload = json.loads(json.dumps(gradescope_json(HIDDEN)))
    assert {t["visibility"] for t in payload["tests"] if "hidden" in t["name"]} == {"after_published"}
    text = render_markdown("alice", parse(payload))
    assert WORDS["after_published"] in text and "after the deadline" not in text and "due date" not in text
    students = " ".join((ROOT / "docs" / "students.md").read_text().split())
    assert f"appear {WORDS['after_published']}" in students


def test_a_placeholder_in_a_students_copy_says_what_it_is_worth_not_when_gradescope_shows_it():
    placeholder = check("VGG", "8.2", "hidden shapes", 0, 0, "scored by the course's grader",
                        "hidden, scored by the course's grader (0.67 points)", hidden=True)
    text = render_markdown("alice", parse(json.loads(json.dumps(gradescope_json(solved_checks() + [placeholder])))))
    assert "hidden, scored by the course's grader (0.67 points)" in text and "on Gradescope" not in text


@pytest.mark.parametrize("setting", ["after_published", "after_due_date"])
def test_feedback_written_again_from_stored_results_keeps_their_setting(tmp_path, setting):
    out = write_class(tmp_path / "class", {"alice": (HIDDEN, "a1")})
    write_results(out / "students" / "alice" / "results.json", gradescope_json(HIDDEN, hidden_visibility=setting))
    assert main(["gradebook", str(out)]) == 0
    assert WORDS[setting] in (out / "students" / "alice" / "feedback.md").read_text()


def test_the_settings_are_gradescopes_names_everywhere():
    assert hidden_visibility.SETTINGS == VISIBILITIES == ("after_published", "after_due_date")
    with pytest.raises(ValueError, match="after_published or after_due_date"):
        gradescope_json(HIDDEN, hidden_visibility="after_deadline")

    class Options:
        def __init__(self):
            self.seen = {}

        def getgroup(self, *args):
            return self

        def addoption(self, name, **kwargs):
            self.seen[name] = kwargs

    options = Options()
    pytest_addoption(options)
    flag = options.seen["--hidden-visibility"]
    assert tuple(flag["choices"]) == hidden_visibility.SETTINGS and flag["default"] == "after_published"


def test_the_gradescope_zip_carries_the_course_setting_to_run_autograder(tmp_path, capsys):
    _course(tmp_path, "after_due_date")
    zipped = tmp_path / "autograder.zip"
    assert main(["gradescope", "--out", str(zipped), "--course", str(tmp_path / "course.toml")]) == 0
    with zipfile.ZipFile(zipped) as archive:
        assert archive.read(hidden_visibility.FILE_NAME).decode().strip() == "after_due_date"
        archive.extract(hidden_visibility.FILE_NAME, tmp_path / "source")
    assert hidden_visibility.stored_setting(tmp_path / "source") == "after_due_date"   # what run_grading passes on
    assert hidden_visibility.stored_setting(tmp_path / "nowhere") == "after_published"
    (tmp_path / "default.toml").write_text('[deadline]\ndue = 2026-10-15\ntimezone = "UTC"\n')
    assert main(["gradescope", "--out", str(zipped), "--force", "--course", str(tmp_path / "default.toml")]) == 0
    with zipfile.ZipFile(zipped) as archive:
        assert hidden_visibility.FILE_NAME not in archive.namelist()
