"""Reference solutions for d2l 7.1, From Fully Connected Layers to Convolutions.

The section argues in parameter counts; these functions make the counts computable. All of
them count weights only: biases are left out (they add at most one number per output unit
and do not change the argument).
"""

__all__ = ["fully_connected_param_count", "translation_invariant_param_count", "local_param_count"]


def fully_connected_param_count(height, width):
    """Weights of a dense layer from an image to a hidden image of the same size (no biases).

    Every hidden pixel (i, j) has its own weight for every input pixel (k, l): W[i, j, k, l],
    (height * width) ** 2 numbers - 10**12 for a one-megapixel image.
    """
    for name, n in (("height", height), ("width", width)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return (height * width) ** 2


def translation_invariant_param_count(height, width):
    """Weights once they may depend only on the offset (a, b), not on the position (no biases).

    V[a, b] with a in -(height - 1) .. height - 1 and b in -(width - 1) .. width - 1 covers
    every offset that stays inside the image: (2h - 1)(2w - 1) numbers.
    """
    for name, n in (("height", height), ("width", width)):
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return (2 * height - 1) * (2 * width - 1)


def local_param_count(delta, in_channels=1, out_channels=1):
    """Weights once offsets are also limited to |a|, |b| <= delta (no biases).

    The window is 2 * delta + 1 wide in each direction (not 2 * delta: the offset 0 counts too),
    and there is one such window per (input channel, output channel) pair.
    """
    if not isinstance(delta, int) or isinstance(delta, bool) or delta < 0:
        raise ValueError(f"delta must be a non-negative integer, got {delta!r}")
    for name, c in (("in_channels", in_channels), ("out_channels", out_channels)):
        if not isinstance(c, int) or isinstance(c, bool) or c < 1:
            raise ValueError(f"{name} must be a positive integer, got {c!r}")
    return (2 * delta + 1) ** 2 * in_channels * out_channels
