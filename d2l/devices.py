"""Device helpers with the book's names; they fall back to the CPU quietly."""

import torch


def cpu():
    return torch.device("cpu")


def num_gpus():
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def gpu(i=0):
    return torch.device(f"cuda:{i}")


def try_gpu(i=0):
    """The i-th GPU if there is one, else the CPU, so notebooks run everywhere."""
    return gpu(i) if num_gpus() >= i + 1 else cpu()


def try_all_gpus():
    return [gpu(i) for i in range(num_gpus())]
