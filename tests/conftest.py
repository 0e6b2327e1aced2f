"""Shared fixtures: small data sets that tests make themselves (real data is never required);
the ``kernel`` marker, so a fast loop (``make test-fast``) can leave out every test that starts one."""

import shlex
import subprocess
from pathlib import Path

import pytest
import torch

from d2l import torch as d2l
from d2l.fashion_mnist_fetch import MIRROR_VAR

# Tests that start a Jupyter kernel, in this process or through a `pytest grader` or `grade-class`
# they run: a file's name marks all its tests, "file::test" one test (every parametrisation). A
# test elsewhere that takes the shared gradings is marked too.
KERNEL_TESTS = {
    "test_alternatives.py", "test_book_code.py", "test_cell_failures.py", "test_check_cell.py",
    "test_grade_of_record.py", "test_grader_assignment.py", "test_grader_trust.py", "test_gradescope.py",
    "test_grading_data.py", "test_hangs.py", "test_hosted_install.py", "test_instructor_batch.py",
    "test_instructor_gpus.py", "test_instructor_release.py", "test_instructor_scale.py", "test_item_selection.py",
    "test_library_copies.py", "test_library_location.py", "test_messages.py", "test_mutants.py",
    "test_nonroot_sandbox.py", "test_notebooks.py", "test_parameters.py", "test_release_parity.py",
    "test_sandbox.py", "test_setup_cell.py", "test_similarity.py", "test_training_gpu.py",
    "test_training_kernel.py",
    "test_receipts.py::test_pytest_grader_writes_the_receipt_beside_results_json",
    "test_workflow_trust.py::test_the_release_publishes_feedback_with_its_own_code",
    "test_workflows.py::test_the_gpu_path_stops_where_cuda_is_absent",
    "test_workflows.py::test_grading_job_commands_run_here",
}
# Tests that spend a minute or more of CPU in this process (training a model, checking whole models
# on the grader's side): in the default suite, but not in the fast loop.
HEAVY_TESTS = {
    "test_training_check.py::test_lenet_beats_chance_by_far_in_one_epoch",
    "test_training_check.py::test_resnet18_overfits_a_small_batch",
    "test_trainer.py::test_lenet_learns_far_above_chance",
    "test_trainer.py::test_history_has_one_row_per_epoch_with_the_d2l_metrics",
    "test_checks_helpers.py::test_a_subclass_of_a_broken_base_is_graded_on_the_reference_base",
    "test_checks_helpers.py::test_a_helper_of_a_helper_is_the_reference_too",
    "test_checks_helpers.py::test_a_subclass_calling_its_base_by_name_is_graded_on_the_reference_base",
}


def _listed(item, names):
    return item.path.name in names or f"{item.path.name}::{getattr(item, 'originalname', item.name)}" in names


def pytest_collection_modifyitems(items):
    for item in items:
        if _listed(item, KERNEL_TESTS) or "graded_homework" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kernel)
        if _listed(item, HEAVY_TESTS):
            item.add_marker(pytest.mark.heavy)


def _starts_a_kernel(args):
    """Whether a command line starts a kernel, a ``pytest grader`` or a ``grade-class``."""
    tokens = [str(a) for a in args] if isinstance(args, (list, tuple)) else shlex.split(str(args))
    names = {Path(token).name for token in tokens}
    runs_pytest = "pytest" in names or "-mpytest" in names
    return "ipykernel_launcher" in names or "grade-class" in names or (runs_pytest and "grader" in names)


@pytest.fixture(autouse=True)
def kernels_only_where_marked(request, monkeypatch):
    """In a run that leaves kernel tests out, a test that starts a kernel (or a grading, which
    would) fails naming the list it is missing from, rather than quietly making the fast loop slow."""
    if request.node.get_closest_marker("kernel") or "not kernel" not in request.config.option.markexpr:
        return
    from jupyter_client.manager import KernelManager

    def refuse(*args, **kwargs):
        raise AssertionError(f"{request.node.nodeid} starts a kernel: add it to KERNEL_TESTS in tests/conftest.py")

    class Refusing(subprocess.Popen):
        def __init__(self, args, *rest, **kwargs):
            if _starts_a_kernel(args):
                refuse()
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(KernelManager, "_async_launch_kernel", refuse)
    monkeypatch.setattr(subprocess, "Popen", Refusing)


@pytest.fixture(autouse=True)
def no_fashion_mnist_downloads(monkeypatch, tmp_path_factory):
    """The grader downloads missing Fashion-MNIST files before kernels start; in tests its source
    is a folder that does not exist, so no test reaches the network (a test may set its own)."""
    nowhere = tmp_path_factory.getbasetemp() / "no-fashion-mnist-mirror"
    monkeypatch.setenv(MIRROR_VAR, nowhere.as_uri() + "/")


class PatchClasses(d2l.DataModule):
    """Ten classes, each a bright 7x7 patch at its own place on a faint noisy 28x28 image.

    Learnable in a few hundred steps by any sound CNN, so a trainer test can demand far
    better than chance without touching Fashion-MNIST.
    """

    def __init__(self, n_train=2000, n_val=500, batch_size=32, seed=0):
        super().__init__()
        self.save_hyperparameters()
        generator = torch.Generator().manual_seed(seed)
        self.train = self._make(n_train, generator)
        self.val = self._make(n_val, generator)

    @staticmethod
    def _make(n, generator):
        labels = torch.randint(0, 10, (n,), generator=generator)
        images = 0.3 * torch.rand(n, 1, 28, 28, generator=generator)
        for k in range(10):
            row, col = divmod(k, 4)
            images[labels == k, :, row * 7 : (row + 1) * 7, col * 7 : (col + 1) * 7] += 1.0
        return images, labels

    def get_dataloader(self, train):
        return self.get_tensorloader(self.train if train else self.val, train)


@pytest.fixture
def patch_classes():
    torch.manual_seed(0)
    return PatchClasses()


@pytest.fixture(scope="session")
def graded_homework(tmp_path_factory):
    """``graded_homework(cells)``: the whole homework graded once per session (shared_gradings.py)."""
    from shared_gradings import GradingCache

    return GradingCache(tmp_path_factory.mktemp("shared-gradings"))


@pytest.fixture(scope="session")
def released(tmp_path_factory):
    """The student release the release and workflow tests read (never write): built once."""
    from release_env import RELEASE_ARGS

    from grader.instructor.release import build_release

    out = tmp_path_factory.mktemp("student-repo")
    build_release(out, **RELEASE_ARGS)
    return out
