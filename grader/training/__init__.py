"""Training checks: does the student's LeNet / ResNet-18 reach the book's accuracy on Fashion-MNIST?

GPU-only and opt-in (``pytest grader --train``). The student's own class is trained in a fresh
kernel of its notebook (``kernel.py``) by the book's recipe (``recipes.py``,
``kernel_side/training_loop.py``) on a copy of the training split (``data.py``); its weights come back
as plain tensors and the grader scores them in a trusted copy of the reference architecture on
the test split it kept to itself (``trusted.py``). ``checks.py`` turns this into graded checks.
"""
