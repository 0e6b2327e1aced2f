"""A pids cgroup per kernel, where the grader may make one: a hard cap on processes, and a way
to kill every process of a kernel at once, daemons that escaped the supervisor included.

Root (or a delegated cgroup v2 subtree) can; an unprivileged grader usually cannot, and then the
kernel falls back to RLIMIT_NPROC (``kernel_side/confinement.py``).
"""

import os
import signal
import time
import uuid
from pathlib import Path

PREFIX = "grader-kernel-"   # + the grader's pid: what a later grader may sweep once that pid is gone


def stale_entries(directory, prefix):
    """Entries ``<prefix><pid>-...`` of ``directory`` whose grader process no longer exists."""
    found = []
    try:
        entries = list(Path(directory).iterdir())
    except OSError:
        return found
    for entry in entries:
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if entry.name.startswith(prefix) and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            found.append(entry)
    return found


def _mounts():
    """(mount point, filesystem type, super options) of every cgroup mount."""
    rows = []
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return rows
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            rows.append((fields[4], tail[0], tail[2].split(",")))
    return rows


def _own_paths():
    """{controller or '' for v2: this process's cgroup path}."""
    paths = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for name in controllers.split(",") if controllers else [""]:
                paths[name] = path
    except OSError:
        pass
    return paths


def _parent_directory():
    """The cgroup folder under which this process may create a pids-limited child, or None."""
    own = _own_paths()
    for mount, kind, options in _mounts():
        if kind == "cgroup" and "pids" in options and "pids" in own:
            parent = Path(mount + own["pids"])
            if os.access(parent, os.W_OK):
                return parent
    for mount, kind, _ in _mounts():
        if kind == "cgroup2" and "" in own:
            parent = Path(mount + own[""])
            try:
                if "pids" not in (parent / "cgroup.subtree_control").read_text().split():
                    (parent / "cgroup.subtree_control").write_text("+pids")
                return parent
            except OSError:
                continue
    return None


class PidsCgroup:
    """One kernel's cgroup: ``create`` returns None where the machine does not let the grader make one."""

    def __init__(self, path, max_pids):
        self.path, self.max_pids = path, max_pids

    @classmethod
    def create(cls, max_pids):
        parent = _parent_directory()
        if parent is None:
            return None
        for stale in stale_entries(parent, PREFIX):   # left by a grader that was killed
            cls(stale, 0).remove()
        path = parent / f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_pids))
        except OSError:
            try:
                path.rmdir()
            except OSError:
                pass
            return None
        return cls(path, max_pids)

    def pids(self):
        try:
            return [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self, rounds=200):
        """SIGKILL every process in the cgroup until it is empty (its cap bounds a fork loop)."""
        kill_file = self.path / "cgroup.kill"
        if kill_file.exists():
            try:
                kill_file.write_text("1")
            except OSError:
                pass
        for _ in range(rounds):
            alive = self.pids()
            if not alive:
                return True
            for pid in alive:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.01)
        return not self.pids()

    def remove(self):
        self.kill_all()
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)   # killed processes take a moment to leave
