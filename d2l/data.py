"""Data modules and a worker-free batch iterator over tensors that already sit on a device."""

import torch

from .hyperparameters import HyperParameters


class TensorBatches:
    """Iterate ``(X, y)`` mini-batches from whole-split tensors without DataLoader workers.

    ``transform`` turns a raw batch (e.g. uint8 images) into model input on the tensors'
    own device, so conversion and resizing run batched, on the GPU when the data is there.
    """

    def __init__(self, tensors, batch_size, shuffle=False, transform=None, generator=None):
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        lengths = {len(t) for t in tensors}
        if len(lengths) != 1:
            raise ValueError(f"tensors differ in length: {sorted(lengths)}")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.transform = transform
        self.generator = generator

    def __len__(self):
        n = len(self.tensors[0])
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        n = len(self.tensors[0])
        device = self.tensors[0].device
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(device)
        for start in range(0, n, self.batch_size):
            if self.shuffle:
                index = order[start : start + self.batch_size]
                batch = [t[index] for t in self.tensors]
            else:
                batch = [t[start : start + self.batch_size] for t in self.tensors]
            if self.transform is not None:
                batch = self.transform(batch)
            yield tuple(batch)


class DataModule(HyperParameters):
    """Base of the book's data sets: ``train_dataloader`` / ``val_dataloader`` from ``get_dataloader``."""

    def __init__(self, root="../data", num_workers=0):
        self.save_hyperparameters()

    def get_dataloader(self, train):
        raise NotImplementedError

    def train_dataloader(self):
        return self.get_dataloader(train=True)

    def val_dataloader(self):
        return self.get_dataloader(train=False)

    def get_tensorloader(self, tensors, train, indices=slice(0, None)):
        tensors = tuple(a[indices] for a in tensors)
        return TensorBatches(tensors, self.batch_size, shuffle=train)
