"""The contact book on disk: the only module that speaks SQL.

One SQLite file, created 0600 (it holds personal data), WAL mode and a busy timeout so
that a cron run and an interactive command can work at the same time. Every change of
several rows runs inside :meth:`Store.transaction`, so a failure leaves the file as it was.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pressctl.contacts import ContactFilter, sort_key
from pressctl.emails import email_key
from pressctl.errors import ConfigError, InvalidInput, StorageError, StorageKind
from pressctl.migrations import MIGRATIONS
from pressctl.model import Contact, Organization, Phone
from pressctl.store.consent import ConsentQueries
from pressctl.store.failures import storage_error
from pressctl.store.mailouts import MailoutQueries
from pressctl.store.runs import RunQueries
from pressctl.store.suppressions import SuppressionQueries

BUSY_TIMEOUT_MS = 10_000
CHUNK = 900  # contacts read at a time (SQLite allows 999 parameters in a query)
_CONTACT_COLUMNS = (
    "id, name, kind, role, organization, outlet, languages, country, notes, "
    "embargo_ok, opted_out, created, updated"
)


class Store(MailoutQueries, RunQueries, SuppressionQueries, ConsentQueries):
    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db = connection
        self.path = path
        # One connection shared by a delivery run's threads: a transaction is theirs alone.
        self.lock = threading.Lock()

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (and, with ``create``, create and migrate) the database at ``path``.

        A fault of the file (full disk, read-only, locked, damaged) is a StorageError
        saying so; only `pressctl init` should pass ``create``."""
        if not path.exists():
            if not create:
                raise ConfigError(
                    f"no contact book at {path}", hint="run `pressctl init` to create it"
                )
            _create_private(path)
        connection = None
        try:
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            store = cls(connection, path)
            store.migrate()
        except (sqlite3.Error, StorageError) as err:
            if connection is not None:
                connection.close()
            if isinstance(err, StorageError):  # from a migration's transaction
                raise
            translated = storage_error(err, path)
            if translated is not None:
                raise translated from err
            # Readable SQLite, but not a book we can migrate (another program's file, or a
            # newer pressctl's): nothing here is damaged, so nothing is to be moved away.
            raise StorageError(
                f"{path}: not a usable pressctl database ({err}): check --db / PRESSCTL_DB",
                kind=StorageKind.UNUSABLE, cause=str(err),
            ) from err
        return store

    def close(self) -> None:
        self.db.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns their names."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        applied = []
        for name, sql, python_step in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                for statement in filter(str.strip, sql.split(";")):
                    self.db.execute(statement)
                if python_step is not None:
                    python_step(self.db)
                self.db.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))
            applied.append(name)
        return applied

    def applied_migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM schema_migrations ORDER BY name")]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Not re-entrant.

        Holds :attr:`lock` throughout, so threads sharing the store (a delivery run's
        connections) never interleave statements in one transaction. A storage fault
        (at BEGIN, in a statement or at COMMIT) leaves as a StorageError naming it."""
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                self._raise_storage_error(err)
                raise
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException as err:
                if self.db.in_transaction:  # SQLite may have rolled back by itself (disk full)
                    try:
                        self.db.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass  # the error that brought us here is the one to report
                self._raise_storage_error(err)
                raise

    def _raise_storage_error(self, err: BaseException) -> None:
        """Raise the StorageError of a storage fault; return for anything else (a bug, an
        error of the caller's), which the caller re-raises as it is."""
        translated = storage_error(err, self.path)
        if translated is not None:
            raise translated from err

    # -- contacts: writing ---------------------------------------------------------------

    def insert_contacts(self, contacts: list[Contact]) -> None:
        """Insert new contacts (inside a transaction); sets each contact's ``id``."""
        if not contacts:
            return
        next_id = (self.db.execute("SELECT max(id) FROM contacts").fetchone()[0] or 0) + 1
        for offset, contact in enumerate(contacts):
            contact.id = next_id + offset
        self.db.executemany(
            f"INSERT INTO contacts ({_CONTACT_COLUMNS}, sort_name) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [_contact_row(c) for c in contacts],
        )
        self._insert_children(contacts)

    def replace_contact(self, contact: Contact) -> None:
        """Overwrite a stored contact, its e-mails, phones and tags (inside a transaction)."""
        assert contact.id is not None
        row = _contact_row(contact)
        cursor = self.db.execute(
            "UPDATE contacts SET name=?, kind=?, role=?, organization=?, outlet=?, "
            "languages=?, country=?, notes=?, embargo_ok=?, opted_out=?, created=?, updated=?, "
            "sort_name=? WHERE id=?",
            (*row[1:], contact.id),
        )
        if cursor.rowcount != 1:
            raise InvalidInput(f"contact #{contact.id} does not exist")
        for table in ("contact_emails", "contact_phones", "contact_tags"):
            self.db.execute(f"DELETE FROM {table} WHERE contact_id = ?", (contact.id,))
        self._insert_children([contact])

    def _insert_children(self, contacts: list[Contact]) -> None:
        self.db.executemany(
            "INSERT INTO contact_emails (contact_id, position, address, key) VALUES (?,?,?,?)",
            [(c.id, i, e, email_key(e)) for c in contacts for i, e in enumerate(c.emails)],
        )
        self.db.executemany(
            "INSERT INTO contact_phones (contact_id, position, e164, extension, type, label) "
            "VALUES (?,?,?,?,?,?)",
            [
                (c.id, i, p.e164, p.extension, p.type, p.label)
                for c in contacts
                for i, p in enumerate(c.phones)
            ],
        )
        self.db.executemany(
            "INSERT INTO contact_tags (contact_id, tag) VALUES (?,?)",
            [(c.id, t) for c in contacts for t in c.tags],
        )

    def delete_contacts(self, ids: Iterable[int]) -> int:
        ids = list(ids)
        self.db.executemany("DELETE FROM contacts WHERE id = ?", [(i,) for i in ids])
        return len(ids)

    def set_opted_out(self, ids: Iterable[int], value: bool, now: str) -> None:
        self.db.executemany(
            "UPDATE contacts SET opted_out = ?, updated = ? WHERE id = ?",
            [(int(value), now, i) for i in ids],
        )

    def add_tags(self, ids: Iterable[int], tags: list[str], now: str) -> None:
        ids = list(ids)
        self.db.executemany(
            "INSERT OR IGNORE INTO contact_tags (contact_id, tag) VALUES (?, ?)",
            [(i, t) for i in ids for t in tags],
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
        self.db.executemany("UPDATE contacts SET updated = ? WHERE id = ?", [(now, i) for i in ids])

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

    def get_contact(self, contact_id: int) -> Contact | None:
        found = self.list_contacts(ContactFilter(ids=(contact_id,)))
        return found[0] if found else None

    def contacts_sorted_as(self, key: str) -> list[Contact]:
        """Contacts whose name sorts as ``key`` (same letters, whatever accents and case)."""
        ids = tuple(r[0] for r in self.db.execute(
            "SELECT id FROM contacts WHERE sort_name = ?", (key,)))
        return self.list_contacts(ContactFilter(ids=ids)) if ids else []

    def count_contacts(self) -> int:
        return self.db.execute("SELECT count(*) FROM contacts").fetchone()[0]

    def list_contacts(self, where: ContactFilter = ContactFilter()) -> list[Contact]:
        return list(self.iter_contacts(where))

    def iter_contacts(self, where: ContactFilter = ContactFilter()) -> Iterator[Contact]:
        """Contacts matching ``where`` ordered by name, with their e-mails, phones and tags.

        Read in chunks, so that exporting or selecting from 100,000 contacts never holds
        all their e-mails, phones and tags at once.
        """
        clause, params = _filter_sql(where)
        rows = self.db.execute(
            f"SELECT {_CONTACT_COLUMNS} FROM contacts WHERE {clause} ORDER BY sort_name, id",
            params,
        )
        while chunk := rows.fetchmany(CHUNK):
            yield from self._with_children(chunk)

    def _with_children(self, chunk: list[tuple]) -> Iterator[Contact]:
        ids = [row[0] for row in chunk]
        marks = ",".join("?" * len(ids))
        emails: dict[int, list[str]] = defaultdict(list)
        for cid, address in self.db.execute(
            f"SELECT contact_id, address FROM contact_emails WHERE contact_id IN ({marks}) "
            "ORDER BY contact_id, position", ids,
        ):
            emails[cid].append(address)
        phones: dict[int, list[Phone]] = defaultdict(list)
        for cid, e164, ext, kind, label in self.db.execute(
            "SELECT contact_id, e164, extension, type, label FROM contact_phones "
            f"WHERE contact_id IN ({marks}) ORDER BY contact_id, position", ids,
        ):
            phones[cid].append(Phone(e164, ext, kind, label))
        tags: dict[int, list[str]] = defaultdict(list)
        for cid, tag in self.db.execute(
            f"SELECT contact_id, tag FROM contact_tags WHERE contact_id IN ({marks}) "
            "ORDER BY contact_id, rowid", ids,
        ):
            tags[cid].append(tag)
        for row in chunk:
            cid = row[0]
            yield Contact(
                id=cid, name=row[1], kind=row[2], role=row[3], organization=row[4],
                outlet=row[5], languages=[x for x in row[6].split(",") if x],
                country=row[7], notes=row[8], embargo_ok=bool(row[9]),
                opted_out=bool(row[10]), created=row[11], updated=row[12],
                emails=emails.get(cid, []), phones=phones.get(cid, []), tags=tags.get(cid, []),
            )

    # -- saved audiences -----------------------------------------------------------------

    def saved_audiences(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT name, expression FROM audiences ORDER BY name"))

    def save_audience(self, name: str, expression: str, now: str) -> None:
        self.db.execute(
            "INSERT INTO audiences (name, expression, created, updated) VALUES (?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET expression = excluded.expression, "
            "updated = excluded.updated",
            (name, expression, now, now),
        )

    def delete_audience(self, name: str) -> bool:
        return self.db.execute("DELETE FROM audiences WHERE name = ?", (name,)).rowcount == 1

    # -- organisations -------------------------------------------------------------------

    def insert_org(self, org: Organization) -> None:
        cursor = self.db.execute(
            "INSERT INTO organizations (name, short_name, country, website, created, updated) "
            "VALUES (?,?,?,?,?,?)",
            (org.name, org.short_name, org.country, org.website, org.created, org.updated),
        )
        org.id = cursor.lastrowid
        self._write_about(org)

    def replace_org(self, org: Organization) -> None:
        self.db.execute(
            "UPDATE organizations SET name=?, short_name=?, country=?, website=?, updated=? "
            "WHERE id=?",
            (org.name, org.short_name, org.country, org.website, org.updated, org.id),
        )
        self.db.execute("DELETE FROM organization_about WHERE org_id = ?", (org.id,))
        self._write_about(org)

    def _write_about(self, org: Organization) -> None:
        self.db.executemany(
            "INSERT INTO organization_about (org_id, language, text) VALUES (?,?,?)",
            [(org.id, lang, text) for lang, text in sorted(org.about.items())],
        )

    def delete_org(self, org_id: int) -> None:
        self.db.execute("DELETE FROM organizations WHERE id = ?", (org_id,))

    def find_org(self, ref: str) -> Organization | None:
        """By id, short name or name (case-insensitive)."""
        row = self.db.execute(
            "SELECT id FROM organizations WHERE short_name = ? COLLATE NOCASE "
            "OR name = ? COLLATE NOCASE OR CAST(id AS TEXT) = ? "
            "ORDER BY short_name = ? COLLATE NOCASE DESC LIMIT 1",
            (ref, ref, ref, ref),
        ).fetchone()
        return self._orgs("WHERE id = ?", (row[0],))[0] if row else None

    def list_orgs(self) -> list[Organization]:
        return self._orgs("", ())

    def org_contact_count(self, org: Organization) -> int:
        return self.db.execute(
            "SELECT count(*) FROM contacts WHERE organization = ? COLLATE NOCASE "
            "OR organization = ? COLLATE NOCASE",
            (org.name, org.short_name or org.name),
        ).fetchone()[0]

    def _orgs(self, where: str, params: tuple) -> list[Organization]:
        orgs = [
            Organization(
                id=r[0], name=r[1], short_name=r[2], country=r[3], website=r[4],
                created=r[5], updated=r[6],
            )
            for r in self.db.execute(
                "SELECT id, name, short_name, country, website, created, updated "
                f"FROM organizations {where} ORDER BY coalesce(short_name, name) COLLATE NOCASE",
                params,
            )
        ]
        by_id = {o.id: o for o in orgs}
        for org_id, lang, text in self.db.execute(
            "SELECT org_id, language, text FROM organization_about ORDER BY language"
        ):
            if org_id in by_id:
                by_id[org_id].about[lang] = text
        return orgs


_CREATE_FAULTS = {errno.ENOSPC: StorageKind.FULL, errno.EDQUOT: StorageKind.FULL,
                  errno.EROFS: StorageKind.READ_ONLY}


def _create_private(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass  # another process created it first: fine
    except OSError as err:
        kind = _CREATE_FAULTS.get(err.errno or 0)
        if kind is None:
            raise ConfigError(f"{path}: cannot create the database ({err.strerror})") from err
        raise StorageError(f"{path}: cannot create the database ({err.strerror})",
                           kind=kind, cause=err.strerror or str(err)) from err


def _contact_row(c: Contact) -> tuple:
    return (
        c.id, c.name, c.kind, c.role, c.organization, c.outlet, ",".join(c.languages),
        c.country, c.notes, int(c.embargo_ok), int(c.opted_out), c.created, c.updated,
        sort_key(c.name),
    )


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filter_sql(f: ContactFilter) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
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
    if f.search:
        pattern = _like(f.search)
        fields = ("name", "role", "organization", "outlet", "notes")
        parts = [f"{col} LIKE ? ESCAPE '\\'" for col in fields]
        parts.append(
            "id IN (SELECT contact_id FROM contact_emails WHERE address LIKE ? ESCAPE '\\')"
        )
        params.extend([pattern] * len(parts))
        digits = "".join(ch for ch in f.search if ch.isdigit())
        if len(digits) >= 3:
            parts.append("id IN (SELECT contact_id FROM contact_phones WHERE e164 LIKE ?)")
            params.append(f"%{digits}%")
        clauses.append("(" + " OR ".join(parts) + ")")
    return (" AND ".join(clauses) or "1"), params
