"""A pytest plugin for the class-grading tests: the grader crashes (exits without results) the
first time it grades a submission whose path holds "crashy", as a killed or broken grading would.
It remembers the crash in $CRASH_ONCE_DIR, so the retry grades normally."""

import os
import sys
from pathlib import Path


def pytest_configure(config):
    flags = os.environ.get("CRASH_ONCE_DIR")
    if not flags or not any("crashy" in arg for arg in sys.argv):
        return
    flag = Path(flags) / "crashed"
    if not flag.exists():
        flag.parent.mkdir(parents=True, exist_ok=True)
        flag.write_text("crashed once\n")
        os._exit(3)
