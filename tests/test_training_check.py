"""The training check's parts on a CPU: the recipe learns, weights cross the wire into a trusted
copy that the grader scores itself, odd replies score nothing, and the GPU gate skips with its
reason. Through real kernels: test_training_kernel.py; the real runs on a GPU: test_training_gpu.py."""

import json
import re

import numpy as np
import pytest
import torch
from idx_files import write_fashion_mnist
from torch import nn

from d2l import fashion_mnist, fashion_mnist_fetch
from d2l import torch as d2l
from d2l.idx import write_idx
from grader.checks import trained_accuracy as training
from grader.checks.base import CheckFailed
from grader.kernel_side.codec import Odd, WireError, from_wire, to_wire
from grader.kernel_side.contract import TrainedModel
from grader.kernel_side.training_loop import fit, layers_in_call_order
from grader.session import GradingSession
from grader.training.data import stage
from grader.training.measure import accuracy
from grader.training.recipes import RECIPES
from grader.training.trusted import load_trained, trusted_model
from solutions.sec7_6_lenet import LeNet
from solutions.sec8_6_resnet import ResNet18

pytestmark = pytest.mark.filterwarnings("ignore::d2l.fashion_mnist.FashionMNISTChecksumWarning")
pytest_plugins = ["pytester"]   # runs the grader's plugin on a small test file below

# The book's LeNet (sigmoid after every layer) sits on a plateau at chance for its first few
# hundred SGD steps, even on the real data with the book's settings (one epoch of Fashion-MNIST
# at lr 0.1 still scores 0.10). At lr 0.9, batch 64, on the easy images below, a plain loop
# passed 0.3 training accuracy within 674 steps for each of 8 seeds; one epoch here is 1,250
# steps, after which the test below measures 0.5 (these classes are learnt a few at a time).
QUICK = {"lr": 0.9, "batch_size": 64}
N_EASY = 85_000  # 80,000 to train on once the staged copy holds out 5,000 for validation


def write_gray_levels(directory, n_train, n_test, seed=0):
    """Ten classes told apart by overall brightness (like Fashion-MNIST's garments, only easier)."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.permutation(np.arange(n) % 10)
        images = rng.integers(0, 30, size=(n, 28, 28), dtype=np.uint8) + (labels * 25).astype(np.uint8)[:, None, None]
        write_idx(directory / f"{prefix}-images-idx3-ubyte", images)
        write_idx(directory / f"{prefix}-labels-idx1-ubyte", labels)
    return directory


@pytest.fixture(scope="module")
def gray_levels(tmp_path_factory):
    return write_gray_levels(tmp_path_factory.mktemp("gray"), n_train=N_EASY, n_test=1000)


def over_the_wire(reply):
    """What the grader reads when the kernel's ``train`` op returns ``reply`` (a record or anything else)."""
    return from_wire(json.loads(json.dumps(to_wire(reply, TrainedModel))), TrainedModel)


def reply_from(model, resize):
    """The reply the kernel's ``train`` op makes for a trained ``model``, as the grader decodes it."""
    layers = layers_in_call_order(model, type(model), 0.1, resize)
    return over_the_wire(TrainedModel(layers=layers, history=[{"val_acc": 1.0}]))


# ---- data: the kernel's copy has no test split ----------------------------------------------
def test_staged_copy_holds_training_images_only(tmp_path):
    source = write_gray_levels(tmp_path / "source", n_train=300, n_test=100)
    staged = stage(source, val_size=50)
    train, test = fashion_mnist.load(source)
    seen = d2l.FashionMNIST(root=staged.directory, download=False)
    assert len(seen.train) == staged.train_size == 250 and len(seen.val) == 50

    def as_rows(images):
        return {bytes(row) for row in images.reshape(len(images), -1).numpy()}

    assert as_rows(seen.train.images) | as_rows(seen.val.images) == as_rows(train.images)
    assert not as_rows(seen.train.images) & as_rows(seen.val.images)
    assert not as_rows(test.images) & (as_rows(seen.train.images) | as_rows(seen.val.images))
    assert torch.equal(staged.test.images, test.images)  # the grader keeps the test split


