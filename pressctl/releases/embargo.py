"""Embargo and event times: read as people write them, written in house style, and the
embargo notice stamped into every embargoed message.

Reading (:func:`parse_when`): ``"2020-09-22 11:30 Europe/Paris"``, a local time with an IANA
zone. Abbreviations (BST, CET, EST) and fixed offsets (UTC+1) are refused: CST is three
zones on three continents, and an offset does not follow summer time. "UTC" is accepted. A
local time the clocks skip, or pass twice, is refused too: an embargo must be one instant.

The notice gives the lift time twice: in the release's own zone, because that is what the
press officer announced, and in UTC, because the reader may be anywhere. Each carries its
own weekday and date when they differ: 00:01 BST on Tuesday 2 June is 23:01 UTC on Monday
1 June, and a journalist who reads only one of the two must not be a day out.

Month and day names are our own, not the ``locale`` module's: locales depend on what the
machine has installed (a minimal cron host has only C.UTF-8) and ``setlocale`` is
process-wide. English and French are written here; any other language falls back to
English, the lingua franca of embargo notices.

House style:

* English: "Tuesday 22 September 2020, 11:30 CEST" - the zone's abbreviation as the tz
  database gives it; where it has none ("+03") or one shared by several zones ("IST"),
  the city: "10:00 Istanbul time".
* French: "mardi 22 septembre 2020 à 11 h 30 (heure de Paris)" - French readers know
  cities, not CEST; hours on two digits ("09 h 30") to match the 24-hour clock of the
  subject line; "1er" for the first day of the month.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pressctl.errors import InvalidInput
from pressctl.releases.documents import Embargo

WHEN_FORMAT = '"YYYY-MM-DD HH:MM Zone/City", e.g. "2020-09-22 11:30 Europe/Paris"'

_WHEN = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?:\s+(\S+))?")
_DURATION = re.compile(r"(?:(\d+)\s*h\s*(?:(\d+)\s*(?:m|min)?)?|(\d+)\s*(?:m|min))")
_OFFSET = re.compile(r"(?:UTC|GMT)?\s*[+\-−]\s*\d{1,2}(?::?\d{2})?", re.IGNORECASE)
_ZONE_FOR = {  # the zone people usually mean by an abbreviation, for the hint only
    "BST": "Europe/London", "GMT": "Europe/London (UK time) or UTC", "WET": "Europe/Lisbon",
    "WEST": "Europe/Lisbon", "CET": "Europe/Paris", "CEST": "Europe/Paris",
    "MEZ": "Europe/Berlin", "EET": "Europe/Athens", "EEST": "Europe/Athens",
    "EST": "America/New_York", "EDT": "America/New_York", "CST": "America/Chicago",
    "CDT": "America/Chicago", "MST": "America/Denver", "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles", "JST": "Asia/Tokyo", "IST": "Asia/Kolkata or Europe/Dublin",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney", "Z": "UTC",
}

_EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_FR_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_FR_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre")

# Cities whose French name differs from the tz database's (English) one; the others are
# written as in the zone name ("heure de Tokyo", "heure de Paris").
_FR_CITIES = {
    "London": "Londres", "Brussels": "Bruxelles", "Vienna": "Vienne", "Lisbon": "Lisbonne",
    "Athens": "Athènes", "Moscow": "Moscou", "Warsaw": "Varsovie", "Copenhagen": "Copenhague",
    "Bucharest": "Bucarest", "Mexico City": "Mexico", "Sao Paulo": "São Paulo",
    "Havana": "La Havane", "Algiers": "Alger", "Cairo": "Le Caire", "Singapore": "Singapour",
    "Kolkata": "Calcutta", "Seoul": "Séoul", "Noumea": "Nouméa",
    "Martinique": "la Martinique", "Guadeloupe": "la Guadeloupe", "Reunion": "la Réunion",
}
_UTC_KEYS = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal",
                       "Etc/Zulu", "Zulu"})
# Abbreviations the tz database gives to zones on different continents (IST: India, Ireland,
# Israel; CST: Chicago, Shanghai, Havana): written as the city instead.
_AMBIGUOUS_ABBREVIATIONS = frozenset({"IST", "CST", "CDT", "AST", "ADT", "SST", "GST"})

_NOTICE_STYLE = ("margin:0 0 1em 0;padding:8px 12px;border:2px solid #b00020;"
                 "color:#b00020;font-weight:bold")


@dataclass(frozen=True, slots=True)
class Notice:
    """What the core stamps into an embargoed message."""

    subject_prefix: str  # "EMBARGO 22 Sep 2020 11:30 CEST – ", put before the Subject
    text: str  # two lines for the top of the text/plain part
    html: str  # the same as one escaped <p>, inline style only (mail clients drop <style>)


def embargo_notice(embargo: Embargo, language: str) -> Notice:
    """The notice in ``language`` (a BCP 47 tag; anything not French is English)."""
    lift = embargo.lift
    if _is_french(language):
        first = f"Sous embargo jusqu'au {format_when(lift, 'fr')}"
        if not _is_utc(lift):
            first += ", soit " + _french_utc(lift, embargo.utc)
        second = "Ne pas publier, diffuser ni mettre en ligne avant cette date."
        prefix = f"EMBARGO {lift:%d/%m/%Y} {_french_clock(lift)} {_french_zone(lift)} – "
    else:
        first = f"Embargoed until {format_when(lift, 'en')}"
        if not _is_utc(lift):
            first += f" ({_english_utc(lift, embargo.utc)})"
        second = "Not for publication, broadcast or posting online before this time."
        prefix = (f"EMBARGO {lift.day} {_EN_MONTHS[lift.month - 1][:3]} {lift.year} "
                  f"{lift:%H:%M} {_english_zone(lift)} – ")
    text = f"{first}\n{second}"
    markup = (f'<p style="{_NOTICE_STYLE}">{html.escape(first)}<br>'
              f"{html.escape(second)}</p>")
    return Notice(subject_prefix=prefix, text=text, html=markup)


def format_when(dt: datetime, language: str) -> str:
    """A moment in house style, weekday and zone included; ``dt`` must be aware."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"format_when needs an aware datetime, got {dt.isoformat()}")
    if _is_french(language):
        return f"{_french_date(dt)} à {_french_clock(dt)} {_french_zone(dt)}"
    return f"{_english_date(dt)}, {dt:%H:%M} {_english_zone(dt)}"


