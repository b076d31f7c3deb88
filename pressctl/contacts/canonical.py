"""The canonical kinds and tags that `contacts list`'s filters (pressctl.book.filters),
audiences and validation share: plain words, no parser behind them.

Apart from pressctl.contacts.validation so that a list filtered by --kind or --tag does
not import the phone and e-mail parsers (phonenumbers alone costs ~20 ms of a command
that takes ~40): validation imports these, not the other way round.
"""

from __future__ import annotations

import re

_SPACES = re.compile(r"\s+")

KIND_WORDS = {
    "officer": "officer", "press officer": "officer", "press-officer": "officer",
    "attaché de presse": "officer", "attachée de presse": "officer",
    "journalist": "journalist", "journaliste": "journalist", "journalistin": "journalist",
    "giornalista": "journalist", "periodista": "journalist", "press": "journalist",
    "other": "other", "autre": "other",
}


def kind_of(text: str) -> str | None:
    """The canonical kind for a word people use, or None."""
    return KIND_WORDS.get(text.strip().casefold())


def normalise_tags(items: list[str]) -> list[str]:
    """Tags as stored: trimmed, case-folded, inner spaces as "-", each once, in order."""
    tags: list[str] = []
    for item in items:
        tag = _SPACES.sub("-", item.strip().casefold())
        if tag and tag not in tags:
            tags.append(tag)
    return tags
