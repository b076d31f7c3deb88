"""Files shipped with pressctl: default templates and sample contacts.

In a wheel they live in ``pressctl/_data``; in a checkout (editable install) they are the
repository's top-level ``templates/`` and ``contacts/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """``templates`` or ``contacts``: the folder installed with the package."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"pressctl is installed without its {name}/ folder")
