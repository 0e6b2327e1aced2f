"""The grader's training run: the book's recipe on the course library, made fast.

Sent as source into a training kernel with the agent's package (it cannot import the grader), and
imported as a plain module by the benchmark and the calibration script, so all three train the
same way. The loop, the data module and the initialisation are the course's own (``d2l.Trainer``,
``d2l.FashionMNIST``, ``d2l.init_cnn``); the recipe only adds what makes it fast: the splits sit
on the device as uint8 and are resized there per batch (the course data module's own way, with no
DataLoader workers), optionally channels-last tensors, bf16 autocast of the forward passes, and
``torch.compile``.

What comes back to the grader is weights only, layer by layer, as plain tensors; the grader
measures accuracy itself (see ``grader/training/trusted.py``), so nothing reported here is believed.
"""

import contextlib
import functools
import io
import os

import torch

from d2l import torch as d2l
from d2l.board import TextBoard

from .contract import TrainedLayer, TrainedModel
from .model_report import CallTrace, family, first_calls, leaves

ENV_CAPS = ("D2L_MAX_EPOCHS", "D2L_MAX_BATCHES")  # the grader's caps on a notebook's own training


@contextlib.contextmanager
def uncapped():
    """Lift the caps the grader puts on notebook cells: the measured run trains in full."""
    saved = {name: os.environ.pop(name) for name in ENV_CAPS if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def _under_autocast(step, device_type):
    @functools.wraps(step)
    def wrapped(batch):
        with torch.autocast(device_type, dtype=torch.bfloat16):
            return step(batch)  # the loss comes back; backward runs outside autocast, as it should
    return wrapped


class FastTrainer(d2l.Trainer):
    """The course Trainer, unchanged in its loop, with the recipe's memory layout and precision."""

    def __init__(self, max_epochs, device, channels_last=False, autocast=False, compile=False):
        super().__init__(max_epochs, num_gpus=1 if device.type == "cuda" else 0, board=TextBoard(io.StringIO()))
        self.layout = torch.channels_last if channels_last else torch.contiguous_format
        self.use_autocast, self.use_compile = autocast, compile

    def prepare_model(self, model):
        super().prepare_model(model)
        model.to(memory_format=self.layout)
        if self.use_autocast:
            for name in ("training_step", "validation_step"):
                setattr(model, name, _under_autocast(getattr(model, name), self.device.type))
        if self.use_compile:
            model.compile()

    def prepare_batch(self, batch):
        return [a.contiguous(memory_format=self.layout) if a.dim() == 4 else a for a in super().prepare_batch(batch)]


def fit(model_class, data_dir, *, lr, epochs, batch_size, resize, seed=0, device="cpu", channels_last=False,
        autocast=False, compile=False, train_limit=None):
    """Train ``model_class(lr=lr)`` as the book does and return ``(model, history)``.

    ``data_dir`` holds the four Fashion-MNIST files; the grader's copy has a validation split
    carved from the training images in place of the test files. ``train_limit`` keeps only the
    first that many training images (smoke tests, benchmarks on a CPU).
    """
    device = torch.device(device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
    torch.manual_seed(seed)
    model = model_class(lr=lr)
    data = d2l.FashionMNIST(batch_size=batch_size, resize=resize, root=data_dir, download=False, seed=seed)
    if train_limit is not None:
        data.train = type(data.train)(data.train.images[:train_limit], data.train.labels[:train_limit])
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], d2l.init_cnn)
    with uncapped():
        trainer = FastTrainer(epochs, device, channels_last, autocast, compile)
        history = trainer.fit(model, data)
    return model, history


def trained_layers(model):
    """Every leaf layer that holds weights: its path, kind, weight family and float tensors."""
    layers = []
    for path, module in leaves(model):
        tensors = {n: p.detach().float().cpu() for n, p in module.named_parameters(recurse=False)}
        tensors.update({n: b.detach().float().cpu() for n, b in module.named_buffers(recurse=False)
                        if b.dtype.is_floating_point})
        if tensors:
            layers.append(TrainedLayer(path=path, type=type(module).__name__, family=family(module), tensors=tensors))
    return layers


def call_order(model_class, lr, resize):
    """Position of each leaf layer's first call in a forward pass of a fresh instance.

    The grader pairs layers in call order; a fresh, uncompiled instance has the trained model's
    layer paths and can be traced without disturbing it.
    """
    torch.manual_seed(0)
    fresh = model_class(lr=lr)
    fresh.eval()
    with torch.no_grad(), CallTrace(fresh) as trace:
        fresh(torch.zeros(2, 1, resize, resize))
    return first_calls(trace.calls)


def layers_in_call_order(model, model_class, lr, resize):
    """``trained_layers`` sorted by first call (never-called ones last), the order the grader pairs in."""
    first = call_order(model_class, lr, resize)
    return sorted(trained_layers(model), key=lambda layer: first.get(layer.path, len(first)))


def op_train(agent, request):
    """Kernel op ``train``: fit the student's class by the grader's recipe, send back its weights."""
    model_class = agent.lookup(request.name)
    recipe = request.recipe
    model, history = fit(model_class, request.data_dir, **recipe)
    history = [row for row in history if isinstance(row, dict)] if isinstance(history, list) else []
    return TrainedModel(layers=layers_in_call_order(model, model_class, recipe["lr"], recipe["resize"]),
                        history=history)


def install(package):
    """Register ``op_train`` with the kernel's agent (called once, right after the agent itself)."""
    package.agent.op_train = functools.partial(op_train, package.agent)
