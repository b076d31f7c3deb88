"""Segmenting a release's logical lines before contacts are read from them.

Three jobs, each a pure function on :class:`~pressctl.contacts.extraction.html.TextLine` lists:

* :func:`repair` mends what copy-paste breaks: an e-mail split over two lines
  ("jane.doe@astro.example." / "org", "relations.medias" / "@example.ca"), a number whose
  digits went on to the next line ("Tel.: +49 30" / "23125 417"), a name cut in two
  ("Dr. Jonas" / "Hartmann") and a line that stops on a preposition ("Institut für" /
  "Planetenforschung"). The joined line keeps the first line's number.
* :func:`columns` turns people set side by side into one block per person: table cells
  (one column per person: a row of names, then a row of numbers, a row of addresses) and
  slash pairs ("Ken Albrecht / Sofia Lindqvist", "202-555-0155 / 202-555-0187"). A
  row of one field (an organisation under both names) goes to every column.
* :func:`block_regions` gives each line the region its numbers are read in: the country
  of the block's e-mail domains (``.de`` -> DE, ``.ca`` -> CA), else the given region.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pressctl.contacts.extraction.context import book_org
from pressctl.contacts.extraction.html import TextLine
from pressctl.contacts.extraction.model import KnownOrg
from pressctl.contacts.extraction.vocabulary import HONORIFICS, NOT_NAME_WORDS, OFFICE, ORG_WORD
from pressctl.contacts.regions import country_code

# --------------------------------------------------------------------------- repair

_EMAIL_HEAD = re.compile(r"[\w.+'-]+@(?:[\w-]+\.)+$")  # "jane@astro.example." (domain cut)
_DOMAIN_TAIL = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*(?=$|[\s\t,;)])", re.IGNORECASE)
_LOCAL_PART = re.compile(r"(?:^|(?<=[\s\t:]))[\w.+'-]+$")  # "relations.medias" (@ cut)
_AT_DOMAIN = re.compile(r"^@[\w-]+(?:\.[\w-]+)+")
_PHONE_START = re.compile(
    r"(?i)(?:\b(?:tel|t[ée]l|phone|telefon|tel[ée]fono|mobile?|handy|fax)\b\.?\s*:?|\+)"
    r"[\s\d()+./-]*\d$"
)
_DIGITS_ONLY = re.compile(r"^[\d\s()./-]*\d[\d\s()./-]*$")
_OPEN_END = re.compile(
    r"(?i)(?:^|\s)(?:of|for|and|de|du|des|de\s+la|di|del|della|von|f[üu]r|und|et|y|e)$"
)
_WORD = re.compile(r"^[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*\.?$")


def _name_word(word: str) -> bool:
    return bool(_WORD.match(word)) and word[0].isupper() and (
        word.rstrip(".").lower() not in NOT_NAME_WORDS)


def _name_head(text: str) -> bool:
    """"Dr. Jonas" or "Jonas": a first name (honorific allowed) waiting for its surname."""
    words = text.split()
    if words and words[0].lower() in HONORIFICS:
        words = words[1:]
    return len(words) == 1 and _name_word(words[0]) and not words[0].isupper()


def _name_tail(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 2 and all(_name_word(word) for word in words)


def _join(first: str, second: str) -> str | None:
    """``first`` and ``second`` as one line when ``second`` continues ``first``, else None."""
    if _EMAIL_HEAD.search(first) and _DOMAIN_TAIL.match(second):
        return first + second
    if _AT_DOMAIN.match(second) and _LOCAL_PART.search(first) and "@" not in first.split()[-1]:
        return first + second
    if _PHONE_START.search(first) and _DIGITS_ONLY.match(second):
        return f"{first} {second}"
    if "\t" not in first and _OPEN_END.search(first) and second[:1].isupper() and (
            len(second.split()) <= 3 and not any(ch.isdigit() for ch in second)):
        return f"{first} {second}"
    if (_name_head(first) and _name_tail(second)
            and not any(OFFICE.search(text) or ORG_WORD.search(text) for text in (first, second))):
        return f"{first} {second}"  # but "Unternehmenskommunikation" / "Orbitek GmbH" are two
    return None


def repair(lines: list[TextLine]) -> list[TextLine]:
    """The lines with broken ones joined (see the module's docstring)."""
    result: list[TextLine] = []
    for line in lines:
        previous = result[-1] if result else None
        if previous is not None and previous.text and line.text and not previous.heading:
            joined = _join(previous.text, line.text)
            if joined is not None:
                result[-1] = TextLine(previous.number, joined)
                continue
        result.append(line)
    return result


# --------------------------------------------------------------------------- columns

_ANCHOR_FIELD = re.compile(
    r"(?i)^(?:(?P<email>(?:e-?mail\s*:?\s*)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+)"
    r"|(?P<phone>(?:[^\W\d_]{1,10}\.?\s*:?\s*)?\+?[\d\s().\u2011-]{7,}))$"
)
_SLASH = re.compile(r"\s+/\s+")


def _fields(text: str, separator: re.Pattern[str]) -> list[str]:
    return [piece.strip() for piece in separator.split(text)]


def _kind(piece: str) -> str:
    match = _ANCHOR_FIELD.match(piece)
    if match is None:
        return "text"
    return "email" if match.group("email") else "phone"


def _column_run(rows: list[list[str]]) -> tuple[int, int, int] | None:
    """(first, last, width) of the rows that set people side by side, if any."""
    widths = {len(row) for row in rows if len(row) >= 2}
    for width in sorted(widths, reverse=True):
        indexes = [i for i, row in enumerate(rows) if len(row) == width]
        kinds = [{_kind(piece) for piece in rows[i]} for i in indexes]
        has_anchor_row = any(len(k) == 1 and k != {"text"} for k in kinds)
        has_name_row = any(k == {"text"} for k in kinds)
        first, last = indexes[0], indexes[-1]
        # between the first and last row of that width: rows of one field only
        shared_ok = all(len(rows[i]) in (1, width) for i in range(first, last + 1))
        if has_anchor_row and has_name_row and len(indexes) >= 2 and shared_ok:
            return first, last, width
    return None


def _split_block(block: list[TextLine]) -> list[TextLine]:
    for separator in (re.compile(r"\t"), _SLASH):
        rows = [_fields(line.text, separator) for line in block]
        run = _column_run(rows)
        if run is None:
            continue
        first, last, width = run
        result = list(block[:first])
        if result:
            result.append(TextLine(result[-1].number, ""))
        for column in range(width):
            for index in range(first, last + 1):
                row, line = rows[index], block[index]
                text = row[column] if len(row) == width else line.text
                if text:
                    result.append(TextLine(line.number, text))
            result.append(TextLine(block[last].number, ""))
        result += block[last + 1 :]
        return result
    return block


def columns(lines: list[TextLine]) -> list[TextLine]:
    """The lines with each side-by-side layout turned into one block per person."""
    result: list[TextLine] = []
    block: list[TextLine] = []
    for line in [*lines, TextLine(0, "")]:
        if line.text and not line.heading:
            block.append(line)
            continue
        result += _split_block(block)
        block = []
        if line.number:
            result.append(line)
    return result


# --------------------------------------------------------------------------- regions

_DOMAIN = re.compile(r"@(?P<domain>[\w-]+(?:\.[\w-]+)*\.(?P<tld>[a-z]{2,}))\b", re.IGNORECASE)
# Country codes sold as generic names: they say nothing of where the phone rings.
_GENERIC_TLDS = frozenset(["io", "co", "me", "tv", "ai", "fm", "ly", "ws", "to", "cc", "gg",
                           "sh", "ac", "im", "nu", "so", "st", "vc"])


def domain_region(text: str, orgs: Sequence[KnownOrg] = ()) -> str | None:
    """The one country the e-mail domains in ``text`` point to, if they agree on one: the
    country of the book's organisation at that domain, else the domain's country code."""
    regions = set()
    for match in _DOMAIN.finditer(text):
        known = book_org([match.group()], orgs)
        tld = match.group("tld").lower()
        if known is not None and known.country:
            regions.add(known.country)
        elif len(tld) == 2 and tld not in _GENERIC_TLDS and (region := country_code(tld)):
            regions.add(region)
    return regions.pop() if len(regions) == 1 else None


def block_regions(lines: list[TextLine], region: str | None,
                  orgs: Sequence[KnownOrg] = ()) -> list[str | None]:
    """The region of each line: its block's e-mail country (see :func:`domain_region`),
    else ``region``."""
    result: list[str | None] = []
    block: list[TextLine] = []
    for line in [*lines, TextLine(0, "")]:
        if line.text:
            block.append(line)
            continue
        found = domain_region("\n".join(item.text for item in block), orgs)
        result += [found or region] * len(block)
        block = []
        if line.number:
            result.append(region)
    return result
