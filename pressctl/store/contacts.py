"""The SQL of contacts: a contact row with its e-mails, phones, tags and roles in other
languages, written and read together, and the filters of `contacts list` and of audiences.

Every write of a contact row increments its ``version`` (a new contact is at version 1),
so that an edit can write only over the version it read (:meth:`ContactQueries.replace`
with ``version``): two officers editing one contact at once cannot lose a change. The
version is read apart from the Contact value (:meth:`ContactQueries.version`), before it:
a write that lands between the two reads makes the edit refused, never lost."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import repeat

from pressctl.contacts.emails import email_key
from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter, sort_key
from pressctl.errors import InvalidInput
from pressctl.store.database import Connection, Database
from pressctl.store.dialect import SQLITE
from pressctl.store.listing import CHUNK, ContactStream
from pressctl.store.search import (
    index_range,
    insert_triggers_dropped,
    insert_triggers_restored,
    queue_children,
    search_clause,
)

_CONTACT_COLUMNS = (
    "id, name, kind, role, organization, outlet, languages, country, notes, "
    "embargo_ok, opted_out, created, updated, salutation, first_name_ok"
)
# A row of _CONTACT_COLUMNS as written (id None before the insert, then sort_name); the
# reading is pressctl.store.listing's.
_NewRow = tuple[int | None, str, str, str | None, str | None, str | None, str, str | None,
                str | None, int, int, str | None, str | None, str | None, int, str]


_NO_FORMS = (None, None, None)  # shown from a parse, as before migration 0017
_FORMS_PAGE = 5000  # phones read at a time by fill_phone_forms


def fill_phone_forms(db: Connection) -> int:
    """Give every stored phone without display forms its forms (pressctl.contacts.
    phones.display_forms), a page of phones at a time; returns how many got them."""
    from pressctl.contacts.phones import display_forms

    filled = 0
    last: list[object] = [-1, -1]
    while rows := db.execute(
            "SELECT contact_id, position, e164 FROM contact_phones "
            "WHERE international IS NULL AND (contact_id, position) > (?, ?) "
            f"ORDER BY contact_id, position LIMIT {_FORMS_PAGE}", last).fetchall():
        updates = [(*forms, cid, position) for cid, position, e164 in rows
                   if (forms := display_forms(e164)) is not None]
        db.executemany("UPDATE contact_phones SET international = ?, national = ?, "
                       "region = ? WHERE contact_id = ? AND position = ?", updates)
        filled += len(updates)
        last = [rows[-1][0], rows[-1][1]]
    return filled


class ContactQueries:
    """Contacts with their e-mails, phones and tags: writing (inside the caller's
    transaction) and reading, by id, e-mail key, sort key or filter."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db
        self.dialect: str = database.dialect  # which search SQL (pressctl.store.search)
        self._by_chunk = False  # see search_index_by_chunk

    @contextmanager
    def search_index_by_chunk(self) -> Iterator[None]:
        """Inside a transaction (an import): the search index written by :meth:`insert`,
        one statement for the contacts it is given, instead of by the triggers, a row at
        a time (pressctl.store.search.insert_triggers_dropped). The triggers are back when
        the block ends; if it raises, the transaction's rollback brings them back."""
        triggers = insert_triggers_dropped(self.db, self.dialect)
        self._by_chunk = self.dialect == SQLITE
        try:
            yield
        finally:
            self._by_chunk = False
        insert_triggers_restored(self.db, triggers)

    # -- contacts: writing ---------------------------------------------------------------

    def insert(self, contacts: list[Contact], *,
               email_keys: list[list[str]] | None = None) -> None:
        """Insert new contacts (inside a transaction); sets each contact's ``id``.
        ``email_keys``: each contact's e-mail keys (pressctl.contacts.emails.email_key of
        each of its e-mails, in order), when the caller has them already."""
        if not contacts:
            return
        if email_keys is None:
            email_keys = [[email_key(e) for e in c.emails] for c in contacts]
        first = self.insert_plain([plain_contact(c) for c in contacts], email_keys,
                                  [(c.created, c.updated) for c in contacts])
        for offset, contact in enumerate(contacts):
            contact.id = first + offset

    def insert_plain(self, contacts: list[PlainContact], email_keys: list[list[str]],
                     stamps: list[tuple[str | None, str | None]] | tuple[str, str]) -> int:
        """Insert new contacts given as plain values (:data:`PlainContact`: what an
        import's workers send, no Contact made) with their e-mail keys; ``stamps``: each
        one's (created, updated), or one pair for all. They get consecutive ids, in
        order; returns the first (inside a transaction). The rows are :meth:`insert`'s,
        value for value: it writes through here."""
        if not contacts:
            return 0
        first = (self.db.execute("SELECT max(id) FROM contacts").fetchone()[0] or 0) + 1
        rows, emails, phones, tags, roles = _plain_rows(first, contacts, email_keys, stamps)
        self.db.executemany(
            f"INSERT INTO contacts ({_CONTACT_COLUMNS}, sort_name) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
        self._insert_child_rows(emails, phones, tags, roles)
        if self._by_chunk:
            index_range(self.db, first, first + len(contacts) - 1)
        return first

    def replace(self, contact: Contact, *, version: int | None = None) -> bool:
        """Overwrite a stored contact, its e-mails, phones and tags (inside a transaction).

        With ``version`` (the one the caller read), only if the contact is still at that
        version: False, and nothing written, when another write came in between (or the
        contact was removed). Without it, a contact that does not exist is refused."""
        contact_id = contact.stored_id
        row = _contact_row(contact)
        sql = ("UPDATE contacts SET name=?, kind=?, role=?, organization=?, outlet=?, "
               "languages=?, country=?, notes=?, embargo_ok=?, opted_out=?, created=?, "
               "updated=?, salutation=?, first_name_ok=?, sort_name=?, "
               "version = version + 1 WHERE id=?")
        if version is None:
            cursor = self.db.execute(sql, (*row[1:], contact_id))
        else:
            cursor = self.db.execute(sql + " AND version=?", (*row[1:], contact_id, version))
        if cursor.rowcount != 1:
            if version is not None:
                return False
            raise InvalidInput(f"contact #{contact_id} does not exist")
        for table in ("contact_emails", "contact_phones", "contact_tags", "contact_roles"):
            self.db.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact.id,))
        self._insert_children([contact])
        if self._by_chunk:
            queue_children(self.db, contact_id)
        return True

    def _insert_children(self, contacts: list[Contact]) -> None:
        plain = [plain_contact(c) for c in contacts]
        keys = [[email_key(e) for e in c.emails] for c in contacts]
        _, emails, phones, tags, roles = _plain_rows(0, plain, keys, (None, None),
                                                     ids=[c.stored_id for c in contacts])
        self._insert_child_rows(emails, phones, tags, roles)

    def _insert_child_rows(self, emails: list[tuple[object, ...]],
                           phones: list[tuple[object, ...]], tags: list[tuple[object, ...]],
                           roles: list[tuple[object, ...]]) -> None:
        self.db.executemany(
            "INSERT INTO contact_emails (contact_id, position, address, key) VALUES (?,?,?,?)",
            emails)
        if phones:  # its forms beside each number (migration 0017), made with phonenumbers
            self.db.executemany(
                "INSERT INTO contact_phones (contact_id, position, e164, extension, type, "
                "label, international, national, region) VALUES (?,?,?,?,?,?,?,?,?)", phones)
        self.db.executemany(
            "INSERT INTO contact_tags (contact_id, position, tag) VALUES (?,?,?)", tags)
        self.db.executemany(
            "INSERT INTO contact_roles (contact_id, language, position, role) VALUES (?,?,?,?)",
            roles)

    def delete(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        self.db.executemany("DELETE FROM contacts WHERE id = ?", [(i,) for i in ids])
        return len(ids)

    def set_opted_out(self, ids: Iterable[int], value: bool, now: str) -> None:
        self.db.executemany(
            "UPDATE contacts SET opted_out = ?, updated = ?, version = version + 1 "
            "WHERE id = ?",
            [(int(value), now, i) for i in ids],
        )

    def add_tags(self, ids: Iterable[int], tags: list[str], now: str) -> None:
        ids = list(ids)
        # Added after the contact's own tags, in the order given; a tag it has is kept
        # where it is.
        self.db.executemany(
            "INSERT OR IGNORE INTO contact_tags (contact_id, position, tag) "
            "SELECT ?, coalesce(max(position) + 1, 0), ? FROM contact_tags "
            "WHERE contact_id = ?",
            [(i, t, i) for i in ids for t in tags],
        )
        self._touch(ids, now)

    def remove_tags(self, ids: Iterable[int], tags: list[str], now: str) -> None:
        ids = list(ids)
        self.db.executemany(
            "DELETE FROM contact_tags WHERE contact_id = ? AND tag = ?",
            [(i, t) for i in ids for t in tags],
        )
        self._touch(ids, now)

    def _touch(self, ids: list[int], now: str) -> None:
        self.db.executemany("UPDATE contacts SET updated = ?, version = version + 1 WHERE id = ?",
                            [(now, i) for i in ids])

    # -- contacts: reading ---------------------------------------------------------------

    def owners_of_email_keys(self, keys: Iterable[str]) -> dict[str, int]:
        """Which stored contact owns each of these e-mail keys (absent keys are left out)."""
        found: dict[str, int] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(
                    f"SELECT key, contact_id FROM contact_emails WHERE key IN ({marks})", chunk
                ).fetchall()
            )
        return found

    def version(self, contact_id: int) -> int | None:
        """The contact's version (None: no such contact). Read it before the contact."""
        row = self.db.execute("SELECT version FROM contacts WHERE id = ?",
                              (contact_id,)).fetchone()
        return int(row[0]) if row else None

    def get(self, contact_id: int) -> Contact | None:
        found = self.select(ContactFilter(ids=(contact_id,)))
        return found[0] if found else None

    def sorted_as(self, key: str) -> list[Contact]:
        """Contacts whose name sorts as ``key`` (same letters, whatever accents and case)."""
        ids = tuple(r[0] for r in self.db.execute(
            "SELECT id FROM contacts WHERE sort_name = ?", (key,)))
        return self.select(ContactFilter(ids=ids)) if ids else []

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM contacts").fetchone()[0])

    def select(self, where: ContactFilter = EVERY_CONTACT) -> list[Contact]:
        """The contacts of :meth:`stream` as a list (for a few: by ids, an audience)."""
        return list(self.stream(where))

    def stream(self, where: ContactFilter = EVERY_CONTACT) -> ContactStream:
        """Contacts matching ``where`` ordered by name, with their e-mails, phones, tags
        and roles (or, through the stream's ``lines()``, what a list shows of them): one
        row per contact, its children aggregated by the database, read CHUNK contacts at
        a time, so that listing or exporting a book of any size holds one chunk
        (pressctl.store.listing: how, on each engine)."""
        clause, params = _filter_sql(where, self.dialect)
        # PostgreSQL runs a filter other than ids once, then reads its contacts by id.
        filtered = replace(where, ids=None) != EVERY_CONTACT
        return ContactStream(self.db, self.dialect, clause, params, filtered=filtered,
                             chunk=CHUNK)


