"""An event's versions: what journalists were sent about it, what changed since, and the
notice an update or a cancellation puts at the top of its messages.

:class:`EventDetails` is the part of an :class:`~pressctl.releases.documents.Event` that
a calendar and a reader act on: title, start and end in their zone, venue, online link,
meeting ID, passcode and dial-in numbers. Two versions are compared field by field
(:func:`changes_between`), and each change is written for the reader, in their language
and in the house style of the event block ("Tuesday 22 September 2020, 14:00 CEST –
15:00"; "mardi 22 septembre 2020 à 14 h 00 (heure de Paris) – 15 h 00").

:class:`EventNotice` is what rendering needs to turn an invitation into its update
(METHOD:REQUEST, a raised SEQUENCE, the changes named first) or its cancellation
(METHOD:CANCEL, STATUS:CANCELLED, the note first). Its notice is stamped by pressctl, not
by the templates, as the embargo notice is (:mod:`pressctl.releases.embargo`): a home's
copied or edited templates can neither drop nor garble it. English and French are written
here, in the words of the default templates ("New venue" / "Nouveau lieu", the event
block's labels); any other language falls back to English.

The RSVP fields (address, deadline) are not compared: a calendar does not act on them.

Values in, values out, no I/O: the store's text form of the details is converted here,
both ways, and a frozen invitation read back (:func:`sent_details`).
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pressctl.contacts.model import Phone
from pressctl.contacts.phones import format_phone
from pressctl.errors import InvalidInput
from pressctl.releases.calendar import InvitationTemplate, read_invitation
from pressctl.releases.documents import Event, ReleaseSet
from pressctl.releases.embargo import Notice, format_clock, format_when
from pressctl.store.events import EventRecord, StoredDetails
from pressctl.times import from_iso, iso

NOBODY = "attendee@pressctl.invalid"  # the ATTENDEE of a calendar read back (RFC 2606)
MAX_NOTE = 2000  # characters of a cancellation's note
_NOTE_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


class Change(StrEnum):
    """What can change in an event, in the order a notice names them."""

    TIME = "time"
    TITLE = "title"
    VENUE = "venue"
    LINK = "link"
    MEETING_ID = "meeting_id"
    PASSCODE = "passcode"
    DIAL_IN = "dial_in"


class NoticeKind(StrEnum):
    UPDATE = "update"
    CANCEL = "cancel"

    @property
    def noun(self) -> str:
        """As a message names it: "the update", "the cancellation"."""
        return "cancellation" if self is NoticeKind.CANCEL else "update"


@dataclass(frozen=True, slots=True)
class EventDetails:
    """One language version of an event, as a calendar and a reader see it."""

    title: str
    start: datetime  # aware, in the event's zone
    end: datetime
    venue: str | None = None
    url: str | None = None
    meeting_id: str | None = None
    passcode: str | None = None
    dial_in: tuple[Phone, ...] = ()

    @property
    def zone(self) -> str:
        return getattr(self.start.tzinfo, "key", None) or "UTC"

    @classmethod
    def of(cls, event: Event) -> EventDetails:
        return cls(event.title, event.start, event.end.astimezone(event.start.tzinfo),
                   event.venue, event.url, event.meeting_id, event.passcode, event.dial_in)

    def onto(self, event: Event) -> Event:
        """``event`` (its RSVP, its sequence) with these details: the event as it was sent."""
        return dataclasses.replace(event, title=self.title, start=self.start, end=self.end,
                                   venue=self.venue, url=self.url, meeting_id=self.meeting_id,
                                   passcode=self.passcode, dial_in=self.dial_in)

    # -- the store's form

    def stored(self, language: str) -> StoredDetails:
        return StoredDetails(
            language=language, title=self.title, start_at=iso(self.start),
            end_at=iso(self.end), zone=self.zone, venue=self.venue, url=self.url,
            meeting_id=self.meeting_id, passcode=self.passcode,
            dial_in=json.dumps([[p.e164, p.extension, p.label] for p in self.dial_in]))

    @classmethod
    def from_stored(cls, stored: StoredDetails) -> EventDetails:
        zone = ZoneInfo(stored.zone)
        phones = tuple(Phone(e164, extension, label=label)
                       for e164, extension, label in json.loads(stored.dial_in))
        return cls(stored.title, from_iso(stored.start_at).astimezone(zone),
                   from_iso(stored.end_at).astimezone(zone), stored.venue, stored.url,
                   stored.meeting_id, stored.passcode, phones)


def details_by_language(releases: ReleaseSet) -> dict[str, EventDetails]:
    """The event of each language version of a release (versions without one left out)."""
    return {language: EventDetails.of(version.event)
            for language, version in releases.versions.items() if version.event is not None}


def with_event(releases: ReleaseSet, events: dict[str, Event]) -> ReleaseSet:
    """The release with each version's event replaced by ``events[language]``."""
    versions = {language: dataclasses.replace(version, event=events.get(language, version.event))
                for language, version in releases.versions.items()}
    return ReleaseSet(versions[releases.main.language], versions, releases.warnings)


