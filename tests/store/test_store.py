from __future__ import annotations

import sqlite3
import stat
import threading

import pytest
from store_backends import book_location

from pressctl.contacts.model import Contact, ContactFilter, Organization, Phone
from pressctl.errors import ConfigError
from pressctl.store import Store
from pressctl.store.migrations import MIGRATIONS

NOW = "2026-11-22T10:00:00Z"


def _contact(name, email, **extra):
    values = dict(name=name, emails=[email], created=NOW, updated=NOW)
    values.update(extra)
    return Contact(**values)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    """The same store tests on both backends: a SQLite file, and a fresh database on the
    tests' PostgreSQL server (tests/pg_server.py)."""
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _integrity_errors() -> tuple[type[Exception], ...]:
    import psycopg

    return sqlite3.IntegrityError, psycopg.IntegrityError


def test_new_database_is_private_and_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "book.db"
    store = Store.open(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    store.close()


def test_migrations_are_named_recorded_and_applied_once(tmp_path):
    path = tmp_path / "book.db"
    first = Store.open(path)
    assert _applied(first) == [migration.name for migration in MIGRATIONS]
    first.close()
    again = Store.open(path)
    assert again.database.migrate() == []
    again.close()


def test_open_without_create_says_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match="pressctl init"):
        Store.open(tmp_path / "missing.db", create=False)


def test_a_file_that_is_not_a_database_is_a_config_error(tmp_path):
    path = tmp_path / "book.db"
    path.write_text("this is not sqlite " * 100)
    with pytest.raises(ConfigError, match="not a usable pressctl database"):
        Store.open(path)


def test_insert_and_read_back_everything(store):
    contact = _contact(
        "Pascale Bresson", "pascale.bresson@cnes.fr", kind="officer",
        role="Attachée de Presse", organization="CNES", languages=["fr", "en"], country="FR",
        phones=[Phone("+33144767539"), Phone("+33625796479", None, "mobile", "direct")],
        tags=["cnes", "space"], embargo_ok=True, notes="line one\nline two",
    )
    with store.transaction():
        store.contacts.insert([contact])
    assert contact.id == 1
    assert store.contacts.get(1) == contact


def test_a_contact_and_an_organisation_have_a_stored_id_once_inserted(store):
    contact, org = _contact("A", "a@example.com"), Organization("CNES", created=NOW, updated=NOW)
    with pytest.raises(ValueError, match="not in the book yet"):
        contact.stored_id  # noqa: B018 - the property raises
    with pytest.raises(ValueError, match="not in the book yet"):
        org.stored_id  # noqa: B018 - the property raises
    with store.transaction():
        store.contacts.insert([contact])
        store.orgs.insert(org)
    assert (contact.stored_id, org.stored_id) == (contact.id, org.id) == (1, 1)


def test_replacing_a_contact_that_was_never_stored_is_refused(store):
    with pytest.raises(ValueError, match="not in the book yet"), store.transaction():
        store.contacts.replace(_contact("A", "a@example.com"))


def test_transaction_rolls_back_on_error(store):
    with store.transaction():
        store.contacts.insert([_contact("A", "a@example.com")])
    with pytest.raises(RuntimeError), store.transaction():
        store.contacts.insert([_contact("B", "b@example.com")])
        raise RuntimeError("boom")
    assert [c.name for c in store.contacts.select()] == ["A"]


def test_an_email_key_belongs_to_one_contact(store):
    with store.transaction():
        store.contacts.insert([_contact("A", "Jane@Example.com")])
    with pytest.raises(_integrity_errors()), store.transaction():
        store.contacts.insert([_contact("B", "jane@example.com")])
    assert store.contacts.owners_of_email_keys(["jane@example.com"]) == {"jane@example.com": 1}


@pytest.fixture
def filled(store):
    with store.transaction():
        store.orgs.insert(Organization("Centre national d'études spatiales", "CNES", "FR",
                                      created=NOW, updated=NOW))
        store.contacts.insert([
            _contact("Pascale Bresson", "pascale.bresson@cnes.fr", kind="officer",
                     organization="CNES", languages=["fr", "en"], country="FR",
                     embargo_ok=True, tags=["space"], phones=[Phone("+33144767539")]),
            _contact("Claire Fontaine", "claire@example.org", outlet="La Gazette de l'Espace",
                     languages=["fr-CA"], country="CA", tags=["space", "science"]),
            _contact("Ethan 100% Caldwell", "ethan@example.com", outlet="Capitol_Report",
                     languages=["en"], country="US", opted_out=True),
        ])
    return store


