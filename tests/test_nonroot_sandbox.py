"""The sandbox as an ordinary user, as a Slurm job or a CI runner without root runs the grader:
Landlock and the socket filter still confine the kernel, and with no writable pids cgroup the
process cap falls back to RLIMIT_NPROC. A throwaway user runs a grading kernel and reports what
held; the test skips, saying why, where no such user can be made (not root, no useradd/runuser).
A fresh clone often lives under a private folder (mode 700, as CI's and pytest's temporary folders
are): the user is then let through those folders alone, by an ACL entry of its own that the test
removes after, so it reads the checkout and its packages as it would in a shared one.
"""

import json
import os
import pwd
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from grader.sandbox import sandbox_support

REPO = Path(__file__).resolve().parents[1]
available, why_not = sandbox_support()

KERNEL_SCRIPT = r'''
import json, sys
from nbformat.v4 import new_code_cell, new_notebook
from grader.items import kinds_for_kernel
from grader.kernel import ExecutionLimits, KernelSession

port, secret, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cells = [
    f"try:\n    open({secret!r}).read()\n    print('READ')\n"
    "except Exception as e:\n    print('DENIED', type(e).__name__)",
    f"import socket\ntry:\n    socket.create_connection(('127.0.0.1', {port}), timeout=5)\n    print('CONNECTED')\n"
    "except Exception as e:\n    print('REFUSED', type(e).__name__)",
    "import socket\ntry:\n    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n    print('OPENED')\n"
    "except Exception as e:\n    print('FILTERED', type(e).__name__)",
    "import os, time\nkids = []\ntry:\n    for _ in range(2000):\n        pid = os.fork()\n        if pid == 0:\n"
    "            time.sleep(30)\n            os._exit(0)\n        kids.append(pid)\nexcept OSError as e:\n"
    "    print('CAPPED', len(kids), type(e).__name__)\nfor pid in kids:\n    os.kill(pid, 9)\n    os.waitpid(pid, 0)",
    "import os\nprint('UID', os.getuid())",
]
nb = new_notebook(cells=[new_code_cell(c) for c in cells])
limits = ExecutionLimits(cell_timeout=30, total_budget=120, probe_timeout=10, max_processes=32)
kernel = KernelSession(nb, kinds_for_kernel(), limits)
try:
    kernel.start()
    kernel.run_notebook()
    shown = ["".join(o.get("text", "") for o in cell.get("outputs", [])) for cell in nb.cells]
    json.dump({"status": json.loads(kernel.sandbox_status.to_json()), "shown": shown}, open(out, "w"))
finally:
    kernel.close()
'''


def _make_user():
    """A throwaway user's name, or pytest.skip with the reason."""
    if os.geteuid() != 0:
        pytest.skip("not root: cannot create a throwaway user (this test proves the non-root path from root)")
    if not (shutil.which("useradd") and shutil.which("runuser") and shutil.which("userdel")):
        pytest.skip("useradd, runuser or userdel is missing")
    name = f"gt{uuid.uuid4().hex[:8]}"
    made = subprocess.run(["useradd", "--no-create-home", "--shell", "/bin/false", name],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"useradd failed: {made.stderr.strip()}")
    return name


ACL = "system.posix_acl_access"


def _acl_with_traverse(mode, uid):
    """A POSIX ACL (the kernel's xattr form) equal to ``mode`` plus search permission for ``uid``."""
    def entry(tag, perm, qualifier=0xFFFFFFFF):
        return struct.pack("<HHI", tag, perm, qualifier)

    owner, group, other = (mode >> 6) & 7, (mode >> 3) & 7, mode & 7
    return struct.pack("<I", 2) + entry(0x01, owner) + entry(0x02, 1, uid) + entry(0x04, group) + \
        entry(0x10, group | 1) + entry(0x20, other)


