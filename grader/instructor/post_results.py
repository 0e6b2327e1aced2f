"""``post-results``: each student's grade of record, posted back to the commit that was graded.

It reads what ``grade-class``/``merge-shards`` wrote (``gradebook.csv``, whose ``commit`` column
``fetch-roster`` filled in, and ``students/<name>/feedback.md``) and, for every repository in
the roster, puts the score and the feedback report in a commit comment on that commit
(``github_comments.py`` says why a comment and how it stays one comment). The token comes from
the environment only (``RESULTS_TOKEN``), so it never shows in a command line or a log. One
student's failure is reported and the others are still posted; the exit status is then 1.
"""

import argparse
import csv
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from .batch import NOT_GRADED
from .discover import safe_name
from .github_comments import DEFAULT_API, MAX_BODY, ApiError, CommitComments, check_api_url
from .scale_cli import MERGE_MISSING
from .shards import RosterError, read_repositories, repository_slug, repository_student

TOKEN_VARIABLE = "RESULTS_TOKEN"
MARKER = "<!-- convnet-homework: grade of record -->"   # finds our earlier comment on a commit
FEEDBACK = "feedback.md"     # grade-class's default format; an HTML page makes no comment
CUT_NOTE = ("\n\n---\n*The report is cut here: it is longer than a GitHub comment can hold "
            f"({MAX_BODY:,} characters). Your instructor has the whole report.*\n")


_FIGURE = re.compile(r"!\[([^\]]*)\]\(figures/[^)]*\)")
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9])")


class PostError(Exception):
    """The gradebook folder or the roster cannot be used at all (as opposed to one student)."""


@dataclass(frozen=True)
class Post:
    repository: str      # owner/name
    commit: str
    body: str


def read_gradebook(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "gradebook.csv"
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error, UnicodeDecodeError) as error:
        raise PostError(f"cannot read {path}: {error} (is {folder} what grade-class --out or merge-shards "
                        "wrote?)") from None
    if rows and "commit" not in rows[0]:
        raise PostError(f"{path} has no commit column: grade the class again with this grader "
                        "(fetch-roster records each repository's commit)")
    return {row["student"]: row for row in rows}


def score_line(row: dict[str, str]) -> str:
    status, problem = row.get("status", ""), row.get("problem", "")
    if not row.get("score"):
        return f"**Not scored** ({status}: {problem})" if problem else f"**Not scored** ({status})"
    percent = f" ({row['percent']}%)" if row.get("percent") else ""
    line = f"**{row['score']} / {row['max_score']} points**{percent}"
    if row.get("final_score") and row["final_score"] != row["score"]:   # the course file's late policy
        line += (f"; after the late policy, **{row['final_score']} / {row['max_score']}** "
                 f"({row.get('counted', '')}: {row.get('hours_late') or 0} h late, penalty {row.get('penalty') or 0})")
    return f"{line}, {status}: {problem}" if problem else line


def for_a_comment(feedback: str) -> str:
    """The report as a comment shows it: its figures are files beside the report, so each becomes
    a line naming it; an ``@name`` (the report quotes student code and errors) mentions no one."""
    text = _FIGURE.sub(lambda m: f"*(figure: {m[1]}; in the full report)*", feedback)
    return _MENTION.sub("@\u200b", text)


def comment_body(row: dict[str, str], feedback: str) -> str:
    """The score line, then the feedback report, cut to fit a comment with a note saying so."""
    feedback = for_a_comment(feedback)
    head = (f"{MARKER}\n## Grade of record\n\n{for_a_comment(score_line(row))}\n\n"
            f"Graded by the course's grader with every check, hidden ones included, at commit "
            f"`{row['commit'][:12]}`. This comment is updated if the class is graded again.\n\n---\n\n")
    body = head + feedback.strip() + "\n"
    if len(body) <= MAX_BODY:
        return body
    room = MAX_BODY - len(head) - len(CUT_NOTE)
    kept = feedback[:room]
    kept = kept[:kept.rfind("\n")] if "\n" in kept else kept   # never cut a line (a table row) in half
    return head + kept.rstrip() + CUT_NOTE


