"""Answers to an invitation: iTIP replies (RFC 5546 METHOD:REPLY), read with icalendar.

Calendar programs answer in different envelopes: Outlook sends the reply inline
(``text/calendar; method=REPLY`` inside multipart/alternative), Google Calendar sends it
twice (the inline part and an ``invite.ics`` attachment), Apple Calendar attaches it as
``application/ics``. Every calendar part is read: text/calendar, application/ics, and
any part whose file name ends in ``.ics``. Identical answers found twice count once.

A calendar whose METHOD is not REPLY (a forwarded REQUEST, a PUBLISH) is no answer. A
part that says it is a reply (``method=REPLY`` or ``METHOD:REPLY`` in its text) but that
icalendar cannot read, or whose VEVENT lacks what a reply must have (UID, DTSTAMP, an
ATTENDEE), is a *problem*: reported with its reason, never raised.

Each answer is one attendee of one event: its UID, SEQUENCE (0 when absent, RFC 5545
3.8.7.4), the attendee's address (``mailto:`` dropped, normalised as the book stores
addresses), PARTSTAT, DTSTAMP (aware, UTC; RFC 5545 wants it in UTC, and one written
in local time is read in its TZID when that is an IANA zone, else as UTC) and COMMENT
(Outlook puts the note the person typed there). PARTSTAT ACCEPTED, DECLINED and
TENTATIVE are answers; DELEGATED, NEEDS-ACTION and the rest are listed as unsupported
(the invitation stays unanswered).

icalendar is imported inside the function that parses (STYLE.md: heavy imports where
needed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from email.message import Message
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.inbox.headers import normalised_address, part_text

_CALENDAR_TYPES = ("text/calendar", "application/ics", "text/x-vcalendar")
_SAYS_REPLY = re.compile(r"^METHOD\s*:\s*REPLY\s*$", re.IGNORECASE | re.MULTILINE)
_SAYS_METHOD = re.compile(r"^METHOD\s*:", re.IGNORECASE | re.MULTILINE)


class PartStat(StrEnum):
    """An attendee's answer that pressctl records."""

    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TENTATIVE = "TENTATIVE"


@dataclass(frozen=True, slots=True)
class Rsvp:
    """One attendee's answer to one event."""

    uid: str
    sequence: int
    attendee: str  # normalised address
    partstat: PartStat
    dtstamp: datetime  # aware, UTC: when the answer was made
    comment: str | None


@dataclass(frozen=True, slots=True)
class UnsupportedAnswer:
    """An answer pressctl does not record (DELEGATED, NEEDS-ACTION, an unknown value)."""

    uid: str
    attendee: str
    partstat: str


@dataclass(frozen=True, slots=True)
class CalendarReplies:
    """The iTIP replies a message carries. ``found`` is False when it carries none (no
    calendar part, or only requests); ``problem`` says why a reply could not be read."""

    found: bool = False
    rsvps: tuple[Rsvp, ...] = ()
    unsupported: tuple[UnsupportedAnswer, ...] = ()
    problem: str | None = None


class _Unreadable(Exception):
    """A reply that cannot be read; its message is the reason shown to the user."""


def read_replies(message: Message) -> CalendarReplies:
    """Every iTIP reply in ``message``'s calendar parts; never raises for bad data."""
    rsvps: list[Rsvp] = []
    unsupported: list[UnsupportedAnswer] = []
    problems: list[str] = []
    for part in _calendar_parts(message):
        text = part_text(part)
        if not _is_reply(part, text):
            continue
        try:
            found, odd = _answers(text)
        except _Unreadable as err:
            problems.append(f"{_name(part)}: {err}")
            continue
        rsvps += [r for r in found if r not in rsvps]
        unsupported += [u for u in odd if u not in unsupported]
    if rsvps or unsupported:
        return CalendarReplies(True, tuple(rsvps), tuple(unsupported))
    if problems:
        return CalendarReplies(True, problem="an iTIP reply that cannot be read: "
                                             + "; ".join(problems))
    return CalendarReplies()


def _calendar_parts(message: Message) -> list[Message]:
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename() or ""
        if part.get_content_type() in _CALENDAR_TYPES or filename.lower().endswith(".ics"):
            found.append(part)
    return found


