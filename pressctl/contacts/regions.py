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


# The regions phonenumbers 9.0 knows, written out: checking config.toml's region on every
# `outbox run` with work would otherwise import phonenumbers (~12 ms) for this set alone.
# A code not in it is asked of phonenumbers itself, so a newer release's regions still
# count; tests/contacts/test_regions.py holds every code here to the installed release.
PHONE_REGIONS = frozenset((
    "AC", "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AR", "AS", "AT", "AU", "AW",
    "AX", "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN",
    "BO", "BQ", "BR", "BS", "BT", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH",
    "CI", "CK", "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE",
    "DJ", "DK", "DM", "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ",
    "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM",
    "GN", "GP", "GQ", "GR", "GT", "GU", "GW", "GY", "HK", "HN", "HR", "HT", "HU", "ID",
    "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE",
    "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI",
    "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH",
    "MK", "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX",
    "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ",
    "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM", "PR", "PS", "PT", "PW", "PY",
    "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI",
    "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV", "SX", "SY", "SZ", "TA",
    "TC", "TD", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR", "TT", "TV", "TW",
    "TZ", "UA", "UG", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI", "VN", "VU", "WF",
    "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
))


@lru_cache(maxsize=1)
def _regions() -> frozenset[str]:
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def known_region(code: str) -> bool:
    """Whether phonenumbers knows ``code`` (an upper-case ISO 3166 code)."""
    return code in PHONE_REGIONS or code in _regions()


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
