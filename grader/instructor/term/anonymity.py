"""Anonymous ids and the reading order of the review packets, stable across re-runs.

Both are HMACs of the student's name under a secret made once per course output folder
(``manual/secret.key``): the same student keeps the same id every time ``grade-class`` runs, no one
can recompute an id from a name without the secret, and each question gets its own pseudo-random
order, so no student is always read first (or last, by a tired reader).
"""

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

SECRET_FILE = "secret.key"


def course_secret(folder: Path) -> bytes:
    """The folder's secret, made on first use (readable by its owner only)."""
    path = folder / SECRET_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
        partial.chmod(0o600)
        os.replace(partial, path)
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) < 32:
        raise ValueError(f"{path} holds no usable secret; delete it only if no score sheet is out "
                         "(every anonymous id changes with it)")
    return text.encode()


def _mac(secret: bytes, *parts: str) -> str:
    return hmac.new(secret, "\0".join(parts).encode(), hashlib.sha256).hexdigest()


def anonymous_id(secret: bytes, student: str) -> str:
    return "S-" + _mac(secret, "id", student)[:10]


def review_order(secret: bytes, question: str, students: Iterable[str]) -> list[str]:
    """``students`` in this question's reading order."""
    return sorted(students, key=lambda student: _mac(secret, "order", question, student))
