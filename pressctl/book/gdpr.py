"""A person's rights under the GDPR: access (`contacts export-person`, article 15) and
erasure (`contacts forget`, article 17).

**Who the person is.** A contact, and every address they were ever mailed at or answered
from: its addresses now, those of its past mailout rows (by contact id, in mailouts made
after the contact was created: the id of a removed contact is given again) and those of
its answers to invitations (:func:`find_person`).

**Export** (:func:`export_person`): the record, its organisation, every mailout row
addressed to the person, opt-outs and opt-ins, bouncing states and bounces, answers,
replies, the messages taken in about them, and the entries of the trail about the
contact or naming one of its addresses; with when it was made and which book.

**Forget** (:func:`forget_contact`), one transaction, all or nothing:

* the contact, its e-mails, phones and tags are deleted;
* each of the person's addresses becomes a token (pressctl.book.forgotten: a keyed hash),
  the same everywhere: in mailout rows (name, address and salutation: counts and each
  mailout's history stay as they were), bounces, bouncing states, answers (their comment,
  the person's own words, is dropped) and replies; the suppression list keeps only the
  tokens, so that an import or an add of the address is refused, and their recorded
  opt-ins are deleted; a row still queued for them is cancelled;
* the person's name, addresses and phones are then replaced by the tokens in every text
  column of the book (trail summaries, servers' replies, subjects, notes, About texts...:
  pressctl.book.scrub) and in the frozen messages of finished mailouts. Other contacts'
  names, and other recipients' names in mailout rows, are never touched, even when they
  are the same name; free text cannot say whose a name is, so it is replaced there;
* the whole book is searched again: anything left is a bug, and nothing is changed;
* the trail gets "contact #N forgotten", with no personal data.

Refused (nothing changed): a delivery run sending to the person right now, and a mailout
still to be sent whose approved messages name the person (a press officer as their sender):
rewriting them would change what goes out. After the commit the outbox log lines naming
them are rewritten, and the storage is compacted (pressctl.store.gdpr).
"""

from __future__ import annotations

import json
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pressctl.book.changes import ChangeAction, Subject, record
from pressctl.book.contacts import find_contact
from pressctl.book.forgotten import address_token, token
from pressctl.book.scrub import Kind, Personal, Scrubber, phone_forms, scrub_file
from pressctl.book.session import Book
from pressctl.config import write_private_file
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact, sort_key
from pressctl.errors import InvalidInput, PressctlError
from pressctl.store import Store
from pressctl.store.gdpr import Compaction, PersonRow
from pressctl.store.inbox import StoredRsvp
from pressctl.store.search import purge as purge_search_index

FORGOTTEN_REASON = "asked to be forgotten"
CANCELLED = "cancelled: the recipient asked to be forgotten"
# Columns of other people's names: only addresses and phones are replaced there (the
# person's own rows were rewritten whole before).
NAME_COLUMNS = frozenset({("contacts", "name"), ("contacts", "sort_name"),
                          ("contacts", "salutation"),  # how another person is greeted
                          ("mailout_rows", "name"), ("mailout_rows", "salutation")})
# Keys other tables point to: never rewritten by value (searched all the same).
KEY_COLUMNS = frozenset({("inbox_messages", "key"), ("bounces", "message_key"),
                         ("rsvps", "message_key"), ("replies", "message_key"),
                         ("events", "uid"), ("event_details", "uid")})


@dataclass(frozen=True, slots=True)
class Person:
    contact: Contact
    addresses: tuple[str, ...]  # its own first, then those of past rows and answers
    rows: list[PersonRow]
    rsvps: list[StoredRsvp]

    @property
    def keys(self) -> list[str]:
        return [email_key(a) for a in self.addresses]


def find_person(store: Store, ref: str) -> Person:
    """The contact ``ref`` names (id, address or exact name) and what was sent to it."""
    contact = find_contact(store, ref)
    since = contact.created or ""
    addresses = _unique(contact.emails)
    while True:  # a past address found through a row may name more rows and answers
        keys = {email_key(a) for a in addresses}
        rows = [r for r in store.gdpr.rows_of(contact.stored_id, since, addresses)
                if r.contact_id == contact.id or email_key(r.address) in keys]
        answers = store.gdpr.rsvps_of(contact.stored_id, since, keys)
        found = _unique([*addresses, *(r.address for r in rows),
                         *(a.attendee for a in answers)])
        if len(found) == len(addresses):
            return Person(contact, tuple(addresses), rows, answers)
        addresses = found


def _unique(addresses: Sequence[str]) -> list[str]:
    """One address per e-mail key, the first spelling met."""
    return list({email_key(a): a for a in reversed(addresses)}.values())[::-1]


# -- access ---------------------------------------------------------------------------------


