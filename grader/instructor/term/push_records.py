"""GitHub's own record of when commits reached a student's repository.

A commit's date is written by the student's machine (``git commit --date``, a wrong clock), so it
proves nothing. GitHub records two things a student cannot backdate:

- the repository's events (``GET /repos/{owner}/{repo}/events``): each ``PushEvent`` has the
  push's ``created_at`` and the branch's new ``head`` (GitHub keeps 90 days, 300 events);
- the auto-grade workflow's runs (``GET /repos/{owner}/{repo}/actions/runs?head_sha=...``),
  each created when a push triggered it: the fallback when the events have aged out.

The requests go through ``github_comments.CommitComments.request`` (no redirects followed, the
token sent only to the API address given, a rate limit waited out once).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..github_comments import ApiError, CommitComments

PUSH_SOURCE = "GitHub push record (repository events)"
RUN_SOURCE = "GitHub auto-grade run created for the commit (actions runs)"
EVENT_PAGES = 3            # 3 pages of 100: everything GitHub keeps
Request = Callable[[str, str], Any]


@dataclass(frozen=True)
class Push:
    at: datetime
    head: str
    source: str


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def client(api_url: str, token: str) -> Request:
    """A GET-only request function on GitHub's REST API."""
    api = CommitComments(api_url, token, marker="")
    return lambda method, path: api.request(method, path)


def pushes(request: Request, repository: str, branch: str) -> list[Push]:
    """The pushes to ``branch`` that GitHub still lists, oldest first."""
    found: list[Push] = []
    for page in range(1, EVENT_PAGES + 1):
        events = request("GET", f"/repos/{repository}/events?per_page=100&page={page}")
        if not isinstance(events, list):
            break
        for event in events:
            payload = event.get("payload") if isinstance(event, dict) else None
            if event.get("type") != "PushEvent" or not isinstance(payload, dict):
                continue
            at, head = _when(event.get("created_at")), payload.get("head")
            if at and isinstance(head, str) and payload.get("ref") == f"refs/heads/{branch}":
                found.append(Push(at, head, PUSH_SOURCE))
        if len(events) < 100:
            break
    return sorted(found, key=lambda p: p.at)


def run_created(request: Request, repository: str, commit: str) -> Push | None:
    """The earliest workflow run a push of ``commit`` started, as a push record, or None."""
    answer = request("GET", f"/repos/{repository}/actions/runs?head_sha={commit}&event=push&per_page=100")
    runs = answer.get("workflow_runs") if isinstance(answer, dict) else None
    times = [t for run in runs or [] if isinstance(run, dict) and run.get("head_sha") == commit
             for t in [_when(run.get("created_at"))] if t]
    return Push(min(times), commit, RUN_SOURCE) if times else None


def safe_pushes(request: Request, repository: str, branch: str) -> tuple[list[Push], str]:
    """``pushes``, or none and the reason when GitHub cannot be asked (no token, no access)."""
    try:
        return pushes(request, repository, branch), ""
    except ApiError as error:
        return [], f"no push record from GitHub ({error})"