def _let_through(user, paths):
    """Give ``user`` search permission on ``paths`` and every folder above them that others cannot search;
    a list of (folder, mode, old ACL or None) for ``_restore``. Nothing else changes: what lies
    below stays as readable as its own modes make it."""
    uid, changed = pwd.getpwnam(user).pw_uid, []
    folders = {folder for path in map(Path, paths) for folder in (path.resolve(), *path.resolve().parents)}
    for folder in sorted(folders):
        mode = folder.stat().st_mode & 0o7777
        if mode & 0o001:
            continue
        try:
            old = os.getxattr(folder, ACL)
        except OSError:
            old = None
        if old is not None:   # an ACL of its own already: left alone (the user may still get through)
            continue
        try:
            os.setxattr(folder, ACL, _acl_with_traverse(mode, uid))
        except OSError:       # no ACLs on this file system: the interpreter check below says so
            continue
        changed.append((folder, mode))
    return changed


def _restore(changed):
    for folder, mode in changed:
        os.removexattr(folder, ACL)
        os.chmod(folder, mode)   # the ACL's mask stood in the group bits


def _interpreter_for(user, folder):
    """This venv's interpreter if the user can run it; else (a pyenv under /root, say) a venv of a
    system interpreter of the same version in ``folder`` that sees this venv's packages through a
    .pth file (kernels get an allowlisted environment, so PYTHONPATH would not reach them)."""
    def runs(python):
        return subprocess.run(["runuser", "-u", user, "--", python, "-c", "import torch, ipykernel"],
                              capture_output=True).returncode == 0

    if runs(sys.executable):
        return sys.executable
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = next((p for p in (f"/usr/bin/{version}", f"/usr/local/bin/{version}") if Path(p).exists()), None)
    if system is None:
        pytest.skip(f"user {user} cannot run {sys.executable} and there is no system {version}")
    venv = folder / "venv"
    made = subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot make a venv of {system} for user {user}: {made.stderr.strip()[-200:]}")
    inner = next((venv / "lib").glob("python3*/site-packages"))
    packages = [p for p in sys.path if p.endswith("site-packages")]
    (inner / "course.pth").write_text("\n".join([str(REPO), *packages]) + "\n")
    python = str(venv / "bin" / "python")
    if not runs(python):
        pytest.skip(f"user {user} cannot import torch and ipykernel through {system}")
    return python


@pytest.mark.skipif(not available, reason=f"no sandbox on this machine: {why_not}")
def test_landlock_socket_filter_and_process_cap_hold_for_an_ordinary_user():
    user = _make_user()
    shared = Path(tempfile.mkdtemp(prefix="nonroot-"))
    server = socket.socket()
    opened = _let_through(user, [REPO, shared.parent, *(p for p in sys.path if p.endswith("site-packages"))])
    try:
        shared.chmod(0o777)
        server.bind(("127.0.0.1", 0))
        server.listen()
        (shared / "kernel.py").write_text(KERNEL_SCRIPT)
        secret = REPO / "solutions" / "sec7_2_cross_correlation.py"
        python = _interpreter_for(user, shared)
        env = {"PATH": "/usr/bin:/bin", "HOME": str(shared), "TMPDIR": str(shared)}
        run = subprocess.run(["runuser", "-u", user, "--", "env", *(f"{k}={v}" for k, v in env.items()),
                              python, str(shared / "kernel.py"), str(server.getsockname()[1]), str(secret),
                              str(shared / "out.json")], cwd=shared, capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stdout + run.stderr
        report = json.loads((shared / "out.json").read_text())
    finally:
        server.close()
        _restore(opened)
        subprocess.run(["userdel", user], capture_output=True)
        shutil.rmtree(shared, ignore_errors=True)
    status, shown = report["status"], report["shown"]
    assert status["confined"] is True, status                       # Landlock
    assert status["socket_filter"] == "installed", status           # seccomp socket filter
    assert "RLIMIT_NPROC" in status["processes"], status            # no pids cgroup for a user: the rlimit
    assert shown[0].startswith("DENIED"), shown[0]
    assert shown[1].startswith("REFUSED"), shown[1]
    assert shown[2].startswith("FILTERED"), shown[2]
    assert shown[3].startswith("CAPPED") and int(shown[3].split()[1]) <= 32, shown[3]
    assert shown[4].strip() != "UID 0", shown[4]
