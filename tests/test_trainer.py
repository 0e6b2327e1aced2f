"""The course Trainer on CPU: it learns, reports a history, honours caps, and fails clearly."""

import io

import pytest
import torch

from d2l import torch as d2l
from d2l.board import TextBoard
from solutions.sec7_6_lenet import LeNet, ModernLeNet, init_cnn


def _fit(model, data, **trainer_args):
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], init_cnn)
    stream = io.StringIO()
    trainer = d2l.Trainer(board=TextBoard(stream), **trainer_args)
    history = trainer.fit(model, data)
    return trainer, history, stream.getvalue()


def test_lenet_learns_far_above_chance(patch_classes):
    _, history, _ = _fit(ModernLeNet(lr=0.1), patch_classes, max_epochs=3)
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert history[-1]["val_acc"] > 0.8  # chance is 0.1


def test_history_has_one_row_per_epoch_with_the_d2l_metrics(patch_classes):
    _, history, printed = _fit(LeNet(lr=0.1), patch_classes, max_epochs=2)
    assert [row["epoch"] for row in history] == [1, 2]
    for row in history:
        assert set(row) == {"epoch", "train_loss", "val_loss", "val_acc", "seconds"}
        assert 0.0 <= row["val_acc"] <= 1.0 and row["train_loss"] > 0
    assert printed.count("\n") == 2 and "epoch 2/2" in printed and "val_acc" in printed


def test_environment_caps_shorten_training(patch_classes, monkeypatch):
    monkeypatch.setenv("D2L_MAX_EPOCHS", "1")
    monkeypatch.setenv("D2L_MAX_BATCHES", "3")
    trainer, history, _ = _fit(LeNet(), patch_classes, max_epochs=10)
    assert len(history) == 1
    assert trainer.num_train_batches == 3 and trainer.num_val_batches == 3


@pytest.mark.parametrize("value", ["0", "-2", "ten"])
def test_bad_environment_cap_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv("D2L_MAX_EPOCHS", value)
    with pytest.raises(ValueError, match="D2L_MAX_EPOCHS"):
        d2l.Trainer(max_epochs=3)


def test_training_steps_are_counted_exactly(patch_classes):
    model = LeNet()
    steps = []
    model.training_step = lambda batch, step=model.training_step: steps.append(1) or step(batch)
    _fit(model, patch_classes, max_epochs=2, max_batches_per_epoch=5)
    assert len(steps) == 10


def test_gradient_clipping_bounds_the_update(patch_classes):
    model = ModernLeNet(lr=1.0)
    model.apply_init([next(iter(patch_classes.get_dataloader(True)))[0]], init_cnn)
    trainer = d2l.Trainer(max_epochs=1, gradient_clip_val=0.01)
    batch = next(iter(patch_classes.get_dataloader(True)))
    model.loss(model(batch[0]), batch[1]).backward()
    trainer.clip_gradients(0.01, model)
    norm = torch.sqrt(sum((p.grad**2).sum() for p in model.parameters()))
    assert norm == pytest.approx(0.01, rel=1e-4)


def test_diverging_loss_stops_with_advice(patch_classes):
    with pytest.raises(FloatingPointError, match="learning rate"):
        _fit(ModernLeNet(lr=1e6), patch_classes, max_epochs=2)


def test_cpu_only_machine_ignores_num_gpus(patch_classes):
    trainer, _, _ = _fit(LeNet(), patch_classes, max_epochs=1, num_gpus=1, max_batches_per_epoch=2)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert trainer.device.type == expected


@pytest.mark.parametrize("max_epochs", [0, -1, 2.5])
def test_bad_max_epochs_is_rejected(max_epochs):
    with pytest.raises(ValueError, match="max_epochs"):
        d2l.Trainer(max_epochs=max_epochs)
