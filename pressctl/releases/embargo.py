"""The embargo: this is where the embargo rule is decided. Also the embargo notice
stamped into every embargoed message, and event times written in house style.

The rule (:func:`gets_embargoed_version`, :func:`timing`, :func:`split_audience`): an
embargoed release sent before its lift goes out in two phases. The embargoed version goes
only to contacts who accept embargoes (``embargo_ok``); everyone else in the audience gets
the public version at the lift, or nothing when the mailout has no public phase
(``--no-public``). It is not a setting a release file can forget. Callers:
:mod:`pressctl.releases.recipients` (which version each recipient gets) and
:mod:`pressctl.delivery.mailouts` (the phases of a mailout). Consent is checked again
just before each embargoed message goes out: a contact who no longer accepts embargoes is
withheld and gets the public version at the lift instead (the query is
``pressctl.store.consent``, called by :mod:`pressctl.delivery.sending`).

Pure: no I/O, no clock (``now`` is a parameter).

Reading an embargo's time ("2020-09-22 11:30 Europe/Paris": IANA zones only, one
instant) is :func:`pressctl.times.parse_when`, the one reader of times.

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

import html
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from pressctl.releases.documents import Embargo

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

# Inline, with its own font: the notice reads the same inside the templates' column and,
# from an old template without the notices marker, right after <body> (rendering). The
# class lets the templates' dark-mode rules lighten the red.
_NOTICE_STYLE = ("margin:0 0 16px 0;padding:8px 12px;border:2px solid #b00020;color:#b00020;"
                 "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4;"
                 "font-weight:bold")


# --------------------------------------------------------------------------- the rule


class Phase(StrEnum):
    """A mailout's phase, as the store keeps it (``mailouts.phase``)."""

    SINGLE = "single"  # no embargo ahead: the public version, to the whole audience
    EMBARGOED = "embargoed"  # before the lift: the embargoed version, to those who accept it
    PUBLIC = "public"  # at the lift: the public version, to the rest of the audience


def gets_embargoed_version(embargo: Embargo | None, embargo_ok: bool) -> bool:
    """The embargo rule: a release's embargoed version goes to a contact only when the
    contact accepts embargoes (``embargo_ok``); anyone else gets the public version."""
    return embargo is not None and embargo_ok


@dataclass(frozen=True, slots=True)
class Timing:
    """When the versions go out: the embargoed phase at ``embargoed_at``, the public one at
    ``public_at``. Without an embargoed phase (None), a single mailout takes the public
    version to the whole audience at ``public_at``."""

    public_at: datetime
    embargoed_at: datetime | None = None


def timing(lift: datetime | None, due: datetime, now: datetime) -> Timing:
    """A release sent at ``due`` whose embargo lifts at ``lift``: sent before the lift, the
    embargoed phase goes at ``due`` and the public phase at the lift. An embargo lifted by
    ``now`` is no embargo, and a release sent at or after its lift goes out once, public."""
    if lift is None or lift <= now or due >= lift:
        return Timing(public_at=due)
    return Timing(public_at=lift, embargoed_at=due)


class _Marked(Protocol):
    @property
    def embargoed(self) -> bool:
        """Given the embargoed version (:func:`gets_embargoed_version`)."""
        ...


Member = TypeVar("Member", bound=_Marked)


@dataclass(frozen=True, slots=True)
class AudienceSplit(Generic[Member]):
    """An embargoed release's audience before the lift, by what each member gets."""

    embargoed: list[Member]  # the embargoed version, in the embargoed phase
    public: list[Member]  # the public version, at the lift
    left_out: list[Member]  # nothing: the mailout has no public phase (--no-public)


def split_audience(audience: Iterable[Member], *, public_at_lift: bool
                   ) -> AudienceSplit[Member]:
    """Who gets what of an embargoed release sent before its lift: the members given the
    embargoed version get it; the others get the public version at the lift, or nothing
    when there is no public phase (``public_at_lift`` false)."""
    members = list(audience)
    embargoed = [member for member in members if member.embargoed]
    others = [member for member in members if not member.embargoed]
    if public_at_lift:
        return AudienceSplit(embargoed, others, [])
    return AudienceSplit(embargoed, [], others)


# --------------------------------------------------------------------------- the notice


@dataclass(frozen=True, slots=True)
class Notice:
    """What the core stamps into an embargoed message."""

    subject_prefix: str  # "EMBARGO 22 Sep 2020 11:30 CEST – ", put before the Subject
    text: str  # two lines for the top of the text/plain part
    html: str  # the same as one escaped <p>, styled inline (mail clients drop <style>)


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
    markup = (f'<p class="notice-urgent" style="{_NOTICE_STYLE}">{html.escape(first)}<br>'
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
