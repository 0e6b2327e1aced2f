"""A kernel of its own for each training run: the student's notebook again, now with the GPU.

Grading kernels never see a GPU and run under an address-space cap that CUDA cannot start
under. So a training check re-runs the student's notebook in a fresh kernel (the notebook's own
training cells still capped to a couple of batches), with the GPU visible, no address-space cap,
and ``FASHION_MNIST_DIR`` pointing at the staged copy that has no test split; the agent there
also answers the ``train`` op (``kernel_side/training_loop.py``). The kernel is closed as soon as
the weights are back, so the GPU is free for the next check.
"""

import copy
import dataclasses
import os

from ..kernel import KernelSession
from ..notebooks import clear_outputs
from ..probe import Probe
from ..transport import AGENT_PACKAGE, KERNEL_SIDE, install_code

# Read once at import, before any notebook runs, like the agent's own source.
TRAINING_MODULES = {"training_loop": (KERNEL_SIDE / "training_loop.py").read_text()}
TRAIN_TIMEOUT = 600.0  # seconds for one training run, notebook re-run not included


class TrainingKernel(KernelSession):
    """A ``KernelSession`` whose agent can also train."""

    def install_agent(self):
        super().install_agent()
        code = install_code(AGENT_PACKAGE, TRAINING_MODULES, "training_loop", ("training_op", "_p"))
        self.channel.install(code, "the training op", timeout=120)


def train_in_kernel(probe, fit_args, data_dir, gpu, timeout=TRAIN_TIMEOUT):
    """Train the class ``probe`` grades in a fresh kernel of its notebook; a ``contract.TrainedModel``.

    ``probe.session`` is the grading kernel that ran the notebook; its notebook, watched names
    and limits are reused. Failures of the student's code arrive as ``ProbeFailure``.
    """
    grading = probe.session
    nb = clear_outputs(copy.deepcopy(grading.nb))
    env, limits = {}, grading.limits
    if gpu:
        env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES")  # as the grader sees it
        limits = dataclasses.replace(limits, memory_bytes=0)
    # The staged folder is all the kernel may read of the data; the sandbox keeps the real test split out.
    kernel = TrainingKernel(nb, grading.kinds, limits, env_overrides=env, data_dir=data_dir)
    try:
        kernel.start()
        kernel.run_notebook()
        return Probe(kernel, probe.name).train(data_dir, fit_args, timeout)
    finally:
        kernel.close()