def test_missing_data_skips_with_where_to_put_it(tmp_path, monkeypatch):
    from grader.checks.base import CheckSkipped

    check = training.training_check("LeNet_training", RECIPES["LeNet"], device="cpu", data_root=tmp_path / "none",
                                    skip_reason=None)
    monkeypatch.setattr(fashion_mnist_fetch, "download",
                        lambda directory, name: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(CheckSkipped, match="FASHION_MNIST_DIR"):
        check.run(probe=None)


# ---- the recipe learns (CPU smoke versions of the GPU runs) ---------------------------------
def test_lenet_beats_chance_by_far_in_one_epoch(gray_levels):
    staged = stage(gray_levels)
    model, history = fit(LeNet, staged.directory, epochs=1, resize=28, **QUICK)
    assert len(history) == 1 and history[0]["val_loss"] < 1.5  # it starts at ln 10 = 2.3
    assert accuracy(model, staged.test, 28) >= 0.4  # chance is 0.1; measured the grader's way


def test_resnet18_overfits_a_small_batch(tmp_path):
    write_fashion_mnist(tmp_path / "noise", n_train=12, n_test=4)  # random pixels, so memorising only
    staged = stage(tmp_path / "noise", val_size=4)                    # one batch of 8 to train on
    _, history = fit(ResNet18, staged.directory, lr=0.01, epochs=6, batch_size=8, resize=64)
    losses = [row["train_loss"] for row in history]
    assert losses[-1] < 0.25 * losses[0], losses


def test_channels_last_and_bf16_autocast_reach_the_layers(gray_levels):
    model, _ = fit(LeNet, gray_levels, epochs=1, resize=28, batch_size=128, lr=0.1, train_limit=256,
                   channels_last=True, autocast=True)
    conv = [m for m in model.modules() if isinstance(m, nn.Conv2d)][1]  # 6 -> 16 channels
    assert conv.weight.is_contiguous(memory_format=torch.channels_last) and not conv.weight.is_contiguous()
    dtypes = []
    conv.register_forward_hook(lambda module, inputs, output: dtypes.append(output.dtype))
    model.training_step(model.trainer.prepare_batch(next(iter(model.trainer.train_dataloader))))
    assert dtypes == [torch.bfloat16]


def test_the_grader_s_caps_on_notebook_training_do_not_shorten_the_measured_run(gray_levels, monkeypatch):
    monkeypatch.setenv("D2L_MAX_EPOCHS", "1")
    monkeypatch.setenv("D2L_MAX_BATCHES", "2")
    _, history = fit(LeNet, gray_levels, epochs=2, resize=28, batch_size=500, lr=0.1, train_limit=1000)
    assert len(history) == 2
    assert d2l.Trainer(max_epochs=5).max_epochs == 1  # and the caps are back afterwards


# ---- trusted evaluation: weights in, accuracy measured by the grader ------------------------
class RenamedLeNet(d2l.Classifier):
    """The book's LeNet written another way: named attributes, nested blocks, an explicit forward."""

    def __init__(self, lr=0.1):
        super().__init__()
        self.features = nn.ModuleDict({"c1": nn.Conv2d(1, 6, 5, padding=2), "c2": nn.Conv2d(6, 16, 5)})
        self.head = nn.ModuleList([nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)])

    def forward(self, X):
        pool = nn.functional.avg_pool2d
        X = pool(torch.sigmoid(self.features["c1"](X)), 2)
        X = pool(torch.sigmoid(self.features["c2"](X)), 2).flatten(1)
        X = torch.sigmoid(self.head[0](X))
        return self.head[2](torch.sigmoid(self.head[1](X)))


def test_weights_land_in_the_trusted_copy_whatever_the_names():
    torch.manual_seed(5)
    student = RenamedLeNet().eval()
    trusted = load_trained(trusted_model(LeNet, 28), reply_from(student, 28))
    X = torch.rand(4, 1, 28, 28)
    torch.testing.assert_close(trusted(X), student(X))


def test_resnet18_weights_are_paired_in_call_order():
    torch.manual_seed(6)
    student = ResNet18()
    student(torch.zeros(2, 1, 32, 32))
    for block in student.modules():  # registered backwards: bn2, bn1, conv3, conv2, conv1
        if type(block).__name__ == "Residual":
            # torch has no public way to reorder a Module's registered children
            block._modules = dict(reversed(list(block._modules.items())))  # noqa: SLF001 - no public reorder
    with torch.no_grad():  # distinct statistics per batch-norm layer, so a mix-up would show
        for module in student.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.1, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    student.eval()
    trusted = load_trained(trusted_model(ResNet18, 32), reply_from(student, 32))
    X = torch.rand(2, 1, 32, 32)
    torch.testing.assert_close(trusted(X), student(X), rtol=1e-4, atol=1e-4)