def _contact_row(c: Contact) -> _NewRow:
    return (
        c.id, c.name, c.kind, c.role, c.organization, c.outlet, ",".join(c.languages),
        c.country, c.notes, int(c.embargo_ok), int(c.opted_out), c.created, c.updated,
        c.salutation, int(c.first_name_ok), sort_key(c.name),
    )



# A phone as plain values: e164, extension, type, label, and the region validation found
# for it (pressctl.contacts.phones.region_found; None: not known). Its display forms are
# the store's (pressctl.contacts.phones.display_forms), which read that region instead
# of looking it up again.
PlainPhone = tuple[str, str | None, str, str | None, str | None]
# A new contact as plain values, in this order: name, kind, role, organization, outlet,
# tags, languages, country, emails, phones (PlainPhone), notes, embargo_ok, opted_out,
# roles, salutation, first_name_ok, and the sort key of its name (model.sort_key).
PlainContact = tuple[str, str, str | None, str | None, str | None, list[str], list[str],
                     str | None, list[str], list[PlainPhone], str | None, bool, bool,
                     dict[str, str], str | None, bool, str]


def plain_contact(c: Contact) -> PlainContact:
    """A Contact as :data:`PlainContact`."""
    return (c.name, c.kind, c.role, c.organization, c.outlet, c.tags, c.languages,
            c.country, c.emails, [(p.e164, p.extension, p.type, p.label, None)
                                  for p in c.phones],
            c.notes, c.embargo_ok, c.opted_out, c.roles, c.salutation, c.first_name_ok,
            sort_key(c.name))


