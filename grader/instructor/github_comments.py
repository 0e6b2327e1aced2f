"""A commit comment on a student's repository, through GitHub's REST API, that is kept up to date.

Why a commit comment and not a check run: creating check runs takes a GitHub App's installation
token, while commit comments work with a fine-grained personal access token (``Contents: read and
write`` on the students' repositories) that an instructor can make in a minute and keep as one
secret of their own repository. The comment is a copy for the student; the gradebook stays the
record (anyone with write access to a repository can edit the comments on it).

Posting again for the same commit edits the comment posted before (found by a hidden marker and
by its author being the token's own account) instead of adding another. Plain ``urllib``: a few
requests per student need no client library. Redirects are not followed, so the token is only
ever sent to the API address given; a rate limit (403/429 with ``Retry-After`` or an exhausted
``X-RateLimit-Remaining``) is waited out once, then reported.
"""

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEFAULT_API = "https://api.github.com"
MAX_BODY = 65536              # GitHub refuses a comment body longer than this many characters
MAX_WAIT = 900.0              # seconds a rate limit may hold us up before the student is reported instead
PAGE = 100                    # comments per page when looking for our earlier one
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_COMMIT = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ApiError(Exception):
    """A request failed; the message says which and why, never the token."""


def check_api_url(url: str) -> str:
    """The API base address without a trailing slash; plain http only for this machine (tests, a
    proxy), so the token never crosses a network unencrypted."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ApiError(f"--api-url must be an http(s) address, got {url!r}")
    if parsed.scheme == "http" and parsed.hostname not in _LOCAL_HOSTS:
        raise ApiError(f"--api-url {url} is plain http: the token would cross the network unencrypted; use https")
    return url.rstrip("/")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None   # urllib then raises the 3xx as an HTTPError


def _wait_for(error: urllib.error.HTTPError) -> float | None:
    """Seconds to wait before one retry of a rate-limited request, or None if it is not one."""
    if error.code not in (403, 429):
        return None
    headers = error.headers
    retry_after = headers.get("Retry-After") if headers else None
    if retry_after and retry_after.strip().isdigit():
        return float(retry_after)
    if headers and headers.get("X-RateLimit-Remaining") == "0" and (headers.get("X-RateLimit-Reset") or "").isdigit():
        return max(0.0, float(headers["X-RateLimit-Reset"]) - time.time()) + 1
    return 60.0 if error.code == 429 else None


@dataclass
class CommitComments:
    """Creates or updates the marked comment on one commit of a repository."""

    api_url: str
    token: str
    marker: str
    sleep: Callable[[float], None] = time.sleep
    timeout: float = 30.0
    _login: str | None = field(default=None, init=False, repr=False)
    login_error: str = field(default="", init=False)
    _opener: urllib.request.OpenerDirector = field(
        default_factory=lambda: urllib.request.build_opener(_NoRedirects), init=False, repr=False)

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """The decoded JSON answer to one request; ``ApiError`` on failure (one retry on a rate limit)."""
        data = None if payload is None else json.dumps(payload).encode()
        for attempt in (1, 2):
            req = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method, headers={
                "Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "convnet-homework-grader",
                **({"Content-Type": "application/json"} if data is not None else {})})
            try:
                with self._opener.open(req, timeout=self.timeout) as answer:
                    text = answer.read().decode("utf-8", errors="replace")
                return json.loads(text) if text.strip() else None
            except urllib.error.HTTPError as error:
                wait = _wait_for(error)
                if attempt == 1 and wait is not None and wait <= MAX_WAIT:
                    self.sleep(wait)
                    continue
                raise ApiError(f"{method} {path}: HTTP {error.code} {_reason(error)}") from None
            except (urllib.error.URLError, OSError, ValueError) as error:
                raise ApiError(f"{method} {path}: {getattr(error, 'reason', error)}") from None
        raise AssertionError("unreachable")

    def login(self) -> str:
        """The token's own account (comments by anyone else are never edited); "" if unknown."""
        if self._login is None:
            try:
                self._login = str((self.request("GET", "/user") or {}).get("login") or "")
            except (ApiError, AttributeError) as error:
                self._login, self.login_error = "", str(error)
        return self._login

    def earlier(self, repository: str, commit: str) -> int | None:
        """The id of the marked comment this account posted on ``commit`` before, if any."""
        me = self.login()
        if not me:
            return None
        page = 1
        while True:
            found = self.request("GET", f"{_commit_path(repository, commit)}/comments?per_page={PAGE}&page={page}")
            comments = found if isinstance(found, list) else []
            for comment in comments:
                if (isinstance(comment, dict) and self.marker in str(comment.get("body") or "")
                        and (comment.get("user") or {}).get("login") == me and isinstance(comment.get("id"), int)):
                    return int(comment["id"])
            if len(comments) < PAGE:
                return None
            page += 1

    def put(self, repository: str, commit: str, body: str) -> str:
        """Post ``body`` on ``commit``, or edit our earlier comment there; "created" or "updated"."""
        if len(body) > MAX_BODY:
            raise ApiError(f"the comment is {len(body)} characters; GitHub takes at most {MAX_BODY}")
        existing = self.earlier(repository, commit)
        if existing is None:
            self.request("POST", f"{_commit_path(repository, commit)}/comments", {"body": body})
            return "created"
        owner, name = repository.split("/")
        self.request("PATCH", f"/repos/{owner}/{name}/comments/{existing}", {"body": body})
        return "updated"


def _commit_path(repository: str, commit: str) -> str:
    parts = repository.split("/")
    if len(parts) != 2 or not all(_NAME.match(p) for p in parts):
        raise ApiError(f"{repository!r} is not a repository name (owner/name)")
    if not _COMMIT.match(commit):
        raise ApiError(f"{commit!r} is not a commit id")
    return f"/repos/{parts[0]}/{parts[1]}/commits/{commit}"


def _reason(error: urllib.error.HTTPError) -> str:
    """GitHub's own message from an error's JSON body, else the status's reason phrase."""
    try:
        message = json.loads(error.read().decode("utf-8", errors="replace")).get("message")
    except Exception:
        message = None
    return str(message or error.reason or "")[:300]