def with_sequence(releases: ReleaseSet, sequence: int) -> ReleaseSet:
    """The release whose event, in every version, carries ``sequence``."""
    return with_event(releases, {
        language: dataclasses.replace(version.event, sequence=sequence)
        for language, version in releases.versions.items() if version.event is not None})


# --------------------------------------------------------------------------- changes


@dataclass(frozen=True, slots=True)
class EventChange:
    """One thing that changed, written for the reader; ``value`` None: it was removed."""

    what: Change
    value: str | None


def changes_between(sent: EventDetails, now: EventDetails, language: str
                    ) -> tuple[EventChange, ...]:
    """What differs between the version ``sent`` and the version ``now``, in the order of
    :class:`Change`, each new value written for a reader of ``language``. A time written
    in another zone is a change even at the same instant: the reader sees another clock;
    text that differs only in its spaces and line breaks is not."""
    found = []
    if (sent.start, sent.end, sent.zone) != (now.start, now.end, now.zone):
        found.append(EventChange(Change.TIME, time_text(now, language)))
    pairs = ((Change.TITLE, sent.title, now.title), (Change.VENUE, sent.venue, now.venue),
             (Change.LINK, sent.url, now.url),
             (Change.MEETING_ID, sent.meeting_id, now.meeting_id),
             (Change.PASSCODE, sent.passcode, now.passcode))
    for what, before, after in pairs:
        if _words(before) != _words(after):  # a venue's line breaks moved: no change
            found.append(EventChange(what, _words(after)))
    if _numbers(sent.dial_in) != _numbers(now.dial_in):
        found.append(EventChange(Change.DIAL_IN, ", ".join(
            format_phone(phone, "international") for phone in now.dial_in) or None))
    return tuple(found)


def changes_since(releases: ReleaseSet, sent: dict[str, EventDetails]
                  ) -> dict[str, tuple[EventChange, ...]]:
    """What changed in each language version of ``releases`` since the versions ``sent``
    (by language), each written in its version's language."""
    main = releases.main.language
    return {language: changes_between(sent_version(sent, language, main), details, language)
            for language, details in details_by_language(releases).items()}


def sent_version(sent: dict[str, EventDetails], language: str, main: str) -> EventDetails:
    """The version a reader of ``language`` received (the main one for a new translation)."""
    for candidate in (language, language.split("-")[0], main):
        if candidate in sent:
            return sent[candidate]
    return next(iter(sent.values()))


def sent_details(record: EventRecord | None, sequence: int,
                 calendars: dict[str, InvitationTemplate]) -> dict[str, EventDetails]:
    """The details of the version ``sequence``, by language: as stored when the stored
    version is that one, else read back from its frozen invitations ``calendars`` (a
    version approved before the store kept them, or one whose next version never went
    out)."""
    if record is not None and record.sequence == sequence and record.details:
        return {d.language: EventDetails.from_stored(d) for d in record.details}
    return {language: EventDetails.of(read_invitation(template.for_attendee("", NOBODY))[2])
            for language, template in calendars.items()}


def checked_note(note: str | None) -> str | None:
    """A cancellation's note as typed (None when blank); InvalidInput for control
    characters or more than MAX_NOTE characters."""
    if note is None or not note.strip():
        return None
    text = note.strip().replace("\r\n", "\n")
    if _NOTE_CONTROLS.search(text):
        raise InvalidInput("--note holds control characters", hint="write plain text")
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"--note is {len(text)} characters long (at most {MAX_NOTE})")
    return text


