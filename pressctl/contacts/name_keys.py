"""When two written names are one person's: a name's key, and whether two names are alike.

Pure: no I/O. :func:`name_key` is what "the same normalised name" means in the book
(duplicate matching on import and add, `contacts duplicates`): Unicode compatibility
decomposition (NFKD) with the accents dropped, case folded, honorifics ("Dr", "Mme",
"Herr", "Dott.ssa") dropped, punctuation and hyphens as spaces, and the words sorted, so
that "DUPONT Marie", "Marie Dupont" and "Mme Marie Dupont" share one key.

:func:`similar_names` also takes an initial for a word ("J. Roe" and "Jane Roe"), and
:func:`initial_keys` gives the keys a name is also known by with some words reduced to
their initials, so that a book can be searched for such pairs by key, not pair by pair.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import combinations

# Titles written before a name in the five languages of the releases (after folding:
# lower case, no accents, no dots). Only ever dropped as whole words.
HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "rev",
    "mme", "mmes", "mlle", "mlles", "mm", "me", "pr",
    "herr", "frau", "hr", "fr", "dipl", "ing", "mag",
    "sig", "sigra", "dott", "dottssa", "dottoressa", "avv",
    "sr", "sra", "srta", "dna", "dra", "lic",
})
# One letter that is a title ("M. Jean Dupont": Monsieur; "D. Juan Pérez": Don) or an
# initial ("M. Dupont"): dropped only before two or more other words.
SHORT_HONORIFICS = frozenset({"m", "d"})
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ITALIAN_TITLE = re.compile(r"\b(sig|dott|avv|prof|ing)\.?(ra|ssa|essa)\b")
MAX_INITIAL_WORDS = 5  # names with more words get no initial variants (keeps it bounded)


def name_words(name: str) -> list[str]:
    """The words of a name as the key sees them: folded, without accents or honorifics
    (an honorific is kept when it is the only word: "Dr" alone is still a name)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _WORD.findall(_ITALIAN_TITLE.sub(" ", plain))
    kept = [w for w in words if w not in HONORIFICS]
    if len(kept) > 2 and kept[0] in SHORT_HONORIFICS:
        kept = kept[1:]
    return kept or words


def name_key(name: str) -> str:
    """The normalised name: "" for a name without letters (no key, never a match)."""
    return " ".join(sorted(name_words(name)))


def initial_keys(name: str) -> set[str]:
    """The keys of ``name`` with one or more of its words (not all) reduced to their
    first letter: "Jane Roe" -> {"j roe", "jane r"}. Empty for a one-word name."""
    words = name_words(name)
    if len(words) < 2 or len(words) > MAX_INITIAL_WORDS:
        return set()
    keys: set[str] = set()
    for count in range(1, len(words)):
        for chosen in combinations(range(len(words)), count):
            variant = [w[0] if i in chosen else w for i, w in enumerate(words)]
            keys.add(" ".join(sorted(variant)))
    keys.discard(name_key(name))
    return keys


@dataclass(frozen=True, slots=True)
class NameProfile:
    """What comparing a name needs, worked out once (a book compares each name with
    many others: `contacts duplicates`)."""

    text: str  # the name without surrounding spaces
    words: tuple[str, ...]  # name_words
    key: str  # name_key
    initials: frozenset[str]  # initial_keys


def name_profile(name: str) -> NameProfile:
    words = name_words(name)
    return NameProfile(name.strip(), tuple(words), " ".join(sorted(words)),
                       frozenset(initial_keys(name)))


def similar_names(a: str, b: str) -> bool:
    """The same normalised name, or one written with initials for the other's words."""
    return how_alike(a, b) is not None


def how_alike(a: str, b: str) -> str | None:
    """Why two names are one person's name, in words ("same name", "accents or case",
    "word order", "initials"); None when they are not alike."""
    return profiles_alike(name_profile(a), name_profile(b))


def profiles_alike(a: NameProfile, b: NameProfile) -> str | None:
    """:func:`how_alike` of two names' profiles."""
    if not a.key or not b.key:
        return None
    if a.key != b.key and a.key not in b.initials and b.key not in a.initials:
        return None
    if a.text == b.text:
        return "same name"
    if a.key != b.key:
        return "initials"
    if a.words == b.words:
        return "accents or case"
    return "word order"
