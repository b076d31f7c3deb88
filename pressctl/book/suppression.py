"""Opt-outs are forever, on every write of a contact: the suppression list and the
contact's ``opted_out`` flag kept in step, and the notice a command gives for each
opted-out address it adds or names.

An opt-out is kept by address (the suppression list), not on the contact row, so that
removing, re-adding or re-importing a contact never mails it again. Every write of a
contact (add, edit, merge, import) goes through :func:`keep_opt_outs`; nothing here
lifts an opt-out: only :func:`pressctl.book.optouts.opt_in` does, and records why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.model import Contact
from pressctl.errors import InvalidEmail, InvalidInput
from pressctl.store import Store
from pressctl.store.suppressions import Suppression


@dataclass(slots=True)
class OptOutNotice:
    """An opted-out address that a command adds or names: always said, never silent."""

    contact: Contact  # read its id after the insert
    suppression: Suppression  # the address, since when and why
    where: str = ""  # "file:line" in an import

    @property
    def lift(self) -> str:
        return f"pressctl contacts optin {self.suppression.address} --yes --note TEXT"

    def __str__(self) -> str:
        s = self.suppression
        why = f"{s.reason}; {s.note}" if s.note else s.reason
        where = f"{self.where}: " if self.where else ""
        return (f"{where}{s.address} is opted out since {s.since} ({why}): contact "
                f"#{self.contact.id} {self.contact.name} is never mailed; only "
                f"`{self.lift}` lifts it")


def keep_opt_outs(
    store: Store, contact: Contact, *, asked: bool, earlier: Contact | None, reason: str,
    now: str, note: str | None = None, held: Mapping[str, Suppression] | None = None,
) -> dict[str, Suppression]:
    """Make the suppression list and ``contact.opted_out`` agree before the contact is
    written (inside the caller's transaction); returns its suppressed addresses by key.

    A contact holding a suppressed address is opted out. ``asked`` (the record says
    "opted out") suppresses every address; an opted-out ``earlier`` version makes the
    addresses this write adds suppressed too: the person asked not to be mailed, at
    whatever address. Nothing here ever lifts an opt-out or clears the flag: only
    `contacts optin` does, and records it. ``held`` is the suppressions of the contact's
    keys when the caller already read them (an import reads a chunk at a time).
    """
    keys = {email_key(e): e for e in contact.emails}
    if held is None:
        held = store.suppressions.suppressions_of(keys)
    was_out = earlier is not None and earlier.opted_out
    before = {email_key(e) for e in earlier.emails} if earlier is not None else set()
    now_held = {k: held[k] for k in keys if k in held}
    added_to = (f"added to contact #{earlier.id} {earlier.name}, who had opted out"
                if earlier is not None else reason)
    for key, address in keys.items():
        if key in now_held or not (asked or (was_out and key not in before)):
            continue
        why = reason if asked else added_to
        store.suppressions.suppress(key, address, why, now, note)
        now_held[key] = Suppression(key, address, why, now, note)
    contact.opted_out = asked or was_out or bool(now_held)
    return now_held


def opt_out_notices(contact: Contact, held: Mapping[str, Suppression], named: Iterable[str],
                    where: str = "") -> list[OptOutNotice]:
    """The notices for the addresses a command named (e-mail keys) that are suppressed."""
    return [OptOutNotice(contact, held[k], where) for k in dict.fromkeys(named) if k in held]


def opt_out_contact(store: Store, contact: Contact, reason: str, now: str,
                    note: str | None = None) -> None:
    """Suppress every address of a stored contact and flag it (inside a transaction)."""
    for address in contact.emails:
        store.suppressions.suppress(email_key(address), address, reason, now, note)
    store.contacts.set_opted_out([contact.stored_id], True, now)
    contact.opted_out = True


def one_address(address: str, hint: str) -> str:
    """``address`` cleaned, when it is exactly one e-mail address; else InvalidInput (exit
    3) with ``hint`` (what the command wants: "give the one bouncing address")."""
    try:
        found = clean_email_field(address)
    except InvalidEmail as err:
        raise InvalidInput(str(err), hint=hint) from err
    if len(found) != 1:
        raise InvalidInput(f'"{address}" is not one e-mail address', hint=hint)
    return found[0].normalized
