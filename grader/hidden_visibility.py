"""When students see hidden checks on Gradescope, and the one sentence every report says about it.

A hidden check's inputs are never shown anywhere; what the course chooses (``[visibility]
hidden_checks`` in course.toml, ``pytest grader --hidden-visibility``) is when Gradescope shows
the check itself: once staff publish the grades (``after_published``, the default) or once the
due date has passed (``after_due_date``). results.json's ``visibility`` and the sentence below come
from the same setting, so what a student reads matches what Gradescope does.
"""

from pathlib import Path

SETTINGS = ("after_published", "after_due_date")   # Gradescope's own names for the two moments
DEFAULT = "after_published"
FILE_NAME = "hidden-visibility.txt"   # in the Gradescope autograder's source, where the course chose otherwise
_WHEN = {"after_published": "once the course publishes the grades",
         "after_due_date": "after the due date"}


def checked(setting: str) -> str:
    """``setting`` when it is one of ``SETTINGS``; ValueError naming both otherwise."""
    if setting not in SETTINGS:
        raise ValueError(f"hidden checks' visibility must be {' or '.join(SETTINGS)}, got {setting!r:.40}")
    return setting


def stored_setting(folder: Path) -> str:
    """The setting written in ``folder`` (the autograder's source), or the default."""
    try:
        text = (folder / FILE_NAME).read_text(encoding="utf-8").strip()
    except OSError:
        return DEFAULT
    return text if text in SETTINGS else DEFAULT


def when_shown(setting: str = DEFAULT) -> str:
    """"once the course publishes the grades" or "after the due date"."""
    return _WHEN[checked(setting)]


def hidden_note(setting: str = DEFAULT) -> str:
    """What a report says under a hidden check, in place of its details."""
    return f"A hidden check: its inputs are never shown; on Gradescope it appears {when_shown(setting)}."
