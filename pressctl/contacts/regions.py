"""Countries and languages as people write them, reduced to ISO 3166 and BCP 47 codes."""

from __future__ import annotations

import re
from functools import lru_cache

# Names a contact spreadsheet commonly uses instead of the code (English, French,
# German, Italian, Spanish spellings), and the one code people get wrong: UK -> GB.
_COUNTRY_NAMES = {
    "uk": "GB", "united kingdom": "GB", "royaume-uni": "GB", "great britain": "GB",
    "england": "GB", "grande-bretagne": "GB",
    "france": "FR", "frankreich": "FR", "francia": "FR",
    "belgium": "BE", "belgique": "BE", "belgien": "BE", "belgio": "BE", "bélgica": "BE",
    "switzerland": "CH", "suisse": "CH", "schweiz": "CH", "svizzera": "CH", "suiza": "CH",
    "germany": "DE", "allemagne": "DE", "deutschland": "DE", "germania": "DE",
    "alemania": "DE",
    "italy": "IT", "italie": "IT", "italia": "IT", "italien": "IT",
    "spain": "ES", "espagne": "ES", "españa": "ES", "spanien": "ES", "spagna": "ES",
    "united states": "US", "usa": "US", "u.s.": "US", "u.s.a.": "US", "états-unis": "US",
    "etats-unis": "US", "canada": "CA", "kanada": "CA",
    "netherlands": "NL", "pays-bas": "NL", "niederlande": "NL", "luxembourg": "LU",
    "austria": "AT", "autriche": "AT", "österreich": "AT", "portugal": "PT",
    "japan": "JP", "japon": "JP", "australia": "AU", "australie": "AU",
    "sweden": "SE", "suède": "SE", "russia": "RU", "russie": "RU",
}

_LANGUAGE_NAMES = {
    "english": "en", "anglais": "en", "englisch": "en", "inglese": "en", "inglés": "en",
    "french": "fr", "français": "fr", "francais": "fr", "französisch": "fr",
    "francese": "fr", "francés": "fr",
    "german": "de", "allemand": "de", "deutsch": "de", "tedesco": "de", "alemán": "de",
    "italian": "it", "italien": "it", "italiano": "it", "italienisch": "it",
    "spanish": "es", "espagnol": "es", "español": "es", "spanisch": "es", "spagnolo": "es",
    "dutch": "nl", "néerlandais": "nl", "portuguese": "pt", "portugais": "pt",
}

_BCP47 = re.compile(r"^([A-Za-z]{2,3})((?:-[A-Za-z0-9]{1,8})*)$")


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def known_region(code: str) -> bool:
    return code in _regions()


@lru_cache(maxsize=1024)  # contact lists repeat a few countries and languages
def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 for a code or a common country name; None when unknown."""
    value = text.strip()
    if len(value) == 2 and value.isalpha():
        code = value.upper()
        code = "GB" if code == "UK" else code
        return code if known_region(code) else None
    return _COUNTRY_NAMES.get(value.casefold())


@lru_cache(maxsize=1024)
def language_tag(text: str) -> str | None:
    """A BCP 47 tag in canonical case (fr, en-GB, zh-Hant-TW), or None when malformed."""
    value = text.strip().replace("_", "-")
    named = _LANGUAGE_NAMES.get(value.casefold())
    if named:
        return named
    match = _BCP47.match(value)
    if not match:
        return None
    parts = [match.group(1).lower()]
    for sub in filter(None, match.group(2).split("-")):
        if len(sub) == 2 and sub.isalpha():
            parts.append(sub.upper())
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())
        else:
            parts.append(sub.lower())
    return "-".join(parts)
