"""The kernel's confinement, applied by ``boot.py`` before any student code or thread exists.

Two processes: a supervisor (the process jupyter_client started) and the kernel, its child.
- The supervisor is the child subreaper of everything below it; when the kernel ends, when the
  grader sends SIGTERM, or when the grader itself is gone, it kills every descendant, daemons
  that called ``setsid`` included. Where no hard process cap applies (root without a pids
  cgroup) it also counts the descendants and stops the kernel past the cap.
- The kernel joins the per-kernel pids cgroup the grader made (when it could), takes resource
  limits, drops root's capabilities, loads a socket filter (``seccomp.py``) and restricts itself
  with Landlock (``landlock.py``) to the paths and ports of the grader's policy.

The policy and what was applied are records of ``confinement_contract.py`` (``boot.py`` reads the
policy and hands in a fresh status). The status is written to the policy's status file through a
descriptor opened before the restriction: student code, which runs later, cannot reopen it.
"""

import ctypes
import json
import os
import signal
import sys
import time
import typing
from pathlib import Path

try:
    import resource
except ImportError:   # Windows: no resource limits; the status says so
    resource = None

if typing.TYPE_CHECKING:   # the kernel gets the records from boot.py, which loads them by file name
    from .confinement_contract import KernelPolicy, SandboxStatus

PR_SET_CHILD_SUBREAPER, PR_CAPBSET_DROP, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 36, 24, 47, 4
POLL_SECONDS = 0.1
WATCH_EVERY = 5           # polls between descendant counts, where no hard cap applies
EXIT_UNCONFINED = 70      # the kernel refused to start: confinement was required and failed


def _libc():
    return ctypes.CDLL(None, use_errno=True)


# ---- the supervisor -----------------------------------------------------------------------
def descendants(root):
    """Every live process below ``root`` (from /proc; parents before their children)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, pending = [], [root]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def _reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def kill_descendants(root=None, rounds=200):
    """SIGKILL everything below ``root`` until nothing is left (a forking process is caught later)."""
    root = root or os.getpid()
    for _ in range(rounds):
        alive = descendants(root)
        if not alive:
            return
        for pid in alive:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _reap()
        time.sleep(0.01)


def start_supervised(policy: "KernelPolicy | None") -> bool:
    """Fork the kernel; in the supervisor, supervise until the end and exit.

    Returns (in the kernel only) whether a supervisor watches it."""
    if not policy or not sys.platform.startswith("linux") or _libc().prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        return False   # no supervisor: the kernel runs in this process
    watch = policy.max_processes if os.getuid() == 0 and not policy.cgroup else 0
    kernel = os.fork()
    if kernel == 0:
        return True
    _supervise(kernel, watch)


def _supervise(kernel, cap):
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # interrupts reach the kernel through its process group
    stop = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.append(True))
    parent, status, polls = os.getppid(), 0, 0
    while not stop and os.getppid() == parent:
        try:
            pid, raw = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == kernel:
            status = os.waitstatus_to_exitcode(raw)
            break
        if pid:
            continue   # an orphan of the kernel's, reaped
        polls += 1
        if cap and polls % WATCH_EVERY == 0 and len(descendants(os.getpid())) > cap:
            sys.stderr.write(f"grader: the kernel started more than {cap} processes and was stopped\n")
            status = 137
            break
        time.sleep(POLL_SECONDS)
    kill_descendants()
    os._exit(status if status >= 0 else 128 - status)


# ---- the kernel's own confinement -------------------------------------------------------------
def _tasks_of(uid):
    """Threads and processes of ``uid`` (RLIMIT_NPROC counts both)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                continue
    return count


def _set_limit(which, value):
    soft, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


