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
from dataclasses import dataclass
from enum import StrEnum

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
    from pressctl.releases.audience import parse_audience

    main = releases.main
    if only:
        chosen = find_contacts(book.store, only)  # once each, however often named
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
        chosen = [_slim(c) for c in book.store.contacts.stream(ContactFilter(opted_out=False))
                  if expression.matches(c)]
        if excluded is not None:  # Audience.matches refuses them: ask the expression itself
            excluded += [Excluded(_slim(c), Exclusion.OPTED_OUT) for c in
                         book.store.contacts.stream(ContactFilter(opted_out=True))
                         if expression.root.matches(c)]
    blocked = book.store.suppressions.opted_out_keys(
        email_key(c.emails[0]) for c in chosen if c.emails)
    public = releases.public()
    recipients = []
    for contact in chosen:
        if not contact.emails or email_key(contact.emails[0]) in blocked:
            if excluded is not None:  # no address, or an address that asked never to be mailed
                excluded.append(Excluded(contact, Exclusion.ADDRESS_OPTED_OUT if contact.emails
                                         else Exclusion.NO_ADDRESS))
            continue
        embargoed = gets_embargoed_version(main.embargo, contact.embargo_ok)
        version = (releases if embargoed else public).version_for(contact.languages)
        recipients.append(Recipient(contact, contact.emails[0], version, embargoed))
    return recipients


def public_copy(recipient: Recipient, public: ReleaseSet) -> Recipient:
    """The recipient's copy of ``public`` (the release once lifted), in their language."""
    return dataclasses.replace(recipient, version=public.version_for(recipient.contact.languages),
                               embargoed=False)
