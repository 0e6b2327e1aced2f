"""Opening a CSV an instructor hands in (overrides, a roster, an LMS export): one way, so every
such file fails the same way, with its path and the line, instead of a traceback.

Spreadsheet programs write a byte-order mark and quoted fields with line breaks; both are read as
they mean, so the line numbers in errors are the ones the instructor's editor shows.
"""

import csv
import io
from collections.abc import Sequence
from pathlib import Path


def open_table(path: Path, what: str, required: Sequence[str], error: type[Exception],
               strip_header: bool = True) -> "tuple[csv.DictReader[str], list[str]]":
    """A reader over the rows of ``path`` and its header; ``error`` (the caller's own exception) is
    raised when the file cannot be read or lacks a ``required`` column, naming ``what`` it should be."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as problem:
        raise error(f"cannot read {what} {path}: {problem.strerror or problem}") from None
    except UnicodeDecodeError:
        raise error(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() if strip_header else name for name in reader.fieldnames or []]
    missing = [name for name in required if name not in header]
    if missing:
        raise error(f"{path}, line 1: not {what}: no {', '.join(missing)} column "
                    f"(expected {', '.join(required)})")
    reader.fieldnames = header
    return reader, header