def format_clock(dt: datetime, language: str) -> str:
    """The time of day alone, in the house style: "12:30" / "12 h 30"."""
    return _french_clock(dt) if _is_french(language) else f"{dt:%H:%M}"


def parse_when(text: str) -> datetime:
    """``"2020-09-22 11:30 Europe/Paris"`` -> an aware datetime in that zone.

    Raises InvalidInput whose message says what is wrong with ``text`` ("no time zone").
    """
    match = _WHEN.fullmatch(text.strip())
    if not match:
        raise InvalidInput("not a date and time", hint=f"write {WHEN_FORMAT}")
    if not match.group(6):
        raise InvalidInput("no time zone", hint=f"write {WHEN_FORMAT}")
    zone = _zone(match.group(6))
    try:
        naive = datetime(*(int(match.group(n)) for n in range(1, 6)))  # type: ignore[misc]
    except ValueError as err:
        raise InvalidInput(f"not a real date and time ({err})") from None
    local = naive.replace(tzinfo=zone)
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise InvalidInput(f"this time does not exist in {zone.key}, the clocks go forward",
                           hint="choose another time")
    if local.replace(fold=1).utcoffset() != local.utcoffset():
        raise InvalidInput(f"this time happens twice in {zone.key}, the clocks go back",
                           hint="choose another time or give it in UTC")
    return local


