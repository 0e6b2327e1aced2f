"""7.1 From fully connected layers to convolutions: the parameter counts, made computable.

Counts are of weights only (biases excluded), for one input and one output channel unless
the channels are given.
"""

__all__ = ["fully_connected_param_count", "translation_invariant_param_count", "local_param_count"]


def fully_connected_param_count(height, width):
    """A hidden image of the input's size, every pixel wired to every pixel: W[i, j, k, l]."""
    if not all(isinstance(n, int) and n > 0 for n in (height, width)):
        raise ValueError(f"height and width must be positive integers, got {height!r}, {width!r}")
    return (height * width) ** 2


def translation_invariant_param_count(height, width):
    """Weights shared across positions: one V[a, b] per offset, a in (-h, h), b in (-w, w)."""
    if not all(isinstance(n, int) and n > 0 for n in (height, width)):
        raise ValueError(f"height and width must be positive integers, got {height!r}, {width!r}")
    return (2 * height - 1) * (2 * width - 1)


def local_param_count(delta, in_channels=1, out_channels=1):
    """Offsets limited to |a|, |b| <= delta: a (2*delta + 1)^2 window per channel pair."""
    if not isinstance(delta, int) or delta < 0:
        raise ValueError(f"delta must be a non-negative integer, got {delta!r}")
    if not all(isinstance(c, int) and c > 0 for c in (in_channels, out_channels)):
        raise ValueError("channel counts must be positive integers")
    return (2 * delta + 1) ** 2 * in_channels * out_channels