def export_person(book: Book, ref: str) -> dict[str, Any]:
    """Everything the book holds about the person, as JSON values."""
    store = book.store
    person = find_person(store, ref)
    contact, keys = person.contact, person.keys
    bounces = store.gdpr.bounces_of(keys)
    replies = store.gdpr.replies_of(keys)
    messages = store.gdpr.messages_of(
        [*(b.message_key for b in bounces), *(a.message_key for a in person.rsvps),
         *(r.message_key for r in replies)], [r.row_id for r in person.rows], person.addresses)
    org = store.orgs.find(contact.organization) if contact.organization else None
    sender = book.settings.sender
    return {
        "generated_at": book.now,
        "generated_by": book.actor,
        "about": "everything this pressctl contact book holds about one person "
                 "(GDPR article 15, right of access)",
        "book": {"backend": store.dialect, "location": store.database.where,
                 "schema": store.database.schema_version(),
                 "controller": {"name": sender.name, "address": sender.address}},
        "contact": _contact_json(contact, store.contacts.version(contact.stored_id)),
        "organization": None if org is None else {
            "id": org.id, "name": org.name, "short_name": org.short_name,
            "country": org.country, "website": org.website},
        "addresses": list(person.addresses),
        "mailouts": [asdict(r) for r in person.rows],
        "opt_outs": [asdict(s) for s in store.suppressions.suppressions_of(keys).values()],
        "opt_ins": [asdict(o) for o in store.suppressions.optins_of(keys)],
        "bouncing": [asdict(b) for b in store.inbox.bouncing_history(keys)],
        "bounces": [asdict(b) for b in bounces],
        "rsvps": [asdict(a) for a in person.rsvps],
        "replies": [asdict(r) for r in replies],
        "inbox_messages": [asdict(m) for m in messages],
        "audit_trail": [asdict(c) for c in store.gdpr.changes_of(contact.stored_id,
                                                                 person.addresses)],
    }