def parse_duration(text: str) -> timedelta | None:
    """``"90m"``, ``"1h"``, ``"1h30"`` -> a timedelta; None when not a duration."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        return None
    hours, minutes, only_minutes = match.groups()
    if only_minutes:
        return timedelta(minutes=int(only_minutes))
    if minutes and int(minutes) >= 60:
        return None
    return timedelta(hours=int(hours), minutes=int(minutes or 0))


# --------------------------------------------------------------------------- English


def _english_date(dt: datetime) -> str:
    return f"{_EN_DAYS[dt.weekday()]} {dt.day} {_EN_MONTHS[dt.month - 1]} {dt.year}"


def _english_zone(dt: datetime) -> str:
    if _is_utc(dt):
        return "UTC"
    abbreviation = dt.tzname() or ""
    if abbreviation.isalpha() and abbreviation not in _AMBIGUOUS_ABBREVIATIONS:
        return abbreviation
    # No letters in the tz database ("+03") or letters that name several zones: the city
    # says where; the notice adds the exact UTC time beside it.
    city = _city(dt)
    return f"{city} time" if city else _offset(dt)


def _english_utc(local: datetime, utc: datetime) -> str:
    if utc.date() == local.date():
        return f"{utc:%H:%M} UTC"
    return f"{_english_date(utc)}, {utc:%H:%M} UTC"


# --------------------------------------------------------------------------- French


def _french_date(dt: datetime) -> str:
    day = "1er" if dt.day == 1 else str(dt.day)
    return f"{_FR_DAYS[dt.weekday()]} {day} {_FR_MONTHS[dt.month - 1]} {dt.year}"


def _french_clock(dt: datetime) -> str:
    return f"{dt:%H} h {dt:%M}"


def _french_zone(dt: datetime) -> str:
    if _is_utc(dt):
        return "UTC"
    city = _city(dt)
    if not city:
        return f"({_offset(dt)})"
    city = _FR_CITIES.get(city, city)
    if city.startswith(("la ", "La ", "Le ")):  # "heure du Caire", "heure de la Réunion"
        return f"(heure du {city[3:]})" if city.startswith("Le ") else f"(heure de {city})"
    first = unicodedata.normalize("NFD", city[0])[0].lower()
    return f"(heure d'{city})" if first in "aeiouy" else f"(heure de {city})"


def _french_utc(local: datetime, utc: datetime) -> str:
    if utc.date() == local.date():
        return f"{_french_clock(utc)} UTC"
    return f"le {_french_date(utc)} à {_french_clock(utc)} UTC"


# --------------------------------------------------------------------------- zones


def _is_french(language: str) -> bool:
    return language.split("-")[0].split("_")[0].strip().lower() == "fr"


def _zone_key(dt: datetime) -> str | None:
    return getattr(dt.tzinfo, "key", None)  # ZoneInfo has one; a fixed offset has none


def _is_utc(dt: datetime) -> bool:
    key = _zone_key(dt)
    if key is not None:
        return key in _UTC_KEYS
    return dt.utcoffset() == timedelta(0) and dt.tzname() in ("UTC", "UTC+00:00")


def _city(dt: datetime) -> str | None:
    key = _zone_key(dt)
    if not key or "/" not in key:
        return None
    return key.rsplit("/", 1)[1].replace("_", " ")


def _offset(dt: datetime) -> str:
    offset = dt.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours}:{minutes:02d}" if minutes else f"UTC{sign}{hours}"


def _zone(name: str) -> ZoneInfo:
    if name.upper() in ("UTC", "ETC/UTC"):
        return ZoneInfo("UTC")
    if _OFFSET.fullmatch(name):
        raise InvalidInput(f'"{name}" is a fixed offset, not a time zone: it ignores summer '
                           "time", hint="write the place's zone, e.g. Europe/Paris, or UTC")
    if name.upper().startswith("ETC/GMT"):
        raise InvalidInput(f'"{name}" counts its offset backwards (Etc/GMT-2 is UTC+2)',
                           hint="write the place's zone, e.g. Europe/Paris, or UTC")
    if "/" not in name:
        cities = sorted(z for z in _zone_names().values() if z.endswith("/" + name.title()))
        if cities:  # "Paris", "Tokyo": the place is right, the name is incomplete
            raise InvalidInput(f'"{name}" is not a zone name', hint=f"write {cities[0]}")
        suggestion = _ZONE_FOR.get(name.upper(), "Europe/Paris or America/New_York")
        raise InvalidInput(f'"{name}" is an ambiguous abbreviation, not a time zone',
                           hint=f"write an IANA zone name such as {suggestion}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zones = _zone_names()
        close = difflib.get_close_matches(name.casefold(), zones, n=1, cutoff=0.7)
        hint = f"did you mean {zones[close[0]]}?" if close else "see the IANA zone list"
        raise InvalidInput(f'"{name}" is not a known time zone', hint=hint) from None


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}
