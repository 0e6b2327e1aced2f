"""The training checks' table: the book's runs (d2l 7.6 and 8.6) and the accuracy each must reach.

Pass marks come from ``benchmarks/calibrate_training.py`` (the reference solution trained over
several seeds by this same recipe, scored by the grader on the test split): the mean minus a
margin that covers the seed-to-seed spread. docs/training.md records the
figures behind each one.
"""

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class Recipe:
    model: str              # the graded class, and the reference solution's class of that name
    section: str
    resize: int             # images are resized to resize x resize, as the book's data module does
    lr: float
    pass_mark: float        # test accuracy the trained weights must reach
    calibration: str        # where pass_mark comes from, for the feedback and the README
    epochs: int = 10
    batch_size: int = 128
    channels_last: bool = False
    autocast: bool = False  # bf16 forward passes on the GPU
    compile: bool = False
    seed: int = 0

    def fit_args(self, device, **changes):
        """Keyword arguments of ``kernel_side.training_loop.fit`` for this recipe on ``device``."""
        recipe = replace(self, **changes)
        args = {k: v for k, v in asdict(recipe).items()
                if k in ("lr", "epochs", "batch_size", "resize", "seed", "channels_last", "autocast", "compile")}
        return {**args, "device": str(device)}


RECIPES = {
    # LeNet (sigmoid, average pooling) at 28x28: small launches, so plain float32 in the default layout.
    "LeNet": Recipe("LeNet", "7.6", resize=28, lr=0.1, pass_mark=0.70,
                    calibration="the reference scored 0.728 +- 0.006 over 5 seeds, min 0.721"),
    # ResNet-18 at 96x96: convolution-bound, where channels-last and bf16 pay off on tensor cores.
    "ResNet18": Recipe("ResNet18", "8.6", resize=96, lr=0.01, pass_mark=0.85, channels_last=True, autocast=True,
                       calibration="provisional: not yet calibrated on a GPU"),
}
