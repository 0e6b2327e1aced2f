"""The accuracy that counts: measured in the grader's process, on data the kernel never saw."""

import torch

from d2l.fashion_mnist import to_model_input


@torch.no_grad()
def accuracy(model, split, resize, device="cpu", batch_size=1000):
    """Fraction of ``split`` that ``model`` (eval mode, float32) classifies right."""
    model = model.to(device).eval()
    images, labels = split.images.to(device), split.labels.to(device)
    correct = 0
    for start in range(0, len(labels), batch_size):
        X = to_model_input(images[start:start + batch_size], (resize, resize))
        correct += int((model(X).argmax(dim=1) == labels[start:start + batch_size]).sum())
    return correct / max(len(labels), 1)
