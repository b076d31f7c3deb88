"""Names: each text field of a line classified as a person's name (capitals, "DUPONT
Marie", honorifics, particles), an office, a role, an organisation or other text; and a
whole line cut into items in reading order (anchors from :mod:`.anchors` first)."""

from __future__ import annotations

import re

from pressctl.contacts.extraction.anchors import (
    FIELD_SEPARATORS,
    URL,
    Item,
    email_items,
    phone_items,
)
from pressctl.contacts.extraction.vocabulary import (
    CONTACT_HEADING,
    DIVISION,
    HONORIFICS,
    INTRO,
    JUNK,
    NOT_NAME_WORDS,
    NOT_ORG_ACRONYMS,
    OFFICE,
    ORG_WORD,
    PARTICLES,
    ROLE,
)


def _token_kind(token: str, acronyms: set[str] | frozenset[str] = frozenset()) -> str:
    """honorific, particle, initial, cap (Jean-Luc), caps (DUPONT), stop or other.

    A word in capitals that names an organisation of the release (``acronyms``: "EOA" of
    ``@eoa.example.org``) is no surname: "Thomas Berger EOA Media Relations".
    """
    word = token.strip("\"'“”«»*")
    lower = word.lower()
    if lower in HONORIFICS:
        return "honorific"
    if lower in PARTICLES:
        return "particle" if word.islower() or word == "d'" else "cap"
    if re.fullmatch(r"[^\W\d_]\.(?:-?[^\W\d_]\.)*", word) and word[0].isupper():
        return "initial"
    word = word.rstrip(".")
    if not word or word.lower() in NOT_NAME_WORDS:
        return "stop"
    parts = [part for part in re.split(r"[-'’]", word) if part]
    if not parts or not all(part.isalpha() for part in parts):
        return "other"
    if word.isupper() and len(word) > 1:
        return "stop" if word.casefold() in acronyms or word in NOT_ORG_ACRONYMS else "caps"
    if all(part[0].isupper() and not part[1:].isupper() for part in parts):
        return "cap"  # also O'Brien, McDonald, d'Alembert's "Alembert"
    return "cap" if re.fullmatch(r"[dl]['’][^\W\d_]+", word) and word[2].isupper() else "other"


def name_run(
    text: str, acronyms: set[str] | frozenset[str] = frozenset()
) -> tuple[int, int, bool] | None:
    """The last person-like run of words in ``text``: (start, end, fills the whole text).

    A run may start with a surname in capitals ("DUPONT Marie", "GARCÍA LÓPEZ Ana"). A
    run after "for" does not replace the one before it: "Aisha Grant for Helion Dynamics".
    """
    tokens = list(re.finditer(r"\S+", text))
    kinds = [_token_kind(token.group(), acronyms) for token in tokens]
    best = None
    i = 0
    while i < len(tokens):
        if kinds[i] not in ("cap", "initial", "honorific", "caps"):
            i += 1
            continue
        if best is not None and tokens[i - 1].group().lower() in _ON_BEHALF:
            break
        j = i
        while j + 1 < len(tokens) and kinds[j + 1] in ("cap", "caps", "initial", "particle"):
            j += 1
        while j > i and kinds[j] == "particle":
            j -= 1
        if j - i >= 2 and tokens[j].group().strip(".,").casefold() in acronyms:
            j -= 1  # "Pablo Ruiz Nubetec" of pruiz@nubetec.example.es: the company's name
        core = [kind for kind in kinds[i : j + 1] if kind != "honorific"]
        # "European Space Agency" is no person called "European Space"
        org_follows = j + 1 < len(tokens) and ORG_WORD.fullmatch(tokens[j + 1].group())
        if 2 <= len(core) <= 5 and "cap" in core and kinds[j] != "initial" and not org_follows:
            best = (i, j)
        i = j + 1
    if best is None:
        return None
    start, end = tokens[best[0]].start(), tokens[best[1]].end()
    return start, end, best == (0, len(tokens) - 1)


_ON_BEHALF = frozenset(["for", "pour", "für", "fur", "per", "para"])
_FOR_CLIENT = re.compile(
    r"(?i)^(?P<who>.+?)\s+(?:for|on\s+behalf\s+of|pour|pour\s+le\s+compte\s+de|f[üu]r"
    r"|im\s+auftrag\s+von|per|per\s+conto\s+di|para|en\s+nombre\s+de)\s+(?=[^\W\d_])"
)
# "SCHNEIDER, Katrin": a surname in capitals, a comma, then the first name ending the field
_SURNAME_COMMA = re.compile(
    r"(?<![^\s\t])(?P<surname>[^\W\d_a-z]{2,}(?:[ -][^\W\d_a-z]{2,})*)(?P<comma>,)(?= +"
    r"[^\W\d_a-z][^\W\d_A-Z]+(?:-[^\W\d_a-z][^\W\d_A-Z]+)?(?: *$| *[\t|;(]|\s[-–—]\s))"
)


