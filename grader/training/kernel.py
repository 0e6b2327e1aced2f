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
from pathlib import Path

from ..kernel import KernelSession
from ..kernel_seam import KernelParts
from ..kernel_side.contract import TrainedModel
from ..notebooks import clear_outputs
from ..probe import Probe
from ..transport import AGENT_MODULES, AGENT_PACKAGE, PACKAGE, install_code, install_order, kernel_side_source

# Read once at import, before any notebook runs, like the agent's own source.
TRAINING_MODULES = install_order("training_loop", kernel_side_source, installed=AGENT_MODULES)
TRAIN_TIMEOUT = 600.0  # seconds for one training run, notebook re-run not included


class TrainingKernel(KernelSession):
    """A ``KernelSession`` whose agent can also train."""

    def install_agent(self) -> None:
        super().install_agent()
        code = install_code(AGENT_PACKAGE, TRAINING_MODULES, "training_loop", "training_op", PACKAGE)
        self.channel.install(code, "the training op", timeout=120)


def train_in_kernel(parts: KernelParts, name: str, fit_args: dict, data_dir: Path, gpu: bool,
                    timeout: float = TRAIN_TIMEOUT) -> TrainedModel:
    """Train the class bound to ``name`` in a fresh kernel built like the grading kernel that ran the
    notebook (``parts``); a ``contract.TrainedModel``. Failures of the student's code arrive as
    ``ProbeFailure``."""
    parts = dataclasses.replace(parts, nb=clear_outputs(copy.deepcopy(parts.nb)))
    env: dict[str, str | None] = {}
    if gpu:
        env["CUDA_VISIBLE_DEVICES"] = os.environ.get("CUDA_VISIBLE_DEVICES")  # as the grader sees it
        parts = dataclasses.replace(parts, limits=dataclasses.replace(parts.limits, memory_bytes=0))
    # The staged folder is all the kernel may read of the data; the sandbox keeps the real test split out.
    kernel = TrainingKernel.from_parts(parts, env_overrides=env, data_dir=data_dir)
    try:
        kernel.start()
        kernel.run_notebook()
        return Probe(kernel, name).train(data_dir, fit_args, timeout)
    finally:
        kernel.close()
