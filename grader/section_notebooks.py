"""One notebook per section: where a name is defined in several notebooks handed in (Colab's
``Copy of 7.2-cross-correlation.ipynb``, a download's ``7.2-cross-correlation (1).ipynb``, a
notebook outside ``assignment/``), the one under the section's own file name is graded, and the
report says which one was graded and which were ignored.
"""

from pathlib import PurePath
from typing import Any

# The assignment's file names (without .ipynb), one per section: what a student hands in.
SECTION_NOTEBOOKS = {
    "7.1": "7.1-from-fc-to-conv",
    "7.2": "7.2-cross-correlation",
    "7.3": "7.3-padding-and-stride",
    "7.4": "7.4-channels",
    "7.5": "7.5-pooling",
    "7.6": "7.6-lenet",
    "8.2": "8.2-vgg",
    "8.6": "8.6-resnet",
}


def canonical_name(section: str) -> str:
    return f"{SECTION_NOTEBOOKS[section]}.ipynb" if section in SECTION_NOTEBOOKS else ""


def is_canonical(label: str, section: str | None) -> bool:
    """Whether the notebook labelled ``label`` (its path inside the submission) has ``section``'s own name."""
    return bool(section) and PurePath(label).name == canonical_name(section or "")


def preference(label: str, notebook_section: str | None, item_section: str, bound: bool) -> tuple[Any, ...]:
    """How strongly a notebook's definition of an item is the one to grade (higher is stronger):
    the item's section's own notebook by name, then any notebook of that section, then one
    nearer the top of the submission, then a definition that ran over one whose cell failed."""
    return (is_canonical(label, item_section), notebook_section == item_section, -len(PurePath(label).parts), bound)


def why_chosen(label: str, item_section: str) -> str:
    """Why ``label`` was graded over the others, in a few words for the note."""
    if is_canonical(label, item_section):
        return "the section's own notebook"
    return f"none of them is the section's own {canonical_name(item_section) or 'notebook'}"


def duplicate_notes(chosen: dict[str, tuple[str, list[str]]], sections: dict[str, str]) -> list[tuple[str, str]]:
    """[(ignored notebook, text)] from ``chosen`` {item: (graded label, [other labels defining it])}
    and ``sections`` {item: section}: one note per ignored notebook and graded notebook."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for item, (graded, others) in chosen.items():
        for other in others:
            grouped.setdefault((graded, other), []).append(item)
    notes = []
    for (graded, other), items in grouped.items():
        reason = why_chosen(graded, sections[items[0]])
        names = ", ".join(f"`{name}`" for name in items)
        notes.append((other, f"{other}: not graded for {names}, which {graded} defines too; {graded} was graded "
                             f"({reason}). Hand in each section once, under its own name."))
    return notes
