"""`contacts list --search TEXT`: what a search matches, and the index that finds it fast.

**What matches** (unchanged by the index): a contact whose name, role, organisation,
outlet, notes, one of its e-mail addresses or its role in one of its languages holds
TEXT, as a substring, case ignored for ASCII letters only (SQL ``LIKE``, wildcards in TEXT
taken literally); or, when TEXT holds 3 digits or more, one of whose phone numbers (E.164)
holds those digits. "élodie" does not find "Élodie", as before the index: both backends
agree on it (PostgreSQL's ``ILIKE`` on our code-point ``"C"`` columns folds ASCII only).

**The index** (migration 0015, :func:`create_index`) is kept in step by the database
itself, so that no write path of pressctl (add, edit, import, merge, `db copy`, `contacts
forget` and its scrub) has to remember it.

SQLite: ``contact_search``, an FTS5 table with the ``trigram`` tokenizer (case folded,
accents kept), contentless (the text is in the book already) and without positions
(``detail=none``: a third of the size). One document per source row: the contact's own
text (name, role, organisation, outlet, notes), each e-mail address, each role, each
phone. Its rowid says whose it is: ``position * 2**42 + contact id * 4 + source``, so that
the documents of first e-mails, phones and roles are numbered densely (FTS5 stores rowid
gaps: sparse ids doubled the index). A contentless document is removed by repeating its
text ('delete'); the triggers take it from OLD, exactly what was indexed.

Triggers on contacts, contact_emails, contact_roles and contact_phones do not write the
index directly: each row's change is queued (``contact_search_queue``) and every
:data:`BATCH` changes go into the index in one statement. FTS5 (before SQLite 3.42) writes
its pending changes to disk at the start of every statement of a transaction: one
segment per row written by ``executemany`` made an import 5 times slower. A search reads
the queue too (at most a batch of rows), so it is never behind.

A search of 3 characters or more asks the index for candidates: contacts with a document
holding every trigram of TEXT (case folded Unicode-wide; in any order) or, for phones,
every trigram of its digits, plus those with a change in the queue. That is a superset
of the matches; the same ``LIKE`` test as without the index keeps the true ones.

PostgreSQL: pg_trgm GIN indexes, which ``ILIKE '%text%'`` uses by itself: one over a
contact's own fields joined (a candidate test, then each field's), one on e-mail
addresses, roles and phones each; the search is a union of per-table matches, so that
each table's index serves its part. pg_trgm is a trusted extension (PostgreSQL 13 on):
the migration creates it when pressctl's user may (CREATE on the database, or a
superuser), or finds it created by an administrator. Where neither, the book migrates
without the indexes, and searches read every row, with the same results (README).

Shorter searches (1 or 2 characters: no trigram to look up) read every row, as before,
with the same results.

An import is the one exception to "kept by the database": in its transaction the
triggers of inserts are set aside and it writes each chunk's documents in one statement
(:func:`insert_triggers_dropped`; the index is the same, byte for byte).

A removed document's trigrams stay in FTS5's segments until they are merged:
:func:`purge` merges them all, for `contacts forget`.
"""

from __future__ import annotations

from typing import Any

from pressctl.store.dialect import SQLITE

TABLE = "contact_search"
QUEUE = "contact_search_queue"  # derived data: `db copy` leaves it (the target queues its own)
BATCH = 10000  # queued changes written to the index at a time
MIN_INDEXED = 3  # the trigram index needs 3 characters to look anything up
_POSITION = 1 << 42  # rowid = position * 2**42 + contact id * 4 + source
_MAX_POSITION = (1 << 21) - 1  # rowids are below 2**63
_MAX_ID = (1 << 40) - 1
_FIELDS = ("name", "role", "organization", "outlet", "notes")
# PostgreSQL: a contact's own text is found through one index over its fields joined (a
# candidate: the query tests each field), where five indexes' costs added up to a scan.
_PG_JOINED = "(" + " || ' ' || ".join(f"coalesce({c}, '')" for c in _FIELDS) + ")"


# --- the search -------------------------------------------------------------------------


