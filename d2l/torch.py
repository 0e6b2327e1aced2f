"""The namespace notebooks get from ``from d2l import torch as d2l``."""

from .check import check, watch
from .conv import corr2d, init_cnn
from .data import DataModule, TensorBatches
from .devices import cpu, gpu, num_gpus, try_all_gpus, try_gpu
from .fashion_mnist import FashionMNIST
from .hyperparameters import HyperParameters, add_to_class
from .module import Classifier, Module
from .trainer import Trainer

__all__ = [
    "Classifier", "DataModule", "FashionMNIST", "HyperParameters", "Module", "TensorBatches",
    "Trainer", "add_to_class", "check", "corr2d", "cpu", "gpu", "init_cnn", "num_gpus", "try_all_gpus",
    "try_gpu",
]

watch()   # in a notebook: from here on, note what each cell defines, as the grader does
