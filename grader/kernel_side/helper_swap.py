"""The book's helpers in the student's namespace for one request, so one item is graded on its own.

A check of ``corr2d_multi_in`` should not fail because the student's ``corr2d`` is wrong: for the
length of the request, the helpers it names are the book's (``stand_ins.py``), which use each
other. A graded class built on a swapped class (ResNet18 on the student's ResNet) gets the book's
base for the duration too; the graded object itself is never swapped.
"""

from .stand_ins import stand_in

_MISSING = object()


class HelperSwap:
    def __init__(self, namespace, names, target=None):
        self.namespace, self.names, self.target = namespace, tuple(names), target
        self.saved, self.rebased = {}, []

    def __enter__(self):
        scope = {name: stand_in(name) for name in self.names}
        for name in self.names:
            self.saved[name] = self.namespace.get(name, _MISSING)
            self.namespace[name] = scope[name]
        if isinstance(self.target, type):
            replaced = {id(old): scope[name] for name, old in self.saved.items() if isinstance(old, type)}
            for cls in self.target.__mro__[:-1]:
                bases = tuple(replaced.get(id(b), b) for b in cls.__bases__)
                if id(cls) not in replaced and bases != cls.__bases__:
                    try:
                        original, cls.__bases__ = cls.__bases__, bases
                        self.rebased.append((cls, original))
                    except TypeError:
                        pass  # incompatible layout: the student's own base stays
        return self

    def __exit__(self, *exc):
        for cls, original in reversed(self.rebased):
            cls.__bases__ = original
        for name, value in self.saved.items():
            if value is _MISSING:
                self.namespace.pop(name, None)
            else:
                self.namespace[name] = value
        return False
