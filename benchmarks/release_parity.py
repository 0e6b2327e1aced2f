"""Release-local grading against the course's grader, item by item, on the solved homework, the
blank one and every round of tests/mutants.py.

    python benchmarks/release_parity.py [OUT_DIR]

Builds the student release and an interpreter that sees only it (tests/release_env.py), grades each
notebook both ways with ``pytest grader``, and prints one table per notebook: local points / local
maximum, the course's points / maximum for the same public checks, and the points the course keeps
(hidden and answer checks). Any public check whose status or exact points differ is listed under the
table; the last line says how many differ in all.
"""

import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from mutants import rounds, solved_homework  # noqa: E402
from notebook_factory import write_notebook  # noqa: E402
from release_env import build_release_env, compare, grade_both_ways  # noqa: E402
from shared_gradings import blank_homework  # noqa: E402


def submissions():
    yield "solved", solved_homework()
    yield "blank", blank_homework()
    for number, mutants in enumerate(rounds()):
        yield f"mutants-{number}", solved_homework([(item, source) for item, _, source in mutants])


def table(name, rows, seconds):
    lines = [f"\n## {name} ({seconds:.0f} s)", f"{'item':<34} {'local':>15} {'course (public)':>17} {'kept':>6}"]
    for item, (got, full, ci_got, ci_full, kept) in rows.items():
        lines.append(f"{item:<34} {float(got):>6.2f} / {float(full):<6.2f} {float(ci_got):>7.2f} / "
                     f"{float(ci_full):<7.2f} {float(kept):>6.2f}")
    total = [sum(row[k] for row in rows.values()) for k in range(5)]
    lines.append(f"{'total':<34} {float(total[0]):>6.2f} / {float(total[1]):<6.2f} {float(total[2]):>7.2f} / "
                 f"{float(total[3]):<7.2f} {float(total[4]):>6.2f}")
    return "\n".join(lines)


def main(out=None):
    out = Path(out or tempfile.mkdtemp(prefix="release-parity-"))
    env = build_release_env(out)
    differing = 0
    for name, cells in submissions():
        started = time.perf_counter()
        notebook = write_notebook(out / name / "homework.ipynb", *cells)
        instructor, local = grade_both_ways(env, notebook, out / name)
        rows, differences = compare(instructor, local)
        print(table(name, rows, time.perf_counter() - started), flush=True)
        print("\n".join(f"  DIFFERS {d}" for d in differences) or "  every public check agrees", flush=True)
        differing += len(differences)
    print(f"\n{differing} public checks differ in all")
    return differing


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1] if len(sys.argv) > 1 else None) else 0)
