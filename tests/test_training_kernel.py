"""The whole training check through real kernels, on a CPU with a small learnable data set:
an honest LeNet passes on the grader's own measurement; a kernel that fakes its answer, or
fakes its training, gains nothing."""

from dataclasses import replace

import pytest
from notebook_factory import IMPORTS, QUICK, write_notebook
from test_training_check import N_EASY, write_gray_levels
from test_training_check import QUICK as QUICK_RECIPE

from grader.checks.trained_accuracy import training_check
from grader.scoring import run_check
from grader.session import GradingSession
from grader.training.recipes import RECIPES
from solutions.fill import reference_definitions

pytestmark = pytest.mark.filterwarnings("ignore::d2l.fashion_mnist.FashionMNISTChecksumWarning")

RECIPE = replace(RECIPES["LeNet"], epochs=1, pass_mark=0.4, calibration="a CPU test's mark", **QUICK_RECIPE)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return write_gray_levels(tmp_path_factory.mktemp("gray-kernel"), n_train=N_EASY, n_test=500)


def check_notebook(tmp_path, data_root, *cells, lenet=None):
    nb = write_notebook(tmp_path / "7.6-lenet.ipynb", IMPORTS, lenet or reference_definitions()["LeNet"], *cells)
    check = training_check("LeNet_training", RECIPE, device="cpu", data_root=data_root, timeout=300, skip_reason=None)
    session = GradingSession(nb, QUICK).start()
    try:
        return run_check(session, check)
    finally:
        session.close()


def test_honest_lenet_passes_on_the_graders_measurement(tmp_path, data_root):
    result = check_notebook(tmp_path, data_root)
    assert result.status == "passed", result.feedback
    assert result.points == result.max_points == 2
    assert "measured by the grader on the 500 test images" in result.feedback


@pytest.mark.parametrize("cheat, says", [
    # the kernel answers the train request itself with a perfect score
    ("import sys\nsys.modules['__grader_agent__'].agent.op_train = "
     "lambda request: {'accuracy': 1.0, 'val_acc': 1.0, 'layers': 'trust me'}",
     "did not send back trained weights"),
    # the course trainer "trains" instantly and reports perfection
    ("d2l.Trainer.fit = lambda self, model, data: [{'epoch': 1, 'train_loss': 0.01, 'val_acc': 1.0}]",
     "(not scored): train_loss 0.010, val_acc 1.000"),
], ids=["fake-reply", "fake-training"])
def test_faked_answers_gain_nothing(tmp_path, data_root, cheat, says):
    result = check_notebook(tmp_path, data_root, cheat)
    assert result.status == "failed" and result.points == 0, result.feedback
    assert says in result.feedback


def test_a_lenet_without_lr_is_told_how_the_training_check_builds_it(tmp_path, data_root):
    from mutants import PARAMETER_MUTANTS

    (no_lr,) = [source for item, parameter, _, source in PARAMETER_MUTANTS if (item, parameter) == ("LeNet", "lr")]
    result = check_notebook(tmp_path, data_root, lenet=no_lr)
    assert result.status == "failed" and result.points == 0
    assert (f"builds `LeNet(lr={RECIPE.lr})`" in result.feedback
            and "unexpected keyword argument 'lr'" in result.feedback)