def _words(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


def _numbers(phones: tuple[Phone, ...]) -> list[tuple[str, str | None]]:
    return [(phone.e164, phone.extension or None) for phone in phones]


def time_text(details: EventDetails, language: str) -> str:
    """The start and end as the event block writes them."""
    if details.end.date() == details.start.date():
        end = format_clock(details.end, language)
    else:
        end = format_when(details.end, language)
    return f"{format_when(details.start, language)} – {end}"


# --------------------------------------------------------------------------- the notice


@dataclass(frozen=True, slots=True)
class _Words:
    prefixes: dict[NoticeKind, str]  # before the Subject
    headline: tuple[str, str]  # (text, HTML) above the changes
    cancelled: tuple[str, str]  # (text, HTML), with {title}
    colon: str  # after a label: ":" in English, " :" in French
    new: dict[Change, str]
    gone: dict[Change, str]  # the value was removed


_WORDS = {
    "en": _Words(
        {NoticeKind.UPDATE: "Updated: ", NoticeKind.CANCEL: "Cancelled: "},
        ("UPDATED INVITATION: what has changed", "Updated invitation: what has changed"),
        ("CANCELLED: {title} will not take place.", "Cancelled: {title} will not take place."),
        ":",
        {Change.TIME: "New time", Change.TITLE: "New title", Change.VENUE: "New venue",
         Change.LINK: "New link", Change.MEETING_ID: "New meeting ID",
         Change.PASSCODE: "New passcode", Change.DIAL_IN: "New dial-in"},
        {Change.VENUE: "No venue any more", Change.LINK: "No online link any more",
         Change.MEETING_ID: "No meeting ID any more", Change.PASSCODE: "No passcode any more",
         Change.DIAL_IN: "No dial-in number any more"}),
    "fr": _Words(
        {NoticeKind.UPDATE: "Modifié : ", NoticeKind.CANCEL: "Annulé : "},
        ("INVITATION MODIFIÉE : ce qui change", "Invitation modifiée : ce qui change"),
        ("ANNULATION : {title} n'aura pas lieu.", "Annulation : {title} n'aura pas lieu."),
        " :",
        {Change.TIME: "Nouvel horaire", Change.TITLE: "Nouveau titre",
         Change.VENUE: "Nouveau lieu", Change.LINK: "Nouveau lien",
         Change.MEETING_ID: "Nouvel ID de réunion", Change.PASSCODE: "Nouveau code secret",
         Change.DIAL_IN: "Nouveau numéro d'appel"},
        {Change.VENUE: "Plus de lieu", Change.LINK: "Plus de lien en ligne",
         Change.MEETING_ID: "Plus d'ID de réunion", Change.PASSCODE: "Plus de code secret",
         Change.DIAL_IN: "Plus de numéro d'appel"}),
}
_WIDTH = 72  # the text part's width (pressctl.releases.templating.TEXT_WIDTH)
# Inline, with their own font, as the embargo notice (pressctl.releases.embargo); the
# classes let the templates' dark-mode rules lighten the colours.
_BOX = ("margin:0 0 16px 0;padding:8px 12px;border:2px solid {color};"
        "font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.4;")
_BLUE, _RED = "#1a5490", "#b00020"
_LINK = "color:#1a5490;text-decoration:underline;"


@dataclass(frozen=True, slots=True)
class EventNotice:
    """An update or a cancellation of an invitation already sent: the iTIP method, the
    raised SEQUENCE, and what the top of each message says (by language version)."""

    kind: NoticeKind
    sequence: int
    changes: dict[str, tuple[EventChange, ...]]  # language -> its version's changes
    note: str | None = None  # a cancellation's note, as typed

    @property
    def method(self) -> str:
        return "CANCEL" if self.kind == NoticeKind.CANCEL else "REQUEST"

    def stamp(self, language: str, title: str) -> Notice:
        """The notice for a reader of ``language`` of the event ``title``: the Subject's
        prefix, and what goes first in the text and the HTML part."""
        words = _WORDS.get(language.split("-")[0].lower(), _WORDS["en"])
        title = " ".join(title.split())
        if self.kind == NoticeKind.CANCEL:
            text = _wrapped(words.cancelled[0].format(title=title))
            markup = (f'<div class="notice-urgent" style="{_BOX.format(color=_RED)}">'
                      f'<p class="notice-title" style="margin:0;font-weight:bold;color:{_RED};">'
                      f"{html.escape(words.cancelled[1].format(title=title))}</p>")
            if self.note:
                lines = self.note.split("\n")
                text += "\n\n" + "\n".join(_wrapped(line) for line in lines)
                markup += ('<p style="margin:8px 0 0 0;">'
                           + "<br>".join(html.escape(line) for line in lines) + "</p>")
            return Notice(words.prefixes[self.kind], text, markup + "</div>")
        lines, items = [words.headline[0]], []
        for change in self.changes.get(language, ()):
            if change.value is None:
                lines.append(f"- {words.gone[change.what]}")
                items.append(html.escape(words.gone[change.what]))
                continue
            label = f"{words.new[change.what]}{words.colon}"
            lines.append(f"- {label} {change.value}")
            shown = html.escape(change.value)
            if change.what == Change.LINK and change.value.startswith(("https://", "http://")):
                shown = f'<a href="{html.escape(change.value)}" style="{_LINK}">{shown}</a>'
            items.append(f"<strong>{html.escape(label)}</strong> {shown}")
        markup = (f'<div class="notice-info" style="{_BOX.format(color=_BLUE)}">'
                  f'<p class="notice-title" style="margin:0 0 4px 0;font-weight:bold;'
                  f'color:{_BLUE};">{html.escape(words.headline[1])}</p>')
        if items:
            markup += ('<ul style="margin:0;padding:0 0 0 1.5em;">'
                       + "".join(f'<li style="margin:0 0 0.3em 0;">{item}</li>' for item in items)
                       + "</ul>")
        return Notice(words.prefixes[self.kind], "\n".join(lines), markup + "</div>")


def _wrapped(text: str) -> str:
    return textwrap.fill(text, _WIDTH, break_long_words=False, break_on_hyphens=False)
