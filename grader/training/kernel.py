"""A kernel of its own for each training run: the student's notebook again, now with the GPU.

Grading kernels never see a GPU and run under an address-space cap that CUDA cannot start
under. So a training check re-runs the student's notebook in a fresh kernel (the notebook's own
training cells still capped to a couple of batches), with the GPU visible, no address-space cap,
and ``FASHION_MNIST_DIR`` pointing at the staged copy that has no test split; the agent there
also answers the ``train`` op (``kernel_side/training.py``). The kernel is closed as soon as
the weights are back, so the GPU is free for the next check.
"""

import copy
import dataclasses
import os

from ..kernel import KERNEL_SIDE, KernelSession
from ..notebooks import clear_outputs
from ..probe import Probe

# Read once at import, before any notebook runs, like the agent's own source.
TRAINING_SOURCE = (KERNEL_SIDE / "training.py").read_text()
TRAIN_TIMEOUT = 600.0  # seconds for one training run, notebook re-run not included


class TrainingKernel(KernelSession):
    """A ``KernelSession`` whose agent can also train."""

    def _install_agent(self):
        super()._install_agent()
        self._install_module("__grader_training__", TRAINING_SOURCE, "_s.modules['__grader_agent__']",
                             "the training op", filename="<grader training>", timeout=120)


def train_in_kernel(probe, fit_args, data_dir, gpu, timeout=TRAIN_TIMEOUT):
    """Train the class ``probe`` grades in a fresh kernel of its notebook; the decoded reply.

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
        request = {"op": "train", "data_dir": str(data_dir), "recipe": fit_args}
        return Probe(kernel, probe.name)._request(request, timeout=timeout)  # the probe's error handling
    finally:
        kernel.close()
