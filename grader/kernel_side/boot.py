"""Kernel launcher: ``python -I boot.py -f CONNECTION_FILE``.

Runs before any student code, in the kernel process: hides the grader and the reference
solutions from imports, caps memory, then hands over to ipykernel.
"""

import os
import resource
import sys

HIDDEN = {"solutions", "grader"}


class HideGraderPackages:
    """Meta-path finder that makes the grader's own packages unimportable in the kernel."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def main():
    sys.meta_path.insert(0, HideGraderPackages())
    limit = int(os.environ.get("GRADER_KERNEL_MEMORY_BYTES", "0") or 0)
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