def _is_reply(part: Message, text: str) -> bool:
    """Whether the part presents itself as a reply: by the METHOD line of its calendar
    (which wins), else by the method parameter of its Content-Type."""
    if _SAYS_METHOD.search(text):
        return bool(_SAYS_REPLY.search(text))
    method = part.get_param("method")
    return isinstance(method, str) and method.strip().upper() == "REPLY"


def _name(part: Message) -> str:
    return part.get_filename() or part.get_content_type()


def _answers(text: str) -> tuple[list[Rsvp], list[UnsupportedAnswer]]:
    import icalendar

    try:
        calendar = icalendar.Calendar.from_ical(text)
    except Exception as err:  # the third-party parser's errors vary with the input
        raise _Unreadable(f"icalendar cannot parse it ({_short(err)})") from None
    method = str(calendar.get("METHOD", "REPLY")).strip().upper()
    if method != "REPLY":
        raise _Unreadable(f"its calendar says METHOD:{method}, its message says REPLY")
    events = list(calendar.walk("VEVENT"))
    if not events:
        raise _Unreadable("no VEVENT in the calendar")
    rsvps: list[Rsvp] = []
    unsupported: list[UnsupportedAnswer] = []
    for event in events:
        uid = _text(event, "UID")
        if not uid:
            raise _Unreadable("a VEVENT without UID")
        broken = [f"{name} ({why})" for name, why in getattr(event, "errors", ())]
        if broken:
            raise _Unreadable(f"event {uid}: unreadable " + ", ".join(broken))
        sequence = _sequence(event, uid)
        stamp = _dtstamp(event, uid)
        comment = _comment(event)
        attendees = event.get("ATTENDEE")
        if attendees is None:
            raise _Unreadable(f"event {uid}: no ATTENDEE (a reply names who answers)")
        for attendee in attendees if isinstance(attendees, list) else [attendees]:
            address = normalised_address(str(attendee))
            if address is None:
                raise _Unreadable(f'event {uid}: ATTENDEE "{attendee}" is not an e-mail address')
            params = getattr(attendee, "params", {})
            answer = str(params.get("PARTSTAT", "NEEDS-ACTION")).strip().upper()
            if answer in PartStat.__members__:
                rsvps.append(Rsvp(uid, sequence, address, PartStat(answer), stamp, comment))
            else:
                unsupported.append(UnsupportedAnswer(uid, address, answer))
    return rsvps, unsupported


def _text(event: Any, name: str) -> str:
    value = event.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _sequence(event: Any, uid: str) -> int:
    value = event.get("SEQUENCE")
    if value is None:
        return 0
    try:
        sequence = int(value)
    except (TypeError, ValueError):
        raise _Unreadable(f'event {uid}: SEQUENCE "{value}" is not a number') from None
    if sequence < 0:
        raise _Unreadable(f"event {uid}: SEQUENCE {sequence} is negative")
    return sequence


def _dtstamp(event: Any, uid: str) -> datetime:
    value = event.get("DTSTAMP")
    moment = getattr(value, "dt", None)
    if value is None:
        raise _Unreadable(f"event {uid}: no DTSTAMP (a reply says when it was made)")
    if not isinstance(moment, datetime):
        shown = moment.isoformat() if isinstance(moment, date) else str(value)
        raise _Unreadable(f'event {uid}: DTSTAMP "{shown}" is not a date-time')
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(getattr(value, "params", {}).get("TZID")))
    return moment.astimezone(UTC)


def _zone(name: object) -> tzinfo:
    """The zone a (wrongly) zoned DTSTAMP names, when it is an IANA name; else UTC
    (icalendar reads DTSTAMP as UTC or floating and leaves its TZID aside)."""
    if not isinstance(name, str) or not name.strip():
        return UTC
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return UTC  # a Windows zone name ("Romance Standard Time") or garbage


def _comment(event: Any) -> str | None:
    value = event.get("COMMENT")
    if value is None:
        return None
    texts = [" ".join(str(v).split()) for v in (value if isinstance(value, list) else [value])]
    joined = "\n".join(t for t in texts if t)
    return joined or None


def _short(err: Exception) -> str:
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= 120 else text[:117] + "..."
