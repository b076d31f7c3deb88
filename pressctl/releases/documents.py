"""What is sent: releases, invitations and advisories, their embargo and their event.

Plain values, time-zone aware, no I/O: :mod:`pressctl.releases.release_file` reads them from a
release file, the templates and :mod:`pressctl.releases.messages` turn them into e-mails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pressctl.contacts.model import Phone

KINDS = ("release", "invitation", "advisory")


@dataclass(frozen=True, slots=True)
class Embargo:
    """The lift time, aware, in the release's own zone (a ZoneInfo)."""

    lift: datetime

    @property
    def utc(self) -> datetime:
        return self.lift.astimezone(UTC)

    @property
    def zone(self) -> str:
        """The IANA zone the lift is written in ("Europe/Paris"): the notice names it."""
        return getattr(self.lift.tzinfo, "key", None) or str(self.lift.tzinfo)

    def same_as(self, other: Embargo) -> bool:
        """The same instant written in the same zone: what versions of a release share."""
        return self.lift == other.lift and self.zone == other.zone

    def __str__(self) -> str:  # as a release file writes it
        return f"{self.lift:%Y-%m-%d %H:%M} {self.zone}"


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
    # None: for immediate release. The embargoed version goes only to contacts who accept
    # embargoes; the others get the public version at the lift (pressctl.releases.compose).
    embargo: Embargo | None = None
    embargo_line: int = 0  # file line of the embargo key, for problems across versions
    organizations: tuple[str, ...] = ()  # short names or names, in order
    contacts: tuple[str, ...] = ()  # press officers to list: e-mails or ids; () = the orgs'
    translations: dict[str, str] = field(default_factory=dict)  # language -> release file
    event: Event | None = None
    audience: str | None = None  # a filter expression, see pressctl.releases.audience
    attachments: tuple[str, ...] = ()  # paths relative to the release file
    body: str = ""  # Markdown
    body_line: int = 1  # line of the file where the body starts
