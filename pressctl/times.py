"""Moments as people write them and as the store keeps them: the one reader of times.

* :func:`parse_when`: ``"2020-09-22 11:30 Europe/Paris"``, a local time with an IANA zone
  (an embargo, an event, `mailout create --at`). Abbreviations (BST, CET, EST) and fixed
  offsets (UTC+1) are refused: CST is three zones on three continents, and an offset does
  not follow summer time. "UTC" is accepted. A local time the clocks skip, or pass twice,
  is refused too: an embargo must be one instant.
* :func:`parse_start`: when something should start: "now", a delay ("in 2h") or such a
  local time, never in the past.
* :func:`parse_duration`: the length of an event ("90m", "1h30").
* :func:`iso` / :func:`from_iso`: how the store writes a moment (UTC, to the second).

Pure: no clock (``now`` is a parameter, aware), no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pressctl.errors import InvalidInput

WHEN_FORMAT = '"YYYY-MM-DD HH:MM Zone/City", e.g. "2020-09-22 11:30 Europe/Paris"'
RELATIVE_FORMAT = '"in 2h", "in 90m", "in 1h30", "in 2 days"'

Now = Callable[[], datetime]  # a wall clock, read at the edge and passed in: aware times

_WHEN = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?:\s+(\S+))?")
_DURATION = re.compile(r"(?:(\d+)\s*h\s*(?:(\d+)\s*(?:m|min)?)?|(\d+)\s*(?:m|min))")
_RELATIVE = re.compile(
    r"in\s+"
    r"(?:(?P<days>\d+)\s*(?:d|days?)\s*)?"
    r"(?:(?P<hours>\d+)\s*(?:h|hrs?|hours?)\s*)?"
    r"(?:(?P<minutes>\d+)\s*(?P<unit>m|mins?|minutes?)?)?"
)
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


# --------------------------------------------------------------------------- the store


def iso(moment: datetime) -> str:
    """How the store writes a moment: UTC, to the second ("2026-11-22T09:30:00Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def require_aware(dt: datetime, name: str) -> None:
    """Raise ValueError (a programming error) when ``dt`` has no zone."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {dt.isoformat()}")


# --------------------------------------------------------------------------- local times


def parse_when(text: str) -> datetime:
    """``"2020-09-22 11:30 Europe/Paris"`` -> an aware datetime in that zone.

    Raises InvalidInput whose message says what is wrong with ``text`` ("no time zone").
    """
    match = _WHEN.fullmatch(text.strip())
    if not match:
        raise InvalidInput("not a date and time", hint=f"write {WHEN_FORMAT}")
    if not match.group(6):
        raise InvalidInput("no time zone", hint=f"write {WHEN_FORMAT}")
    zone = parse_zone(match.group(6))
    year, month, day, hour, minute = (int(match.group(n)) for n in range(1, 6))
    try:
        naive = datetime(year, month, day, hour, minute)
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


def parse_zone(name: str) -> ZoneInfo:
    """An IANA zone name ("Europe/Paris", "UTC") -> its ZoneInfo; InvalidInput, with the
    zone probably meant, for an abbreviation, an offset, a bare city or a typo."""
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
        import difflib  # only for a misspelt zone: start-up time

        zones = _zone_names()
        close = difflib.get_close_matches(name.casefold(), zones, n=1, cutoff=0.7)
        hint = f"did you mean {zones[close[0]]}?" if close else "see the IANA zone list"
        raise InvalidInput(f'"{name}" is not a known time zone', hint=hint) from None


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


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


# --------------------------------------------------------------------------- starting


def parse_start(text: str, now: datetime) -> datetime:
    """When something should start (a mailout), as an aware datetime in UTC.

    Accepts "now", a delay ("in 2h", "in 90m", "in 1h30", "in 2 days", "in 1d 6h") or a
    local time with an IANA zone, read by :func:`parse_when`. A time before ``now`` is
    refused. A delay is elapsed time: "in 2 days" is 48 hours later, even across a change
    of summer time.
    """
    require_aware(now, "now")
    cleaned = " ".join(text.split())
    if cleaned.lower() == "now":
        return now.astimezone(UTC)
    if cleaned.lower().startswith("in "):
        try:
            return now.astimezone(UTC) + _delay(cleaned)  # elapsed time, DST or not
        except OverflowError:
            raise InvalidInput(f'"{text}" is too far in the future') from None
    try:
        when = parse_when(cleaned)
    except InvalidInput as err:
        hint = err.hint
        if err.message == "not a date and time":
            hint = f'write "now", a delay ({RELATIVE_FORMAT}) or {WHEN_FORMAT}'
        raise InvalidInput(f'"{text}": {err.message}', hint=hint) from None
    if when < now:
        zone = getattr(when.tzinfo, "key", "UTC")
        shown = now.astimezone(when.tzinfo)
        raise InvalidInput(f'"{text}" is in the past (it is now {shown:%Y-%m-%d %H:%M} {zone})',
                           hint='give a later time, or "now" to start at once')
    return when.astimezone(UTC)


def _delay(text: str) -> timedelta:
    match = _RELATIVE.fullmatch(text.lower())
    if not match or not any(match.group(k) for k in ("days", "hours", "minutes")):
        raise InvalidInput(f'"{text}" is not a delay', hint=f"write e.g. {RELATIVE_FORMAT}")
    days, hours, minutes = (int(match.group(k) or 0) for k in ("days", "hours", "minutes"))
    if match.group("minutes") and not match.group("unit"):
        if not match.group("hours"):  # "in 5": five what?
            raise InvalidInput(f'"{text}": a number without a unit',
                               hint=f"write e.g. {RELATIVE_FORMAT}")
        if minutes >= 60:  # "in 1h90" is most likely a typo
            raise InvalidInput(f'"{text}": {minutes} minutes after the hours',
                               hint='write minutes below 60, or "in 90m"')
    return timedelta(days=days, hours=hours, minutes=minutes)  # OverflowError: caller