def limit_processes(policy: "KernelPolicy", status: "SandboxStatus") -> None:
    cap = policy.max_processes
    if policy.cgroup:
        try:
            Path(policy.cgroup, "cgroup.procs").write_text(str(os.getpid()))
            status.processes = f"at most {cap} in the kernel's pids cgroup"
            return
        except OSError as error:
            status.processes_cgroup_error = str(error)
    if not cap:
        status.processes = "not capped"
    elif os.getuid() != 0:
        _set_limit(resource.RLIMIT_NPROC, _tasks_of(os.getuid()) + cap)
        status.processes = f"at most {cap} more for this user (RLIMIT_NPROC)"
    else:
        status.processes = f"watched: the kernel is stopped past {cap} processes (root, no pids cgroup)"


def limit_resources(policy: "KernelPolicy", status: "SandboxStatus") -> None:
    if policy.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (policy.memory_bytes,) * 2)
    if policy.max_open_files:
        _set_limit(resource.RLIMIT_NOFILE, policy.max_open_files)
        status.open_files = f"at most {policy.max_open_files}"
    if policy.max_file_bytes:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # an oversized write raises instead of killing
        _set_limit(resource.RLIMIT_FSIZE, policy.max_file_bytes)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_capabilities(policy: "KernelPolicy", status: "SandboxStatus") -> None:
    """Root in a kernel keeps uid 0 but loses every capability (modules, raw sockets, ptrace...)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return
    libc = _libc()
    last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())
    for cap in range(last + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    status.capabilities = "dropped" if libc.capset(header, data) == 0 else "could not be dropped"


def landlock_rules(landlock, policy: "KernelPolicy", connection_file):
    """(path, rights) pairs and TCP ports to bind: the whole of the kernel's view of the machine."""
    rules = [(p, landlock.READ_ONLY) for p in policy.read]
    rules += [(p, ("read_dir",)) for p in policy.list_only]
    rules += [(p, landlock.READ_WRITE) for p in policy.read_write]
    rules += [(p, landlock.DEVICE) for p in policy.devices]
    ports = []
    if connection_file:
        rules.append((connection_file, ("read_file",)))
        info = json.loads(Path(connection_file).read_text())
        ports = [info[key] for key in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")
                 if key in info]
    return rules, ports


def restrict(policy: "KernelPolicy", connection_file, status: "SandboxStatus", landlock, seccomp) -> None:
    rules, ports = landlock_rules(landlock, policy, connection_file)
    ruleset = landlock.Ruleset()
    for path, rights in rules:
        ruleset.allow_path(path, rights)
    for port in ports:
        ruleset.allow_port(port, ("bind_tcp",))
    ruleset.restrict()
    applied = ruleset.describe()
    status.abi, status.network_rules = applied["abi"], applied["network_rules"]
    status.signal_scope, status.confined = applied["signal_scope"], True
    try:   # Landlock holds on its own where seccomp filters are not allowed (some containers)
        seccomp.install()
        status.socket_filter = status.INSTALLED
    except OSError as error:
        status.socket_filter = f"not installed: {error}"


def confine(policy: "KernelPolicy | None", connection_file, status: "SandboxStatus", landlock, seccomp) -> None:
    """Apply ``policy`` to this (kernel) process and write what held into ``status`` (a fresh one
    from ``boot.py``, like the sibling modules ``landlock`` and ``seccomp``); exit before any student
    code if confinement was required and failed."""
    if not policy:
        return
    status.kernel_pid = os.getpid()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    status_fd = os.open(policy.status_file, flags, 0o600) if policy.status_file else None
    # Each step on its own: a platform without one (macOS has no /proc, Windows no resource
    # limits) still gets the others, and the status says what failed.
    for step in (limit_processes, limit_resources, drop_capabilities):
        try:
            step(policy, status)
        except Exception as error:
            status.not_applied.append(f"{step.__name__}: {type(error).__name__}: {error}")
    try:
        if policy.confine:
            restrict(policy, connection_file, status, landlock, seccomp)
        else:
            status.reason = "confinement turned off by the grader"
    except Exception as error:
        status.reason = f"{type(error).__name__}: {error}"
    if status_fd is not None:
        os.write(status_fd, status.to_json().encode())
        os.close(status_fd)
    if policy.require and not status.confined:
        sys.stderr.write(f"grader: refusing to run student code unconfined: {status.reason}\n")
        os._exit(EXIT_UNCONFINED)
