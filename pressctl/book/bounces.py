"""Bouncing addresses: when an address becomes bouncing, what a bouncing address says at
send time and in `contacts show`/`check`, and clearing it (`contacts unbounce`, or an
edit that takes the address off its contact).

An address is bouncing after one hard bounce (a permanent 5.x.x failure), or after
``soft_limit`` soft bounces (4.x.x: a full mailbox, a server down) written within
``soft_days`` days of each other. The state is kept by address (e-mail key), as opt-outs
are: it belongs to the address, whoever holds it. Bounces written before the address was
last cleared do not count again: clearing it says that what came before is dealt with.

A bouncing address is skipped at send time with the reason (pressctl.delivery.ledger),
"bouncing since 2026-12-01 (550 5.1.1 user unknown): fix the address or `pressctl
contacts unbounce ADDRESS`". A state is never deleted: a cleared one keeps who cleared it,
when and how (pressctl.store.inbox). Each mark and each clearing is recorded in the trail
with the acting user, on the contact holding the address, else on the address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pressctl.book.changes import ChangeAction, NewChange, Subject, record_many
from pressctl.book.session import Book
from pressctl.book.suppression import one_address
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact
from pressctl.errors import InvalidInput, NotFound
from pressctl.store import Store
from pressctl.store.inbox import Bouncing

__all__ = ["SOFT_DAYS", "SOFT_LIMIT", "Bouncing", "Unbounced", "bouncing_addresses",
           "cleared_by_edit", "skip_reason", "soft_limit_reached", "unbounce"]

SOFT_LIMIT = 3  # soft bounces...
SOFT_DAYS = 30  # ... within this many days make an address bouncing
CLEARED_BY_UNBOUNCE = "contacts unbounce"
CLEARED_BY_EDIT = "address removed from its contact"


def skip_reason(state: Bouncing) -> str:
    """What a skipped row and `contacts show` say of a bouncing address."""
    return (f"bouncing since {state.since[:10]} ({state.reason}): fix the address or "
            f"`pressctl contacts unbounce {state.address}`")


def soft_limit_reached(moments: list[str], limit: int, days: int) -> str | None:
    """The moment ``limit`` of these soft bounces (UTC ISO, sorted) first fell within
    ``days`` days of each other, or None when they never did."""
    if limit < 1:
        raise InvalidInput(f"a soft-bounce limit of {limit}", hint="give 1 or more")
    window = timedelta(days=days)
    times = [_moment(m) for m in moments]
    for first in range(len(times) - limit + 1):
        last = first + limit - 1
        if times[last] - times[first] <= window:
            return moments[last]
    return None


def bouncing_addresses(store: Store, contact: Contact) -> list[Bouncing]:
    """The contact's addresses that are bouncing, in the contact's order."""
    keys = [email_key(e) for e in contact.emails]
    states = store.inbox.bouncing_of(keys)
    return [states[k] for k in keys if k in states]


@dataclass(frozen=True, slots=True)
class Unbounced:
    """What `contacts unbounce` cleared: the state as it was, and its contact if any."""

    state: Bouncing
    contact: Contact | None


def unbounce(book: Book, address: str) -> Unbounced:
    """Clear the bouncing state of one address (the person checked it: a typo fixed
    elsewhere, a mailbox back in service), recorded with the acting user. NotFound (exit
    3) when the address is not bouncing."""
    normalized = one_address(address, hint="give the one bouncing address")
    key = email_key(normalized)
    with book.store.transaction():
        state = book.store.inbox.clear_bouncing(key, book.now, book.actor, CLEARED_BY_UNBOUNCE)
        if state is None:
            raise NotFound(f"{normalized} is not bouncing: there is nothing to clear",
                           hint="`pressctl contacts check` lists the bouncing addresses")
        owner = book.store.contacts.owners_of_email_keys([key]).get(key)
        contact = book.store.contacts.get(owner) if owner is not None else None
        summary = (f"{state.address} no longer bouncing (`contacts unbounce`; it was since "
                   f"{state.since[:10]}: {state.reason})")
        subject, subject_id = ((Subject.CONTACT, contact.stored_id) if contact is not None
                               else (Subject.ADDRESS, state.address))
        record_many(book, [NewChange(ChangeAction.EDIT, subject, subject_id, summary)])
    return Unbounced(state, contact)


def cleared_by_edit(book: Book, before: Contact, after: Contact) -> list[NewChange]:
    """Inside the edit's transaction: clear the bouncing state of the addresses an edit
    took off the contact (fixed, or given up); returns the trail entries to record."""
    kept = {email_key(e) for e in after.emails}
    gone = [email_key(e) for e in before.emails if email_key(e) not in kept]
    entries = []
    for key in gone:
        state = book.store.inbox.clear_bouncing(key, book.now, book.actor, CLEARED_BY_EDIT)
        if state is not None:
            entries.append(NewChange(
                ChangeAction.EDIT, Subject.CONTACT, before.stored_id,
                f"{state.address} no longer bouncing: taken off the contact by an edit"))
    return entries


def _moment(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
