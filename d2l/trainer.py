"""Placeholder: being written."""


class Trainer:  # pragma: no cover
    pass
