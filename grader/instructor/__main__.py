"""``python -m grader.instructor COMMAND``: grade-class, release, ci-report, answer-key, and the shard steps."""

import argparse
import os
import shlex
import shutil
import sys
import time
from pathlib import Path

from ..hidden_visibility import DEFAULT as VISIBILITY_DEFAULT
from . import classroom, release_checks, scale_cli
from .batch import GRADED, BatchOptions, Outcome
from .class_summary import write_summary
from .discover import ClassFolderError, discover
from .feedback import FORMATS, write_report
from .fingerprint import ROOT, shared_code
from .gradebook import write_gradebook
from .gradescope import add_command as add_gradescope_command
from .post_results import add_command as add_post_results_command
from .release import RELEASE_INPUTS, ReleaseError, build_release
from .release_steps import publishing_steps
from .similarity_report import add_similarity_command, add_similarity_options, write_similarity
from .term import written_step
from .term.course_file import CourseFileError
from .term.late_gradebook import FIELDS as DEADLINE_FIELDS
from .term.late_gradebook import apply_course, load_for_class
from .term.lms_export import add_command as add_export_command
from .term.manual_command import add_command as add_manual_command
from .term.overrides import OverridesError
from .term.rebuild import add_command as add_gradebook_command
from .term.rebuild import add_overrides_option, apply_to_outcomes, check_overrides
from .term.score_diff import add_command as add_diff_command
from .term.score_diff import add_diff_option, print_changes


def grade_class(args: argparse.Namespace) -> int:
    if args.jobs < 1 or args.timeout <= 0:
        print("grade-class: --jobs must be at least 1 and --timeout positive", file=sys.stderr)
        return 2
    problem = scale_cli.check_engine(args)
    if problem:
        print(f"grade-class: {problem}", file=sys.stderr)
        return 2
    out = Path(args.out)
    work = out / "work"
    shutil.rmtree(work, ignore_errors=True)  # unpacked zips: made afresh, so removed files do not linger
    started = time.monotonic()
    try:
        submissions = discover(args.submissions, work)
    except ClassFolderError as error:
        print(f"grade-class: {error}", file=sys.stderr)
        return 2
    try:   # read before any grading: a bad course or extensions file changes nothing
        course = load_for_class(args.course, [s.student for s in submissions]) if args.course else None
    except CourseFileError as error:
        print(f"grade-class: {error}", file=sys.stderr)
        return 2
    try:   # likewise the overrides: checked whole before grading, applied whole after it
        if args.overrides:
            check_overrides(args.overrides, [s.student for s in submissions])
    except OverridesError as error:
        print(f"grade-class: {error}", file=sys.stderr)
        return 2
    problem = written_step.before_grading(args, out)   # rubrics, stored scores, --manual sheets: all or nothing
    if problem:
        print(f"grade-class: {problem}", file=sys.stderr)
        return 2
    starter = sorted(Path(args.starter).glob("*.ipynb")) if args.starter else []
    identical = shared_code(submissions, starter)
    similar = None   # compared before grading: the report does not need the grading to succeed
    if args.similarity:
        report, similar = write_similarity(submissions, starter, out, args.similarity_threshold, str(args.submissions))
        print(f"similarity report: {report} ({len(similar)} students flagged)", file=sys.stderr)
    # --train is the GPU path: where CUDA is absent its runs stop (--require-gpu), never skip the training
    pytest_args = tuple(shlex.split(args.pytest_args)) + (("--train", "--require-gpu") if args.train else ())
    visibility = course.hidden_checks if course else VISIBILITY_DEFAULT   # results.json and feedback agree
    pytest_args += ("--hidden-visibility", visibility) if visibility != VISIBILITY_DEFAULT else ()
    options = BatchOptions(jobs=args.jobs, timeout=args.timeout, pytest_args=pytest_args,
                           force=args.force, require_sandbox=not args.allow_unsandboxed)
    print(f"{len(submissions)} submissions in {args.submissions}; grading with {options.jobs} jobs "
          f"({args.executor})", file=sys.stderr)
    outcomes = scale_cli.grade_outcomes(args, submissions, out, options)
    try:
        if args.overrides:
            apply_to_outcomes(outcomes, args.overrides, [s.student for s in submissions])
    except OverridesError as error:   # points out of bounds on the new results: nothing applied
        print(f"grade-class: {error}", file=sys.stderr)
        return 2
    written = written_step.collect(outcomes, out, args, whole_class=args.shard is None)   # packets, ledger
    for outcome in outcomes:
        write_report(outcome.student, outcome.run, outcome.folder, args.format, outcome.folder / "executed",
                     outcome.submission.notebooks, outcome.problem, extra=written.feedback(outcome.student),
                     hidden_checks=visibility)
    shown, deadlines = apply_course(course, outcomes, Path(args.submissions))   # penalties: no grading
    gradebook = write_gradebook(shown, out / "gradebook.csv", identical, similar, deadlines,
                                DEADLINE_FIELDS if course else ())
    write_summary(shown, out)
    _summary(outcomes, identical, gradebook, options, time.monotonic() - started)
    if args.diff:
        print_changes(args.diff, out)
    return 0