def plan(folder: Path, roster: Path) -> tuple[list[Post], list[tuple[str, str]]]:
    """What to post for each roster entry, and (entry, why not) for those that cannot be posted."""
    rows = read_gradebook(folder)
    try:
        entries = read_repositories(roster)
    except RosterError as error:
        raise PostError(str(error)) from None
    names = [repository_student(e) for e in entries]
    posts: list[Post] = []
    skipped: list[tuple[str, str]] = []
    for entry, name in zip(entries, names, strict=True):
        repository, row = repository_slug(entry), rows.get(name)
        why = _unpostable(repository, name, names.count(name), row)
        if why or row is None:
            skipped.append((entry, why))
            continue
        report = folder / "students" / safe_name(name) / FEEDBACK
        try:
            feedback = report.read_text(encoding="utf-8", errors="replace")
        except OSError:
            skipped.append((entry, f"no feedback report at {report} (grade-class --format md writes it)"))
            continue
        posts.append(Post(repository, row["commit"], comment_body(row, feedback)))
    return posts, skipped


def _unpostable(repository: str, name: str, times: int, row: dict[str, str] | None) -> str:
    if not repository:
        return "not an owner/name repository"
    if times > 1:
        return f"{times} roster entries share the student name {name!r}; fetch-roster cannot tell them apart"
    if row is None:
        return f"{name} is not in the gradebook (was its repository cloned? see fetch-roster's output)"
    if row.get("status") == NOT_GRADED and row.get("problem") == MERGE_MISSING:
        return "not graded: its shard did not run; re-run that shard and merge again"
    if not row.get("commit"):
        return f"{name} has no graded commit in the gradebook (fetch-roster records it; a class folder has none)"
    return ""


def post_all(posts: list[Post], comments: CommitComments, out: TextIO) -> list[tuple[str, str]]:
    """Post each result; (repository, error) for each that failed. A failure never stops the rest."""
    if not comments.login():
        if "HTTP 401" in comments.login_error:
            print(f"post-results: the API refused the token ({comments.login_error}); nothing posted", file=out)
            return [(post.repository, "the token was refused") for post in posts]
        print("post-results: the token's account cannot be read (GET /user), so earlier comments cannot be "
              "recognised as ours: new comments are posted", file=out)
    failed: list[tuple[str, str]] = []
    for post in posts:
        try:
            done = comments.put(post.repository, post.commit, post.body)
        except ApiError as error:
            failed.append((post.repository, str(error)))
            print(f"post-results: {post.repository}: {error}", file=out)
            continue
        print(f"{done} the comment on {post.repository} at {post.commit[:12]}", file=out)
    return failed


def run(folder: str | Path, roster: str | Path, api_url: str, dry_run: bool,
        environ: dict[str, str] | None = None, sleep: Callable[[float], None] | None = None,
        out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """The command: 0 when everything was posted, 1 when some student was not, 2 on a usage error."""
    environ = dict(os.environ) if environ is None else environ
    try:
        posts, skipped = plan(Path(folder), Path(roster))
        base = check_api_url(api_url)
    except (PostError, ApiError) as error:
        print(f"post-results: {error}", file=err)
        return 2
    for entry, why in skipped:
        print(f"post-results: {entry}: not posted: {why}", file=err)
    if dry_run:
        for post in posts:
            print(f"--- would post to {base}/repos/{post.repository}/commits/{post.commit}/comments "
                  f"({len(post.body)} characters):\n{post.body}", file=out)
        return 1 if skipped else 0
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if not token:
        print(f"post-results: set {TOKEN_VARIABLE} to a token that may comment on the students' repositories "
              "(a fine-grained token with Contents: read and write); it is read from the environment only",
              file=err)
        return 2
    comments = CommitComments(base, token, MARKER, sleep=sleep or time.sleep)
    failed = post_all(posts, comments, err)
    print(f"posted {len(posts) - len(failed)} of {len(posts) + len(skipped)} results"
          + (f"; {len(failed) + len(skipped)} not posted (above)" if failed or skipped else ""), file=out)
    return 1 if failed or skipped else 0


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``post-results`` on the instructor CLI."""
    post = commands.add_parser("post-results", help="post each student's grade of record to the commit graded")
    post.add_argument("gradebook", help="what grade-class --out or merge-shards wrote (gradebook.csv, students/)")
    post.add_argument("--roster", required=True, help="the roster file fetch-roster read (owner/name per line)")
    post.add_argument("--api-url", default=os.environ.get("GITHUB_API_URL", DEFAULT_API),
                      help=f"GitHub's REST API (default $GITHUB_API_URL, else {DEFAULT_API})")
    post.add_argument("--dry-run", action="store_true", help="print what would be posted; send nothing")
    post.set_defaults(handler=lambda args: run(args.gradebook, args.roster, args.api_url, args.dry_run))