def write_person_export(book: Book, ref: str, path: Path) -> dict[str, Any]:
    """:func:`export_person` written to ``path`` (0600, atomically); returns it."""
    data = export_person(book, ref)
    write_private_file(path, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    return data


def _contact_json(contact: Contact, version: int | None) -> dict[str, Any]:
    return {"id": contact.id, "name": contact.name, "kind": contact.kind,
            "role": contact.role, "roles": contact.roles,
            "organization": contact.organization,
            "outlet": contact.outlet, "languages": contact.languages,
            "country": contact.country, "notes": contact.notes,
            "embargo_ok": contact.embargo_ok, "opted_out": contact.opted_out,
            "emails": contact.emails, "phones": [asdict(p) for p in contact.phones],
            "tags": contact.tags, "salutation": contact.salutation,
            "first_name_ok": contact.first_name_ok,
            "created": contact.created, "updated": contact.updated,
            "version": version}


# -- erasure ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ForgetReport:
    """What `forget` did, or would do (``dry_run``): values changed per table."""

    contact_id: int
    name: str
    dry_run: bool
    changed: Counter[str] = field(default_factory=Counter)
    hashes: int = 0  # addresses kept as keyed hashes in the suppression list
    cancelled: int = 0  # messages still queued for them, cancelled
    officer_of: str | None = None  # a press officer of this organisation
    homonyms: int = 0  # other contacts of the same name (kept as they are)
    log_lines: int = 0  # lines of the outbox log rewritten
    compaction: Compaction | None = None


class _Preview(Exception):
    """Raised inside the transaction to roll a preview back, with what it did."""

    def __init__(self, report: ForgetReport) -> None:
        super().__init__("preview")
        self.report = report


def forget_contact(book: Book, ref: str, *, dry_run: bool = False,
                   logs: Sequence[Path] = ()) -> ForgetReport:
    """Erase the person ``ref`` names (see the module's docstring). ``dry_run``: the same
    work in a transaction rolled back, reporting what would change. ``logs``: text
    files naming recipients (the home's outbox.log), rewritten after the commit."""
    store = book.store
    try:
        with store.gdpr.secure_delete(), store.transaction():
            report, scrubber = _forget(book, ref, dry_run)
            if dry_run:
                raise _Preview(report)
    except _Preview as preview:
        return preview.report
    report.log_lines = sum(scrub_file(path, scrubber) for path in logs)
    report.compaction = store.gdpr.compact(t for t, n in report.changed.items() if n)
    return report


def person_scrubber(key: bytes, person: Person) -> Scrubber:
    """The person's addresses, phones and name, each with its token. The name's token is
    that of the person's first address (or of the contact, without one)."""
    contact = person.contact
    addresses = [Personal(Kind.ADDRESS, text, address_token(key, a))
                 for a in person.addresses for text in (a, email_key(a))]
    phones = [Personal(Kind.PHONE, form, token(key, "phone", p.e164))
              for p in contact.phones for form in phone_forms(p)]
    named = (address_token(key, person.addresses[0]) if person.addresses else
             token(key, "contact", f"{contact.id}\n{contact.created}"))
    return Scrubber([*addresses, *phones, Personal(Kind.NAME, contact.name, named)])


def _forget(book: Book, ref: str, dry_run: bool) -> tuple[ForgetReport, Scrubber]:
    store = book.store
    person = find_person(store, ref)
    contact = person.contact
    label = f"contact #{contact.id} {contact.name}"
    busy = store.gdpr.rows_being_sent(r.row_id for r in person.rows)
    if busy:
        raise InvalidInput(f"{label}: a delivery run is sending to them now (mailout "
                           f"#{busy[0][0]}, {busy[0][1]}); nothing was forgotten",
                           hint="run `contacts forget` again when the run has finished")
    key = store.gdpr.forget_key() or store.gdpr.create_forget_key(secrets.token_bytes(32),
                                                                  book.now)
    scrubber = person_scrubber(key, person)
    report = ForgetReport(contact.stored_id, contact.name, dry_run,
                          officer_of=contact.organization if contact.kind == "officer"
                          else None,
                          homonyms=_homonyms(store, contact))
    changed = report.changed
    rows, report.cancelled = store.gdpr.hash_rows(
        {r.row_id: address_token(key, r.address) for r in person.rows}, book.now, CANCELLED)
    changed["mailout_rows"] += rows
    tokens = {email_key(a): address_token(key, a) for a in person.addresses}
    changed.update(store.gdpr.hash_inbox(tokens))
    deleted, report.hashes = store.gdpr.forget_suppressions(tokens, FORGOTTEN_REASON, book.now)
    changed["suppressions"] += deleted + report.hashes
    changed.update(store.gdpr.delete_contact(contact.stored_id))
    _scrub_columns(store, scrubber, changed)
    _scrub_variants(store, scrubber, changed, label)
    # The search index keeps a removed text's trigrams (and queued copies of it) until
    # its segments are merged: merged now, inside the erasure (secure_delete zeroes them).
    purge_search_index(store.db, store.dialect)
    _verify(store, scrubber, label)
    record(book, ChangeAction.REMOVE, Subject.CONTACT, contact.stored_id,
           f"contact #{contact.id} forgotten, on request: its addresses are kept only as "
           "keyed hashes")
    return report, scrubber


def _homonyms(store: Store, contact: Contact) -> int:
    return sum(1 for c in store.contacts.sorted_as(sort_key(contact.name))
               if c.id != contact.id and c.name.casefold() == contact.name.casefold())


def _scrubber_for(scrubber: Scrubber, table: str, column: str) -> Scrubber:
    return scrubber.without(Kind.NAME) if (table, column) in NAME_COLUMNS else scrubber


def _scrub_columns(store: Store, scrubber: Scrubber, changed: Counter[str]) -> None:
    """The person's texts replaced in every text column of the book, by value."""
    for table, column in store.gdpr.text_columns():
        if (table, column) in KEY_COLUMNS:
            continue
        scrub = _scrubber_for(scrubber, table, column)
        for value in store.gdpr.values_like(table, column, scrub.patterns):
            new = scrub(value)
            if new != value:
                changed[table] += store.gdpr.replace_value(table, column, value, new)


def _scrub_variants(store: Store, scrubber: Scrubber, changed: Counter[str],
                    label: str) -> None:
    """The frozen messages naming the person, rewritten; refused for a mailout that is
    still to be sent (its messages would change)."""
    for variant in store.gdpr.variants_like(scrubber.patterns):
        new = scrubber.frozen(variant.blob)
        if new == variant.blob:
            continue
        if variant.pending:
            raise InvalidInput(
                f"{label} is named in the approved messages of mailout #{variant.mailout_id} "
                f"({variant.reference}), which is still to be sent (as their sender, or in "
                "their text); nothing was forgotten",
                hint=f"forget them when it is done, or cancel it first (`pressctl mailout "
                     f"cancel {variant.mailout_id}`)")
        store.gdpr.set_variant(variant.mailout_id, variant.number, new)
        changed["mailout_variants"] += 1


def _verify(store: Store, scrubber: Scrubber, label: str) -> None:
    """Search the whole book again: a text of the person left anywhere stops the erasure
    (a place pressctl does not know how to erase: a bug), and nothing is changed."""
    left = [f"{table}.{column}" for table, column in store.gdpr.text_columns()
            if any(_scrubber_for(scrubber, table, column).finds(value)
                   for value in store.gdpr.values_like(
                       table, column, _scrubber_for(scrubber, table, column).patterns))]
    left += [f"mailout_variants (mailout #{v.mailout_id})"
             for v in store.gdpr.variants_like(scrubber.patterns)
             if scrubber.finds_in_frozen(v.blob)]
    if left:
        raise PressctlError(f"{label} was not forgotten: their data would stay in "
                            f"{', '.join(left)}; nothing was changed",
                            hint="report this: pressctl does not know how to erase it there")
