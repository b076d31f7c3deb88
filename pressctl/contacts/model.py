"""The data pressctl keeps: contacts and organisations (plain values, no I/O).

Phones are stored as E.164 plus extension and e-mails normalised; both are produced
by :mod:`pressctl.contacts.phones` and :mod:`pressctl.contacts.emails` and never built by hand elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("officer", "journalist", "other")
PHONE_TYPES = ("work", "mobile", "fax")


@dataclass(frozen=True, slots=True)
class Phone:
    """One stored phone number.

    ``e164`` is "+33144767539"; ``extension`` holds digits only ("5"), ``type`` is one
    of PHONE_TYPES and ``label`` an annotation kept as written ("standard", "switchboard").
    """

    e164: str
    extension: str | None = None
    type: str = "work"
    label: str | None = None


@dataclass(slots=True)
class Contact:
    name: str
    kind: str = "journalist"
    role: str | None = None
    organization: str | None = None
    outlet: str | None = None
    tags: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    country: str | None = None
    emails: list[str] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    notes: str | None = None
    embargo_ok: bool = False
    opted_out: bool = False
    id: int | None = None
    created: str | None = None
    updated: str | None = None


@dataclass(slots=True)
class Organization:
    name: str
    short_name: str | None = None
    country: str | None = None
    website: str | None = None
    about: dict[str, str] = field(default_factory=dict)  # language -> boilerplate
    id: int | None = None
    created: str | None = None
    updated: str | None = None

    @property
    def label(self) -> str:
        return self.short_name or self.name


@dataclass(frozen=True, slots=True)
class ContactFilter:
    """Which contacts a command works on. Every given criterion must hold."""

    kind: str | None = None
    tags: tuple[str, ...] = ()
    organization: str | None = None
    outlet: str | None = None
    language: str | None = None
    country: str | None = None
    search: str | None = None
    embargo_ok: bool | None = None
    opted_out: bool | None = None
    ids: tuple[int, ...] | None = None
