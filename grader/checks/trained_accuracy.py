"""The graded training checks: train the student's class, score its weights, compare with the pass mark.

They run only on a machine with a CUDA GPU and only when asked (``pytest grader --train``);
elsewhere they are skipped with the reason (0 of 0 points), so the rest of the grade is the same
on every machine.
"""

import time

import torch

from d2l.fashion_mnist import FashionMNISTError

from ..compare import shown_error
from ..oracles import reference
from ..probe import RAISED, UNREADABLE, ProbeFailure
from ..training.data import stage
from ..training.measure import accuracy
from ..training.recipes import RECIPES
from ..training.trusted import load_trained, reported, trusted_model
from .base import Check, CheckFailed, CheckSkipped
from .interfaces import about_interface

NO_GPU = "needs a CUDA GPU (none here); run `pytest grader --train` on a GPU machine"
NOT_ASKED = "training checks are opt-in: run `pytest grader --train` (a few minutes of GPU per student)"


def cuda_missing() -> str | None:
    """Why this process cannot train on a GPU, in words an instructor can act on, or None. The GPU
    path (``pytest grader --require-gpu``) stops on it, where a skip would pass for a grade."""
    if torch.cuda.is_available():
        return None
    if torch.version.cuda is None:
        return (f"the installed torch {torch.__version__} is a CPU-only build; install a CUDA build "
                f"(make clean setup TORCH_BUILD=cuda)")
    return f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA device (driver, CUDA_VISIBLE_DEVICES)"


def gpu_skip_reason(session: object) -> str | None:
    """Why a training check cannot run in this grading run: no GPU, or the run did not ask for
    training. Asking is the run's own (``GradingSession.train``, set by ``pytest grader --train``);
    a session that does not say (the check cell's) never trains."""
    if not torch.cuda.is_available():
        return NO_GPU
    if not getattr(session, "train", False):
        return NOT_ASKED
    return None


def training_check(item, recipe, device="cuda", data_root=None, timeout=None, skip_reason=gpu_skip_reason):
    """Train ``recipe.model`` as the student wrote it; pass when the grader-measured test accuracy
    reaches ``recipe.pass_mark``. ``device``, ``data_root`` and ``skip_reason`` let tests run it on a CPU;
    ``timeout`` defaults to the training kernel's ``TRAIN_TIMEOUT``."""

    def run(probe):
        # imported only when training runs: a notebook's check cell loads this table without the
        # kernel machinery (nbclient, jupyter_client), which a light install does not have
        from ..training.kernel import TRAIN_TIMEOUT, train_in_kernel

        try:
            staged = stage(data_root)
        except FashionMNISTError as missing:
            raise CheckSkipped(f"the training check needs the Fashion-MNIST files: {missing}") from None
        trusted = trusted_model(reference(recipe.model), recipe.resize)  # skips where solutions/ is absent
        parts = probe.kernel.parts
        if parts is None:   # a notebook's own kernel (d2l.check): the grader cannot build another like it
            raise CheckSkipped("the training check runs in the grader's own kernels (`pytest grader --train`)")
        started = time.perf_counter()
        try:
            reply = train_in_kernel(parts, probe.name, recipe.fit_args(device), staged.directory,
                                    device == "cuda", timeout or TRAIN_TIMEOUT)
        except ProbeFailure as failure:
            if failure.kind == UNREADABLE:
                raise CheckFailed(f"your kernel did not send back trained weights ({failure.message}); "
                                  "nothing was scored") from None
            if failure.kind == RAISED and about_interface(failure.message, recipe.model):
                raise CheckFailed(f"the training check builds `{recipe.model}(lr={recipe.lr})`, as the book's "
                                  f"training cells do, and that raised {shown_error(failure.message)}: keep lr (and "
                                  "num_classes) in your class's `__init__`") from None
            raise
        seconds = time.perf_counter() - started
        load_trained(trusted, reply)
        measured = accuracy(trusted, staged.test, recipe.resize, device)
        text = (f"test accuracy {measured:.3f} after {recipe.epochs} epochs, measured by the grader on the "
                f"{len(staged.test):,} test images your kernel never saw; pass mark {recipe.pass_mark:.3f} "
                f"({recipe.calibration}). Notebook re-run and training took {seconds:.0f} s.")
        figures = reported(reply)
        if figures:
            text += f" Your kernel's own last epoch (not scored): {figures}."
        if measured < recipe.pass_mark:
            raise CheckFailed(text + " Compare your layers, activations and initialisation with the book's.")
        return text

    title = f"test accuracy after the book's {recipe.epochs}-epoch training"
    return Check(item=item, title=title, run=run, helpers=(), skip_reason=skip_reason)


CHECKS = [
    training_check("LeNet_training", RECIPES["LeNet"]),
    training_check("ResNet18_training", RECIPES["ResNet18"]),
]
