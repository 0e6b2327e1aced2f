"""Gradescope's ``run_autograder``, the Python half: grade ``/autograder/submission`` with every
check of the course and write ``/autograder/results/results.json``.

Grading is ``pytest grader`` on a private copy of the submission, in any layout, as an
unprivileged user where the image has one (``setup.sh`` makes it): student code then cannot
write the results folder or the grader even where Landlock does not hold, and this process, not
the grading, writes the file Gradescope reads. Whatever goes wrong, a valid results.json with a
test that says why is written (Gradescope shows nothing useful otherwise).

Settings, all from the environment so tests can run it on a Gradescope-like folder anywhere:
``AUTOGRADER_ROOT`` (default ``/autograder``), ``AUTOGRADER_PYTHON`` (the grading interpreter,
default this one), ``AUTOGRADER_USER`` (default ``convnet-student``; empty: grade as this user),
``AUTOGRADER_TIMEOUT`` (seconds, default 2400), ``FASHION_MNIST_DIR`` (default
``$AUTOGRADER_ROOT/fashion-mnist`` where that exists).
"""

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..hidden_visibility import stored_setting
from ..report import write_results
from ..sandbox import sandbox_support
from .gradescope_metadata import read_metadata, staff_lines

SCHEMA = Path(__file__).with_name("schemas") / "gradescope-results.schema.json"
DEFAULT_USER = "convnet-student"
DEFAULT_TIMEOUT = 2400.0
GRADED = (0, 1)   # pytest grader: every check passed, or some failed (a grade either way)


def course_maximum() -> float:
    """The course's full points, for a failed grading's 0 out of N; 0 when even that cannot load."""
    try:
        from ..checks import ALL_CHECKS
        from ..scoring import check_points

        return float(sum(check_points(check) for check in ALL_CHECKS))
    except Exception:   # a broken image: the result must still be written
        return 0.0


def failure_results(reason: str, extra: dict[str, Any]) -> dict[str, Any]:
    """Score 0 with one visible test that says why grading did not happen."""
    text = f"**Your submission could not be graded:** {reason}"
    return {"score": 0.0, "output": text, "output_format": "md", "stdout_visibility": "hidden",
            "extra_data": extra,
            "tests": [{"name": "Grading", "score": 0.0, "max_score": course_maximum(), "status": "failed",
                       "visibility": "visible", "output": text, "output_format": "md"}]}


def schema_problem(payload: dict[str, Any]) -> str | None:
    """Why ``payload`` is not a results.json Gradescope accepts, or None."""
    import jsonschema  # type: ignore[import-untyped]  # ships no type information

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(payload))
    return None if error is None else f"{error.message} (at {'/'.join(map(str, error.absolute_path)) or 'the top'})"


def grading_user(name: str) -> pwd.struct_passwd | None:
    """The account to grade as: only when this process is root and the account exists."""
    if not name or os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def _hand_over(work: Path, user: pwd.struct_passwd | None) -> None:
    """Give the private work folder to the grading user (the submission copy, its home, its output)."""
    if user is None:
        return
    for folder, _, files in os.walk(work):
        os.chown(folder, user.pw_uid, user.pw_gid, follow_symlinks=False)
        for name in files:
            os.chown(Path(folder) / name, user.pw_uid, user.pw_gid, follow_symlinks=False)


