"""Contact-book use cases: add, edit, import, export, check. The CLI calls these.

Every change of several rows happens in one transaction. Bulk validation runs in worker
processes when a file is large (phone and e-mail validation dominate an import).

Opt-outs are forever: they are kept by address (the suppression list), not on the contact
row, so that removing, re-adding or re-importing a contact never mails it again. Every
write of a contact goes through :func:`keep_opt_outs`, which keeps the contact's
``opted_out`` flag in step with that list; only :func:`pressctl.book.optouts.opt_in` lifts one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from pressctl.config import Settings
from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.model import Contact, ContactFilter, Phone
from pressctl.contacts.phones import field_text
from pressctl.contacts.validation import RegionFor, sort_key, validate_fields
from pressctl.errors import (
    DuplicateContact,
    InvalidEmail,
    InvalidInput,
    NotFound,
    Problem,
    ProblemsFound,
)
from pressctl.store import Store
from pressctl.store.suppressions import Suppression

ON_DUPLICATE = ("fail", "skip", "update")


@dataclass(slots=True)
class Book:
    """What every use case needs: the open store, the settings and the time of the command."""

    store: Store
    settings: Settings
    now: str  # UTC, ISO 8601 ("2026-11-22T09:30:00Z"), read once at the CLI edge

    def region_for(self, default_region: str | None = None) -> RegionFor:
        """Phone region: the contact's country, else its organisation's, else the default."""
        by_name: dict[str, str] = {}
        for org in self.store.orgs.all():
            if org.country:
                by_name[org.name.casefold()] = org.country
                if org.short_name:
                    by_name[org.short_name.casefold()] = org.country
        fallback = default_region or self.settings.default_region

        def region_for(country: str | None, organization: str | None) -> str | None:
            if country:
                return country
            if organization and organization.casefold() in by_name:
                return by_name[organization.casefold()]
            return fallback

        return region_for


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
        if owners:
            return store.contacts.get(next(iter(owners.values())))  # type: ignore[return-value]
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
    found: dict[int, Contact] = {}
    for ref in refs:
        contact = find_contact(store, ref)
        found[contact.id] = contact  # type: ignore[index]
    return list(found.values())


# -- adding and editing -----------------------------------------------------------------------


@dataclass(slots=True)
class AddResult:
    contact: Contact
    action: str  # "added" | "updated" | "skipped"
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
    on_duplicate: str = "fail",
    region: str | None = None,
    check_dns: bool = False,
) -> AddResult:
    if on_duplicate not in ON_DUPLICATE:
        raise InvalidInput(f"--on-duplicate {on_duplicate!r}", hint="use fail, skip or update")
    result = validate_fields(fields, book.region_for(region), check_dns=check_dns)
    if not result.ok:
        raise ProblemsFound(
            f"contact not added: {'; '.join(result.problems)}",
            [Problem("", p) for p in result.problems],
        )
    contact = result.contact
    assert contact is not None
    named = [email_key(e) for e in contact.emails]
    with book.store.transaction():
        owners = _owners(book.store, contact)
        if not owners:
            _stamp_new(contact, book.now)
            held = keep_opt_outs(book.store, contact, asked=contact.opted_out, earlier=None,
                                 reason="marked opted out when added", now=book.now)
            book.store.contacts.insert([contact])
            return AddResult(contact, "added", result.notes,
                             opted_out=opt_out_notices(contact, held, named))
        clashes = [_clash_text(book.store, addr, cid) for addr, cid in owners.items()]
        if on_duplicate == "fail":
            raise DuplicateContact([Problem("", c) for c in clashes])
        if on_duplicate == "skip":
            existing = book.store.contacts.get(next(iter(owners.values())))
            assert existing is not None
            held = book.store.suppressions.suppressions_of(named)
            return AddResult(existing, "skipped", result.notes, clashes,
                             opted_out=opt_out_notices(existing, held, named))
        merged, held = _merge_into_owner(book, contact, owners, "",
                                         kind_stated=_states_kind(fields))
        return AddResult(merged, "updated", result.notes, clashes,
                         opted_out=opt_out_notices(merged, held, named))


EDITABLE = ("name", "kind", "role", "organization", "outlet", "country", "notes",
            "embargo_ok", "opted_out", "languages", "tags")


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
) -> EditResult:
    """Change the given fields of one contact; the result is validated like a new one.

    Setting ``opted_out`` opts the contact out (every address); clearing it is refused:
    only `contacts optin` lifts an opt-out, and records why."""
    with book.store.transaction():
        current = find_contact(book.store, ref)
        fields = contact_fields(current)
        for key, value in changes.items():
            if key not in EDITABLE:
                raise InvalidInput(f"cannot edit {key!r}", hint=f"editable: {', '.join(EDITABLE)}")
            fields[key] = value
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
        if not result.ok:
            raise ProblemsFound(
                f"contact #{current.id} not changed: {'; '.join(result.problems)}",
                [Problem(f"contact #{current.id}", p) for p in result.problems],
            )
        updated = result.contact
        assert updated is not None
        asked = "opted_out" in changes and updated.opted_out
        if current.opted_out and "opted_out" in changes and not asked:
            raise InvalidInput(
                f"contact #{current.id} {current.name} has opted out: an edit cannot undo that",
                hint="only `pressctl contacts optin ADDRESS --yes --note TEXT` lifts an "
                     f"opt-out, and records it (see `pressctl contacts show {current.id}`)")
        owners = {k: v for k, v in _owners(book.store, updated).items() if v != current.id}
        if owners:
            raise DuplicateContact(
                [Problem("", _clash_text(book.store, a, c)) for a, c in owners.items()]
            )
        updated.id, updated.created, updated.updated = current.id, current.created, book.now
        held = keep_opt_outs(book.store, updated, asked=asked, earlier=current,
                             reason="marked opted out with `pressctl contacts edit`",
                             now=book.now)
        book.store.contacts.replace(updated)
        old = {email_key(e) for e in current.emails}
        added = [k for k in (email_key(e) for e in updated.emails) if k not in old]
        return EditResult(updated, opt_out_notices(updated, held, added))


def _phones_after(book: Book, current: Contact, add: Sequence[str],
                  remove: Sequence[str]) -> list[str]:
    from pressctl.contacts.phones import parse_phone_field
    from pressctl.errors import InvalidPhone

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
    }


def merge(existing: Contact, incoming: Contact, *, kind_stated: bool = True) -> Contact:
    """``existing`` completed and corrected by ``incoming``: given values win, lists unite.

    ``kind_stated`` is False when the incoming record did not say its kind (validation
    then filled in the default kind, which must not overwrite the existing one).
    """
    merged = Contact(**{name: getattr(existing, name) for name in Contact.__slots__})
    for name in ("name", "role", "organization", "outlet", "country", "notes"):
        value = getattr(incoming, name)
        if value:
            setattr(merged, name, value)
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


def _states_kind(fields: Mapping[str, object]) -> bool:
    return bool(str(fields.get("kind") or "").strip())


def _owners(store: Store, contact: Contact) -> dict[str, int]:
    by_key = {email_key(e): e for e in contact.emails}
    return {by_key[k]: cid for k, cid in store.contacts.owners_of_email_keys(by_key).items()}


def _clash_text(store: Store, address: str, contact_id: int) -> str:
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
    assert existing is not None
    merged = merge(existing, contact, kind_stated=kind_stated)
    merged.updated = book.now
    held = keep_opt_outs(book.store, merged, asked=contact.opted_out, earlier=existing,
                         reason="marked opted out when added again", now=book.now)
    book.store.contacts.replace(merged)
    return merged, held


def remove_contacts(book: Book, refs: list[str]) -> list[Contact]:
    with book.store.transaction():
        contacts = find_contacts(book.store, refs)
        book.store.contacts.delete(c.id for c in contacts)  # type: ignore[misc]
    return contacts


# -- tags, opt-outs ----------------------------------------------------------------------------


def tag_contacts(book: Book, refs: list[str], tags: list[str], *, remove: bool = False) -> list[Contact]:
    from pressctl.contacts.validation import normalise_tags

    wanted = normalise_tags(tags)
    if not wanted:
        raise InvalidInput("no tag given", hint="e.g. `pressctl contacts tag space 12 14`")
    with book.store.transaction():
        contacts = find_contacts(book.store, refs)
        ids = [c.id for c in contacts]
        if remove:
            book.store.contacts.remove_tags(ids, wanted, book.now)  # type: ignore[arg-type]
        else:
            book.store.contacts.add_tags(ids, wanted, book.now)  # type: ignore[arg-type]
    return contacts


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


@dataclass(slots=True)
class OptOutResult:
    contacts: list[Contact]  # opted out (every address of each)
    addresses: list[str]  # suppressed without a contact: never mailed if added later


OPTOUT_REASON = "opted out with `pressctl contacts optout`"


def opt_out(book: Book, refs: list[str], *, note: str | None = None) -> OptOutResult:
    """Opt contacts out: every address of each is suppressed for good, and the contact
    flagged. An e-mail address that is in no contact is suppressed too, so that it is
    never mailed if it is added later. Only `contacts optin` undoes this."""
    result = OptOutResult([], [])
    with book.store.transaction():
        for ref in refs:
            try:
                contact = find_contact(book.store, ref)
            except NotFound:
                if "@" not in ref:
                    raise
                for found in clean_email_field(ref):
                    book.store.suppressions.suppress(email_key(found.normalized), found.normalized,
                                        OPTOUT_REASON, book.now, note)
                    result.addresses.append(found.normalized)
                continue
            if any(c.id == contact.id for c in result.contacts):
                continue
            opt_out_contact(book.store, contact, OPTOUT_REASON, book.now, note)
            result.contacts.append(contact)
    return result


def opt_out_contact(store: Store, contact: Contact, reason: str, now: str,
                    note: str | None = None) -> None:
    """Suppress every address of a stored contact and flag it (inside a transaction)."""
    for address in contact.emails:
        store.suppressions.suppress(email_key(address), address, reason, now, note)
    store.contacts.set_opted_out([contact.id], True, now)  # type: ignore[list-item]
    contact.opted_out = True


# -- check and export ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    contact: Contact
    level: str  # "error" | "warning"
    message: str

    @property
    def where(self) -> str:
        return f"contact #{self.contact.id} {self.contact.name}"


def check_book(book: Book, where: ContactFilter = ContactFilter()) -> list[Finding]:
    """Re-validate every stored contact with today's rules and metadata."""
    region_for = book.region_for()
    known_orgs = {o.name.casefold() for o in book.store.orgs.all()} | {
        o.short_name.casefold() for o in book.store.orgs.all() if o.short_name
    }
    findings: list[Finding] = []
    for contact in book.store.contacts.stream(where):
        result = validate_fields(contact_fields(contact), region_for, default_kind=contact.kind)
        findings += [Finding(contact, "error", p) for p in result.problems]
        if not contact.emails:
            findings.append(Finding(contact, "warning", "has no e-mail address"))
        if contact.kind == "officer" and not contact.organization:
            findings.append(Finding(contact, "warning", "press officer without an organisation"))
        elif (contact.kind == "officer" and contact.organization
              and contact.organization.casefold() not in known_orgs):
            findings.append(Finding(
                contact, "warning",
                f'organisation "{contact.organization}" is not in `pressctl orgs list`'))
    return findings


def export_contacts(
    store: Store, where: ContactFilter, fmt: str, *, vcard_version: str = "3.0",
) -> Iterator[str]:
    """The selected contacts as text chunks, in a format `contacts import` reads back."""
    from pressctl.contacts.phones import format_phone

    def phone_text(phone: Phone) -> str:
        return format_phone(phone, "international")

    contacts = store.contacts.stream(where)
    if fmt == "csv":
        from pressctl.contacts.formats.csvfile import write_csv

        return write_csv(contacts, phone_text)
    if fmt == "json":
        from pressctl.contacts.formats.jsonfile import write_json

        return write_json(contacts, phone_text)
    if fmt == "vcard":
        from pressctl.contacts.formats.vcard import write_vcards

        if vcard_version not in ("3.0", "4.0"):
            raise InvalidInput(f"vCard version {vcard_version!r}", hint="use 3.0 or 4.0")
        return iter([write_vcards(list(contacts), vcard_version, phone_text=phone_text)])
    raise InvalidInput(f"unknown export format {fmt!r}", hint="use csv, vcard or json")