def _summary(outcomes: list[Outcome], identical: dict[str, list[str]], gradebook: Path, options: BatchOptions,
             seconds: float) -> None:
    cached = sum(o.cached for o in outcomes)
    print(f"\n{len(outcomes)} submissions, {cached} unchanged since the last run (not graded again), "
          f"{seconds:.1f} s wall time with {options.jobs} jobs")
    print(f"gradebook: {gradebook}")
    trouble = [o for o in outcomes if o.status != GRADED]
    if trouble:
        print("\nSubmissions with problems (see each one's grading.log and feedback report):")
        for outcome in trouble:
            print(f"  {outcome.student}: {outcome.status}: {outcome.problem}")
    superseded = [o for o in outcomes if o.submission.superseded]
    if superseded:
        print("\nStudents who handed in more than once (the latest was graded):")
        for outcome in superseded:
            print(f"  {outcome.student}: graded {outcome.submission.origin}; "
                  f"not graded: {', '.join(outcome.submission.superseded)}")
    if identical:
        print("\nSubmissions whose code matches another student's in at least one notebook:")
        for student, others in sorted(identical.items()):
            print(f"  {student}: {', '.join(others)}")


def release(args: argparse.Namespace) -> int:
    try:
        written = build_release(args.out, args.grader_repo, args.grader_ref, root=ROOT, force=args.force,
                                starter_repo=args.starter_repo, starter_ref=args.starter_ref,
                                allow_dirty=args.allow_dirty)
    except ReleaseError as error:
        print(f"release: {error}", file=sys.stderr)
        return 2
    commit = release_checks.resolve(ROOT, "HEAD") or "HEAD"
    print(f"wrote {len(written)} files to {args.out} (no solutions/, no hidden checks, no instructor tools), "
          f"built from commit {commit}")
    if args.allow_dirty and release_checks.source_problem(ROOT, RELEASE_INPUTS, None):
        print(f"release: --allow-dirty: this release holds changes that commit {commit[:12]} does not; "
              "do not publish it", file=sys.stderr)
    ref_exists = bool(args.grader_ref) and release_checks.resolve(ROOT, args.grader_ref) is not None
    print("\n" + publishing_steps(args.out, args.grader_repo, args.starter_repo, commit, release_checks.branch(ROOT),
                                  args.grader_ref, args.starter_ref, ref_exists))
    return 0


def answer_key(args: argparse.Namespace) -> int:
    # imported here: solutions/ is the instructor's alone, and the other commands run without it
    from solutions.fill import AnswerKeyError, write_answer_key

    try:
        written = write_answer_key(args.out, args.assignment, force=args.force)
    except AnswerKeyError as error:
        print(f"answer-key: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} solved notebooks to {args.out}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m grader.instructor", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)

    grade = commands.add_parser("grade-class", help="grade a folder or zip export of submissions")
    grade.add_argument("submissions", help="folder with one sub-folder, notebook or zip per student, or an LMS zip")
    grade.add_argument("--out", required=True, help="where the gradebook, reports and per-student results go")
    grade.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1), help="students graded at once")
    grade.add_argument("--timeout", type=float, default=1800.0, help="seconds per student (default 1800)")
    grade.add_argument("--format", choices=FORMATS, default="md", help="feedback report format (default md)")
    grade.add_argument("--force", action="store_true", help="grade again even what has not changed")
    grade.add_argument("--starter", default=str(ROOT / "assignment"),
                       help="the blank notebooks; identical code is not flagged when it is theirs")
    grade.add_argument("--pytest-args", default="", help='extra options for pytest grader, e.g. "-k pool2d"')
    grade.add_argument("--course", default=None,
                       help="course.toml: deadline, grace, late policy, extensions (see course.example.toml)")
    grade.add_argument("--allow-unsandboxed", action="store_true",
                       help="grade even where student code cannot be confined (no Landlock): it then runs "
                            "with your rights and can read the reference solutions")
    scale_cli.add_engine_arguments(grade)
    add_similarity_options(grade)
    add_overrides_option(grade)
    add_diff_option(grade)
    written_step.add_manual_option(grade)
    grade.set_defaults(handler=grade_class)

    rel = commands.add_parser("release", help="build the student repository")
    rel.add_argument("--out", required=True, help="empty folder, or a checkout of the student repository")
    rel.add_argument("--grader-repo", required=True, help="owner/name of this (instructor's) repository on GitHub")
    rel.add_argument("--grader-ref", default=None, help="commit or tag the students' CI grades with (default: HEAD)")
    rel.add_argument("--starter-repo", required=True,
                     help="owner/name of the public repository this release is published to (the template students "
                          "copy); the notebooks' set-up cell installs the course library from it on Colab")
    rel.add_argument("--starter-ref", default=None,
                     help="branch, tag or commit of --starter-repo to install from (default: its default branch)")
    rel.add_argument("--force", action="store_true", help="replace what --out holds (its .git is kept)")
    rel.add_argument("--allow-dirty", action="store_true",
                     help="build even from uncommitted changes (to try a release out; never publish one: the "
                          "commit it pins does not hold them)")
    rel.set_defaults(handler=release)

    ci = commands.add_parser("ci-report", help="publish a results.json in GitHub Actions")
    classroom.add_arguments(ci)
    ci.set_defaults(handler=classroom.ci_report)

    key = commands.add_parser("answer-key", help="write the assignment's notebooks with the references filled in")
    key.add_argument("out", help="a new or empty folder, outside the assignment folder")
    key.add_argument("--assignment", default=str(ROOT / "assignment"),
                     help="the blank notebooks (default: assignment/)")
    key.add_argument("--force", action="store_true",
                     help="write into a folder that holds files already (same-named notebooks are replaced)")
    key.set_defaults(handler=answer_key)
    scale_cli.add_commands(commands, main, FORMATS)
    add_similarity_command(commands, str(ROOT / "assignment"))
    add_gradescope_command(commands)
    add_post_results_command(commands)
    add_gradebook_command(commands)
    add_diff_command(commands)
    add_export_command(commands)
    add_manual_command(commands, FORMATS)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