def search_clause(text: str, dialect: str) -> tuple[str, list[object]]:
    """The condition on ``contacts.id`` of a search for ``text``, and its parameters.

    Self-contained (``id IN (...)``): it names no column of the enclosing query but id."""
    pattern = _like(text)
    digits = "".join(ch for ch in text if ch.isdigit())
    phones = len(digits) >= 3
    indexed = len(text) >= MIN_INDEXED
    if dialect == SQLITE and indexed:
        return _indexed(text, pattern, digits if phones else None)
    # SQLite, 1 or 2 characters: every row read. PostgreSQL: each table's trigram index
    # (for a contact's own text, one index over its fields joined, then each field).
    fields = " OR ".join(f"{column} LIKE ? ESCAPE '\\'" for column in _FIELDS)
    joined = dialect != SQLITE and indexed
    parts = [f"SELECT id FROM contacts WHERE {_PG_JOINED} LIKE ? ESCAPE '\\' AND ({fields})"
             if joined else f"SELECT id FROM contacts WHERE {fields}",
             "SELECT contact_id FROM contact_emails WHERE address LIKE ? ESCAPE '\\'",
             "SELECT contact_id FROM contact_roles WHERE role LIKE ? ESCAPE '\\'"]
    params: list[object] = [pattern] * (len(_FIELDS) + 2 + int(joined))
    if phones:
        parts.append("SELECT contact_id FROM contact_phones WHERE e164 LIKE ?")
        params.append(f"%{digits}%")
    return "id IN (" + " UNION ".join(parts) + ")", params


def _indexed(text: str, pattern: str, digits: str | None) -> tuple[str, list[object]]:
    """SQLite: candidates from the trigram index and the queue, kept when LIKE holds."""
    query = f"({_every_trigram(text)})" + (f" OR ({_every_trigram(digits)})" if digits else "")
    tests = [f"c.{column} LIKE ? ESCAPE '\\'" for column in _FIELDS]
    tests += [
        "EXISTS (SELECT 1 FROM contact_emails e WHERE e.contact_id = c.id "
        "AND e.address LIKE ? ESCAPE '\\')",
        "EXISTS (SELECT 1 FROM contact_roles r WHERE r.contact_id = c.id "
        "AND r.role LIKE ? ESCAPE '\\')",
    ]
    params: list[object] = [query, *[pattern] * len(tests)]
    if digits:
        tests.append("EXISTS (SELECT 1 FROM contact_phones p WHERE p.contact_id = c.id "
                     "AND p.e164 LIKE ?)")
        params.append(f"%{digits}%")
    return (f"id IN (SELECT c.id FROM contacts c WHERE c.id IN ("
            f"SELECT rowid % {_POSITION} / 4 FROM {TABLE} WHERE {TABLE} MATCH ? "
            f"UNION ALL SELECT doc % {_POSITION} / 4 FROM {QUEUE}) "
            f"AND ({' OR '.join(tests)}))"), params


def _every_trigram(text: str) -> str:
    """An FTS5 query: documents holding each trigram of ``text`` (a string of 3
    characters is one trigram token; quotes are doubled inside FTS5 strings)."""
    trigrams = dict.fromkeys(text[i:i + 3] for i in range(len(text) - 2))
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in trigrams)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# --- keeping the index ------------------------------------------------------------------

# The queued changes into the index, in the order they were made, and the queue emptied.
_FLUSH = (f"INSERT INTO {TABLE} ({TABLE}, rowid, text) SELECT CASE WHEN gone THEN 'delete' "
          f"END, doc, body FROM {QUEUE} ORDER BY doc, seq",
          f"DELETE FROM {QUEUE}")


def purge(db: Any, dialect: str) -> None:
    """SQLite: the queue written into the index, and the index's segments merged into
    one, so that no trigram of a removed document is left in the file. (PostgreSQL's
    VACUUM of the tables does it for their indexes.)"""
    if dialect == SQLITE:
        for statement in _FLUSH:
            db.execute(statement)
        db.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")


# Migration 0015's steps. Shipped: never edit them; a change is a new migration.

def _contact_text(row: str) -> str:
    return " || char(10) || ".join(f"coalesce({row}.{column}, '')" for column in _FIELDS)


# (table, source number, indexed column) of each kind of child row.
_CHILDREN = (("contact_emails", 1, "address"), ("contact_roles", 2, "role"),
             ("contact_phones", 3, "e164"))