def _unswap_surname(text: str, acronyms: set[str]) -> str:
    """"SCHNEIDER, Katrin" read as "SCHNEIDER  Katrin" (same length, so offsets hold)."""
    def fix(match: re.Match[str]) -> str:
        surname = match.group("surname")
        if surname.casefold() in acronyms or surname in NOT_ORG_ACRONYMS or any(
                word.lower() in NOT_NAME_WORDS for word in surname.split()):
            return match.group()
        return surname + " "
    return _SURNAME_COMMA.sub(fix, text)


def _is_org(text: str, known_orgs: set[str]) -> bool:
    if INTRO.search(text) or ROLE.search(text) or text.lower() in NOT_NAME_WORDS:
        return False  # "CONTACT" in capitals is a label; "Group Head of PR" a role
    if text.casefold() in known_orgs or ORG_WORD.search(text):
        return True
    return bool(re.fullmatch(r"[A-Z][A-Z0-9&-]{1,7}", text)) and text not in NOT_ORG_ACRONYMS


def _text_items(
    text: str, number: int, known_orgs: set[str], prose: bool
) -> list[tuple[int, Item]]:
    """Classifies one text field; offsets are relative to the field.

    In a line of ``prose`` a name is weak even when it fills its field: "Le 12 mai, Marie
    Dubois, directrice, a dit..." quotes her; a later name replaces her.
    """
    text = text.strip(" .-–—/|*\"'“”«»")
    words = len(text.split())
    if not any(ch.isalpha() for ch in text) or JUNK.search(text):
        return []
    client = _FOR_CLIENT.match(text)
    if client and not ORG_WORD.search(client.group("who")) and (
            run := name_run(client.group("who"), known_orgs)) and run[2]:
        # "Aisha Grant for Helion Dynamics": the agency's person, speaking for a client
        return [(0, Item("name", " ".join(client.group("who").split()), number, not prose))]
    if OFFICE.search(text):
        return [(0, Item("office", text, number))]
    if DIVISION.search(text) and len(text.split()) <= 6:
        return [(0, Item("division", text, number))]
    if _is_org(text, known_orgs):
        return [(0, Item("org", text, number))]
    run = name_run(text, known_orgs)
    if run and (run[2] or words <= 8):  # a name inside a long sentence is body text
        start, end, strong = run
        name = " ".join(text[start:end].rstrip(".,").split())
        items = [(start, Item("name", name, number, strong and not prose))]
        rest = f"{text[:start]} {text[end:]}".strip(" .-–—")
        if ROLE.search(rest) and not INTRO.search(rest) and len(rest.split()) <= 8:
            items.append((end, Item("role", rest, number)))  # "Press Officer Jane Doe"
        return items
    if words <= 8 and ROLE.search(text) and not CONTACT_HEADING.search(text):
        return [(0, Item("role", text, number))]
    if words > 6 or INTRO.search(text) or any(ch.isdigit() for ch in text):
        return []
    return [(0, Item("other", text, number))]


def line_items(
    text: str, number: int, region: str | None, expected: bool, known_orgs: set[str]
) -> tuple[list[Item], bool, bool]:
    """Items of one line in reading order; whether it introduces contacts; whether it is prose."""
    masked = URL.sub(lambda m: "\t" * len(m.group()), text)
    masked, found = email_items(masked, number)
    intro = bool(INTRO.search(masked))
    masked, phones = phone_items(masked, number, region, expected or intro or bool(found))
    found += phones
    words = len(re.findall(r"[^\W\d_]{2,}", masked))
    # a sentence has words in lower case ("will", "est"); "Halvorsen Space Flight Center,
    # Greenbelt, Md." has none and is no prose
    lower = len(re.findall(r"(?<![^\s])[^\W\d_A-Z][^\W\d_]{2,}", masked))
    sentence_end = text.rstrip(" \"'”»").endswith((".", "!", "?")) or bool(
        re.search(r"[^\W\d_]{3}[.!?]\s+[^\W\d_a-z]", masked))
    prose = words > 12 or (words > 5 and lower >= 2 and sentence_end)
    if not found and words > 20:
        return [], intro, True  # a paragraph of body text: its names are quoted people
    masked = _unswap_surname(masked, known_orgs)
    separated = FIELD_SEPARATORS.sub(lambda m: "\t" * len(m.group()), masked)
    for piece in re.finditer(r"[^\t]+", separated):
        found += [(piece.start() + offset, item)
                  for offset, item in _text_items(piece.group(), number, known_orgs, prose)]
    found.sort(key=lambda pair: pair[0])
    return [item for _, item in found], intro, prose