def _environment(root: Path, home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AUTOGRADER_")}
    env.update(HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    data = root / "fashion-mnist"
    if not env.get("FASHION_MNIST_DIR") and data.is_dir():
        env["FASHION_MNIST_DIR"] = str(data)
    return env


def run_grading(python: str, source: Path, submission: Path, results: Path, env: dict[str, str],
                user: pwd.struct_passwd | None, timeout: float) -> tuple[int | None, str]:
    """(pytest's exit status or None on timeout, its output); the whole process group ends on timeout."""
    command = [python, "-m", "pytest", "grader", "-p", "no:cacheprovider", "--submission", str(submission),
               "--results", str(results), "--hidden-visibility", stored_setting(source)]   # as the zip was built
    identity: dict[str, Any] = {}
    if user is not None:
        identity = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    with subprocess.Popen(command, cwd=source, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace", start_new_session=True, **identity) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
            return process.returncode, output
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            return None, output


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def finish(status: int | None, output: str, written: Path, extra: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The payload to publish: the grading's own results.json with our extra data, or a failure."""
    if status is None:
        return failure_results(f"grading ran past the autograder's limit of {timeout:.0f} s.", extra)
    try:
        payload = json.loads(written.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return failure_results(f"the grader wrote no results (exit status {status}: {type(error).__name__}). "
                               f"Its last lines:\n\n```\n{_tail(output)}\n```", extra)
    if not isinstance(payload, dict):
        return failure_results("the grader's results were not a JSON object.", extra)
    payload.setdefault("extra_data", {})
    if not isinstance(payload["extra_data"], dict):
        payload["extra_data"] = {}
    payload["extra_data"].update(extra)
    payload["stdout_visibility"] = "hidden"   # the log is for staff: it names hidden checks' details
    if status not in GRADED or not payload.get("tests"):
        record = payload["extra_data"].get("record")
        reason = (record or {}).get("error") if isinstance(record, dict) else None
        payload["extra_data"]["sandbox"] = "no kernel ran"   # nothing was confined, or needed to be
        failed = failure_results(reason or f"grading stopped (exit status {status}).", payload["extra_data"])
        notes = [line for line in str(payload.get("output", "")).splitlines() if line.startswith("- ")]
        if notes:   # the grader's notes on the notebooks; its error line is the reason above
            failed["output"] += "\n\n" + "\n".join(notes)
        return failed
    problem = schema_problem(payload)
    if problem:
        return failure_results(f"the grader's results did not match Gradescope's format: {problem}", extra)
    return payload


def _plain_paths(payload: dict[str, Any], private: Path) -> None:
    """Messages name the submission as the student uploaded it, not the private copy graded."""
    for entry in [payload, *(t for t in payload.get("tests", []) if isinstance(t, dict))]:
        if isinstance(entry.get("output"), str):
            entry["output"] = entry["output"].replace(str(private), "your submission")


def confinement_seen_by_autograder() -> str:
    """Whether Landlock holds here, found by this process before any student code runs. The
    grading's own record (``extra_data.sandbox``) comes from a file the grading user writes; where
    Landlock is missing, student code runs as that same user and could have written that file, and
    so the score. This line is written by the autograder after grading and cannot be forged."""
    available, detail = sandbox_support()
    if available:
        return f"confined: {detail}"
    return (f"NOT confined ({detail}): student code ran as the grading user, which could have rewritten "
            "this result; re-grade it where Landlock holds (grade-class) before trusting the score")


def main() -> int:
    started = time.monotonic()
    root = Path(os.environ.get("AUTOGRADER_ROOT") or "/autograder")
    target = root / "results" / "results.json"
    python = os.environ.get("AUTOGRADER_PYTHON") or sys.executable
    timeout = float(os.environ.get("AUTOGRADER_TIMEOUT") or DEFAULT_TIMEOUT)
    user = grading_user(os.environ.get("AUTOGRADER_USER", DEFAULT_USER))
    submission_info, notes = read_metadata(root / "submission_metadata.json")
    extra: dict[str, Any] = {"gradescope": submission_info, "metadata_notes": notes,
                             "graded_as": user.pw_name if user else f"uid {os.geteuid()}"}
    extra["confinement"] = confinement_seen_by_autograder()
    for line in [*staff_lines(submission_info), *notes, f"confinement: {extra['confinement']}"]:
        print(line)
    if user is None and os.geteuid() == 0:
        print("grading as root: no unprivileged user (setup.sh makes one); student code is confined by the "
              "sandbox alone")
    work = Path(tempfile.mkdtemp(prefix="gradescope-"))
    try:
        submission = root / "submission"
        if not submission.is_dir() or not any(p.is_file() for p in submission.rglob("*")):
            payload = failure_results("no files were submitted. Upload your notebooks (.ipynb), one per "
                                      "section or all in one, in any folder layout.", extra)
        else:
            shutil.copytree(submission, work / "submission", symlinks=True)
            (work / "home").mkdir()
            (work / "out").mkdir()
            _hand_over(work, user)
            status, output = run_grading(python, root / "source", work / "submission", work / "out" / "results.json",
                                         _environment(root, work / "home"), user, timeout)
            print(output)
            extra["grading_exit_status"] = status
            payload = finish(status, output, work / "out" / "results.json", extra, timeout)
            _plain_paths(payload, work / "submission")
    except Exception as error:   # the result must be written whatever happened
        payload = failure_results(f"the autograder failed: {type(error).__name__}: {error}", extra)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    payload.setdefault("execution_time", round(time.monotonic() - started, 2))
    sandbox = payload.get("extra_data", {}).get("sandbox")
    print(f"score {payload.get('score')}; sandbox: {sandbox or 'grading did not start'}")
    write_results(target, payload)
    target.chmod(0o644)   # written privately; Gradescope's harness reads it
    return 0


if __name__ == "__main__":
    sys.exit(main())
