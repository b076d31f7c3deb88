"""The data pressctl keeps: contacts and organisations (plain values, no I/O), the filter
that selects contacts, and the order of names in lists.

Phones are stored as E.164 plus extension and e-mails normalised; both are produced by
:mod:`pressctl.contacts.phones` and :mod:`pressctl.contacts.emails` and never built by hand
elsewhere.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

KINDS = ("officer", "journalist", "other")


@dataclass(frozen=True, slots=True)
class Phone:
    """One stored phone number.

    ``e164`` is "+33144767539"; ``extension`` holds digits only ("5"), ``type`` is "work",
    "mobile" or "fax" and ``label`` an annotation kept as written ("standard", "switchboard").
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

    @property
    def stored_id(self) -> int:
        """The id of a contact read from the book; a new contact has none until inserted."""
        if self.id is None:
            raise ValueError(f"contact {self.name!r} is not in the book yet")
        return self.id


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

    @property
    def stored_id(self) -> int:
        """The id of an organisation read from the book; a new one has none until inserted."""
        if self.id is None:
            raise ValueError(f"organisation {self.name!r} is not in the book yet")
        return self.id


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


EVERY_CONTACT = ContactFilter()  # no criterion: the whole book


def sort_key(name: str) -> str:
    """The order of names in lists: accents and case ignored ("Élodie" beside "Elodie")."""
    if name.isascii():
        return name.lower()
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
