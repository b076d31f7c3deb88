"""Contact use cases: find, add, edit, remove, tag, check and export. The CLI calls these.

Every change of several rows happens in one transaction, and every write of a contact
keeps its opt-outs (:func:`pressctl.book.suppression.keep_opt_outs`): an opt-out is
forever. Every change records who made it, in the same transaction
(:mod:`pressctl.book.changes`), and an edit never overwrites a write it did not see: it
writes only over the version it read (:func:`edit_contact`). An edit that takes a bouncing
address off a contact clears its bouncing state (:mod:`pressctl.book.bounces`). Importing a file is
:mod:`pressctl.book.importer`; opting out and in is :mod:`pressctl.book.optouts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from pressctl.book.bounces import cleared_by_edit, skip_reason
from pressctl.book.changes import ChangeAction, NewChange, Subject, edit_conflict, record
from pressctl.book.changes import record_many as record_changes
from pressctl.book.duplicates import contact_person_owners, is_person_key, person_clash_text
from pressctl.book.forgotten import refuse_forgotten
from pressctl.book.session import Book
from pressctl.book.suppression import OptOutNotice, keep_opt_outs, opt_out_notices
from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter, sort_key
from pressctl.contacts.phones import field_text, parse_phone_field
from pressctl.contacts.validation import edited_roles, normalise_tags, validate_fields
from pressctl.errors import (
    DuplicateContact,
    InvalidEmail,
    InvalidInput,
    InvalidPhone,
    NotFound,
    Problem,
    ProblemsFound,
)
from pressctl.store import Store
from pressctl.store.suppressions import Suppression


class OnDuplicate(StrEnum):
    """What to do with a contact whose e-mail address the book already has (or, for a
    contact without an e-mail, its name at one of its numbers: pressctl.book.duplicates)."""

    FAIL = "fail"  # refuse, naming each clash (nothing is changed)
    SKIP = "skip"  # keep the stored contact as it is
    UPDATE = "update"  # merge into the stored contact: given values win, lists unite


def duplicate_policy(value: str) -> OnDuplicate:
    """``--on-duplicate`` as typed; InvalidInput (exit 3) for anything else."""
    try:
        return OnDuplicate(value)
    except ValueError:
        raise InvalidInput(f"--on-duplicate {value!r}", hint="use fail, skip or update") from None


# -- finding contacts -----------------------------------------------------------------------


def find_contact(store: Store, ref: str) -> Contact:
    """A contact by id ("12" or "#12"), e-mail address, or exact name when unique."""
    text = ref.strip()
    if text.lstrip("#").isdigit():
        contact = store.contacts.get(int(text.lstrip("#")))
        if contact:
            return contact
        raise NotFound(f"no contact #{text.lstrip('#')}", hint="see `pressctl contacts list`")
    if "@" in text or "[at]" in text.lower():
        try:
            keys = [email_key(e.normalized) for e in clean_email_field(text)]
        except InvalidEmail as err:
            raise InvalidInput(str(err)) from err
        owners = store.contacts.owners_of_email_keys(keys)
        owner = store.contacts.get(next(iter(owners.values()))) if owners else None
        if owner is not None:
            return owner
        raise NotFound(f"no contact with e-mail {text}", hint="see `pressctl contacts list`")
    matches = [c for c in store.contacts.sorted_as(sort_key(text))
               if c.name.casefold() == text.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(f"#{c.id}" for c in matches)
        raise InvalidInput(f'"{text}" names {len(matches)} contacts ({ids})',
                           hint="use the id or the e-mail address")
    raise NotFound(f'no contact named "{text}"', hint="use an id, an e-mail or the exact name")


def find_contacts(store: Store, refs: Iterable[str]) -> list[Contact]:
    """Each contact named, once however often (see :func:`find_contact`)."""
    found: dict[int, Contact] = {}
    for ref in refs:
        contact = find_contact(store, ref)
        found[contact.stored_id] = contact
    return list(found.values())


# -- adding and editing -----------------------------------------------------------------------


class Added(StrEnum):
    """What `contacts add` did."""

    ADDED = "added"
    UPDATED = "updated"  # merged into the contact holding its e-mail (--on-duplicate update)
    SKIPPED = "skipped"  # the contact holding its e-mail kept as it was (--on-duplicate skip)


@dataclass(slots=True)
class AddResult:
    contact: Contact
    action: Added
    notes: list[str] = field(default_factory=list)
    clashes: list[str] = field(default_factory=list)
    opted_out: list[OptOutNotice] = field(default_factory=list)  # said, never silent


@dataclass(slots=True)
class EditResult:
    contact: Contact
    opted_out: list[OptOutNotice] = field(default_factory=list)  # of the added addresses


def add_contact(
    book: Book,
    fields: Mapping[str, object],
    *,
    on_duplicate: str = OnDuplicate.FAIL,
    region: str | None = None,
    check_dns: bool = False,
) -> AddResult:
    """Validate and add one contact; a contact holding one of its e-mail addresses is
    handled as ``on_duplicate`` says (see :class:`OnDuplicate`)."""
    policy = duplicate_policy(on_duplicate)
    result = validate_fields(fields, book.region_for(region), check_dns=check_dns)
    contact = result.contact
    if contact is None:  # not valid
        raise ProblemsFound(
            f"contact not added: {'; '.join(result.problems)}",
            [Problem("", p) for p in result.problems],
        )
    named = [email_key(e) for e in contact.emails]
    with book.store.transaction():
        refuse_forgotten(book.store, contact.emails, "contact not added")
        # without an e-mail: the same name holding one of its numbers (book.duplicates)
        owners = _owners(book.store, contact) or contact_person_owners(book.store, contact)
        if not owners:
            _stamp_new(contact, book.now)
            held = keep_opt_outs(book.store, contact, asked=contact.opted_out, earlier=None,
                                 reason="marked opted out when added", now=book.now)
            book.store.contacts.insert([contact])
            record(book, ChangeAction.ADD, Subject.CONTACT, contact.stored_id,
                   f"added {contact.name}" + (" (opted out)" if contact.opted_out else ""))
            return AddResult(contact, Added.ADDED, result.notes,
                             opted_out=opt_out_notices(contact, held, named))
        clashes = [clash_text(book.store, addr, cid) for addr, cid in owners.items()]
        if policy is OnDuplicate.FAIL:
            raise DuplicateContact([Problem("", c) for c in clashes])
        if policy is OnDuplicate.SKIP:
            existing = book.store.contacts.get(next(iter(owners.values())))
            assert existing is not None  # read in this transaction: it is there
            held = book.store.suppressions.suppressions_of(named)
            return AddResult(existing, Added.SKIPPED, result.notes, clashes,
                             opted_out=opt_out_notices(existing, held, named))
        merged, held = _merge_into_owner(book, contact, owners, "",
                                         kind_stated=states_kind(fields))
        return AddResult(merged, Added.UPDATED, result.notes, clashes,
                         opted_out=opt_out_notices(merged, held, named))


EDITABLE = ("name", "kind", "role", "roles", "organization", "outlet", "country", "notes",
            "embargo_ok", "opted_out", "languages", "tags", "salutation", "first_name_ok")


def edit_contact(
    book: Book,
    ref: str,
    changes: Mapping[str, object],
    *,
    add_emails: Sequence[str] = (),
    remove_emails: Sequence[str] = (),
    add_phones: Sequence[str] = (),
    remove_phones: Sequence[str] = (),
    check_dns: bool = False,
    version: int | None = None,
) -> EditResult:
    """Change the given fields of one contact; the result is validated like a new one.

    Setting ``opted_out`` opts the contact out (every address); clearing it is refused:
    only `contacts optin` lifts an opt-out, and records why. ``roles`` ("LANGUAGE=ROLE"
    texts) sets the role of each language named and keeps the others; "LANGUAGE=" with
    nothing after it removes that language's role.

    No lost update: the contact and its version are read, and the edit validated (DNS
    included), without holding the write lock; the write then happens only if the contact
    is still at that version, else it is refused (EditConflict, exit 3) naming who changed
    it and when, and nothing is written. ``version`` is the one the caller saw (`contacts
    show` prints it); by default, the one read here."""
    current, read_version = read_with_version(book, ref)
    if version is not None and version > read_version:
        raise InvalidInput(f"contact #{current.id} is at version {read_version}, not {version}",
                           hint=f"see `pressctl contacts show {current.id}`")
    if version is not None and version < read_version:
        raise edit_conflict(book, Subject.CONTACT, current.stored_id, f"contact #{current.id}")
    updated, asked = _edited(book, current, changes, add_emails, remove_emails, add_phones,
                             remove_phones, check_dns)
    return _write_edit(book, current, updated, asked, read_version)


def read_with_version(book: Book, ref: str) -> tuple[Contact, int]:
    """The contact ``ref`` names and its version, the version read first: a write landing
    between the two reads then makes the edit refused, never lost."""
    found = find_contact(book.store, ref)
    version = book.store.contacts.version(found.stored_id)
    current = book.store.contacts.get(found.stored_id) if version is not None else None
    if version is None or current is None:  # removed since it was found
        raise edit_conflict(book, Subject.CONTACT, found.stored_id, f"contact #{found.id}",
                            removed=True)
    return current, version


def _edited(book: Book, current: Contact, changes: Mapping[str, object],
            add_emails: Sequence[str], remove_emails: Sequence[str],
            add_phones: Sequence[str], remove_phones: Sequence[str],
            check_dns: bool) -> tuple[Contact, bool]:
    """The contact as the edit makes it, validated (no write); and whether the edit
    asks for an opt-out."""
    fields = contact_fields(current)
    for key, value in changes.items():
        if key not in EDITABLE:
            raise InvalidInput(f"cannot edit {key!r}", hint=f"editable: {', '.join(EDITABLE)}")
        fields[key] = _roles_after(current, value) if key == "roles" else value
    drop: set[str] = set()
    for text in remove_emails:
        try:
            drop.update(email_key(e.normalized) for e in clean_email_field(text))
        except InvalidEmail as err:
            raise InvalidInput(str(err)) from err
    missing = drop - {email_key(e) for e in current.emails}
    if missing:
        raise NotFound(f"{current.name} has no e-mail {', '.join(sorted(missing))}")
    kept = [e for e in current.emails if email_key(e) not in drop]
    fields["emails"] = kept + list(add_emails)
    fields["phones"] = _phones_after(book, current, add_phones, remove_phones)
    result = validate_fields(
        fields, book.region_for(), default_kind=current.kind, check_dns=check_dns
    )
    updated = result.contact
    if updated is None:  # not valid
        raise ProblemsFound(
            f"contact #{current.id} not changed: {'; '.join(result.problems)}",
            [Problem(f"contact #{current.id}", p) for p in result.problems],
        )
    asked = "opted_out" in changes and updated.opted_out
    if current.opted_out and "opted_out" in changes and not asked:
        raise InvalidInput(
            f"contact #{current.id} {current.name} has opted out: an edit cannot undo that",
            hint="only `pressctl contacts optin ADDRESS --yes --note TEXT` lifts an "
                 f"opt-out, and records it (see `pressctl contacts show {current.id}`)")
    return updated, asked


def _write_edit(book: Book, current: Contact, updated: Contact, asked: bool,
                version: int) -> EditResult:
    """Write an edited contact over ``version`` (one transaction, with its entry)."""
    with book.store.transaction():
        owners = {k: v for k, v in _owners(book.store, updated).items() if v != current.id}
        if owners:
            raise DuplicateContact(
                [Problem("", clash_text(book.store, a, c)) for a, c in owners.items()]
            )
        kept = {email_key(e) for e in current.emails}
        refuse_forgotten(book.store, [e for e in updated.emails if email_key(e) not in kept],
                         f"contact #{current.id} not changed")
        updated.id, updated.created, updated.updated = current.id, current.created, book.now
        held = keep_opt_outs(book.store, updated, asked=asked, earlier=current,
                             reason="marked opted out with `pressctl contacts edit`",
                             now=book.now)
        if not book.store.contacts.replace(updated, version=version):
            removed = book.store.contacts.version(current.stored_id) is None
            raise edit_conflict(book, Subject.CONTACT, current.stored_id,
                                f"contact #{current.id}", removed=removed)
        record(book, ChangeAction.EDIT, Subject.CONTACT, current.stored_id,
               f"edited: {changed_fields(current, updated)}")
        record_changes(book, cleared_by_edit(book, current, updated))
        old = {email_key(e) for e in current.emails}
        added = [k for k in (email_key(e) for e in updated.emails) if k not in old]
        return EditResult(updated, opt_out_notices(updated, held, added))


# The fields a change names in the trail (their values stay out of it), as people say them.
_FIELD_NAMES = {"name": "name", "kind": "kind", "role": "role", "roles": "roles",
                "organization": "organisation",
                "outlet": "outlet", "country": "country", "notes": "notes",
                "embargo_ok": "embargo ok", "opted_out": "opted out",
                "languages": "languages", "tags": "tags", "emails": "e-mails",
                "phones": "phones", "salutation": "salutation",
                "first_name_ok": "first name ok"}


def changed_fields(before: Contact, after: Contact) -> str:
    """"role, phones": the fields that differ, for the trail; "nothing changed" if none."""
    names = [label for name, label in _FIELD_NAMES.items()
             if getattr(before, name) != getattr(after, name)]
    return ", ".join(names) or "nothing changed"


def _roles_after(current: Contact, entries: object) -> list[str]:
    roles, missing = edited_roles(current.roles, entries)
    if missing:
        raise NotFound(f"{current.name} has no role in language {', '.join(missing)} to remove",
                       hint=f"its roles are in: {', '.join(current.roles) or 'no language'}")
    return roles


def _phones_after(book: Book, current: Contact, add: Sequence[str],
                  remove: Sequence[str]) -> list[str]:
    region = book.region_for()(current.country, current.organization)
    drop: set[str] = set()
    for text in remove:
        try:
            drop.update(p.e164 for p in parse_phone_field(text, region))
        except InvalidPhone as err:
            raise InvalidInput(str(err)) from err
    missing = drop - {p.e164 for p in current.phones}
    if missing:
        raise NotFound(f"{current.name} has no phone {', '.join(sorted(missing))}")
    kept = [field_text(p) for p in current.phones if p.e164 not in drop]
    return kept + list(add)


def contact_fields(contact: Contact) -> dict[str, object]:
    """A stored contact as raw fields (what validate_fields takes)."""
    return {
        "name": contact.name, "kind": contact.kind, "role": contact.role,
        "organization": contact.organization, "outlet": contact.outlet,
        "tags": ",".join(contact.tags), "languages": ",".join(contact.languages),
        "country": contact.country, "emails": list(contact.emails),
        "phones": [field_text(p) for p in contact.phones], "notes": contact.notes,
        "embargo_ok": contact.embargo_ok, "opted_out": contact.opted_out,
        "roles": [f"{tag}={role}" for tag, role in contact.roles.items()],
        "salutation": contact.salutation, "first_name_ok": contact.first_name_ok,
    }


def merge(existing: Contact, incoming: Contact, *, kind_stated: bool = True) -> Contact:
    """``existing`` completed and corrected by ``incoming``: given values win, lists unite.

    ``kind_stated`` is False when the incoming record did not say its kind (validation
    then filled in the default kind, which must not overwrite the existing one).
    """
    merged = Contact(**{name: getattr(existing, name) for name in Contact.__slots__})
    for name in ("name", "role", "organization", "outlet", "country", "notes", "salutation"):
        value = getattr(incoming, name)
        if value:
            setattr(merged, name, value)
    merged.roles = {**existing.roles, **incoming.roles}  # a language's given role wins
    merged.first_name_ok = incoming.first_name_ok or existing.first_name_ok
    merged.kind = (incoming.kind if kind_stated else None) or existing.kind
    merged.embargo_ok = incoming.embargo_ok or existing.embargo_ok
    merged.opted_out = existing.opted_out or incoming.opted_out  # an opt-out is never undone
    keys = {email_key(e) for e in existing.emails}
    merged.emails = existing.emails + [e for e in incoming.emails if email_key(e) not in keys]
    numbers = {(p.e164, p.extension) for p in existing.phones}
    merged.phones = existing.phones + [
        p for p in incoming.phones if (p.e164, p.extension) not in numbers
    ]
    merged.tags = existing.tags + [t for t in incoming.tags if t not in existing.tags]
    merged.languages = existing.languages + [
        lang for lang in incoming.languages if lang not in existing.languages
    ]
    return merged


def states_kind(fields: Mapping[str, object]) -> bool:
    """Whether a record says its kind (else validation fills in the default kind)."""
    return bool(str(fields.get("kind") or "").strip())


def _owners(store: Store, contact: Contact) -> dict[str, int]:
    by_key = {email_key(e): e for e in contact.emails}
    return {by_key[k]: cid for k, cid in store.contacts.owners_of_email_keys(by_key).items()}


def clash_text(store: Store, address: str, contact_id: int) -> str:
    """What a clash says: the address and the contact that already holds it (or, for a
    contact without an e-mail, the name and number: pressctl.book.duplicates)."""
    if is_person_key(address):
        return person_clash_text(store, address, contact_id)
    owner = store.contacts.get(contact_id)
    name = owner.name if owner else "?"
    return f"e-mail {address} already belongs to contact #{contact_id} {name}"


def _stamp_new(contact: Contact, now: str) -> None:
    contact.created = contact.updated = now


def _merge_into_owner(
    book: Book, contact: Contact, owners: dict[str, int], where: str, *, kind_stated: bool = True,
) -> tuple[Contact, dict[str, Suppression]]:
    ids = set(owners.values())
    if len(ids) > 1:
        listed = ", ".join(f"#{i}" for i in sorted(ids))
        raise InvalidInput(f"{where}e-mails belong to different contacts ({listed})",
                           hint="merge or edit those contacts first")
    existing = book.store.contacts.get(ids.pop())
    assert existing is not None  # read in this transaction: it is there
    merged = merge(existing, contact, kind_stated=kind_stated)
    merged.updated = book.now
    held = keep_opt_outs(book.store, merged, asked=contact.opted_out, earlier=existing,
                         reason="marked opted out when added again", now=book.now)
    book.store.contacts.replace(merged)
    record(book, ChangeAction.EDIT, Subject.CONTACT, merged.stored_id,
           f"added again, merged (--on-duplicate update): {changed_fields(existing, merged)}")
    return merged, held


def remove_contacts(book: Book, refs: list[str]) -> list[Contact]:
    """Remove contacts (their opt-outs stay: they are kept by address)."""
    with book.store.transaction():
        contacts = find_contacts(book.store, refs)
        book.store.contacts.delete(c.stored_id for c in contacts)
        record_changes(book, (NewChange(ChangeAction.REMOVE, Subject.CONTACT, c.stored_id,
                                        f"removed {c.name}") for c in contacts))
    return contacts


# -- tags ------------------------------------------------------------------------------------


def tag_contacts(book: Book, refs: list[str], tags: list[str], *,
                 remove: bool = False) -> list[Contact]:
    wanted = normalise_tags(tags)
    if not wanted:
        raise InvalidInput("no tag given", hint="e.g. `pressctl contacts tag space 12 14`")
    with book.store.transaction():
        contacts = find_contacts(book.store, refs)
        ids = [c.stored_id for c in contacts]
        if remove:
            book.store.contacts.remove_tags(ids, wanted, book.now)
        else:
            book.store.contacts.add_tags(ids, wanted, book.now)
        action = ChangeAction.UNTAG if remove else ChangeAction.TAG
        summary = f"{'untagged' if remove else 'tagged'} {', '.join(wanted)}"
        record_changes(book, (NewChange(action, Subject.CONTACT, i, summary) for i in ids))
    return contacts


# -- check and export ------------------------------------------------------------------------


class Level(StrEnum):
    """How bad a finding of `contacts check` is."""

    ERROR = "error"  # the contact is not valid by today's rules
    WARNING = "warning"  # valid, but likely to surprise (no e-mail, unknown organisation)


@dataclass(frozen=True, slots=True)
class Finding:
    contact: Contact
    level: Level
    message: str

    @property
    def where(self) -> str:
        return f"contact #{self.contact.id} {self.contact.name}"


def check_book(book: Book, where: ContactFilter = EVERY_CONTACT) -> list[Finding]:
    """Re-validate every stored contact with today's rules and metadata; a bouncing
    address is a warning (pressctl.book.bounces)."""
    region_for = book.region_for()
    known_orgs = {o.name.casefold() for o in book.store.orgs.all()} | {
        o.short_name.casefold() for o in book.store.orgs.all() if o.short_name
    }
    findings: list[Finding] = []
    bouncing = book.store.inbox.bouncing_all()  # a few addresses: one query, not one each
    for contact in book.store.contacts.stream(where):
        result = validate_fields(contact_fields(contact), region_for, default_kind=contact.kind)
        findings += [Finding(contact, Level.ERROR, p) for p in result.problems]
        if not contact.emails:
            findings.append(Finding(contact, Level.WARNING, "has no e-mail address"))
        if contact.kind == "officer" and not contact.organization:
            findings.append(Finding(contact, Level.WARNING,
                                    "press officer without an organisation"))
        elif (contact.kind == "officer" and contact.organization
              and contact.organization.casefold() not in known_orgs):
            findings.append(Finding(
                contact, Level.WARNING,
                f'organisation "{contact.organization}" is not in `pressctl orgs list`'))
        findings += [Finding(contact, Level.WARNING, f"e-mail {state.address} is "
                             f"{skip_reason(state)}")
                     for e in contact.emails if (state := bouncing.get(email_key(e)))]
    return findings


def export_contacts(
    store: Store, where: ContactFilter, fmt: str, *, vcard_version: str = "3.0",
    csv_dialect: str = "standard",
) -> Iterator[str]:
    """The selected contacts as text chunks, in a format `contacts import` reads back
    (``csv_dialect`` only matters for CSV). Streamed: each format writes a contact as
    soon as the store reads it, from its row (pressctl.contacts.contact_rows: no
    Contact built), phones in their international form."""
    from pressctl.contacts.contact_rows import number_text

    number = number_text("international")
    if fmt == "csv":
        from pressctl.contacts.formats.csvfile import write_csv_rows

        return write_csv_rows(store.contacts.stream(where).rows(), number,
                              dialect=csv_dialect)
    if fmt == "json":
        from pressctl.contacts.formats.jsonfile import write_json_rows

        return write_json_rows(store.contacts.stream(where).rows(), number)
    if fmt == "vcard":
        from pressctl.contacts.formats.vcard_writer import (
            SUPPORTED_WRITE_VERSIONS,
            iter_vcard_rows,
        )

        if vcard_version not in SUPPORTED_WRITE_VERSIONS:
            raise InvalidInput(f"vCard version {vcard_version!r}",
                               hint=f"use {' or '.join(SUPPORTED_WRITE_VERSIONS)}")
        return iter_vcard_rows(store.contacts.stream(where).rows(), vcard_version, number)
    raise InvalidInput(f"unknown export format {fmt!r}", hint="use csv, vcard or json")
