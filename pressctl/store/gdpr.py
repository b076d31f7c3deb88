"""The SQL of a person's rights (pressctl.book.gdpr): what the book holds about one person,
read for `contacts export-person`, and erased for `contacts forget`.

Reading: a person is a contact and every address they were mailed at; their mailout rows
are found by contact id (only rows of mailouts made after the contact was created: ids
of removed contacts are given again) or by address, whatever its case.

Erasing happens inside the caller's transaction, in three kinds of statement:

* targeted: the contact row and its e-mails, phones and tags deleted; their mailout rows,
  bounces, bouncing states, answers and replies keep their place and counts, with the
  address (and the row's name and salutation) replaced by the caller's token (a keyed
  hash); their suppressions replaced by the tokens; their recorded opt-ins deleted;
* by value, in any text column: :meth:`GdprQueries.values_like` finds the values holding
  one of the caller's patterns (SQL ``LIKE``: a candidate only, the caller decides) and
  :meth:`GdprQueries.replace_value` rewrites each value the caller rewrote. Columns come
  from the database's own catalogue, so a table a later migration adds is searched too;
* frozen variants (BLOBs of JSON), found by :meth:`GdprQueries.variants_like`.

Afterwards, :meth:`GdprQueries.compact` makes the erasure physical: SQLite is rebuilt
(VACUUM: earlier versions of rows left in free space are gone) and its write-ahead log
emptied; on PostgreSQL the touched tables are vacuumed (the README says what an
administrator does about VACUUM FULL, WAL segments, replicas and backups).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from pressctl.outbox.states import MailoutState, RowState
from pressctl.store.changes import Change
from pressctl.store.database import Connection, Database, in_chunks
from pressctl.store.inbox import StoredRsvp

FORGET_KEY = "forget"  # book_secrets.name of the keyed hashes' secret
NOT_SEARCHED = frozenset({"schema_migrations", "book_secrets"})  # never personal data
# An exact comparison of text whatever the column's own collation (organisation names
# compare case-insensitively: NOCASE).
_EXACT = {"sqlite": "BINARY", "postgresql": '"C"'}
_AS_TEXT = {"sqlite": "CAST(frozen AS TEXT)", "postgresql": "convert_from(frozen, 'UTF8')"}
_PENDING = (MailoutState.SCHEDULED, MailoutState.PAUSED)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One mailout row addressed to the person, with what its mailout was."""

    row_id: int
    mailout_id: int
    reference: str
    phase: str
    mailout_state: str
    contact_id: int | None
    name: str
    address: str
    salutation: str
    message_id: str
    state: str
    attempts: int
    reply: str | None
    updated: str
    sent_at: str | None


@dataclass(frozen=True, slots=True)
class StoredBounce:
    message_key: str
    address: str
    row_id: int | None
    status_code: str | None
    severity: str
    diagnostic: str
    at: str


@dataclass(frozen=True, slots=True)
class PersonReply:
    message_key: str
    sender: str
    subject: str
    dated: str | None
    row_id: int | None
    imported_at: str


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """A message taken in by `inbox import` that is about the person."""

    key: str
    kind: str
    sender: str | None
    subject: str
    dated: str | None
    imported_at: str
    row_id: int | None
    detail: str | None


@dataclass(frozen=True, slots=True)
class FrozenVariant:
    mailout_id: int
    number: int
    reference: str
    pending: bool  # its mailout is scheduled or paused: it will still be sent
    blob: bytes


@dataclass(frozen=True, slots=True)
class Compaction:
    """What :meth:`GdprQueries.compact` did: ``complete`` False when part of it could not
    be done (``detail`` says what, and what to do)."""

    how: str
    complete: bool
    detail: str = ""




