"""The book's ``Trainer``: fits a ``Module`` on a ``DataModule`` epoch by epoch.

Beyond d2l it returns a history (one dict per epoch: train_loss, val_loss, val_acc, seconds)
and honours two caps from the environment, ``D2L_MAX_EPOCHS`` and ``D2L_MAX_BATCHES``
(train and validation batches per epoch), so graders and CPU runs can shorten a notebook's training cell.
"""

import os
import time

import torch

from . import devices
from .board import default_board
from .hyperparameters import HyperParameters


def _env_cap(name):
    value = os.environ.get(name)
    if not value:
        return None
    try:
        cap = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, got {value!r}") from None
    if cap < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return cap


def _capped(value, cap):
    if cap is None:
        return value
    return cap if value is None else min(value, cap)


class _EpochMeter:
    """Running means of the metrics a model reports through ``Module.plot``."""

    def __init__(self):
        self.sums, self.counts = {}, {}

    def add(self, key, value):
        value = float(value.detach()) if torch.is_tensor(value) else float(value)
        self.sums[key] = self.sums.get(key, 0.0) + value
        self.counts[key] = self.counts.get(key, 0) + 1

    def means(self):
        return {key: self.sums[key] / self.counts[key] for key in self.sums}


class Trainer(HyperParameters):
    """Fit with the model's own ``configure_optimizers``; validate after every epoch."""

    def __init__(self, max_epochs, num_gpus=0, gradient_clip_val=0, max_batches_per_epoch=None, board=None):
        if not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(f"max_epochs must be a positive integer, got {max_epochs!r}")
        self.save_hyperparameters(ignore=["board"])
        self.max_epochs = _capped(max_epochs, _env_cap("D2L_MAX_EPOCHS"))
        self.max_batches_per_epoch = _capped(max_batches_per_epoch, _env_cap("D2L_MAX_BATCHES"))
        self.gpus = [devices.gpu(i) for i in range(min(num_gpus, devices.num_gpus()))]
        self.board = board
        self.history = []

    @property
    def device(self):
        return self.gpus[0] if self.gpus else torch.device("cpu")

    def prepare_data(self, data):
        if self.gpus and hasattr(data, "to"):
            data.to(self.device)  # keep whole splits on the GPU: no host-to-device copy per batch
        self.train_dataloader = data.train_dataloader()
        self.val_dataloader = data.val_dataloader()
        self.num_train_batches = self._limit(len(self.train_dataloader))
        self.num_val_batches = self._limit(len(self.val_dataloader)) if self.val_dataloader is not None else 0

    def _limit(self, n):
        return n if self.max_batches_per_epoch is None else min(n, self.max_batches_per_epoch)

    def prepare_model(self, model):
        model.trainer = self
        if self.gpus:
            model.to(self.device)
        self.model = model

    def prepare_batch(self, batch):
        return [a.to(self.device, non_blocking=True) for a in batch]

    def record(self, key, value, train):
        self._meter.add(("train_" if train else "val_") + key, value)

    def fit(self, model, data):
        """Train for ``max_epochs`` and return the per-epoch history."""
        self.prepare_data(data)
        self.prepare_model(model)
        self.optim = model.configure_optimizers()
        self.board = self.board or default_board()
        self.history = []
        self.epoch = 0
        for self.epoch in range(self.max_epochs):  # noqa: B020 - the book's loop: the epoch counter is the trainer's
            self.fit_epoch()
        self.board.close()
        return self.history

    def fit_epoch(self):
        start = time.perf_counter()
        self._meter = _EpochMeter()
        self.model.train()
        for i, batch in enumerate(self.train_dataloader):
            if i >= self.num_train_batches:
                break
            loss = self.model.training_step(self.prepare_batch(batch))
            if not torch.isfinite(loss.detach()):
                raise FloatingPointError(f"training loss became {float(loss.detach())} in epoch {self.epoch + 1}, "
                                         f"batch {i + 1}: lower the learning rate")
            self.optim.zero_grad()
            loss.backward()
            if self.gradient_clip_val > 0:
                self.clip_gradients(self.gradient_clip_val, self.model)
            self.optim.step()
        if self.val_dataloader is not None:
            self.model.eval()
            with torch.no_grad():
                for i, batch in enumerate(self.val_dataloader):
                    if i >= self.num_val_batches:
                        break
                    self.model.validation_step(self.prepare_batch(batch))
        row = {"epoch": self.epoch + 1, **self._meter.means(), "seconds": time.perf_counter() - start}
        self.history.append(row)
        self.board.draw(self.history, self.max_epochs)

    def clip_gradients(self, grad_clip_val, model):
        params = [p for p in model.parameters() if p.requires_grad and p.grad is not None]
        norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm
