"""``manual SHEET… --out CLASS_OUT``: read filled score sheets of the written questions into
``manual/scores.json`` (all or nothing), then write results.json, the feedback and the gradebook
again from what is stored, grading nothing (as ``gradebook`` does, the written scores added)."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .course_file import CourseFileError
from .late_gradebook import apply_stored
from .overrides import OverridesError
from .rebuild import StoredClassError, apply_to_outcomes, rebuild, stored_outcomes
from .written_results import update_results
from .written_step import before_grading, written_class


def manual(args: argparse.Namespace) -> int:
    """Check the overrides and course file the rebuild will read, then read the sheets (all or
    nothing), put the scores into each results.json and rebuild as ``gradebook`` does."""
    out = Path(args.out)
    try:
        outcomes, _, _ = stored_outcomes(out)
        if args.overrides:
            apply_to_outcomes(outcomes, args.overrides)
        if args.course:
            apply_stored(args.course, outcomes, out)
    except (StoredClassError, OverridesError, CourseFileError) as error:
        print(f"manual: {error}", file=sys.stderr)
        return 2
    problem = before_grading(argparse.Namespace(manual=args.sheets), out)
    if problem:
        print(f"manual: {problem}", file=sys.stderr)
        return 2
    written = written_class(out)
    for outcome in outcomes:
        if outcome.student in written.scores:
            update_results(outcome.folder / "results.json", written.scores[outcome.student])
    unscored = sum(s.points is None for scores in written.scores.values() for s in scores)
    print(f"manual: {unscored} written answers still to be read", file=sys.stderr)
    return rebuild(argparse.Namespace(class_out=str(out), overrides=args.overrides, course=args.course,
                                      format=args.format))


def add_command(commands: "argparse._SubParsersAction[argparse.ArgumentParser]", formats: Sequence[str]) -> None:
    command = commands.add_parser("manual", help="read filled score sheets of the written questions and rebuild the "
                                                 "gradebook, feedback and results.json (grades nothing)")
    command.add_argument("sheets", nargs="+", help="filled CSV sheets from --out's written/ folder")
    command.add_argument("--out", required=True, help="the --out folder of grade-class")
    command.add_argument("--overrides", default=None, help="as for grade-class (kept in the rebuilt gradebook)")
    command.add_argument("--course", default=None, help="as for grade-class (late penalties in the rebuilt gradebook)")
    command.add_argument("--format", choices=formats, default="md", help="feedback report format (default md)")
    command.set_defaults(handler=manual)