@pytest.mark.parametrize(
    ("where", "names"),
    [
        (ContactFilter(), ["Claire Fontaine", "Ethan 100% Caldwell", "Pascale Bresson"]),
        (ContactFilter(kind="officer"), ["Pascale Bresson"]),
        (ContactFilter(tags=("space",)), ["Claire Fontaine", "Pascale Bresson"]),
        (ContactFilter(tags=("space", "science")), ["Claire Fontaine"]),
        (ContactFilter(organization="cnes"), ["Pascale Bresson"]),
        (ContactFilter(organization="Centre national d'études spatiales"), ["Pascale Bresson"]),
        (ContactFilter(outlet="gazette"), ["Claire Fontaine"]),
        (ContactFilter(language="fr"), ["Claire Fontaine", "Pascale Bresson"]),
        (ContactFilter(language="en"), ["Ethan 100% Caldwell", "Pascale Bresson"]),
        (ContactFilter(country="US"), ["Ethan 100% Caldwell"]),
        (ContactFilter(embargo_ok=True), ["Pascale Bresson"]),
        (ContactFilter(opted_out=False), ["Claire Fontaine", "Pascale Bresson"]),
        (ContactFilter(search="bresson@"), ["Pascale Bresson"]),
        (ContactFilter(search="4476"), ["Pascale Bresson"]),
        (ContactFilter(search="100%"), ["Ethan 100% Caldwell"]),  # % is literal, not a wildcard
        (ContactFilter(search="Ca_itol"), []),  # so is _
        (ContactFilter(search="tol_rep"), ["Ethan 100% Caldwell"]),
        (ContactFilter(outlet="_"), ["Ethan 100% Caldwell"]),
    ],
)
def test_filters(filled, where, names):
    assert [c.name for c in filled.contacts.select(where)] == names


def test_tags_and_opt_out_updates(filled):
    with filled.transaction():
        filled.contacts.add_tags([2], ["health", "space"], "2026-11-23T00:00:00Z")
        filled.contacts.set_opted_out([2], True, "2026-11-23T00:00:00Z")
    claire = filled.contacts.get(2)
    assert claire.tags == ["space", "science", "health"]
    assert claire.opted_out and claire.updated == "2026-11-23T00:00:00Z"
    with filled.transaction():
        filled.contacts.remove_tags([2], ["space"], "2026-11-24T00:00:00Z")
    assert filled.contacts.get(2).tags == ["science", "health"]


def test_deleting_a_contact_removes_its_emails(filled):
    with filled.transaction():
        filled.contacts.delete([1])
    assert filled.contacts.owners_of_email_keys(["pascale.bresson@cnes.fr"]) == {}


def test_reader_is_not_blocked_by_a_writer_in_wal_mode(tmp_path):
    path = tmp_path / "book.db"
    writer = Store.open(path)
    reader = Store.open(path)
    with writer.transaction():
        writer.contacts.insert([_contact("A", "a@example.com")])
        # Inside the writer's open transaction another connection still reads (WAL).
        assert reader.contacts.count() == 0
    assert reader.contacts.count() == 1
    writer.close()
    reader.close()


def test_second_writer_waits_for_the_first(tmp_path):
    path = tmp_path / "book.db"
    first, second = Store.open(path), Store.open(path)
    released = threading.Event()

    def hold_lock():
        with first.transaction():
            first.contacts.insert([_contact("A", "a@example.com")])
            released.wait(0.3)

    thread = threading.Thread(target=hold_lock)
    thread.start()
    with second.transaction():  # busy timeout: waits instead of failing "database is locked"
        second.contacts.insert([_contact("B", "b@example.com")])
    thread.join()
    assert sorted(c.name for c in second.contacts.select()) == ["A", "B"]
    first.close()
    second.close()


def test_names_sort_ignoring_accents_and_case(store):
    with store.transaction():
        store.contacts.insert([_contact(n, f"{i}@example.com") for i, n in
                               enumerate(["Zoé Adam", "Élodie Marchand", "eric Blanc",
                                          "Anaïs Gauthier"])])
    assert [c.name for c in store.contacts.select()] == [
        "Anaïs Gauthier", "Élodie Marchand", "eric Blanc", "Zoé Adam"]


def test_upgrading_a_first_version_book_fills_the_new_column(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    name, sql = MIGRATIONS[0].name, MIGRATIONS[0].sql
    old.executescript(sql)
    old.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, "
                "applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
    old.execute("INSERT INTO schema_migrations (name) VALUES (?)", (name,))
    old.execute("INSERT INTO contacts (name, kind, created, updated) VALUES "
                "('Zoé Adam', 'journalist', 'x', 'x'), ('Élodie Marchand', 'journalist', 'x', 'x')")
    old.commit()
    old.close()
    store = Store.open(path)
    assert _applied(store) == [m.name for m in MIGRATIONS]
    assert [c.name for c in store.contacts.select()] == ["Élodie Marchand", "Zoé Adam"]
    store.close()


def _applied(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute("SELECT name FROM schema_migrations ORDER BY name")]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    return book_location(request, tmp_path)


def test_close_waits_for_a_transaction_in_another_thread_to_end(location):
    # A delivery run may give up on a connection thread that is still recording its
    # results; closing the connection under its statement crashed the sender (SIGSEGV).
    store = Store.open(location)
    inside, release, committed = threading.Event(), threading.Event(), []

    def record():
        with store.transaction():
            store.contacts.insert([_contact("Late Writer", "late@example.org")])
            inside.set()
            release.wait(10)
        committed.append(True)

    writer = threading.Thread(target=record)
    writer.start()
    assert inside.wait(10)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(0.3)
    assert closer.is_alive()  # the transaction is still open: close waits for it
    release.set()
    writer.join(10)
    closer.join(10)
    assert committed == [True] and not closer.is_alive()
    # a thread that comes later still: an error, no crash
    with pytest.raises(Exception, match="closed"), store.transaction():
        store.contacts.select()
    again = Store.open(location)
    try:
        assert [c.name for c in again.contacts.select()] == ["Late Writer"]
    finally:
        again.close()
