"""Course library: the part of d2l's PyTorch API that chapters 7-8 use, on current torch.

Notebooks keep the book's import line, ``from d2l import torch as d2l``; this package
answers it. It is not the PyPI ``d2l`` package (which pins torch 2.0) - do not install both.
"""

__version__ = "0.1.0+course"
