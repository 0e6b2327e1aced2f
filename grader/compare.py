"""Step 5 of the pipeline: compare what the student's code returned with the oracle's answer."""

import torch

from .wire import Odd

FLOAT32_TOLERANCE = {"rtol": 1e-4, "atol": 1e-4}


def tensor_mismatch(expected, actual, rtol=1e-4, atol=1e-4):
    """``None`` when ``actual`` matches ``expected``; otherwise one line saying how it differs."""
    if isinstance(actual, Odd):
        return f"returned {actual}, expected a torch.Tensor"
    if not isinstance(actual, torch.Tensor):
        return f"returned {type(actual).__name__}, expected a torch.Tensor"
    if tuple(actual.shape) != tuple(expected.shape):
        return f"shape {tuple(actual.shape)}, expected {tuple(expected.shape)}"
    if actual.dtype == torch.bool or not (actual.is_floating_point() or expected.is_floating_point()):
        equal = torch.equal(actual.to(expected.dtype), expected)
        return None if equal else "values differ"
    a, e = actual.double(), expected.double()
    close = torch.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    if bool(close.all()):
        return None
    diff = (a - e).abs().nan_to_num(float("inf"))
    worst = int(diff.reshape(-1).argmax())
    index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), e.shape)) if e.dim() else ()
    return (f"{int((~close).sum())} of {e.numel()} values differ; worst at {list(index)}: "
            f"got {a.reshape(-1)[worst].item():.6g}, expected {e.reshape(-1)[worst].item():.6g}")


def show(value, limit=600):
    """A value as a student would type it back into a notebook."""
    if isinstance(value, torch.Tensor):
        text = f"torch.tensor({value.tolist()})" if value.numel() <= 64 else f"<tensor of shape {tuple(value.shape)}>"
    else:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
