"""Training speed: the book's recipe (per-image PIL resize through a DataLoader) vs. the grader's.

    FASHION_MNIST_DIR=... python benchmarks/training_speed.py --model ResNet18 [--epochs 10]
        [--batch-size 128] [--subset N] [--test-subset N] [--device cuda] [--workers 4] [--compile]

Both train the reference solution with the course Trainer, from the same seed, for the same
epochs and batch size, on the grader's staged training split, and both are scored the grader's
way on the test split. The d2l-style recipe is the book's data path: a Dataset that turns one
uint8 image at a time into a PIL image, resizes it (bilinear) and converts it to a float tensor,
batched by a ``torch.utils.data.DataLoader`` with worker processes, each batch copied to the
device. The grader's recipe is ``grader/kernel_side/training_loop.py``: whole splits on the device as
uint8, resized there per batch, no workers, plus the recipe's channels-last / bf16 settings.
Prints wall time, seconds per epoch and final test accuracy for both, and the speed-up.
"""

import argparse
import importlib
import io
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from d2l import fashion_mnist  # noqa: E402
from d2l import torch as d2l  # noqa: E402
from d2l.board import TextBoard  # noqa: E402
from grader.items import ITEMS  # noqa: E402
from grader.kernel_side.training_loop import fit, uncapped  # noqa: E402
from grader.training.data import VAL_SIZE, stage  # noqa: E402
from grader.training.measure import accuracy  # noqa: E402
from grader.training.recipes import RECIPES  # noqa: E402


class PILImages(torch.utils.data.Dataset):
    """One image at a time, as torchvision's ``Resize`` + ``ToTensor`` on Fashion-MNIST do."""

    def __init__(self, split, size):
        self.images, self.labels, self.size = split.images.numpy(), split.labels, size

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = Image.fromarray(self.images[i], mode="L").resize((self.size, self.size), Image.BILINEAR)
        return torch.from_numpy(np.asarray(image, dtype=np.float32) / 255).unsqueeze(0), self.labels[i]


class BookData(d2l.DataModule):
    """The book's data module: DataLoaders over ``PILImages``, batches moved to the device by the Trainer."""

    def __init__(self, train, val, batch_size, resize, workers):
        super().__init__()
        self.train, self.val = PILImages(train, resize), PILImages(val, resize)
        self.batch_size, self.workers = batch_size, workers

    def get_dataloader(self, train):
        return torch.utils.data.DataLoader(self.train if train else self.val, self.batch_size, shuffle=train,
                                           num_workers=self.workers, persistent_workers=self.workers > 0)


def book_recipe(model_class, directory, recipe, args):
    torch.manual_seed(args.seed)
    train, val = fashion_mnist.load(directory, download=False)
    train = fashion_mnist.Split(train.images[:args.subset], train.labels[:args.subset])
    data = BookData(train, val, args.batch_size, recipe.resize, args.workers)
    model = model_class(lr=recipe.lr)
    model.apply_init([next(iter(data.get_dataloader(True)))[0]], d2l.init_cnn)
    with uncapped():  # D2L_MAX_* would shorten this run only
        trainer = d2l.Trainer(args.epochs, num_gpus=1 if args.device == "cuda" else 0, board=TextBoard(io.StringIO()))
        return model, trainer.fit(model, data)


def our_recipe(model_class, directory, recipe, args):
    changes = {"epochs": args.epochs, "batch_size": args.batch_size, "seed": args.seed}
    if args.compile:
        changes["compile"] = True
    return fit(model_class, directory, train_limit=args.subset, **recipe.fit_args(args.device, **changes))


def timed(run, *args):
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    started = time.perf_counter()
    model, history = run(*args)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return model, history, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(RECIPES), default="ResNet18")
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's (10)")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the recipe's (128)")
    parser.add_argument("--subset", type=int, default=None, help="train on the first N training images only")
    parser.add_argument("--test-subset", type=int, default=None, help="score on the first N test images only")
    parser.add_argument("--val-size", type=int, default=VAL_SIZE,
                        help=f"validation images held out of the training split (default {VAL_SIZE}, the grader's)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--workers", type=int, default=4, help="DataLoader workers of the d2l-style recipe (book: 4)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model in the grader's recipe")
    parser.add_argument("--fp32", action="store_true",
                        help="grader's recipe without bf16 autocast and channels-last (they are for GPUs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=("d2l", "ours"), default=None, help="run one recipe only")
    args = parser.parse_args(argv)
    recipe = RECIPES[args.model]
    if args.fp32:
        recipe = replace(recipe, autocast=False, channels_last=False)
    args.epochs = args.epochs or recipe.epochs
    args.batch_size = args.batch_size or recipe.batch_size

    staged = stage(val_size=args.val_size)
    test = staged.test if args.test_subset is None else fashion_mnist.Split(staged.test.images[:args.test_subset],
                                                                            staged.test.labels[:args.test_subset])
    model_class = getattr(importlib.import_module(f"solutions.{ITEMS[args.model].module}"), args.model)
    device_name = torch.cuda.get_device_name() if args.device == "cuda" else "CPU"
    print(f"{args.model} at {recipe.resize}x{recipe.resize}: {args.epochs} epochs, batch {args.batch_size}, "
          f"{min(args.subset or staged.train_size, staged.train_size)} training images, {args.val_size} validation, "
          f"{len(test)} test images, "
          f"on {device_name} ({torch.get_num_threads()} CPU threads)", flush=True)
    rows = {}
    recipes = {"d2l": ("d2l-style (PIL resize per image, DataLoader)", book_recipe),
               "ours": (f"grader's (uint8 on device{', channels-last' if recipe.channels_last else ''}"
                        f"{', bf16 autocast' if recipe.autocast else ''}{', compiled' if args.compile else ''})",
                        our_recipe)}
    for key, (label, run) in recipes.items():
        if args.only not in (None, key):
            continue
        model, history, seconds = timed(run, model_class, staged.directory, recipe, args)
        rows[key] = (label, seconds, accuracy(model, test, recipe.resize, args.device))
        epochs = ", ".join(f"{row['seconds']:.1f}" for row in history)
        print(f"  {label}: {seconds:.1f} s, {seconds / args.epochs:.2f} s/epoch, test accuracy {rows[key][2]:.4f} "
              f"(epoch times {epochs})", flush=True)
    if len(rows) == 2:
        print(f"speed-up {rows['d2l'][1] / rows['ours'][1]:.1f}x; accuracy {rows['ours'][2] - rows['d2l'][2]:+.4f} "
              f"(grader's minus d2l-style)")


if __name__ == "__main__":
    main()