def _sqlite_statements() -> list[str]:
    def queue(gone: int, doc: str, text: str) -> str:
        return f"INSERT INTO {QUEUE} (doc, gone, body) VALUES ({doc}, {gone}, {text});"

    def refuse(table: str, test: str, what: str) -> str:
        return f"SELECT RAISE(ABORT, '{table}: {what}') WHERE {test};"

    statements = [
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, content='', "
        "detail=none, tokenize='trigram case_sensitive 0')",
        # body: no declared type, so that `contacts forget`'s scrub, which rewrites text
        # columns, leaves the queue's copies alone (purge() empties the queue instead).
        f"CREATE TABLE {QUEUE} (seq INTEGER PRIMARY KEY, doc INTEGER NOT NULL, "
        "gone INTEGER NOT NULL, body)",
        f"CREATE TRIGGER {QUEUE}_flush AFTER INSERT ON {QUEUE} WHEN NEW.seq >= {BATCH} "
        f"BEGIN {_FLUSH[0]}; {_FLUSH[1]}; END",
    ]
    too_big = refuse("contacts", f"NEW.id > {_MAX_ID}", "id out of the search index range")
    new_text, old_text = _contact_text("NEW"), _contact_text("OLD")
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("id", *_FIELDS))
    statements += [
        f"CREATE TRIGGER contacts_search_insert AFTER INSERT ON contacts BEGIN {too_big} "
        f"{queue(0, 'NEW.id * 4', new_text)} END",
        f"CREATE TRIGGER contacts_search_update AFTER UPDATE OF id, {', '.join(_FIELDS)} "
        f"ON contacts WHEN {changed} BEGIN {too_big} {queue(1, 'OLD.id * 4', old_text)} "
        f"{queue(0, 'NEW.id * 4', new_text)} END",
        f"CREATE TRIGGER contacts_search_delete AFTER DELETE ON contacts BEGIN "
        f"{queue(1, 'OLD.id * 4', old_text)} END",
        f"INSERT INTO {TABLE} (rowid, text) SELECT id * 4, {_contact_text('contacts')} "
        "FROM contacts",
    ]
    for table, source, column in _CHILDREN:
        old, new = (f"{row}.position * {_POSITION} + {row}.contact_id * 4 + {source}"
                    for row in ("OLD", "NEW"))
        too_far = refuse(table, f"NEW.position NOT BETWEEN 0 AND {_MAX_POSITION}",
                         "position out of the search index range")
        statements += [
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} BEGIN "
            f"{too_far} {queue(0, new, f'NEW.{column}')} END",
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE OF contact_id, position, "
            f"{column} ON {table} WHEN OLD.contact_id IS NOT NEW.contact_id OR "
            f"OLD.position IS NOT NEW.position OR OLD.{column} IS NOT NEW.{column} BEGIN "
            f"{too_far} {queue(1, old, f'OLD.{column}')} {queue(0, new, f'NEW.{column}')} END",
            f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} BEGIN "
            f"{queue(1, old, f'OLD.{column}')} END",
            f"INSERT INTO {TABLE} (rowid, text) SELECT position * {_POSITION} + "
            f"contact_id * 4 + {source}, {column} FROM {table}",
        ]
    return statements


# --- an import: the index written a chunk at a time ------------------------------------
#
# Per row, the triggers cost an import ~23 µs a contact (a program run per row, a queue
# row written and read back, then FTS5's own work); one statement a chunk, ~13 µs (most
# of it FTS5 tokenizing, which no path avoids). During an import
# (one transaction, which holds the book's only write lock) the triggers of inserts are
# dropped and each chunk's documents are written in one statement, in rowid order, from
# the rows just inserted; they are the documents the triggers would have queued (the same
# expressions), so that the index is, byte for byte, the same (tests). The triggers are
# created again, from their own text, before the import commits; an import that fails
# rolls back, which brings them back too (SQLite's DDL is transactional). The triggers of
# updates and deletes stay: what they queue is written in its order, as ever.

_INSERT_TRIGGERS = ("contacts_search_insert",
                    *(f"{table}_search_insert" for table, _, _ in _CHILDREN))


def _range_documents() -> str:
    """The documents of contacts ``?1`` to ``?2`` and of their child rows, by rowid."""
    parts = [f"SELECT id * 4 AS doc, {_contact_text('contacts')} AS body FROM contacts "
             "WHERE id BETWEEN ?1 AND ?2"]
    parts += [f"SELECT position * {_POSITION} + contact_id * 4 + {source}, {column} "
              f"FROM {table} WHERE contact_id BETWEEN ?1 AND ?2"
              for table, source, column in _CHILDREN]
    return " UNION ALL ".join(parts) + " ORDER BY doc"


def _out_of_range() -> str:
    """The first table holding a row of contacts ``?1`` to ``?2`` beyond the rowids'
    range (what the triggers refuse), or none."""
    parts = [f"SELECT 'contacts' FROM contacts WHERE id BETWEEN ?1 AND ?2 AND id > {_MAX_ID}"]
    parts += [f"SELECT '{table}' FROM {table} WHERE contact_id BETWEEN ?1 AND ?2 AND "
              f"position NOT BETWEEN 0 AND {_MAX_POSITION}" for table, _, _ in _CHILDREN]
    return " UNION ALL ".join(parts) + " LIMIT 1"


