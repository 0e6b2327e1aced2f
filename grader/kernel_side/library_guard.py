"""While an item is checked, the course library's own copy of that item refuses to run.

The course library ships the book's ``corr2d`` because later sections call it (7.4 builds
``corr2d_multi_in`` on ``d2l.corr2d``), and the grader's stand-ins hold the book's helpers. Neither
may answer for the item being graded: ``def corr2d(X, K): return d2l.corr2d(X, K)`` earns nothing.
The copies are disabled in place, for the length of one request, so every route to them (an alias,
``importlib``, ``getattr``, a reference captured at import time) reaches the refusal; using them
for other items stays fine.
"""

import sys
import types

_TEMPLATE = compile("def refuse(*args, **kwargs):\n    raise 'EXCEPTION'\n", "<course library copy>", "exec")
_REFUSE_CODE = next(c for c in _TEMPLATE.co_consts if isinstance(c, types.CodeType))


class LibraryCopyUsed(Exception):
    """The graded item ran the course library's (or the grader's) own version of itself."""


def refusal(item):
    """The error a library copy raises while ``item`` is graded."""
    return LibraryCopyUsed(f"{item} called the course library's own {item}, which cannot answer for the item "
                           f"it is graded as; write {item} yourself (calling d2l.{item} from other items is fine)")


def library_copies(item, extra_holders=()):
    """Every function or class named ``item`` in the course library's modules (and ``extra_holders``)."""
    holders = [m for name, m in list(sys.modules.items())
               if m is not None and (name == "d2l" or name.startswith("d2l."))]
    found = {}
    for holder in (*holders, *extra_holders):
        value = getattr(holder, item, None) if not isinstance(holder, dict) else holder.get(item)
        if isinstance(value, (types.FunctionType, type)):
            found[id(value)] = value
    return list(found.values())


class OwnCodeOnly:
    """Context manager: the library's copies of ``item`` raise ``LibraryCopyUsed`` while it is open."""

    def __init__(self, item, extra_holders=()):
        self.item, self.extra_holders = item, extra_holders
        self.restore = []

    def __enter__(self):
        error = refusal(self.item)
        code = _REFUSE_CODE.replace(co_consts=tuple(error if c == "EXCEPTION" else c for c in _REFUSE_CODE.co_consts))
        for copy in library_copies(self.item, self.extra_holders) if self.item else ():
            if isinstance(copy, types.FunctionType):
                self._swap_code(copy, code)
            else:
                refuse = types.FunctionType(code, {"__builtins__": __builtins__}, "refuse")
                for attribute, value in list(vars(copy).items()):
                    if isinstance(value, types.FunctionType):
                        self.restore.append((copy, attribute, value))
                        setattr(copy, attribute, refuse)
        return self

    def _swap_code(self, function, code):
        if function.__code__.co_freevars:
            return  # a closure's code cannot be swapped; the library has none
        self.restore.append((function, "__code__", function.__code__))
        function.__code__ = code

    def __exit__(self, *exc):
        for holder, attribute, value in reversed(self.restore):
            setattr(holder, attribute, value)
        self.restore.clear()
        return False
