"""One iTIP invitation (RFC 5545 calendar data, RFC 5546 REQUEST or CANCEL) per recipient.

A mailout builds thousands of invitations to the same event that differ in one line: the
recipient's ATTENDEE. So :func:`invitation_template` builds and serialises the calendar
once with icalendar (VTIMEZONE, escaping and folding of the shared part are its job), and
:meth:`InvitationTemplate.for_attendee` splices that recipient's ATTENDEE content line
into the bytes where icalendar put a placeholder. Building a whole Calendar per recipient
costs hundreds of microseconds; the splice costs a few.

The one line written by hand follows RFC 5545 3.1 and 3.2 and RFC 6868:

* the CN parameter is sanitised: control characters and line breaks (CR, LF, U+2028...)
  become spaces, double quotes (which a parameter value cannot hold) are dropped, ``^`` is
  written ``^^``; the value is quoted when it holds ``,`` ``;`` or ``:``;
* the address is a ``mailto:`` URI and is refused (ValueError) if it holds white space or
  control characters: the caller validated it already, so that is a bug, never data;
* the line is folded at 75 octets with CRLF + space, never inside a UTF-8 character.

Times: DTSTART/DTEND carry the event's IANA zone (TZID) with a VTIMEZONE covering the
event's calendar years. RFC 5545 reads a repeated local time as its first occurrence, so
an event starting in the second pass of an autumn hour (``fold=1``) is written in UTC.

Text: in French, the SUMMARY, the LOCATION's venue, the DESCRIPTION and its labels
("Rejoindre en ligne : ...") are typeset as the message is
(:func:`pressctl.releases.typography.typeset`: no-break spaces before the colon, in
"11 h 30"...), and the RSVP deadline is written in French. The values a reader types back
(link, meeting ID, passcode, numbers, RSVP address) are written as given.

icalendar and phonenumbers are imported inside :func:`invitation_template`, so importing
this module costs nothing at command start-up (STYLE.md: heavy imports where needed).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pressctl.errors import InvalidInput
from pressctl.releases.embargo import format_when
from pressctl.releases.typography import is_french, typeset

if TYPE_CHECKING:
    from pressctl.releases.documents import Event

PRODID = "-//pressctl//EN"
METHODS = ("REQUEST", "CANCEL")
FOLD_AT = 75  # octets per line, CRLF excluded (RFC 5545 3.1)

_PLACEHOLDER = "mailto:attendee@pressctl.invalid"  # .invalid never resolves (RFC 2606)
_PLACEHOLDER_LINE = f"\r\nATTENDEE:{_PLACEHOLDER}\r\n".encode("ascii")
_ATTENDEE_PARAMS = {
    "REQUEST": ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE",
    "CANCEL": ";ROLE=REQ-PARTICIPANT",  # nothing to answer to a cancellation
}
_STATUS = {"REQUEST": "CONFIRMED", "CANCEL": "CANCELLED"}

# Characters that may not stand in a parameter value (RFC 5545 3.1: CTL and DQUOTE), plus
# the Unicode line and paragraph separators some parsers split lines on (str.splitlines).
_CONTROLS = re.compile(r'[\x00-\x1f\x7f-\x9f"\u2028\u2029]')
_NEEDS_QUOTES = re.compile(r"[,;:]")
_BAD_ADDRESS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_SLUG_DROP = re.compile(r"[^a-z0-9]+")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def event_uid(reference: str, domain: str) -> str:
    """The UID of a release's event: the same for every re-send, update or cancellation.

    ``event_uid("PR106-2020", "cnes.fr")`` is ``"pr106-2020-event@cnes.fr"``.
    """
    folded = unicodedata.normalize("NFKD", reference).encode("ascii", "ignore").decode()
    slug = _SLUG_DROP.sub("-", folded.lower()).strip("-")
    host = domain.strip().lower()
    if not slug:
        raise ValueError(f"event UID: reference {reference!r} has no letters or digits")
    if not host or _BAD_ADDRESS.search(host) or "@" in host:
        raise ValueError(f"event UID: {domain!r} is not a domain name")
    return f"{slug}-event@{host}"


class InvitationTemplate:
    """A serialised VCALENDAR with a hole for one ATTENDEE; immutable, thread-safe."""

    __slots__ = ("_head", "_params", "_tail", "method", "uid")

    def __init__(self, uid: str, method: str, head: bytes, tail: bytes) -> None:
        self.uid = uid
        self.method = method
        self._head = head  # everything up to and including the CRLF before ATTENDEE
        self._tail = tail  # everything after the ATTENDEE line's CRLF
        self._params = _ATTENDEE_PARAMS[method]

    @property
    def content_type(self) -> str:
        """The MIME type of the part that carries it (RFC 6047)."""
        return f'text/calendar; method={self.method}; charset="UTF-8"'

    def state(self) -> dict:
        """What it takes to rebuild this template byte for byte (a frozen mailout)."""
        return {"uid": self.uid, "method": self.method,
                "head": self._head.decode("utf-8"), "tail": self._tail.decode("utf-8")}

    @classmethod
    def from_state(cls, state: dict) -> InvitationTemplate:
        return cls(state["uid"], state["method"], state["head"].encode("utf-8"),
                   state["tail"].encode("utf-8"))

    def for_attendee(self, name: str, email: str) -> bytes:
        """The whole calendar (UTF-8, CRLF) inviting ``email`` alone."""
        line = "ATTENDEE" + cn_param(name) + self._params + ":" + mailto(email)
        data = line.encode("utf-8")
        if len(data) > FOLD_AT:
            data = fold(data)
        return self._head + data + b"\r\n" + self._tail


def invitation_template(
    event: Event,
    *,
    uid: str,
    summary: str,
    description: str,
    organizer_name: str,
    organizer_email: str,
    now: datetime,
    method: str = "REQUEST",
    language: str = "en",
) -> InvitationTemplate:
    """Build the calendar for ``event`` once; see :class:`InvitationTemplate`.

    ``language`` chooses the words of the details added to DESCRIPTION (en, fr).

    ``now`` (aware) is the DTSTAMP. Raises ValueError for a bad argument (method, naive
    ``now``, an address with spaces) and InvalidInput for an event that cannot be sent.
    """
    from icalendar import Calendar, Timezone, vCalAddress
    from icalendar import Event as VEvent

    if method not in METHODS:
        raise ValueError(f"iTIP method {method!r} (expected one of {', '.join(METHODS)})")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if event.sequence < 0:
        raise InvalidInput(f"event {event.title!r}: sequence {event.sequence} is negative")
    start, end, zone = _event_times(event)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    if zone is not None:
        calendar.add_component(Timezone.from_tzinfo(
            zone, tzid=zone.key, first_date=date(start.year, 1, 1),
            last_date=date(end.year + 1, 1, 1)))

    vevent = VEvent()
    vevent.add("uid", uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", now.astimezone(UTC))
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    vevent.add("summary", typeset(summary, language))
    vevent.add("description", _description(event, description, zone, language))
    if location := _location(event, language):
        vevent.add("location", location)
    if event.url:
        vevent.add("url", event.url)
    organizer = vCalAddress(mailto(organizer_email))
    if cn := clean_name(organizer_name):
        organizer.params["CN"] = cn
    vevent.add("organizer", organizer)
    vevent.add("attendee", vCalAddress(_PLACEHOLDER))
    vevent.add("status", _STATUS[method])
    vevent.add("transp", "OPAQUE")
    calendar.add_component(vevent)

    data = calendar.to_ical()
    at = data.find(_PLACEHOLDER_LINE)
    if at < 0 or data.find(_PLACEHOLDER_LINE, at + 1) >= 0:  # pragma: no cover - icalendar
        raise RuntimeError("icalendar did not write the ATTENDEE placeholder line once")
    head, tail = data[: at + 2], data[at + len(_PLACEHOLDER_LINE) :]
    return InvitationTemplate(uid, method, head, tail)


# --------------------------------------------------------------------------- reading back


def read_invitation(data: bytes) -> tuple[str, str, Event]:
    """``(UID, METHOD, the event)`` of a calendar this module wrote: how an invitation
    frozen before pressctl stored each event's versions (pressctl.store.events) tells
    what it sent. DESCRIPTION gives back the meeting ID, passcode and dial-in numbers (in
    the words of :data:`_WORDS`); the RSVP fields are not read. Raises ValueError for a
    calendar without one event."""
    from icalendar import Calendar

    from pressctl.contacts.model import Phone
    from pressctl.releases.documents import Event

    calendar = Calendar.from_ical(data)
    found = calendar.walk("VEVENT")
    if len(found) != 1:
        raise ValueError(f"an invitation has one VEVENT, not {len(found)}")
    vevent = found[0]
    start, end = vevent.decoded("DTSTART"), vevent.decoded("DTEND")
    url = str(vevent["URL"]) if "URL" in vevent else None
    location = str(vevent["LOCATION"]) if "LOCATION" in vevent else None
    venue = location
    if location is not None and url is not None:  # _location() joined them with " / "
        venue = None if location == url else location.removesuffix(" / " + url)
    described = _described(str(vevent.get("DESCRIPTION", "")))
    phones = []
    for shown in described.get("dial", []):
        number, _, label = shown.partition(" (")
        number, _, extension = number.partition(" ext. ")
        phones.append(Phone("+" + re.sub(r"\D", "", number), extension or None,
                            label=label.removesuffix(")") or None))
    event = Event(
        title=str(vevent.get("SUMMARY", "")), start=start, end=end.astimezone(start.tzinfo),
        venue=venue, url=url, meeting_id=next(iter(described.get("id", [])), None),
        passcode=next(iter(described.get("passcode", [])), None), dial_in=tuple(phones),
        sequence=int(vevent.get("SEQUENCE", 0)))
    return str(vevent["UID"]), str(calendar.get("METHOD", "REQUEST")), event


def _described(description: str) -> dict[str, list[str]]:
    """The details _description() wrote, by their key in _WORDS, whatever the language
    and whatever space stands before the colon ("Passcode: ", "Code secret : " with a
    no-break space, or "Code secret: " as pressctl wrote it before it typeset French)."""
    labels = {words[key]: key for words in _WORDS.values()
              for key in ("id", "passcode", "dial")}
    found: dict[str, list[str]] = {}
    for line in description.split("\n"):
        labelled = _LABELLED.match(line)
        if labelled and (key := labels.get(labelled.group(1))):
            found.setdefault(key, []).append(labelled.group(2).strip())
    return found


# --------------------------------------------------------------------------- one line


def clean_name(name: str) -> str:
    """A display name made safe for a parameter value (before RFC 6868 escaping)."""
    if _CONTROLS.search(name):
        name = _CONTROLS.sub(lambda m: "" if m.group() == '"' else " ", name)
    return " ".join(name.split())  # also other white space and repeated spaces


def cn_param(name: str) -> str:
    """``;CN=...`` for ``name``, or "" when nothing printable is left of it."""
    name = clean_name(name)
    if not name:
        return ""
    if "^" in name:
        name = name.replace("^", "^^")  # RFC 6868: ^ starts an escape
    if _NEEDS_QUOTES.search(name):
        return f';CN="{name}"'
    return ";CN=" + name


def mailto(email: str) -> str:
    """``mailto:`` + an address that the caller has already validated."""
    if not email or _BAD_ADDRESS.search(email):
        raise ValueError(f"e-mail address {email!r} is empty or holds white space/controls")
    return "mailto:" + email


def fold(data: bytes) -> bytes:
    """Fold one UTF-8 content line (no CRLF) to lines of at most 75 octets."""
    parts = []
    start, limit, size = 0, FOLD_AT, len(data)
    while size - start > limit:
        cut = start + limit
        while data[cut] & 0xC0 == 0x80:  # a continuation byte: back to the char's start
            cut -= 1
        parts.append(data[start:cut])
        start, limit = cut, FOLD_AT - 1  # continuation lines begin with a space
    parts.append(data[start:])
    return b"\r\n ".join(parts)


# --------------------------------------------------------------------------- the event


def _event_times(event: Event) -> tuple[datetime, datetime, ZoneInfo | None]:
    """Start, end and the IANA zone to name (None: written in UTC)."""
    start, end = event.start, event.end
    if start.utcoffset() is None or end.utcoffset() is None:
        raise InvalidInput(f"event {event.title!r}: start and end need a time zone")
    if end <= start:
        raise InvalidInput(f"event {event.title!r}: ends ({end}) before it starts ({start})")
    zone = start.tzinfo
    if isinstance(zone, ZoneInfo) and zone.key:  # a zone with a name, not an offset
        end = end.astimezone(zone)
        if _local_is_exact(start) and _local_is_exact(end):
            return start, end, zone
    return start.astimezone(UTC), end.astimezone(UTC), None


def _local_is_exact(moment: datetime) -> bool:
    """True when RFC 5545's reading of the wall time (first occurrence, offset before a
    gap) is the instant meant: zoneinfo reads ``fold=0`` the same way."""
    return moment.fold == 0 or moment.replace(fold=0).utcoffset() == moment.utcoffset()


def _location(event: Event, language: str = "en") -> str | None:
    venue = typeset(event.venue, language) if event.venue else None
    parts = [part for part in (venue, event.url) if part]
    return " / ".join(parts) or None


_WORDS = {
    "en": {"online": "Join online", "id": "Meeting ID", "passcode": "Passcode",
           "dial": "Dial in", "rsvp": "RSVP", "by": "by", "reply": "Reply by", "colon": ":"},
    "fr": {"online": "Rejoindre en ligne", "id": "ID de réunion", "passcode": "Code secret",
           "dial": "Par téléphone", "rsvp": "Inscription", "by": "avant le",
           "reply": "Répondre avant le", "colon": " :"},  # typeset: a no-break space
}
_LABELLED = re.compile(r"^(.+?)\s?: (.*)$")  # "label: value", "label : value" (\s: NBSP too)


def _description(event: Event, text: str, zone: tzinfo | None, language: str = "en") -> str:
    from pressctl.contacts.phones import format_phone

    words = _WORDS["fr"] if is_french(language) else _WORDS["en"]

    def label(key: str) -> str:  # "Join online:", "Rejoindre en ligne :" (no-break space)
        return typeset(words[key] + words["colon"], language)

    lines = []
    if event.url:
        lines.append(f"{label('online')} {event.url}")
    if event.meeting_id:
        lines.append(f"{label('id')} {event.meeting_id}")
    if event.passcode:
        lines.append(f"{label('passcode')} {event.passcode}")
    for phone in event.dial_in:
        named = f" ({typeset(phone.label, language)})" if phone.label else ""
        lines.append(f"{label('dial')} {format_phone(phone, 'international')}{named}")
    deadline = (_when(event.rsvp_deadline, zone, language) if event.rsvp_deadline
                else None)
    if event.rsvp:
        lines.append(f"{label('rsvp')} {event.rsvp}"
                     + (f" {words['by']} {deadline}" if deadline else ""))
    elif deadline:
        lines.append(f"{words['reply']} {deadline}")
    details = "\n".join(lines)
    return "\n\n".join(part for part in (typeset(text.strip(), language), details) if part)


def _when(moment: datetime, zone: tzinfo | None, language: str = "en") -> str:
    """"Monday 21 September 2020, 18:00 (Europe/Paris)", whatever the locale; in French
    the house style of the messages, typeset: "lundi 21 septembre 2020 à 18 h 00 (heure
    de Paris)"."""
    if moment.utcoffset() is None:  # a naive deadline is in the event's own zone
        moment = moment.replace(tzinfo=zone or UTC)
    else:
        moment = moment.astimezone(zone or UTC)
    if is_french(language):
        return typeset(format_when(moment, language), language)
    name = getattr(zone, "key", None) or "UTC"
    return (f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} "
            f"{moment.year}, {moment:%H:%M} ({name})")