def test_another_architecture_is_told_so():
    class Wider(RenamedLeNet):
        def __init__(self, lr=0.1):
            super().__init__()
            self.features["c1"] = nn.Conv2d(1, 8, 5, padding=2)
            self.features["c2"] = nn.Conv2d(8, 16, 5)

    with pytest.raises(CheckFailed, match="no layer of your model matches the reference's Conv2d"):
        load_trained(trusted_model(LeNet, 28), reply_from(Wider(), 28))


@pytest.mark.parametrize("reply", [
    {"accuracy": 1.0, "val_acc": 1.0},
    {"layers": "trained, honestly"},
    [1.0],
    {"layers": [{"path": "net.0", "family": "gpu", "tensors": {}}]},
], ids=["claims", "text", "list", "bad-family"])
def test_replies_outside_the_contract_are_not_read(reply):
    """The probe turns these into 'did not send back trained weights' (test_training_kernel.py)."""
    with pytest.raises(WireError):
        over_the_wire(reply)


@pytest.mark.parametrize("reply", [
    {"layers": []},
    {"layers": [{"path": "net.0", "family": "conv", "tensors": {"weight": Odd("Liar")}}]},
    {"layers": [{"path": "net.0", "family": "conv", "tensors": {"weight": torch.ones(6, 1, 5, 5, dtype=torch.int64)}}]},
], ids=["empty", "odd-object", "integer-weights"])
def test_readable_replies_without_float_weights_score_nothing(reply):
    with pytest.raises(CheckFailed, match="did not send back trained weights"):
        load_trained(trusted_model(LeNet, 28), over_the_wire(reply))


def test_diverged_weights_are_named():
    reply = reply_from(RenamedLeNet(), 28)
    reply.layers[0].tensors["weight"][0, 0, 0, 0] = float("nan")
    with pytest.raises(CheckFailed, match="NaN"):
        load_trained(trusted_model(LeNet, 28), reply)


# ---- the gate: GPU only, opt-in --------------------------------------------------------------
def test_gpu_checks_skip_with_their_reason(monkeypatch):
    from grader.checks import ALL_CHECKS
    from grader.scoring import run_check

    checks = [c for c in ALL_CHECKS if c.item in ("LeNet_training", "ResNet18_training")]
    assert len(checks) == 2
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    asked, not_asked = GradingSession(None, train=True), GradingSession(None)
    for check in checks:
        result = run_check(asked, check)  # the gate is consulted before anything else
        assert (result.status, result.points, result.max_points) == ("skipped", 0.0, 0.0)
        assert "needs a CUDA GPU" in result.feedback and "--train" in result.feedback
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert checks[0].skip_reason(asked) is None
    assert "opt-in" in checks[0].skip_reason(not_asked)
    assert "opt-in" in checks[0].skip_reason(object())   # a session that does not say (the check cell's)


PLUGIN_RUN = """
import pytest, torch
from grader.checks import trained_accuracy
from grader.session import GradingSession

GradingSession.start = lambda self: self   # the plugin's own session, without notebooks or kernels

@pytest.mark.parametrize("check", trained_accuracy.CHECKS, ids=lambda c: c.item)
def test_check(check, grading_session, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    print("GATE", check.item, check.skip_reason(grading_session))
"""


@pytest.mark.parametrize("options, gate", [(["--train"], "None"), ([], "training checks are opt-in")])
def test_the_plugin_hands_its_runs_train_option_to_the_training_checks(pytester, options, gate):
    """``pytest grader --train`` reaches the checks through the run's own grading session; a run
    without it, in the same process right after, is not asked to train."""
    pytester.makepyfile(test_gate=PLUGIN_RUN)
    result = pytester.runpytest_subprocess("-p", "grader.conftest", "-s", "-p", "no:cacheprovider", *options)
    result.assert_outcomes(passed=2)
    gates = re.findall(r"GATE \w+ ([^\n]*)", result.stdout.str())
    assert len(gates) == 2 and all(found.startswith(gate) for found in gates), gates
