"""Copying a whole book between databases (pressctl.store.transfer), on real SQLite files
and real PostgreSQL databases, in the four directions: every row with its id, the same
checksum on both sides, all or nothing, and fresh ids afterwards."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import db_snapshot

from pressctl.config import parse_database
from pressctl.contacts.model import Contact, Organization, Phone
from pressctl.errors import ConfigError, InvalidInput, StorageError
from pressctl.store import Store, transfer
from pressctl.store.leases import Lease
from pressctl.store.transfer import (
    NOT_COPIED,
    book_tables,
    checksum,
    copy_book,
    file_checksum,
    inspect_target,
    row_digest,
)

NOW = "2026-11-22T10:00:00Z"
BLOB = bytes(range(256))  # a frozen variant is bytes: every byte value must survive
DIRECTIONS = ["sqlite->postgresql", "postgresql->sqlite", "sqlite->sqlite",
              "postgresql->postgresql"]


@pytest.fixture
def place(request, tmp_path):
    """``place(backend, name)``: the location of a new, empty database of that backend (a
    file not yet created, or a fresh database on the tests' server)."""
    made: list[str] = []

    def make(backend: str, name: str):
        if backend == "sqlite":
            return parse_database(str(tmp_path / f"{name}.db"), base=tmp_path, where=name)
        server = request.getfixturevalue("postgres_server")
        url = server.new_database(name)
        made.append(url)
        return parse_database(url, base=tmp_path, where=name)

    yield make
    for url in made:
        request.getfixturevalue("postgres_server").drop_database(url)


@pytest.fixture(params=DIRECTIONS)
def books(request, place):
    """(source store holding a sample book, empty target store) for one direction."""
    source_backend, target_backend = request.param.split("->")
    source = Store.open(place(source_backend, "source"))
    fill(source)
    target = Store.open(place(target_backend, "target"))
    yield source, target
    source.close()
    target.close()


def fill(store: Store) -> None:
    """A book with something in every table: accents, bytes, NULLs, a linked mailout pair,
    a delivered row, an opt-out and its lift, history, and a running worker's lease."""
    with store.transaction():
        store.orgs.insert(Organization("Centre national d'études spatiales", "CNES", "FR",
                                       "https://cnes.fr", {"en": "About", "fr": "À propos"},
                                       created=NOW, updated=NOW))
        store.contacts.insert([
            Contact("Élodie Zoé", organization="CNES", tags=["space", "Île"],
                    emails=["elodie@example.org", "e.z@example.net"],
                    phones=[Phone("+33144767539", "5", "work", "standard")],
                    languages=["fr", "en"], embargo_ok=True, notes="line 1\nline 2",
                    created=NOW, updated=NOW),
            Contact("Bob", kind="other", emails=["bob@example.org"], created=NOW,
                    updated=NOW)])
        store.audiences.save("space", "tag:space", NOW)
        embargoed = store.mailouts.insert(
            reference="PR1", release_path="/r/pr1.md", phase="embargoed", linked_to=None,
            due_at=NOW, domain="example.org", now=NOW, variants=[BLOB, b""])
        public = store.mailouts.insert(
            reference="PR1", release_path="/r/pr1.md", phase="public", linked_to=embargoed,
            due_at=NOW, domain="example.org", now=NOW, variants=[b"public"])
        store.mailouts.insert_rows(embargoed, [
            (0, 1, "Élodie Zoé", "elodie@example.org", "Dear Élodie", "<1@x>", "t1", 0,
             "<1p@x>", "t1p")], NOW)
        store.mailouts.insert_rows(public, [
            (0, 2, "Bob", "bob@example.org", "Dear Bob", "<2@x>", "t2", None, None, None)],
            NOW)
        store.db.execute("UPDATE mailout_rows SET state = 'sent', attempts = 1, "
                         "reply = '250 ok', sent_at = ? WHERE token = 't2'", (NOW,))
        store.suppressions.suppress("gone@example.org", "Gone@example.org", "opted out", NOW)
        store.suppressions.suppress("back@example.org", "back@example.org", "opted out", NOW)
        store.suppressions.lift("back@example.org", "back@example.org", None, "asked", NOW)
        store.leases.take(Lease("run-1", "laptop", 4242, None, NOW, NOW, NOW), None)


def rows_of(store: Store, table: str) -> list[tuple]:
    columns = transfer.table_columns(store.database, table)
    key = transfer.primary_key(store.database, table)
    return sorted(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                  for row in store.db.execute(
                      f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}"))


# --- the copy ---------------------------------------------------------------------------


def test_a_copy_carries_every_row_with_its_id_and_the_same_checksum(books):
    source, target = books
    copied = copy_book(source.database, target.database)
    assert copied == checksum(source.database) == checksum(target.database)
    assert copied.rows["contacts"] == 2 and copied.rows["mailout_rows"] == 2
    for table in book_tables(source.database):
        assert rows_of(target, table) == rows_of(source, table), table
    assert target.contacts.get(1) == source.contacts.get(1)  # ids kept, accents, tags order
    [embargoed, public] = target.mailouts.all()
    assert public.linked_to == embargoed.id
    assert target.mailouts.variants(embargoed.id) == [BLOB, b""]


def test_the_workers_lease_and_rate_window_are_not_copied(books):
    source, target = books
    with source.transaction():
        source.db.execute("INSERT INTO outbox_rate (name, next_us) VALUES ('relay', 99)")
    copied = copy_book(source.database, target.database)
    assert {"outbox_lease", "outbox_rate", "schema_migrations"} == set(NOT_COPIED)
    assert not set(copied.rows) & NOT_COPIED
    assert target.leases.current() is None  # the target's first run takes its own
    assert target.db.execute("SELECT count(*) FROM outbox_rate").fetchone()[0] == 0
    assert source.leases.current() is not None  # the source is only read


def test_a_target_that_holds_rows_is_refused_naming_them_and_unchanged(books):
    source, target = books
    with target.transaction():
        target.contacts.insert([Contact("Someone", emails=["s@example.org"], created=NOW,
                                        updated=NOW)])
    before = db_snapshot(target)
    with pytest.raises(InvalidInput, match=r"is not an empty book: it holds 1 contacts"):
        copy_book(source.database, target.database)
    assert db_snapshot(target) == before


def test_a_copy_failing_midway_leaves_the_target_unchanged(books, monkeypatch):
    source, target = books
    before = db_snapshot(target)
    real = transfer.insert_rows

    def failing(database, table, columns, rows):
        if table == "mailout_rows":  # after contacts, organisations and mailouts
            raise RuntimeError("the network went away")
        real(database, table, columns, rows)

    monkeypatch.setattr(transfer, "insert_rows", failing)
    with pytest.raises(StorageError, match="copying table mailout_rows failed "
                                           r"\(the network went away\).*rolled back"):
        copy_book(source.database, target.database)
    assert db_snapshot(target) == before
    monkeypatch.setattr(transfer, "insert_rows", real)  # and the target is still usable
    assert copy_book(source.database, target.database) == checksum(source.database)


def test_a_table_that_differs_once_copied_is_named_and_rolled_back(books, monkeypatch):
    source, target = books
    before = db_snapshot(target)
    real = transfer.insert_rows

    def mangling(database, table, columns, rows):
        if table == "contact_tags":  # what a target that rewrote a value would do
            rows = [tuple(str(v).upper() if isinstance(v, str) else v for v in row)
                    for row in rows]
        real(database, table, columns, rows)

    monkeypatch.setattr(transfer, "insert_rows", mangling)
    with pytest.raises(StorageError, match="table contact_tags differs from the source once "
                                           "copied.*nothing was changed"):
        copy_book(source.database, target.database)
    assert db_snapshot(target) == before


def test_a_copy_stops_at_the_first_row_the_target_refuses(place):
    # SQLite's NOCASE folds ASCII only: "Études" and "études" are two organisations in a
    # SQLite book, and one for PostgreSQL's case-insensitive collation.
    source = Store.open(place("sqlite", "source"))
    target = Store.open(place("postgresql", "target"))
    with source.transaction():
        for name in ("Études spatiales", "études spatiales"):
            source.orgs.insert(Organization(name, created=NOW, updated=NOW))
    before = db_snapshot(target)
    with pytest.raises(StorageError, match="copying table organizations failed"):
        copy_book(source.database, target.database)
    assert db_snapshot(target) == before
    source.close()
    target.close()


def test_after_a_copy_to_postgresql_new_rows_get_fresh_ids(place):
    source = Store.open(place("sqlite", "source"))
    fill(source)
    target = Store.open(place("postgresql", "target"))
    copy_book(source.database, target.database)
    with target.transaction():
        org = Organization("Another", created=NOW, updated=NOW)
        target.orgs.insert(org)
        mailout = target.mailouts.insert(
            reference="PR2", release_path="/r/pr2.md", phase="single", linked_to=None,
            due_at=NOW, domain="example.org", now=NOW, variants=[b"x"])
        target.mailouts.insert_rows(mailout, [
            (0, None, "Carl", "carl@example.org", "Dear Carl", "<3@x>", "t3", None, None,
             None)], NOW)
        target.suppressions.lift("gone@example.org", "gone@example.org", None, "asked", NOW)
    assert org.id == 2 and mailout == 3  # one past the largest copied, not 1 again
    assert target.db.execute("SELECT max(id) FROM mailout_rows").fetchone()[0] == 3
    assert target.db.execute("SELECT max(id) FROM optins").fetchone()[0] == 2
    source.close()
    target.close()


def test_an_empty_book_copies_and_its_ids_start_at_one(place):
    source = Store.open(place("sqlite", "source"))
    target = Store.open(place("postgresql", "target"))
    copied = copy_book(source.database, target.database)
    assert set(copied.rows.values()) == {0}
    with target.transaction():
        org = Organization("First", created=NOW, updated=NOW)
        target.orgs.insert(org)
    assert org.id == 1
    source.close()
    target.close()


def test_a_table_added_by_a_later_migration_is_copied_without_a_change(books):
    source, target = books
    for store in (source, target):
        with store.transaction():
            store.db.execute("CREATE TABLE notes_history (id INTEGER PRIMARY KEY, "
                             "contact_id INTEGER REFERENCES contacts(id), note TEXT)")
    with source.transaction():
        source.db.execute("INSERT INTO notes_history (id, contact_id, note) VALUES "
                          "(7, 1, 'called')")
    copied = copy_book(source.database, target.database)
    assert copied.rows["notes_history"] == 1
    assert rows_of(target, "notes_history") == [(7, 1, "called")]


def test_books_at_different_schema_versions_are_refused(books):
    source, target = books
    with target.transaction():
        target.db.execute("INSERT INTO schema_migrations (name) VALUES ('9999_from_the_future')")
    before = db_snapshot(target)
    with pytest.raises(ConfigError, match="at schema version .* and .* at 9999_from_the_future"):
        copy_book(source.database, target.database)
    assert db_snapshot(target) == before


def test_tables_are_copied_parents_first(books):
    source, _ = books
    order = book_tables(source.database)
    for parent, child in (("organizations", "organization_about"),
                          ("contacts", "contact_emails"), ("contacts", "contact_tags"),
                          ("mailouts", "mailout_rows"), ("mailouts", "mailout_variants")):
        assert order.index(parent) < order.index(child)
    assert not set(order) & NOT_COPIED


# --- the checksum -----------------------------------------------------------------------


def test_the_checksum_normalises_values_as_each_engine_returns_them():
    assert row_digest((1, "é", b"\x00\xff", None)) == \
        row_digest((1, "é", memoryview(b"\x00\xff"), None)) == \
        row_digest((True, "é", bytearray(b"\x00\xff"), None))
    different = [(1,), ("1",), (None,), ("",), (b"1",), (1.0,), ("a", "b"), ("ab",),
                 ("a", None), (None, "a")]
    assert len({row_digest(row) for row in different}) == len(different)


def test_the_checksum_sees_any_change_and_not_the_row_order(books):
    source, target = books
    copy_book(source.database, target.database)
    assert checksum(target.database).checksum == checksum(source.database).checksum
    with target.transaction():
        target.db.execute("UPDATE contacts SET notes = 'line 1\nline 2 ' WHERE id = 1")
    changed = checksum(target.database)
    assert changed.checksum != checksum(source.database).checksum
    assert {t.name for t in changed.tables if t not in checksum(source.database).tables} == \
        {"contacts"}


# --- looking at a target first ----------------------------------------------------------


def test_another_programs_database_is_seen_before_anything_is_written(tmp_path, pg_url):
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.close()
    state = inspect_target(parse_database(str(other), base=tmp_path, where="t"), {})
    assert (state.book, state.other_tables) == (False, ["invoices"])
    empty = inspect_target(parse_database(pg_url, base=tmp_path, where="t"), {})
    assert (empty.book, empty.other_tables) == (False, [])
    Store.open(parse_database(pg_url, base=tmp_path, where="t")).close()
    assert inspect_target(parse_database(pg_url, base=tmp_path, where="t"), {}).book
    missing = inspect_target(parse_database(str(tmp_path / "new.db"), base=tmp_path,
                                            where="t"), {})
    assert (missing.book, missing.other_tables) == (False, [])
    assert not (tmp_path / "new.db").exists()


def test_a_backup_files_checksum_is_read_without_changing_it(tmp_path):
    store = Store.open(tmp_path / "book.db")
    fill(store)
    transfer.backup_sqlite(store.database, tmp_path / "copy.db", overwrite=False)
    before = (tmp_path / "copy.db").read_bytes()
    assert file_checksum(tmp_path / "copy.db") == checksum(store.database)
    assert (tmp_path / "copy.db").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.db", "book.db-shm",
                                                          "book.db-wal", "copy.db"]
    store.close()


def test_a_backup_into_a_missing_folder_is_invalid_input(tmp_path):
    store = Store.open(tmp_path / "book.db")
    with pytest.raises(InvalidInput, match="cannot write the backup"):
        transfer.backup_sqlite(store.database, tmp_path / "no" / "copy.db", overwrite=False)
    store.close()
