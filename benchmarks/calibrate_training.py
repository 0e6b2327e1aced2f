"""Calibrate a training check's pass mark: train the reference solution over several seeds.

    FASHION_MNIST_DIR=... python benchmarks/calibrate_training.py --model LeNet --seeds 5 [--device cuda]

Each seed runs the grader's own recipe (``grader/training/recipes.py``) on the grader's staged
data (training images minus the carved-out validation split) and is scored the grader's way, on
the test split in this process. Prints each seed's test accuracy and time, then mean, standard
deviation, minimum, and a suggested pass mark: mean - max(SIGMAS * std, FLOOR), rounded down
to 0.005. Paste the figures into docs/training.md's calibration table and the pass mark into the recipe.
"""

import argparse
import importlib
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.items import ITEMS  # noqa: E402
from grader.kernel_side.training_loop import fit  # noqa: E402
from grader.training.data import stage  # noqa: E402
from grader.training.measure import accuracy  # noqa: E402
from grader.training.recipes import RECIPES  # noqa: E402


def suggested_pass_mark(accuracies, sigmas, floor):
    mean = statistics.mean(accuracies)
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    return math.floor((mean - max(sigmas * std, floor)) * 200) / 200


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(RECIPES), default="LeNet")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds, 0..N-1 (default 5)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--epochs", type=int, default=None, help="override the recipe's epochs (not for pass marks)")
    parser.add_argument("--sigmas", type=float, default=3.0, help="margin in standard deviations (default 3)")
    parser.add_argument("--floor", type=float, default=0.02, help="smallest margin (default 0.02)")
    args = parser.parse_args(argv)
    if args.seeds < 2:
        parser.error("--seeds must be at least 2 to measure a spread")

    recipe = RECIPES[args.model]
    changes = {"epochs": args.epochs} if args.epochs else {}
    staged = stage()
    model_class = getattr(importlib.import_module(f"solutions.{ITEMS[args.model].module}"), args.model)
    print(f"{args.model}: {recipe.epochs if not args.epochs else args.epochs} epochs, batch {recipe.batch_size}, "
          f"lr {recipe.lr}, {recipe.resize}x{recipe.resize}, {staged.train_size} training images, "
          f"test split of {len(staged.test)}, device {args.device}", flush=True)
    accuracies = []
    for seed in range(args.seeds):
        started = time.perf_counter()
        model, history = fit(model_class, staged.directory, **recipe.fit_args(args.device, seed=seed, **changes))
        trained = time.perf_counter() - started
        accuracies.append(accuracy(model, staged.test, recipe.resize, args.device))
        print(f"seed {seed}: test accuracy {accuracies[-1]:.4f}  (validation {history[-1]['val_acc']:.4f}, "
              f"train loss {history[-1]['train_loss']:.4f}, {trained:.1f} s)", flush=True)
    std = statistics.stdev(accuracies)
    print(f"mean {statistics.mean(accuracies):.4f}  std {std:.4f}  min {min(accuracies):.4f}  "
          f"max {max(accuracies):.4f}  over {len(accuracies)} seeds")
    print(f"suggested pass mark: {suggested_pass_mark(accuracies, args.sigmas, args.floor):.3f} "
          f"(mean - max({args.sigmas:g} std, {args.floor:g}); current: {recipe.pass_mark:.3f})")


if __name__ == "__main__":
    main()