def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class GdprQueries:
    """A person's data: read, and erased (inside the caller's transaction)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db: Connection = database.db
        self.dialect = database.dialect

    # -- the secret of the keyed hashes ---------------------------------------------------

    def forget_key(self) -> bytes | None:
        """The secret (None until the first `forget` made it)."""
        row = self.db.execute("SELECT secret FROM book_secrets WHERE name = ?",
                              (FORGET_KEY,)).fetchone()
        return bytes.fromhex(row[0]) if row else None

    def create_forget_key(self, secret: bytes, now: str) -> bytes:
        """Keep ``secret`` unless the book has one already; returns the book's."""
        self.db.execute("INSERT OR IGNORE INTO book_secrets (name, secret, created) "
                        "VALUES (?,?,?)", (FORGET_KEY, secret.hex(), now))
        kept = self.forget_key()
        assert kept is not None  # just inserted, or there before
        return kept

    def forgotten(self, tokens: Iterable[str]) -> set[str]:
        """Which of these tokens (keyed hashes of addresses) are suppressed: forgotten."""
        found: set[str] = set()
        for chunk in in_chunks(tokens):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT key FROM suppressions WHERE key IN ({marks})", chunk))
        return found

    # -- reading a person -----------------------------------------------------------------

    def rows_of(self, contact_id: int, since: str, addresses: Sequence[str]) -> list[PersonRow]:
        """The mailout rows of contact ``contact_id`` in mailouts made at or after ``since``
        (when it was created), and every row to one of ``addresses`` (the caller compares
        e-mail keys: the SQL finds candidates by lower case). Oldest first."""
        forms = list(dict.fromkeys([*addresses, *(a.lower() for a in addresses)]))
        marks = ",".join("?" * len(forms)) or "NULL"
        return [PersonRow(*row) for row in self.db.execute(
            "SELECT r.id, r.mailout_id, m.reference, m.phase, m.state, r.contact_id, r.name, "
            "r.address, r.salutation, r.message_id, r.state, r.attempts, r.reply, r.updated, "
            "r.sent_at FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id "
            f"WHERE (r.contact_id = ? AND m.created >= ?) OR r.address IN ({marks}) "
            f"OR lower(r.address) IN ({marks}) ORDER BY r.id",
            (contact_id, since, *forms, *forms))]

    def rsvps_of(self, contact_id: int, since: str, keys: Iterable[str]) -> list[StoredRsvp]:
        """Answers to invitations by the contact (recorded since it was created) or from
        one of these e-mail keys."""
        keys = list(keys)
        marks = ",".join("?" * len(keys)) or "NULL"
        return [StoredRsvp(*row) for row in self.db.execute(
            "SELECT uid, email_key, attendee, partstat, seq, dtstamp, comment, contact_id, "
            "row_id, message_key, updated FROM rsvps "
            f"WHERE (contact_id = ? AND updated >= ?) OR email_key IN ({marks}) "
            "ORDER BY updated, uid", (contact_id, since, *keys))]

    def bounces_of(self, keys: Iterable[str]) -> list[StoredBounce]:
        rows: list[tuple] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT id, message_key, address, row_id, status_code, severity, diagnostic, "
                f"at FROM bounces WHERE email_key IN ({marks})", chunk).fetchall()
        return [StoredBounce(*row[1:]) for row in sorted(rows, key=lambda r: (r[7], r[0]))]

    def replies_of(self, keys: Iterable[str]) -> list[PersonReply]:
        rows: list[tuple] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT message_key, sender, subject, dated, row_id, imported_at FROM replies "
                f"WHERE email_key IN ({marks})", chunk).fetchall()
        return [PersonReply(*row) for row in sorted(rows, key=lambda r: (r[5], r[0]))]

    def messages_of(self, message_keys: Iterable[str], row_ids: Iterable[int],
                    addresses: Sequence[str]) -> list[InboxEntry]:
        """Messages taken in that are about the person: these keys, tied to these rows,
        or sent from one of these addresses."""
        keys, rows = list(dict.fromkeys(message_keys)), list(dict.fromkeys(row_ids))
        senders = [_like(a) for a in addresses]
        clauses = [f"key IN ({','.join('?' * len(keys)) or 'NULL'})",
                   f"row_id IN ({','.join('?' * len(rows)) or 'NULL'})",
                   *(["sender LIKE ? ESCAPE '\\'"] * len(senders))]
        return [InboxEntry(*row) for row in self.db.execute(
            "SELECT key, kind, sender, subject, dated, imported_at, row_id, detail "
            f"FROM inbox_messages WHERE {' OR '.join(clauses)} ORDER BY imported_at, key",
            (*keys, *rows, *senders))]

    def changes_of(self, contact_id: int, addresses: Sequence[str]) -> list[Change]:
        """Entries of the trail about the contact, or naming one of its addresses (as
        their subject, or in their summary). Oldest first."""
        forms = list(dict.fromkeys(a.lower() for a in addresses))
        marks = ",".join("?" * len(forms)) or "NULL"
        mentions = " OR ".join(["summary LIKE ? ESCAPE '\\'"] * len(forms)) or "1 = 0"
        return [Change(*row) for row in self.db.execute(
            "SELECT id, at, actor, action, subject_kind, subject_id, summary FROM changes "
            "WHERE (subject_kind = 'contact' AND subject_id = ?) "
            f"OR lower(subject_id) IN ({marks}) OR {mentions} ORDER BY id",
            (str(contact_id), *forms, *(_like(a) for a in forms)))]

    # -- erasing: targeted ----------------------------------------------------------------

    def hash_rows(self, tokens: Mapping[int, str], now: str, cancelled: str) -> tuple[int, int]:
        """Each row (id -> token): its name, address and salutation become the token and
        it no longer names a contact; a row still queued is cancelled with the reason
        ``cancelled``. Returns (rows rewritten, rows cancelled)."""
        self.db.executemany(
            "UPDATE mailout_rows SET name = ?, address = ?, salutation = ?, contact_id = NULL "
            "WHERE id = ?", [(token, token, token, row_id) for row_id, token in tokens.items()])
        cancelling = 0
        for chunk in in_chunks(tokens):
            marks = ",".join("?" * len(chunk))
            cancelling += self.db.execute(
                "UPDATE mailout_rows SET state = ?, reply = ?, next_attempt_at = NULL, "
                f"updated = ? WHERE state = ? AND id IN ({marks})",
                (RowState.CANCELLED, cancelled, now, RowState.QUEUED, *chunk)).rowcount
        return len(tokens), cancelling

    def rows_being_sent(self, row_ids: Iterable[int]) -> list[tuple[int, str]]:
        """Of these rows, those a delivery run is sending now: (mailout id, reference)."""
        found: list[tuple[int, str]] = []
        for chunk in in_chunks(row_ids):
            marks = ",".join("?" * len(chunk))
            found += self.db.execute(
                "SELECT DISTINCT m.id, m.reference FROM mailout_rows r JOIN mailouts m "
                f"ON m.id = r.mailout_id WHERE r.state = ? AND r.id IN ({marks})",
                (RowState.SENDING, *chunk)).fetchall()
        return found

    def hash_inbox(self, tokens: Mapping[str, str]) -> dict[str, int]:
        """Bounces, bouncing states, answers and replies of these e-mail keys (key ->
        token): the key and the address become the token; an answer's comment (the
        person's own words) is dropped and it no longer names a contact."""
        counts = dict.fromkeys(("bounces", "bouncing", "rsvps", "replies"), 0)
        for key, token in tokens.items():
            counts["bounces"] += self.db.execute(
                "UPDATE bounces SET email_key = ?, address = ? WHERE email_key = ?",
                (token, token, key)).rowcount
            counts["bouncing"] += self.db.execute(
                "UPDATE bouncing SET email_key = ?, address = ? WHERE email_key = ?",
                (token, token, key)).rowcount
            counts["rsvps"] += self.db.execute(
                "UPDATE rsvps SET email_key = ?, attendee = ?, comment = NULL, "
                "contact_id = NULL WHERE email_key = ?", (token, token, key)).rowcount
            counts["replies"] += self.db.execute(
                "UPDATE replies SET email_key = ?, sender = ? WHERE email_key = ?",
                (token, token, key)).rowcount
        return counts

    def forget_suppressions(self, tokens: Mapping[str, str], reason: str,
                            now: str) -> tuple[int, int]:
        """The suppressions and recorded opt-ins of these e-mail keys deleted, and one
        suppression per token kept instead (with ``reason``, no note). Returns (rows
        deleted, tokens suppressed)."""
        deleted = 0
        for chunk in in_chunks(tokens):
            marks = ",".join("?" * len(chunk))
            deleted += self.db.execute(
                f"DELETE FROM suppressions WHERE key IN ({marks})", chunk).rowcount
            deleted += self.db.execute(
                f"DELETE FROM optins WHERE key IN ({marks})", chunk).rowcount
        added = 0
        for token in dict.fromkeys(tokens.values()):
            added += self.db.execute(
                "INSERT INTO suppressions (key, address, reason, created) VALUES (?,?,?,?) "
                "ON CONFLICT (key) DO NOTHING", (token, token, reason, now)).rowcount
        return deleted, added

    def delete_contact(self, contact_id: int) -> dict[str, int]:
        """The contact and its e-mails, phones and tags; rows deleted per table."""
        counts: dict[str, int] = {}
        for table in ("contact_tags", "contact_phones", "contact_emails"):
            counts[table] = self.db.execute(f"DELETE FROM {table} WHERE contact_id = ?",
                                            (contact_id,)).rowcount
        counts["contacts"] = self.db.execute("DELETE FROM contacts WHERE id = ?",
                                             (contact_id,)).rowcount
        return counts

    # -- erasing: by value, in every text column ------------------------------------------

    def text_columns(self) -> list[tuple[str, str]]:
        """(table, column) of every text column of the book, from its catalogue."""
        if self.dialect == "sqlite":
            tables = [r[0] for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite%' ORDER BY name")]
            found = [(table, column[1]) for table in tables
                     for column in self.db.execute(f'PRAGMA table_info("{table}")')
                     if str(column[2]).upper().startswith("TEXT")]
        else:
            found = [(r[0], r[1]) for r in self.db.execute(
                "SELECT c.table_name, c.column_name FROM information_schema.columns c "
                "JOIN information_schema.tables t ON t.table_name = c.table_name "
                "AND t.table_schema = c.table_schema WHERE c.table_schema = current_schema() "
                "AND t.table_type = 'BASE TABLE' AND c.data_type = 'text' "
                "ORDER BY c.table_name, c.ordinal_position")]
        return [(t, c) for t, c in found if t not in NOT_SEARCHED]

    def values_like(self, table: str, column: str, patterns: Sequence[str]) -> list[str]:
        """The distinct values of ``table.column`` holding one of ``patterns`` (case
        ignored for ASCII letters on SQLite, for all on PostgreSQL): candidates."""
        if not patterns:
            return []
        exact = _EXACT[self.dialect]
        found: list[str] = []
        for chunk in in_chunks(patterns):
            tests = " OR ".join([f"\"{column}\" COLLATE {exact} LIKE ? ESCAPE '\\'"] * len(chunk))
            found += [r[0] for r in self.db.execute(
                f'SELECT DISTINCT "{column}" FROM "{table}" WHERE {tests}',
                [_like(p) for p in chunk])]
        return list(dict.fromkeys(found))

    def replace_value(self, table: str, column: str, old: str, new: str) -> int:
        """Every ``old`` value of ``table.column`` (exactly, case included) becomes ``new``."""
        return self.db.execute(
            f'UPDATE "{table}" SET "{column}" = ? WHERE "{column}" COLLATE '
            f"{_EXACT[self.dialect]} = ?", (new, old)).rowcount

    def variants_like(self, patterns: Sequence[str]) -> list[FrozenVariant]:
        """The frozen variants whose text holds one of ``patterns`` (candidates)."""
        if not patterns:
            return []
        text = _AS_TEXT[self.dialect]
        found: dict[tuple[int, int], FrozenVariant] = {}
        for chunk in in_chunks(patterns):
            tests = " OR ".join([f"{text} LIKE ? ESCAPE '\\'"] * len(chunk))
            for mailout_id, number, reference, state, blob in self.db.execute(
                    "SELECT v.mailout_id, v.number, m.reference, m.state, v.frozen "
                    "FROM mailout_variants v JOIN mailouts m ON m.id = v.mailout_id "
                    f"WHERE {tests} ORDER BY v.mailout_id, v.number",
                    [_like(p) for p in chunk]):
                found[(mailout_id, number)] = FrozenVariant(
                    mailout_id, number, reference, MailoutState(state) in _PENDING, bytes(blob))
        return list(found.values())

    def set_variant(self, mailout_id: int, number: int, blob: bytes) -> None:
        self.db.execute("UPDATE mailout_variants SET frozen = ? WHERE mailout_id = ? "
                        "AND number = ?", (blob, mailout_id, number))

    # -- making it physical ---------------------------------------------------------------

    @contextmanager
    def secure_delete(self) -> Iterator[None]:
        """On SQLite, what a transaction deletes or overwrites is zeroed in the file
        rather than left in free space (PRAGMA secure_delete), then the setting is put
        back. Nothing to do on PostgreSQL (see :meth:`compact`)."""
        if self.dialect != "sqlite":
            yield
            return
        before = int(self.db.execute("PRAGMA secure_delete").fetchone()[0])
        self.db.execute("PRAGMA secure_delete = 1")
        try:
            yield
        finally:
            self.db.execute(f"PRAGMA secure_delete = {before}")

    def compact(self, tables: Iterable[str]) -> Compaction:
        """After the erasure's commit. SQLite: VACUUM (the file is rebuilt from its live
        rows: versions of rows that earlier changes left in free pages are gone), then
        the write-ahead log is checkpointed and truncated to zero bytes. PostgreSQL:
        VACUUM of the ``tables`` touched (their dead row versions are pruned and their
        space reused; VACUUM FULL, which rewrites the files, is left to an administrator:
        it locks the tables)."""
        with self.database.lock:
            if self.dialect != "sqlite":
                names = sorted(set(tables))
                try:
                    for table in names:
                        self.db.execute(f'VACUUM "{table}"')
                except Exception as err:  # the erasure is committed: say what is left
                    return Compaction("VACUUM", False, f"VACUUM failed ({err}): ask the "
                                      f"database's administrator to run VACUUM {', '.join(names)}")
                return Compaction("VACUUM of " + ", ".join(names), True)
            try:
                self.db.execute("VACUUM")
                busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.Error as err:
                return Compaction("VACUUM", False, f"the file was not rebuilt ({err}): run "
                                  "`sqlite3 FILE 'VACUUM; PRAGMA wal_checkpoint(TRUNCATE)'` "
                                  "when no other pressctl command runs")
            if busy:
                return Compaction("VACUUM", False, "another connection is reading the book: "
                                  "its write-ahead log (-wal) still holds old pages until it "
                                  "is checkpointed: run `sqlite3 FILE 'PRAGMA "
                                  "wal_checkpoint(TRUNCATE)'` when no other pressctl "
                                  "command runs")
            return Compaction("VACUUM, write-ahead log truncated", True)
