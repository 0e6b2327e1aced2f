"""The two small metaprogramming helpers the book builds everything on."""

import inspect


def add_to_class(Class):
    """Attach the decorated function to ``Class``, so a long class can be written across cells."""

    def wrapper(obj):
        setattr(Class, obj.__name__, obj)
        return obj

    return wrapper


class HyperParameters:
    """Mixin whose ``save_hyperparameters`` turns the caller's ``__init__`` arguments into attributes."""

    def save_hyperparameters(self, ignore=()):
        frame = inspect.currentframe().f_back
        _, _, _, local_vars = inspect.getargvalues(frame)
        self.hparams = {
            name: value
            for name, value in local_vars.items()
            if name not in set(ignore) | {"self"} and not name.startswith("_")
        }
        for name, value in self.hparams.items():
            setattr(self, name, value)
