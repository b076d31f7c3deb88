"""Who receives a release, and which version: the audience of a release resolved against
the contact book, one :class:`Recipient` per contact.

The audience is an expression (:mod:`pressctl.releases.audience`, which may name saved
audiences of the book, :mod:`pressctl.releases.saved_audiences`) or an explicit list of
contacts. Opted-out contacts and addresses are never recipients, nor are contacts
without an e-mail address. Which version each recipient gets is the embargo rule's
decision (:func:`pressctl.releases.embargo.gets_embargoed_version`), in the recipient's
language when the release has that translation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import islice

from pressctl.book.contacts import find_contacts
from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact, ContactFilter
from pressctl.errors import InvalidInput
from pressctl.releases.documents import Release, ReleaseSet
from pressctl.releases.embargo import gets_embargoed_version


@dataclass(frozen=True, slots=True)
class Recipient:
    """One contact's copy: the address it goes to, the version (language, embargo)."""

    contact: Contact
    address: str
    version: Release
    embargoed: bool  # the embargoed version (else the public one)


class Exclusion(StrEnum):
    """Why a member of the audience gets no message at all (the approval screen says it)."""

    OPTED_OUT = "opted-out"  # the contact opted out: never mailed
    ADDRESS_OPTED_OUT = "address-opted-out"  # its address asked never to be mailed
    NO_ADDRESS = "no-address"  # nowhere to send it


@dataclass(frozen=True, slots=True)
class Excluded:
    """A member of the audience left out, and why."""

    contact: Contact
    why: Exclusion


def _slim(contact: Contact) -> Contact:
    """What a message needs of a recipient: a 100,000-recipient mailout keeps only this."""
    return Contact(name=contact.name, id=contact.id, kind=contact.kind,
                   country=contact.country, languages=contact.languages,
                   emails=contact.emails[:1], embargo_ok=contact.embargo_ok)


CHUNK = 1000  # contacts whose addresses are checked against the opt-outs in one query


def select_recipients(book: Book, releases: ReleaseSet, audience: str | None = None,
                      only: list[str] | None = None, *,
                      excluded: list[Excluded] | None = None) -> list[Recipient]:
    """Who receives the release, and which copy: the audience (never opted-out contacts,
    never contacts without an e-mail). For an embargoed release, contacts who accept
    embargoes get the embargoed version (``embargoed``), everyone else the public version.

    ``excluded``, when given, receives the members of an audience expression who get
    nothing, and why: opted-out contacts the expression matches (as if they had not opted
    out), contacts without an address, addresses that opted out. Asked only by an approval:
    the opted-out contacts cost one more (small) query."""
    return list(stream_recipients(book, releases, audience, only,
                                  exclude=excluded.append if excluded is not None else None))


def stream_recipients(book: Book, releases: ReleaseSet, audience: str | None = None,
                      only: list[str] | None = None, *,
                      exclude: Callable[[Excluded], object] | None = None
                      ) -> Iterator[Recipient]:
    """:func:`select_recipients` as the book is read, in the same order: a mailout or a
    preview for 300,000 contacts never holds them all. ``exclude`` is called with each
    member left out, in the order ``select_recipients`` lists them (the opted-out contacts
    first, before any recipient is given)."""
    from pressctl.releases.audience import parse_audience

    main = releases.main
    if only:
        chosen: Iterable[Contact] = find_contacts(book.store, only)  # once each, however named
        for contact in chosen:
            if contact.opted_out:
                raise InvalidInput(f"#{contact.id} {contact.name} has opted out: never mailed")
            if not contact.emails:
                raise InvalidInput(f"#{contact.id} {contact.name} has no e-mail address",
                                   hint="add one with `pressctl contacts edit --add-email`")
    else:
        expression = parse_audience(audience or main.audience or "all",
                                    organizations=book.store.orgs.all(),
                                    saved=book.store.audiences.all())
        if exclude is not None:  # Audience.matches refuses them: ask the expression itself
            for contact in book.store.contacts.stream(ContactFilter(opted_out=True)):
                if expression.root.matches(contact):
                    exclude(Excluded(_slim(contact), Exclusion.OPTED_OUT))
        chosen = (_slim(c) for c in book.store.contacts.stream(ContactFilter(opted_out=False))
                  if expression.matches(c))
    public = releases.public()
    contacts = iter(chosen)
    while chunk := list(islice(contacts, CHUNK)):
        yield from _copies(book, chunk, releases, public, exclude)


def _copies(book: Book, chunk: list[Contact], releases: ReleaseSet, public: ReleaseSet,
            exclude: Callable[[Excluded], object] | None) -> Iterator[Recipient]:
    """The recipients among ``chunk``: its addresses checked against the opt-outs at once."""
    blocked = book.store.suppressions.opted_out_keys(
        email_key(c.emails[0]) for c in chunk if c.emails)
    embargo = releases.main.embargo
    for contact in chunk:
        if not contact.emails or email_key(contact.emails[0]) in blocked:
            if exclude is not None:  # no address, or an address that asked never to be mailed
                exclude(Excluded(contact, Exclusion.ADDRESS_OPTED_OUT if contact.emails
                                 else Exclusion.NO_ADDRESS))
            continue
        embargoed = gets_embargoed_version(embargo, contact.embargo_ok)
        version = (releases if embargoed else public).version_for(contact.languages)
        yield Recipient(contact, contact.emails[0], version, embargoed)


def public_copy(recipient: Recipient, public: ReleaseSet) -> Recipient:
    """The recipient's copy of ``public`` (the release once lifted), in their language."""
    return dataclasses.replace(recipient, version=public.version_for(recipient.contact.languages),
                               embargoed=False)
