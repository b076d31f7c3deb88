"""What is sent: releases, invitations and advisories, their embargo and their event.

Plain values, time-zone aware, no I/O: :mod:`pressctl.release_file` reads them from a
release file, the templates and :mod:`pressctl.messages` turn them into e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from pressctl.model import Phone

KINDS = ("release", "invitation", "advisory")


@dataclass(frozen=True, slots=True)
class Embargo:
    """The lift time, aware, in the release's own zone (a ZoneInfo)."""

    lift: datetime

    @property
    def utc(self) -> datetime:
        return self.lift.astimezone(timezone.utc)


@dataclass(frozen=True, slots=True)
class Event:
    """A press conference or briefing: in person, online, or both."""

    title: str
    start: datetime  # aware, in the event's zone
    end: datetime  # aware, same zone
    venue: str | None = None
    url: str | None = None  # online meeting link (https)
    meeting_id: str | None = None
    passcode: str | None = None
    dial_in: tuple[Phone, ...] = ()
    rsvp: str | None = None  # accreditation / RSVP e-mail address
    rsvp_deadline: datetime | None = None
    sequence: int = 0  # raised each time the event changes (iCalendar SEQUENCE)


@dataclass(frozen=True, slots=True)
class Release:
    """One release file: front matter plus a Markdown body."""

    path: str
    reference: str  # "PR106-2020"
    kind: str  # one of KINDS
    language: str  # BCP 47: "en", "fr"
    title: str
    date: date
    subtitle: str | None = None
    place: str | None = None  # dateline
    embargo: Embargo | None = None  # None: for immediate release
    organizations: tuple[str, ...] = ()  # short names or names, in order
    contacts: tuple[str, ...] = ()  # press officers to list: e-mails or ids; () = the orgs'
    translations: dict[str, str] = field(default_factory=dict)  # language -> release file
    event: Event | None = None
    audience: str | None = None  # a filter expression, see pressctl.audience
    embargo_only: bool = False  # the embargoed version goes only to embargo_ok contacts
    attachments: tuple[str, ...] = ()  # paths relative to the release file
    body: str = ""  # Markdown
    body_line: int = 1  # line of the file where the body starts
