"""What to do after ``release``: the publishing steps, as commands to copy and paste.

Printed by the command with the names and the commit of this release written in, because each
step is easy to get subtly wrong by hand: the grade of record must run at the commit the release
was built from, the starter repository must be a template, the Classroom assignment must not add
Classroom's own test workflow (the starter's feedback workflow is the one students see), and the
instructor-side workflow needs its token, its roster and, optionally, its GPU runner.
"""

import shlex
from pathlib import Path

# The names .github/workflows/grade-of-record.yml reads (tests/test_instructor_release.py checks them).
RESULTS_ENVIRONMENT, RESULTS_SECRET = "results", "RESULTS_TOKEN"
ROSTER_ENVIRONMENT, ROSTER_SECRET = "roster", "ROSTER_TOKEN"
ROSTER_VARIABLE, GPU_VARIABLE = "GRADE_ROSTER", "GPU_RUNNER_LABEL"
GRADE_OF_RECORD = "grade-of-record.yml"


def publishing_steps(out: str | Path, grader_repo: str, starter_repo: str, commit: str, branch: str,
                     grader_ref: str | None = None, starter_ref: str | None = None, ref_exists: bool = False) -> str:
    """The four steps, with this release's names, folder and pinned ``commit`` written in;
    ``grader_ref`` is tagged on ``commit`` unless ``ref_exists``."""
    folder = shlex.quote(str(Path(out).resolve()))
    grader_url = f"https://github.com/{grader_repo}.git"
    push = [f"git push {grader_url} {commit}:refs/heads/{shlex.quote(branch)}"]
    if grader_ref and grader_ref != commit:
        push.append(("" if ref_exists else f"git tag {shlex.quote(grader_ref)} {commit} && ")
                    + f"git push {grader_url} {shlex.quote(grader_ref)}")
    publish = [("" if (Path(out) / ".git").exists() else f"git -C {folder} init -q -b main && ")
               + f"git -C {folder} add -A",
               f'git -C {folder} commit -qm "Release of {grader_repo} at {commit[:12]}"',
               "# the first time (later: git -C FOLDER push):".replace("FOLDER", folder),
               f"gh repo create {starter_repo} --public --source {folder} --push",
               f"gh repo edit {starter_repo} --template"]
    if starter_ref:
        publish.append(f"git -C {folder} tag {shlex.quote(starter_ref)} && "
                       f"git -C {folder} push origin {shlex.quote(starter_ref)}")
    record = [
        f"gh api -X PUT repos/{grader_repo}/environments/{RESULTS_ENVIRONMENT}",
        f"gh api -X PUT repos/{grader_repo}/environments/{ROSTER_ENVIRONMENT}",
        "# a fine-grained token for the students' repositories: Contents read and write (commit comments)",
        f"gh secret set {RESULTS_SECRET} --env {RESULTS_ENVIRONMENT} --repo {grader_repo}",
        "# private student repositories only: a fine-grained token with Contents read",
        f"gh secret set {ROSTER_SECRET} --env {ROSTER_ENVIRONMENT} --repo {grader_repo}",
        "# the roster, one owner/name per line (ORG, PREFIX: the classroom's organisation, the assignment's prefix)",
        "gh repo list ORG --limit 2000 --json nameWithOwner \\",
        "   --jq '.[].nameWithOwner | select(contains(\"/PREFIX-\"))' > roster.txt",
        "git add roster.txt && git commit -m Roster && git push",
        f"gh variable set {ROSTER_VARIABLE} --body roster.txt --repo {grader_repo}",
        "# optional: the label of an ephemeral GPU runner for the training checks",
        f"gh variable set {GPU_VARIABLE} --body LABEL --repo {grader_repo}",
        "# a first run that posts nothing",
        f"gh workflow run {GRADE_OF_RECORD} --repo {grader_repo} -f dry-run=true",
    ]
    return "\n".join([
        "Next steps (copy and paste):", "",
        "1. Push the commit this release was built from to the grader repository (run these in this",
        "   checkout): the grade of record grades with it, so feedback and grade come from the same checks.",
        *_commands(push), "",
        "2. Publish the starter repository as a public template (Colab installs the course library from it).",
        *_commands(publish), "",
        "3. Create the assignment on GitHub Classroom (classroom.github.com, your classroom, New assignment):",
        f"   template repository {starter_repo}, private student repositories, and under \"Add autograding",
        "   tests\" add NONE: the starter's own workflow gives feedback on every push, and Classroom's test",
        "   workflow would add a second, student-editable one. Protect the path .github/** (Classroom only",
        "   flags changes there; the grade of record never runs what students can edit).", "",
        f"4. Set up the grade of record in {grader_repo} (.github/workflows/{GRADE_OF_RECORD}); then, in",
        "   Settings > Environments, let only the default branch use both environments.",
        *_commands(record), ""])


def _commands(lines: list[str]) -> list[str]:
    return [f"     {line}" for line in lines]
