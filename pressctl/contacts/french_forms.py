"""The French "of" form of an organisation's name: "du CNES", "de l'ASC", "de la NASA",
"des Nations unies", "d'Airbus". Pure: no I/O.

French headings need it ("À propos du CNES", "Contacts presse de l'ASC"), and the article
depends on the name: on its gender and number, which no rule can guess from an acronym,
and on its first sound, which a rule can read from the spelling.

The data (per organisation, for French only):

    article   how the name is introduced, as a French reader would say it:
              "le" (masculine, the default: "du CNES"), "la" (feminine: "de la NASA"),
              "les" (plural: "des Nations unies"), "l'" (elided whatever the spelling:
              a mute h, "de l'Humanité"), or "none" (no article: "de Thales", "d'Airbus").
    of        the whole form, written by hand ("de l'Onera"): it wins over the rule.

The rule, for "le", "la" and "none": the article (or "de") is elided before a vowel
sound read from the first letter: a, e, i, o, u, œ, æ, with or without accent, in an
acronym spelt out ("l'ASC") or read as a word ("l'ESA", "l'Onera"); y before a consonant
("l'YMCA"), not before a vowel ("du Yémen"). An h is taken as aspirated ("du Havre",
"de la Haute Autorité de santé", "la HAS"): a mute h is the article "l'". An acronym
whose first letter is a consonant keeps its article even when that letter's name starts
with a vowel sound ("le FMI", "la SNCF"), as written French does. "les" never elides.

The article belongs to the name it introduces: the short name when the organisation has one
in French ("l'ONU"), else its name ("les Nations unies").
"""

from __future__ import annotations

import unicodedata

# The article values a user may store, and what each makes of "de" + the name.
ARTICLES = ("le", "la", "l'", "les", "none")
DEFAULT_ARTICLE = "le"
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})
_VOWELS = frozenset("aeiouœæ")
# How a stored override of the French "of" form may begin (after a space or an apostrophe).
OF_STARTS = ("du ", "de la ", "de l'", "des ", "de ", "d'")


def normalise_article(text: str) -> str | None:
    """The stored article for ``text`` ("La", "l’", " les "), or None when it is none of
    :data:`ARTICLES`."""
    value = text.strip().casefold().translate(_APOSTROPHES)
    return value if value in ARTICLES else None


def is_of_form(text: str) -> bool:
    """Whether ``text`` reads as a French "of" form ("du CNES", "d’Airbus"): an override must
    start with one of :data:`OF_STARTS` and name something after it."""
    value = text.strip().translate(_APOSTROPHES)
    return any(value.startswith(start) and value[len(start):].strip() for start in OF_STARTS)


def elides(name: str) -> bool:
    """Whether "le", "la" or "de" is elided before ``name`` (see the module docstring)."""
    letters = [ch for ch in unicodedata.normalize("NFD", name.strip().casefold())
               if not unicodedata.combining(ch)]
    letters = [ch for ch in letters if ch.isalnum()]  # leading quotes or brackets aside
    if not letters:
        return False
    first = letters[0]
    if first in _VOWELS:
        return True
    if first == "y":  # "l'YMCA", "d'Yves", but "du Yémen", "du yacht"
        return len(letters) == 1 or letters[1] not in _VOWELS | {"y"}
    return False


def of_form(name: str, article: str | None = None) -> str:
    """"de" + the article + ``name``, contracted and elided as French writes it.

    ``article`` is one of :data:`ARTICLES` (None: the default, "le"):

    >>> of_form("CNES"), of_form("ASC"), of_form("NASA", "la"), of_form("Nations unies", "les")
    ('du CNES', "de l'ASC", 'de la NASA', 'des Nations unies')
    """
    chosen = normalise_article(article) if article is not None else DEFAULT_ARTICLE
    if chosen is None:
        raise ValueError(f"unknown French article {article!r} (expected one of {ARTICLES})")
    name = name.strip()
    if chosen == "les":
        return f"des {name}"
    if chosen == "l'" or (chosen in ("le", "la") and elides(name)):
        return f"de l'{name}"
    if chosen == "none":
        return f"d'{name}" if elides(name) else f"de {name}"
    return f"du {name}" if chosen == "le" else f"de la {name}"
