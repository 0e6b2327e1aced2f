"""One kernel's fenced space: its folders, environment, policy, cgroup and launch command.

``KernelSession`` (``grader/kernel.py``) runs the notebook; this class owns everything the
sandbox needs around that kernel, from the folders it may write to the moment its last process
is killed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager

from ..kernel_side.confinement_contract import SandboxStatus
from .cgroups import PREFIX, PidsCgroup, stale_entries
from .environment import kernel_environment
from .policy import KernelLimits, kernel_policy
from .support import SandboxUnavailable, sandbox_support

BOOT = Path(__file__).resolve().parents[1] / "kernel_side" / "boot.py"
KERNEL_NAME = "graded-python"


def not_sandboxed_reason(require):
    """None where kernels will be confined; else why not. Raises if confinement is ``require``d."""
    available, detail = sandbox_support()
    if available:
        return None
    if require:
        raise SandboxUnavailable(f"--require-sandbox: {detail}")
    return detail


class KernelFence:
    """Folders: ``work/`` and ``tmp/`` are the kernel's; ``grader/`` (policy, status, connection
    file, the kernel's stderr) is not, and the kernel cannot read it."""

    def __init__(self, limits, env_overrides=None, data_dir=None):
        self.require = limits.require_sandbox
        self.not_sandboxed = not_sandboxed_reason(self.require)
        for stale in stale_entries(tempfile.gettempdir(), PREFIX):   # a killed grader's kernel folders
            shutil.rmtree(stale, ignore_errors=True)
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")
        root = Path(self._tmp.name)
        self.workdir, private_tmp, self.private = root / "work", root / "tmp", root / "grader"
        for folder in (self.workdir, private_tmp, self.private):
            folder.mkdir()
        overrides = dict(env_overrides or {})
        if data_dir is not None:
            overrides["FASHION_MNIST_DIR"] = str(data_dir)
        self.env = kernel_environment(self.workdir, private_tmp, overrides=overrides)
        self.cgroup = PidsCgroup.create(limits.max_processes)
        policy = kernel_policy(self.workdir, private_tmp, data_dir=data_dir, cgroup=self.cgroup,
                               require=self.require, confine=self.not_sandboxed is None,
                               status_file=self.private / "status.json",
                               limits=KernelLimits(memory_bytes=limits.memory_bytes,
                                                   max_processes=limits.max_processes,
                                                   max_open_files=limits.max_open_files))
        self.spec_manager = self._write_kernelspec(root / "spec", policy.write(self.private / "policy.json"))
        self._stderr = None

    def _write_kernelspec(self, directory, policy_file):
        spec_dir = directory / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        # --log-level=ERROR: ipykernel's start-up warnings (TCP without encryption) are not the
        # student's business; the kernel listens on loopback only.
        spec = {"argv": [sys.executable, "-I", str(BOOT), "--policy", str(policy_file),
                         "-f", "{connection_file}", "--log-level=ERROR"],
                "display_name": "graded python", "language": "python", "env": self.env}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        return KernelSpecManager(kernel_dirs=[str(directory / "kernels")])

    def connection_file(self):
        return str(self.private / f"connection-{uuid.uuid4().hex}.json")

    def launch_options(self):
        """Keyword arguments for starting the kernel. The whole environment is given here, or
        jupyter_client would lay the kernelspec's over the grader's own; what the kernel writes to
        its real stdout/stderr goes to a file only the grader reads, never to its terminal."""
        self.close_stderr()
        self._stderr = open(self.private / "kernel-stderr.txt", "ab")
        return {"cwd": str(self.workdir), "env": dict(self.env), "stdout": subprocess.DEVNULL, "stderr": self._stderr}

    def status(self) -> SandboxStatus:
        """What the kernel applied to itself, as it wrote it before any student code ran; where the
        grader did not ask for confinement, its own reason is the reason."""
        return SandboxStatus.load(self.private / "status.json", self.not_sandboxed)

    def start_failure(self, error):
        """Why a kernel did not come up, in words for the report."""
        status = self.status()
        if self.require and not status.confined:
            return f"--require-sandbox: the kernel could not be confined: {status.reason or error}"
        try:
            tail = (self.private / "kernel-stderr.txt").read_text(errors="replace")[-1500:].strip()
        except OSError:
            tail = ""
        return f"{error}" + (f"; the kernel said: {tail}" if tail else "")

    def stop_processes(self, supervisor):
        """Every process of the kernel ends here: the supervisor (a ``Popen``) kills its
        descendants, daemons included; then the cgroup, where there is one, catches the rest."""
        if supervisor is not None and supervisor.poll() is None:
            try:
                supervisor.send_signal(signal.SIGTERM)
                supervisor.wait(timeout=5)
            except Exception:
                pass
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def close_stderr(self):
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def close(self):
        if self.cgroup is not None:
            self.cgroup.remove()
        self.close_stderr()
        self._tmp.cleanup()
