"""Which items a run grades (``pytest grader --item NAME``), and which notebooks it must run for them.

``-k`` keeps pytest's meaning (a substring of the test ids, so ``-k corr2d`` also picks
``corr2d_multi_in``); ``--item`` names items exactly, aliases accepted, and lets the session
execute only the notebooks of their sections instead of every notebook handed in.
"""

import difflib
from collections.abc import Iterable

from .items import ITEMS


class UnknownItem(ValueError):
    """A name that is no graded item; the message lists the items by section."""


def gradable_items() -> list[str]:
    """Every item a student defines, in the items table's order (training runs are opt-in extras)."""
    return [name for name, item in ITEMS.items() if not item.training]


def items_by_section(markdown: bool = True) -> str:
    """"7.1: `a`, `b`; 7.2: ..." for messages that have to say what the graded items are."""
    sections: dict[str, list[str]] = {}
    for name in gradable_items():
        sections.setdefault(ITEMS[name].section, []).append(_code(name, markdown))
    return "; ".join(f"{section}: {', '.join(names)}" for section, names in sections.items())


def unknown_items_message(names: Iterable[object], who: str, markdown: bool = True) -> str:
    """``who`` (the command) was given names that are not graded items: say which, the nearest
    graded name to each, and every graded item by section (Markdown for a check cell, plain text
    for a terminal, which also lists the opt-in training runs ``--item`` accepts)."""
    said = []
    for name in names:
        near = difflib.get_close_matches(str(name), gradable_items(), n=1)
        guess = f" (did you mean {_code(repr(near[0]), markdown)}?)" if near else ""
        said.append(_code(repr(name), markdown) + guess)
    text = f"{who}: no graded item {', '.join(said)}. The graded items are {items_by_section(markdown)}."
    if not markdown:
        training = [name for name, item in ITEMS.items() if item.training]
        text += f" Training runs (with --train, on a GPU): {', '.join(training)}."
    return text


def _code(text: str, markdown: bool) -> str:
    return f"`{text}`" if markdown else text


def canonical_item(name: str) -> str | None:
    """The item ``name`` names (itself or an alias: ``Modern_LeNet`` is ``ModernLeNet``), or None."""
    if name in ITEMS:
        return name
    matches = [item.name for item in ITEMS.values() if name in item.aliases and not item.training]
    return matches[0] if matches else None


def resolve(names: Iterable[str], who: str = "--item") -> tuple[str, ...]:
    """The items ``names`` mean, each once, in the items table's order; ``UnknownItem`` otherwise.
    A training run is selected by its own name (``LeNet_training``), never by its class's."""
    names = list(names)
    unknown = [name for name in names if canonical_item(name) is None]
    if unknown:
        raise UnknownItem(unknown_items_message(unknown, who, markdown=False))
    chosen = {canonical_item(name) for name in names}
    return tuple(name for name in ITEMS if name in chosen)


def sections_for(items: Iterable[str]) -> set[str]:
    """The sections whose notebooks can define ``items``. An item's helpers (``Conv2D`` on
    ``corr2d``) need no other notebook: a failing helper is replaced in the item's own kernel by
    the book's version."""
    return {ITEMS[name].section for name in items}