_Rows = list[tuple[object, ...]]


def _plain_rows(first: int, contacts: list[PlainContact], email_keys: list[list[str]],
                stamps: list[tuple[str | None, str | None]] | tuple[str | None, str | None],
                ids: list[int] | None = None) -> tuple[_Rows, _Rows, _Rows, _Rows, _Rows]:
    """The rows of contacts, e-mails, phones, tags and roles of ``contacts`` (ids from
    ``first`` on, or ``ids``), in the order they are written."""
    from pressctl.contacts.phones import display_forms

    rows: _Rows = []
    emails: _Rows = []
    phones: _Rows = []
    tags: _Rows = []
    roles: _Rows = []
    if ids is None:
        ids = list(range(first, first + len(contacts)))
    pairs = repeat(stamps) if isinstance(stamps, tuple) else stamps
    for cid, c, keys, (created, updated) in zip(ids, contacts, email_keys, pairs, strict=False):
        (name, kind, role, organization, outlet, tag_list, languages, country, addresses,
         numbers, notes, embargo_ok, opted_out, role_map, salutation, first_name_ok,
         sort_name) = c
        rows.append((cid, name, kind, role, organization, outlet, ",".join(languages),
                     country, notes, int(embargo_ok), int(opted_out), created, updated,
                     salutation, int(first_name_ok), sort_name))
        if len(addresses) != len(keys):
            raise ValueError("one e-mail key per address")
        for i, address in enumerate(addresses):
            emails.append((cid, i, address, keys[i]))
        for i, (e164, extension, type_, label, region) in enumerate(numbers):
            phones.append((cid, i, e164, extension, type_, label,
                           *(display_forms(e164, region) or _NO_FORMS)))
        for i, tag in enumerate(tag_list):
            tags.append((cid, i, tag))
        for i, (language, text) in enumerate(role_map.items()):
            roles.append((cid, language, i, text))
    if len(ids) != len(contacts) or len(email_keys) != len(contacts):
        raise ValueError("one id, one list of e-mail keys and one stamp per contact")
    return rows, emails, phones, tags, roles

