"""The real training checks on the solved notebooks: a CUDA GPU and the real Fashion-MNIST files.

Skipped elsewhere with the reason. Run on a GPU machine with
``FASHION_MNIST_DIR=... pytest tests/test_training_gpu.py -m gpu -s`` to see accuracies and times.
"""

import time
from pathlib import Path

import nbformat
import pytest
import torch

from d2l import fashion_mnist
from grader.checks import trained_accuracy as training
from grader.kernel import ExecutionLimits
from grader.scoring import run_check
from grader.session import GradingSession
from solutions.fill import solved

ASSIGNMENT = Path(__file__).resolve().parents[1] / "assignment"
LIMITS = ExecutionLimits(cell_timeout=300, total_budget=900, probe_timeout=120)

pytestmark = [
    pytest.mark.gpu, pytest.mark.realdata,
    pytest.mark.skipif(not torch.cuda.is_available(), reason=training.NO_GPU),
    pytest.mark.filterwarnings("ignore::d2l.fashion_mnist.FashionMNISTChecksumWarning"),
]


@pytest.fixture
def real_data():
    try:
        fashion_mnist.load(download=False)
    except fashion_mnist.FashionMNISTError as missing:
        pytest.skip(f"real Fashion-MNIST files not found: {missing}")


@pytest.mark.parametrize("notebook, item", [("7.6-lenet.ipynb", "LeNet_training"),
                                            ("8.6-resnet.ipynb", "ResNet18_training")])
def test_solved_notebook_passes_its_training_check(tmp_path, real_data, notebook, item):
    nb = solved(nbformat.read(str(ASSIGNMENT / notebook), as_version=4))
    nbformat.write(nb, str(tmp_path / notebook))
    check = next(c for c in training.CHECKS if c.item == item)
    session = GradingSession(tmp_path / notebook, LIMITS, train=True).start()
    try:
        started = time.perf_counter()
        result = run_check(session, check)
        print(f"\n{item}: {result.status} in {time.perf_counter() - started:.0f} s: {result.feedback}")
    finally:
        session.close()
    assert result.status == "passed", result.feedback
