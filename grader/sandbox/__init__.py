"""Step 3a of the pipeline: the fence around every kernel that runs student code.

``fence`` owns one kernel's fenced space and launch; ``policy`` says what a kernel may read and
write, ``environment`` what it inherits, ``cgroups`` how its processes are capped and killed;
``kernel_side/confinement.py`` applies them inside the kernel before any student code runs.
``support`` says whether this machine can confine at all.
"""

from .support import SandboxUnavailable, sandbox_support

__all__ = ["SandboxUnavailable", "sandbox_support"]