def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filter_sql(f: ContactFilter, dialect: str) -> tuple[str, list[object]]:
    """The WHERE clause of a filter and its parameters (the search's depends on the
    engine: pressctl.store.search)."""
    clauses: list[str] = []
    params: list[object] = []
    if f.ids is not None:
        clauses.append(f"id IN ({','.join('?' * len(f.ids)) or 'NULL'})")
        params.extend(f.ids)
    if f.kind:
        clauses.append("kind = ?")
        params.append(f.kind)
    for tag in f.tags:
        clauses.append("id IN (SELECT contact_id FROM contact_tags WHERE tag = ?)")
        params.append(tag)
    if f.organization:
        clauses.append(
            "(organization = ? COLLATE NOCASE OR EXISTS (SELECT 1 FROM organizations o "
            "WHERE (o.short_name = ? COLLATE NOCASE OR o.name = ? COLLATE NOCASE) AND "
            "(contacts.organization = o.name COLLATE NOCASE "
            "OR contacts.organization = o.short_name COLLATE NOCASE)))"
        )
        params.extend([f.organization] * 3)
    if f.outlet:
        clauses.append("outlet LIKE ? ESCAPE '\\'")
        params.append(_like(f.outlet))
    if f.language:
        clauses.append("(',' || languages || ',' LIKE ? OR ',' || languages || ',' LIKE ?)")
        params.extend([f"%,{f.language},%", f"%,{f.language}-%"])
    if f.country:
        clauses.append("country = ?")
        params.append(f.country)
    if f.embargo_ok is not None:
        clauses.append("embargo_ok = ?")
        params.append(int(f.embargo_ok))
    if f.opted_out is not None:
        clauses.append("opted_out = ?")
        params.append(int(f.opted_out))
    if f.search:  # name, role (in any language), organisation, outlet, notes, e-mail, phone
        clause, values = search_clause(f.search, dialect)
        clauses.append(clause)
        params.extend(values)
    return (" AND ".join(clauses) or "1 = 1"), params