def insert_triggers_dropped(db: Any, dialect: str) -> list[str]:
    """SQLite, inside a write transaction: the queue written into the index, and the
    triggers of inserts dropped; returns their text, for :func:`insert_triggers_restored`.
    Until then, the caller writes the documents of what it inserts: :func:`index_range`
    for new contacts, :func:`queue_children` for the child rows of a rewritten one.
    PostgreSQL: nothing to do (its GIN indexes keep themselves, batched in their
    pending lists); returns []."""
    if dialect != SQLITE:
        return []
    for statement in _FLUSH:
        db.execute(statement)
    marks = ",".join("?" * len(_INSERT_TRIGGERS))
    triggers = [sql for (sql,) in db.execute(
        f"SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN ({marks}) "
        "ORDER BY name", _INSERT_TRIGGERS)]
    if len(triggers) != len(_INSERT_TRIGGERS):  # never seen: a book without its index
        raise RuntimeError("the search index's triggers are not all there")
    for name in _INSERT_TRIGGERS:
        db.execute(f"DROP TRIGGER {name}")
    return triggers


def insert_triggers_restored(db: Any, triggers: list[str]) -> None:
    """The triggers :func:`insert_triggers_dropped` dropped, created again from their text."""
    for sql in triggers:
        db.execute(sql)


def index_range(db: Any, first: int, last: int) -> None:
    """SQLite, triggers dropped: the documents of the new contacts ``first`` to ``last``
    (ids no document of the index or the queue has: new rows) written into the index in
    one statement; refused as the triggers refuse a row beyond the rowids' range."""
    _refuse_out_of_range(db, first, last)
    db.execute(f"INSERT INTO {TABLE} (rowid, text) {_range_documents()}", (first, last))


def _refuse_out_of_range(db: Any, first: int, last: int) -> None:
    found = db.execute(_out_of_range(), (first, last)).fetchone()
    if found is not None:  # the error, and the message, of the triggers' RAISE(ABORT)
        import sqlite3

        what = "id" if found[0] == "contacts" else "position"
        raise sqlite3.IntegrityError(f"{found[0]}: {what} out of the search index range")


def queue_children(db: Any, contact_id: int) -> None:
    """SQLite, triggers dropped: the documents of a rewritten contact's child rows
    queued, after what its updates and deletes queued (the order the triggers keep)."""
    _refuse_out_of_range(db, contact_id, contact_id)
    for table, source, column in _CHILDREN:
        db.execute(f"INSERT INTO {QUEUE} (doc, gone, body) SELECT position * {_POSITION} + "
                   f"contact_id * 4 + {source}, 0, {column} FROM {table} "
                   "WHERE contact_id = ? ORDER BY position", (contact_id,))


# --- migration 0019: the index without its documents' sizes ----------------------------
#
# FTS5 keeps each document's token count (contact_search_docsize) for ranking, which a
# search never asks for (candidates, then LIKE): ``columnsize=0`` drops that table, one
# b-tree row less for every document written (an import: ~1.7 µs a contact of the main
# process's ~56) and the index a fifth smaller. Deleting a contentless document does not
# need it (its text is repeated). A contentless index cannot be copied into the new
# table: it is built again from the book's rows, which its queue only ever follows.

_CREATE_WITHOUT_SIZES = (f"CREATE VIRTUAL TABLE {TABLE} USING fts5(text, content='', "
                         "detail=none, columnsize=0, tokenize='trigram case_sensitive 0')")


def drop_document_sizes(db: Any, dialect: str) -> None:
    """Migration 0019 (SQLite; PostgreSQL has nothing to drop): the index made again
    with ``columnsize=0`` from the book's rows, its queue emptied."""
    if dialect != SQLITE:
        return
    db.execute(f"DROP TABLE {TABLE}")
    db.execute(_CREATE_WITHOUT_SIZES)
    db.execute(f"DELETE FROM {QUEUE}")
    db.execute(f"INSERT INTO {TABLE} (rowid, text) {_range_documents()}", (0, _MAX_ID))


_PG_INDEXED = (("contacts_text", "contacts", _PG_JOINED),
               *((f"{table}_{column}", table, column) for table, _, column in _CHILDREN))

# Whether pg_trgm is there, or pressctl's user may create it.
_PG_TRGM = (
    "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') OR ("
    "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') AND ("
    "current_setting('is_superuser') = 'on' OR (has_database_privilege(current_database(), "
    "'CREATE') AND EXISTS (SELECT 1 FROM pg_available_extension_versions v JOIN "
    "pg_available_extensions a ON a.name = v.name AND a.default_version = v.version "
    "WHERE v.name = 'pg_trgm' AND v.trusted))))"
)


def create_index(db: Any, dialect: str) -> None:
    """Migration 0015: the search index, filled from the book's rows (see the docstring)."""
    if dialect == SQLITE:
        for statement in _sqlite_statements():
            db.execute(statement)
        return
    if not db.execute(_PG_TRGM).fetchone()[0]:
        return  # searches read every row, as before (README: what an administrator does)
    db.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, expression in _PG_INDEXED:
        db.execute(f"CREATE INDEX {name}_trgm ON {table} USING gin ({expression} gin_trgm_ops)")
