"""`contacts merge KEEP OTHER...`: several contacts that are one person become one.

In one transaction, or not at all (an unknown ref, KEEP among the others, a database
error: nothing changes):

- the kept contact's values stay; a value it lacks (role, organisation, outlet, country,
  salutation, a language's role) is taken from the others, in the order given;
- e-mails, phones, tags and languages are united (in order, each once), and notes are
  joined; e-mails are a plain union, since no two contacts hold one address;
- what is keyed by a contact's id moves to the kept one: mailout rows (its history),
  answers to invitations, and the trail's entries (pressctl.store.duplicates.move_to);
  bounces are kept by address, and move with the addresses;
- the strictest choice of any of them wins: an opt-out (every address of the merged
  contact is then suppressed, as when an opted-out contact gains an address), and
  embargo consent (kept only when every one of them gives it: a withdrawn consent on any
  one wins, since an embargoed release must never reach someone who declined it);
- the kept contact is in the book since the first of them was;
- the merge is recorded: on the kept contact, naming the merged ones and their
  addresses, and on each merged one, naming the contact it went into.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pressctl.book.changes import ChangeAction, NewChange, Subject
from pressctl.book.changes import record_many as record_changes
from pressctl.book.contacts import changed_fields, find_contact
from pressctl.book.session import Book
from pressctl.book.suppression import OptOutNotice, keep_opt_outs, opt_out_notices
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact
from pressctl.errors import InvalidInput
from pressctl.store import Store
from pressctl.store.duplicates import Moved

_FILLED = ("role", "organization", "outlet", "country", "salutation")


@dataclass(slots=True)
class MergePlan:
    """What a merge will do: the contacts as read, and the contact they make."""

    keep: Contact
    others: list[Contact]
    merged: Contact


@dataclass(slots=True)
class MergeResult:
    plan: MergePlan
    moved: Moved
    opted_out: list[OptOutNotice] = field(default_factory=list)  # said, never silent


def plan_merge(store: Store, keep_ref: str, other_refs: Sequence[str]) -> MergePlan:
    """The contacts ``keep_ref`` and ``other_refs`` name, and the merged contact (nothing
    written). InvalidInput (exit 3) for no other, or KEEP among the others; NotFound for
    a ref that names no contact."""
    if not other_refs:
        raise InvalidInput("nothing to merge: name the contacts to merge into KEEP",
                           hint="e.g. `pressctl contacts merge 12 15 17`")
    keep = find_contact(store, keep_ref)
    others: dict[int, Contact] = {}
    for ref in other_refs:
        other = find_contact(store, ref)
        if other.stored_id == keep.stored_id:
            raise InvalidInput(f'"{ref}" is contact #{keep.id}, the one kept',
                               hint="name the kept contact first, and only there")
        others.setdefault(other.stored_id, other)
    return MergePlan(keep, list(others.values()), merged_contact(keep, list(others.values())))


def merged_contact(keep: Contact, others: Sequence[Contact]) -> Contact:
    """``keep`` united with ``others`` (see the module docstring); ``keep`` unchanged."""
    merged = Contact(**{name: getattr(keep, name) for name in Contact.__slots__})
    merged.emails = list(keep.emails)
    merged.phones = list(keep.phones)
    merged.tags = list(keep.tags)
    merged.languages = list(keep.languages)
    merged.roles = dict(keep.roles)
    keys = {email_key(e) for e in keep.emails}
    numbers = {(p.e164, p.extension) for p in keep.phones}
    notes = [keep.notes] if keep.notes else []
    for other in others:
        for name in _FILLED:
            if not getattr(merged, name) and getattr(other, name):
                setattr(merged, name, getattr(other, name))
        for lang, role in other.roles.items():
            merged.roles.setdefault(lang, role)
        for address in other.emails:
            if email_key(address) not in keys:
                keys.add(email_key(address))
                merged.emails.append(address)
        for phone in other.phones:
            if (phone.e164, phone.extension) not in numbers:
                numbers.add((phone.e164, phone.extension))
                merged.phones.append(phone)
        merged.tags += [t for t in other.tags if t not in merged.tags]
        merged.languages += [lang for lang in other.languages if lang not in merged.languages]
        if other.notes and other.notes not in notes:
            notes.append(other.notes)
        merged.first_name_ok = merged.first_name_ok or other.first_name_ok
    merged.notes = "\n".join(notes) or None
    # in the book since the first of them was (a contact's history starts there)
    merged.created = min((c.created for c in (keep, *others) if c.created), default=None)
    merged.opted_out = keep.opted_out or any(o.opted_out for o in others)
    merged.embargo_ok = keep.embargo_ok and all(o.embargo_ok for o in others)
    return merged


def merge_contacts(book: Book, keep_ref: str, other_refs: Sequence[str]) -> MergeResult:
    """Merge the contacts ``other_refs`` name into the one ``keep_ref`` names, in one
    transaction (see the module docstring)."""
    store = book.store
    with store.transaction():
        plan = plan_merge(store, keep_ref, other_refs)  # read inside: what is written
        keep, others, merged = plan.keep, plan.others, plan.merged
        other_ids = [o.stored_id for o in others]
        store.contacts.delete(other_ids)  # their addresses are free for the kept one
        merged.updated = book.now
        named = ", ".join(f"#{o.id} {o.name}" for o in others)
        held = keep_opt_outs(store, merged, asked=merged.opted_out and not keep.opted_out,
                             earlier=keep, reason=f"merged with opted-out contact(s) {named}",
                             now=book.now)
        store.contacts.replace(merged)
        moved = store.duplicates.move_to(keep.stored_id, other_ids)
        summary = (f"merged {'; '.join(_described(o) for o in others)} into this contact: "
                   f"{changed_fields(keep, merged)}")
        record_changes(book, [
            NewChange(ChangeAction.MERGE, Subject.CONTACT, keep.stored_id, summary),
            *(NewChange(ChangeAction.MERGE, Subject.CONTACT, o.stored_id,
                        f"merged into contact #{keep.id} {keep.name}") for o in others),
        ])
    added = [email_key(e) for o in others for e in o.emails]
    return MergeResult(plan, moved, opt_out_notices(merged, held, added))


def _described(contact: Contact) -> str:
    emails = ", ".join(contact.emails) or "no e-mail"
    return f"#{contact.id} {contact.name} ({emails})"
