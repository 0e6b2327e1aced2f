"""When each submission arrived, and how we know: every time carries its source.

- A roster fetched with ``fetch-roster --course``: the time GitHub recorded for the push that
  carried the commit (or the auto-grade run it started), kept in ``.roster-times-<shard>.json``
  at the class folder's root, where a student's own files cannot reach. The commit's own date
  appears only as the last resort, labelled as one a student can set.
- An LMS export: Blackboard's attempt stamp in the file name (the LMS's clock, read in the
  course's time zone); otherwise the newest file time in the submission (a zip entry's time, which
  stores no time zone), with Canvas's ``LATE_`` marker noted beside it.
"""

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from ..discover import Submission

TIMES_FILE = ".roster-times-{shard}.json"   # one per fetch-roster shard: merging shards keeps them all
LATE_SUFFIX = "@late"                       # a roster student's later snapshot, graded beside the on-time one
STORED_TIME = "submission-time.json"        # beside a graded snapshot's results.json, in the output folder
BLACKBOARD_SOURCE = "Blackboard attempt time (file name, course time zone)"
FILE_SOURCE = "newest file time in the submission (LMS export or folder)"


@dataclass(frozen=True)
class SubmissionTime:
    at: datetime | None
    source: str
    commit: str = ""
    owner: str = ""      # the student this snapshot belongs to ("" : the submission's own student)
    note: str = ""       # e.g. "Canvas marked it LATE", or why no time is known


def owner_of(student: str) -> str:
    """The student a snapshot belongs to (``alice@late`` is alice's later work)."""
    return student[: -len(LATE_SUFFIX)] if student.endswith(LATE_SUFFIX) else student


def read_roster_times(class_folder: Path) -> dict[str, SubmissionTime]:
    """{student folder: SubmissionTime} from every shard's record at the class folder's root."""
    found: dict[str, SubmissionTime] = {}
    if not class_folder.is_dir():
        return found   # a zip export: no roster record can exist
    for path in sorted(class_folder.glob(TIMES_FILE.format(shard="*"))):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for student, entry in (data.items() if isinstance(data, dict) else []):
            time = _from_dict(entry)
            if time is not None:
                found[student] = time
    return found


def _as_dict(time: SubmissionTime) -> dict[str, str]:
    return {"submitted_at": time.at.astimezone(timezone.utc).isoformat() if time.at else "",
            "source": time.source, "commit": time.commit, "owner": time.owner, "note": time.note}


def _from_dict(entry: object) -> SubmissionTime | None:
    if not isinstance(entry, dict):
        return None
    at = entry.get("submitted_at")
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) and at else None
    except ValueError:
        when = None
    return SubmissionTime(when, str(entry.get("source", "")), str(entry.get("commit", "")),
                          str(entry.get("owner", "")), str(entry.get("note", "")))


def write_roster_times(into: Path, shard: int, times: dict[str, SubmissionTime]) -> Path:
    path = into / TIMES_FILE.format(shard=shard)
    payload = {student: _as_dict(t) for student, t in sorted(times.items())}
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def store_time(folder: Path, student: str, time: SubmissionTime) -> None:
    """Keep a graded snapshot's time in its output folder, so ``gradebook CLASS_OUT --course``
    recomputes penalties from the output folder alone."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STORED_TIME).write_text(json.dumps({"student": student, **_as_dict(time)}, indent=1) + "\n",
                                      encoding="utf-8")


def stored_time(folder: Path) -> tuple[str, SubmissionTime] | None:
    """(student, time) that ``store_time`` kept in ``folder``, or None."""
    try:
        data = json.loads((folder / STORED_TIME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    time = _from_dict(data)
    return (str(data["student"]), time) if time is not None and isinstance(data.get("student"), str) else None


def lms_time(submission: "Submission", zone: ZoneInfo) -> SubmissionTime:
    """A submission's time from what an LMS export (or a plain folder) tells of it."""
    note = "Canvas marked it LATE" if submission.lms_late else ""
    if submission.attempt:
        try:
            stamp = datetime.strptime(submission.attempt, "%Y-%m-%d-%H-%M-%S").replace(tzinfo=zone)
            return SubmissionTime(stamp, BLACKBOARD_SOURCE, submission.commit, note=note)
        except ValueError:
            pass
    if submission.modified:
        return SubmissionTime(datetime.fromtimestamp(submission.modified, zone), FILE_SOURCE, submission.commit,
                              note=note)
    return SubmissionTime(None, "unknown", submission.commit, note=note or "no time known: no penalty applied")


def submission_time(submission: "Submission", roster: dict[str, SubmissionTime], zone: ZoneInfo) -> SubmissionTime:
    """The roster's record for this submission's folder when there is one, else the LMS's."""
    recorded = roster.get(Path(submission.origin).name) if "," not in submission.origin else None
    return recorded if recorded is not None else lms_time(submission, zone)
