"""Kernel launcher: ``python -I boot.py --policy POLICY.json -f CONNECTION_FILE ...``.

Runs before any student code. The process jupyter_client starts becomes a small *supervisor*
that never runs student code: it is the child subreaper of everything the kernel starts, so a
process that double-forks or calls ``setsid`` is still its descendant, and it kills them all when
the kernel ends or the grader asks it to stop (SIGTERM). Its one child is the kernel proper,
which, before importing ipykernel or starting any thread, joins its process cgroup, takes its
resource limits and confines itself with Landlock (``confinement.py``), then hands over to ipykernel.
The policy it reads and the status it writes are records of ``confinement_contract.py``.
"""

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
HIDDEN = {"solutions", "grader"}


class HideGraderPackages:
    """Meta-path finder that makes the grader's own packages unimportable in the kernel."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def _load_sibling(name):
    """``python -I`` leaves this folder off sys.path, so load the helper by file name."""
    spec = importlib.util.spec_from_file_location(f"_grader_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _take_policy(argv):
    """Remove ``--policy PATH`` from argv (ipykernel must not see it); the path, or None."""
    if "--policy" not in argv:
        return None
    at = argv.index("--policy")
    path = argv[at + 1]
    del argv[at:at + 2]
    return path


def _connection_file(argv):
    return argv[argv.index("-f") + 1] if "-f" in argv else None


def main():
    records = _load_sibling("confinement_contract")
    path = _take_policy(sys.argv)
    policy = records.KernelPolicy.load(path) if path else None
    confinement = _load_sibling("confinement")
    supervised = confinement.start_supervised(policy)   # returns only in the kernel process
    confinement.confine(policy, _connection_file(sys.argv), records.SandboxStatus(supervised=supervised),
                        _load_sibling("landlock"), _load_sibling("seccomp"))
    sys.meta_path.insert(0, HideGraderPackages())
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
