"""Torch on one thread while the grader's small requests run, on either side of the kernel boundary.

The grader's inputs and models are tiny: on two cores shared with a second kernel and the grader,
torch's thread pool costs far more than the work (its threads wait on each other while the other
processes hold the cores; a reference ResNet-18 report took 16-36 s on two threads of a busy machine
and 3-7 s on one). Training keeps the kernel's own setting; it is put back afterwards in any case.
"""

import contextlib

import torch


@contextlib.contextmanager
def one_thread():
    """Torch's intra-op threads set to one for the ``with`` block, then restored."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
