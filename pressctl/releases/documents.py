"""What is sent: releases, invitations and advisories, their embargo and their event.

The values, not the file: plain, time-zone aware, no I/O. A :class:`Release` is one
release file once read; :mod:`pressctl.releases.release_file` is the one reader of that
format (front matter, key lines, problems), and :mod:`pressctl.releases.rendering` with
:mod:`pressctl.releases.messages` turns the values into e-mails.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pressctl.contacts.model import Phone
from pressctl.errors import Problem

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
    # embargoes; the others get the public version at the lift (pressctl.releases.embargo).
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


@dataclass(slots=True)
class ReleaseSet:
    """A release and its translations, by language. All versions lift at the same moment,
    in the same zone (pressctl.releases.checking refuses a set where they do not)."""

    main: Release
    versions: dict[str, Release]
    warnings: list[Problem] = field(default_factory=list)

    def version_for(self, languages: list[str]) -> Release:
        """The version in the first of ``languages`` we have ("fr-CA" takes "fr")."""
        for language in languages:
            for candidate in (language, language.split("-")[0]):
                if candidate in self.versions:
                    return self.versions[candidate]
        return self.main

    def public(self) -> ReleaseSet:
        """The same release once the embargo has lifted: no embargo, so no notice."""
        if all(version.embargo is None for version in self.versions.values()):
            return self
        versions = {language: dataclasses.replace(version, embargo=None, embargo_line=0)
                    for language, version in self.versions.items()}
        return ReleaseSet(versions[self.main.language], versions, self.warnings)
