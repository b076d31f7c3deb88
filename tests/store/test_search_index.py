"""`contacts list --search` through the search index (pressctl.store.search), on both
backends: it finds exactly what a plain substring scan of every contact finds (checked
against a brute-force filter in Python), whatever state the index is in, after every kind
of write; the index is used for 3 characters or more; migration 0015 builds it for a book
that exists; `contacts forget` leaves nothing of the person in it."""

from __future__ import annotations

import secrets
import sqlite3
import string
from pathlib import Path

import pytest
from search_index_oracle import documents, leaves
from store_backends import book_location

from pressctl.book.contacts import add_contact, edit_contact, remove_contacts
from pressctl.book.gdpr import forget_contact
from pressctl.book.importer import import_file
from pressctl.config import parse_database
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Contact, ContactFilter, Phone
from pressctl.store import Store, database
from pressctl.store.migrations import MIGRATIONS
from pressctl.store.search import BATCH, QUEUE, TABLE, purge, search_clause
from pressctl.store.transfer import copy_book

NOW = "2026-12-10T10:00:00Z"
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def matches(contact: Contact, text: str) -> bool:
    """The rule, brute force: a substring of a text field, an e-mail or a role, ASCII
    letters' case ignored; or 3 digits or more of it in a phone number."""
    wanted = text.translate(_ASCII_LOWER)
    fields = [contact.name, contact.role, contact.organization, contact.outlet,
              contact.notes, *contact.emails, *contact.roles.values()]
    if any(wanted in field.translate(_ASCII_LOWER) for field in fields if field):
        return True
    digits = "".join(ch for ch in text if ch.isdigit())
    return len(digits) >= 3 and any(digits in phone.e164 for phone in contact.phones)


def searched(store: Store, text: str) -> list[int]:
    return sorted(c.stored_id for c in store.contacts.select(ContactFilter(search=text)))


def scanned(store: Store, text: str) -> list[int]:
    return sorted(c.stored_id for c in store.contacts.select() if matches(c, text))


def _person(name: str, *emails: str, **extra) -> Contact:
    return Contact(name=name, emails=list(emails), created=NOW, updated=NOW, **extra)


PEOPLE = [
    _person("Élodie Marchand", "Elodie.Marchand@Example.org", outlet="Le Journal de l'Espace",
            notes="Met at the 100% Science fair", phones=[Phone("+33144767539")],
            roles={"fr": "Rédactrice en chef", "en": "Editor-in-chief"}),
    _person("élodie durand", "e.durand@example.net", role="Journaliste",
            outlet="Ciel_et_Espace"),
    _person("ÉLODIE ROUX", outlet="ORBIT WEEKLY"),
    _person("Ethan 100% Caldwell", "ethan@example.com", outlet="Capitol_Report",
            notes='said "hello" \\ back'),
    _person("Zoë Quinn-O'Brien", "zoe@media.example.com", phones=[Phone("+12025550143")],
            roles={"de": "Wissenschaftsredakteurin"}),
    _person("Paul Back\\slash", notes="path C:\\temp\\x"),
    _person("Ana"),
    _person("Jean Dupont", "jean.dupont@cnes.fr", organization="CNES", role="Press officer",
            phones=[Phone("+33144767451"), Phone("+33625796479")]),
    _person("Ünal Şahin", "unal@example.de", outlet="Straße Zeitung", country="DE"),
    _person("İlker Yılmaz", outlet="İstanbul Times"),
    _person("Abcx Bcde", notes="the trigrams of a search, apart"),
    _person("Kelvin \u212aoenig"),  # the Kelvin sign: Unicode folds it to k, LIKE does not
]

SEARCHES = [
    # names, case and accents: ASCII letters' case is ignored, accented letters' is not
    "élodie", "Élodie", "ÉLODIE", "elodie", "ELODIE", "marchand", "quinn-o'b", "o'brien",
    "ünal", "ÜNAL", "zoë", "ZOË", "İst", "ist", "yılmaz", "koenig", "\u212aoe",
    # e-mail addresses, outlets, organisation, notes, roles in other languages
    "MARCHAND@EXAMPLE", "@example.", ".net", "journal de l'espace", "orbit weekly",
    "straße", "STRASSE", "cnes", "science fair", "rédactrice", "RÉDACTRICE", "editor-in",
    "wissenschafts", "press officer",
    # LIKE's wildcards and escape are taken literally
    "100%", "0% ", "%", "_", "l_et", "Capitol_R", "Ca_itol", "\\", "\\sl", "C:\\temp",
    '"hello"', 'hello" \\',
    # 1 and 2 characters: no trigram, every row read
    "e", "É", "zo", "ch", "%_", "  ",
    # phone digits (3 or more), as people write them
    "44 76 75", "+1 202", "555-0143", "0143", "14476", "12",
    # candidates the index gives and LIKE refuses: trigrams apart, or across two fields
    "abcd", "Marchand\n", "   ", "nobody at all",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


@pytest.fixture(params=["queued", "indexed"])
def filled(request, store):
    """The people stored in two transactions: half of them written into the index
    (purge), the rest still in its queue; "indexed": all of them in the index."""
    people = _copies(PEOPLE)
    half = len(people) // 2
    for first, part in ((True, people[:half]), (False, people[half:])):
        with store.transaction():
            store.contacts.insert(part)
            if first or request.param == "indexed":
                purge(store.db, store.dialect)
    return store


def _copies(people: list[Contact]) -> list[Contact]:
    """New Contact values (insert sets their ids)."""
    return [Contact(**{k: getattr(p, k) for k in Contact.__slots__}) for p in people]


@pytest.mark.parametrize("text", SEARCHES)
def test_a_search_finds_what_a_substring_scan_of_every_contact_finds(filled, text):
    assert searched(filled, text) == scanned(filled, text)


def test_the_table_of_searches_is_not_trivial(filled):
    found = {text: scanned(filled, text) for text in SEARCHES}
    assert found["élodie"] == [2] and found["Élodie"] == [1, 3] and found["elodie"] == [1]
    assert found["ÉLODIE"] == [1, 3] and found["ZOË"] == [] and found["RÉDACTRICE"] == []
    assert found["100%"] == [1, 4] and found["Ca_itol"] == [] and found["abcd"] == []
    assert found["44 76 75"] == [1] and found["Marchand\n"] == []
    assert sum(1 for ids in found.values() if ids) > len(SEARCHES) // 2


# -- the index kept in step --------------------------------------------------------------


def assert_index_holds_the_book(store: Store) -> None:
    """SQLite: once its queue is written and its segments merged (purge), the index is,
    byte for byte, the index of the book's rows built afresh: nothing missing, nothing
    left over from removed or changed rows."""
    if store.dialect != "sqlite":
        return
    with store.transaction():
        purge(store.db, store.dialect)
    assert store.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0] == 0
    [create] = store.db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                (TABLE,)).fetchone()
    fresh = sqlite3.connect(":memory:")
    fresh.execute(create)
    fresh.executemany(f"INSERT INTO {TABLE} (rowid, text) VALUES (?, ?)", documents(store))
    fresh.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
    assert leaves(store.db) == leaves(fresh)


def assert_in_step(store: Store, *texts: str) -> None:
    for text in texts:
        assert searched(store, text) == scanned(store, text), text
    assert_index_holds_the_book(store)


def test_the_index_holds_the_book_after_inserts(filled):
    assert_index_holds_the_book(filled)


def test_add_edit_emails_roles_phones_and_remove_keep_the_index_in_step(book):
    added = add_contact(book, {"name": "Margaux Lefèvre", "emails": ["m.lefevre@example.org"],
                               "outlet": "La Dépêche", "phones": ["+33 1 44 76 75 39"],
                               "role": "Reporter", "roles": ["de=Wissenschaftsredakteurin"]}).contact
    ref = str(added.stored_id)
    assert searched(book.store, "lefèvre") == [added.stored_id]
    assert_in_step(book.store, "lefèvre", "dépêche", "redakteurin", "447675")
    edit_contact(book, ref, {"name": "Margaux Dupuis", "outlet": "Ouest-France",
                             "notes": "prefers Signal"})
    assert searched(book.store, "lefèvre") == [] and searched(book.store, "dupuis") == [
        added.stored_id]
    assert_in_step(book.store, "lefèvre", "dépêche", "dupuis", "ouest-fr", "signal")
    edit_contact(book, ref, {}, add_emails=["margaux@newsroom.example.net"],
                 remove_emails=["m.lefevre@example.org"], add_phones=["+33 6 25 79 64 79"],
                 remove_phones=["+33 1 44 76 75 39"])
    assert searched(book.store, "m.lefevre@") == []
    assert searched(book.store, "newsroom.ex") == [added.stored_id]
    assert_in_step(book.store, "m.lefevre@", "newsroom.ex", "447675", "257964")
    assert searched(book.store, "redakteurin") == [added.stored_id]
    edit_contact(book, ref, {"roles": ["fr=Rédactrice scientifique", "de="]})
    assert searched(book.store, "redakteurin") == []
    assert searched(book.store, "scientifique") == [added.stored_id]
    assert_in_step(book.store, "redakteurin", "scientifique")
    remove_contacts(book, [ref])
    assert searched(book.store, "dupuis") == [] and searched(book.store, "newsroom") == []
    assert_in_step(book.store, "dupuis", "newsroom", "scientifique")


def _csv(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("name,kind,role,outlet,emails,phones,notes\n" + "\n".join(rows) + "\n",
                    encoding="utf-8")
    return path


def test_import_and_merges_keep_the_index_in_step(book, tmp_path):
    first = _csv(tmp_path, "first.csv", [
        "Inès Moreau,journalist,Reporter,Sciences et Avenir,ines@example.org,,",
        "Tom Baker,journalist,Editor,The Orbit,tom@example.com,+44 20 7946 0123,",
    ])
    import_file(book, open_contact_file(first))
    assert_in_step(book.store, "inès", "avenir", "the orbit", "7946012", "tom@")
    again = _csv(tmp_path, "again.csv", [
        "Inès Moreau-Petit,journalist,Chief reporter,Le Monde,ines@example.org,,merged",
    ])
    import_file(book, open_contact_file(again), on_duplicate="update")
    assert searched(book.store, "sciences et") == []
    assert len(searched(book.store, "le monde")) == 1
    add_contact(book, {"name": "Tom Baker", "emails": ["tom@example.com"],
                       "outlet": "Space Today"}, on_duplicate="update")
    assert searched(book.store, "the orbit") == []
    assert_in_step(book.store, "moreau-petit", "le monde", "sciences et", "space today",
                   "the orbit", "chief", "merged")


def test_many_writes_go_through_the_queue_into_the_index(store):
    """More changes than a batch: the queue is written into the index by the database
    itself (its trigger), never left to grow."""
    people = [_person(f"Person {n:05d}", f"p{n}@example.org", outlet=f"Outlet {n % 97}",
                      phones=[Phone(f"+3314476{n:04d}")]) for n in range(BATCH // 3 + 50)]
    with store.transaction():
        store.contacts.insert(people)
    if store.dialect == "sqlite":
        queued = store.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0]
        assert 0 < queued < BATCH
        assert store.db.execute(f"SELECT count(*) FROM {TABLE}_data").fetchone()[0] > 2
    assert_in_step(store, "person 0123", "p77@", "outlet 42", "4476012", "person 0")


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_copied_book_has_its_own_index_in_step(filled, target, tmp_path, request):
    if target == "sqlite":
        location = parse_database(str(tmp_path / "copy.db"), base=tmp_path, where="copy")
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database("search_copy")
        request.addfinalizer(lambda: server.drop_database(url))
        location = parse_database(url, base=tmp_path, where="copy")
    copy = Store.open(location)
    try:
        copy_book(filled.database, copy.database)
        for text in SEARCHES:
            assert searched(copy, text) == searched(filled, text), text
        assert_in_step(copy, "élodie", "orbit")
    finally:
        copy.close()


def test_forget_leaves_nothing_of_the_person_in_the_index(book):
    person = add_contact(book, {"name": "Qwxzyv Jkplmn", "emails": ["qwxzyv@example.org"],
                                "phones": ["+33 1 99 00 12 34"]}).contact
    other = add_contact(book, {"name": "Anne Autre", "emails": ["anne@example.org"],
                               "notes": "introduced by Qwxzyv Jkplmn"}).contact
    assert searched(book.store, "qwxzyv") == [person.stored_id, other.stored_id]
    forget_contact(book, "qwxzyv@example.org")
    assert searched(book.store, "qwxzyv") == [] and searched(book.store, "jkplm") == []
    assert searched(book.store, "introduced by") == [other.stored_id]  # scrubbed, in step
    assert searched(book.store, "199001234") == []
    if book.store.dialect == "sqlite":  # forget merged the index: no trace, no queue
        assert book.store.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0] == 0
        fresh = sqlite3.connect(":memory:")
        [create] = book.store.db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                         (TABLE,)).fetchone()
        fresh.execute(create)
        fresh.executemany(f"INSERT INTO {TABLE} (rowid, text) VALUES (?, ?)",
                          documents(book.store))
        fresh.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('optimize')")
        assert leaves(book.store.db) == leaves(fresh)  # read before any other purge
    assert_in_step(book.store, "qwxzyv", "anne", "introduced")


def test_a_position_or_id_beyond_the_index_range_is_refused_not_mixed_up(tmp_path):
    """SQLite's rowids hold a child row's position (up to 2**21 - 1) and the contact id
    (up to 2**40 - 1): beyond, the write is refused rather than indexed as another row."""
    store = Store.open(tmp_path / "book.db")
    try:
        with store.transaction():
            store.contacts.insert([_person("Only One", "one@example.org")])
        with pytest.raises(sqlite3.IntegrityError, match="out of the search index range"), \
                store.transaction():
            store.db.execute("INSERT INTO contact_emails (contact_id, position, address, key) "
                             "VALUES (1, ?, 'two@example.org', 'two@example.org')", (2**21,))
        with pytest.raises(sqlite3.IntegrityError, match="out of the search index range"), \
                store.transaction():
            store.db.execute("INSERT INTO contacts (id, name, kind, created, updated) "
                             "VALUES (?, 'Far Away', 'other', ?, ?)", (2**40, NOW, NOW))
        assert searched(store, "two@") == [] and searched(store, "far away") == []
        assert searched(store, "one@") == [1]
        assert_index_holds_the_book(store)
    finally:
        store.close()


# -- the index is used ------------------------------------------------------------------


def _plan(store: Store, text: str) -> str:
    clause, params = search_clause(text, store.dialect)
    rows = store.db.execute(f"EXPLAIN {'QUERY PLAN ' if store.dialect == 'sqlite' else ''}"
                            f"SELECT id FROM contacts WHERE {clause}", params).fetchall()
    return "\n".join(str(row[-1]) for row in rows)


def test_a_search_of_three_characters_or_more_uses_the_index(filled):
    if filled.dialect == "sqlite":
        plan = _plan(filled, "marchand")
        assert f"SCAN {TABLE} VIRTUAL TABLE" in plan
        assert "SCAN contacts" not in plan and "SCAN contact_emails" not in plan
        short = _plan(filled, "ma")
        assert TABLE not in short and "SCAN contacts" in short  # read whole, as before
        return
    # PostgreSQL: a small table is read whole anyway; without that choice, the trigram
    # indexes serve every part of the search.
    filled.db.execute("SET enable_seqscan = off")
    plan = _plan(filled, "marchand@ex")
    for index in ("contacts_text_trgm", "contact_emails_address_trgm",
                  "contact_roles_role_trgm"):
        assert f"Bitmap Index Scan on {index}" in plan, plan
    assert "Bitmap Index Scan on contact_phones_e164_trgm" in _plan(filled, "+33 1 44 76")


# -- migration 0015 -----------------------------------------------------------------------


def _old_book(request, tmp_path, backend: str, name: str):
    """Where a book made by an earlier schema goes: a file, or a fresh database on the
    tests' PostgreSQL server (dropped afterwards)."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.new_database(name)
        request.addfinalizer(lambda: server.drop_database(url))
        return parse_database(url, base=tmp_path, where="old")
    return parse_database(str(tmp_path / "old.db"), base=tmp_path, where="old")


def _assert_searches_after(migrated: Store, migration: str) -> None:
    """``migration`` applied; every search finds what a scan finds; nothing queued."""
    assert migration in {r[0] for r in migrated.db.execute(
        "SELECT name FROM schema_migrations")}
    for text in SEARCHES:
        assert searched(migrated, text) == scanned(migrated, text), text
    if migrated.dialect == "sqlite":
        assert migrated.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0] == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0015_builds_the_index_of_a_book_made_before_it(request, tmp_path,
                                                                  monkeypatch, backend):
    """A book at 0014 with contacts in it, opened by this pressctl: searched through the
    new index, with the same results."""
    location = _old_book(request, tmp_path, backend, "search_0014")
    names = [m.name for m in MIGRATIONS]
    with monkeypatch.context() as patch:
        # ...plus 0017's phone columns, which this code's insert writes (the 0015 index
        # is built from the rows all the same)
        patch.setattr(database, "MIGRATIONS", MIGRATIONS[:names.index(
            "0014_contact_roles_and_salutations") + 1] + [
            m for m in MIGRATIONS if m.name == "0017_contact_phone_forms"])
        old = Store.open(location)
        with old.transaction():
            old.contacts.insert(_copies(PEOPLE))
        old.close()
    migrated = Store.open(location)
    try:
        _assert_searches_after(migrated, "0015_contact_search_index")
        if migrated.dialect == "sqlite":
            assert_index_holds_the_book(migrated)
        else:
            assert len(_trigram_indexes(migrated)) == 4
    finally:
        migrated.close()


def _trigram_indexes(store: Store) -> list[str]:
    return [r[0] for r in store.db.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
        "AND indexname LIKE ?", ("%\\_trgm",))]


@pytest.mark.parametrize("may_create", [True, False])
def test_postgresql_without_pg_trgm_rights_still_searches_the_same(postgres_server, tmp_path,
                                                                   may_create):
    """pg_trgm is trusted: a user with CREATE on the database creates it; one without
    gets a book without the indexes (and the same results) rather than a failed migration."""
    import psycopg

    url = postgres_server.new_database("no_trgm")
    role = f"searcher_{secrets.token_hex(4)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT CREATE, USAGE ON SCHEMA public TO {role}")
        if may_create:
            admin.execute(f"GRANT CREATE ON DATABASE \"{url.rsplit('/', 1)[1]}\" TO {role}")
    user_url = url.replace(f"//{postgres_server.user}@", f"//{role}@")
    try:
        store = Store.open(parse_database(user_url, base=tmp_path, where="restricted"))
        try:
            assert len(_trigram_indexes(store)) == (4 if may_create else 0)
            with store.transaction():
                store.contacts.insert(_copies(PEOPLE))
            for text in ("élodie", "orbit weekly", "@example.", "44 76 75", "zo"):
                assert searched(store, text) == scanned(store, text), text
        finally:
            store.close()
    finally:
        postgres_server.drop_database(url)
        with psycopg.connect(postgres_server.dsn, autocommit=True) as admin:
            admin.execute(f"DROP ROLE {role}")


# -- migration 0019 -----------------------------------------------------------------------


def test_a_new_book_keeps_no_document_sizes(tmp_path):
    store = Store.open(tmp_path / "book.db")
    try:
        [create] = store.db.execute("SELECT sql FROM sqlite_master WHERE name = ?",
                                    (TABLE,)).fetchone()
        assert "columnsize=0" in create
        assert store.db.execute("SELECT count(*) FROM sqlite_master WHERE name = ?",
                                (f"{TABLE}_docsize",)).fetchone()[0] == 0
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0019_builds_the_index_again_without_sizes(request, tmp_path, monkeypatch,
                                                             backend):
    """A book at 0018 (documents in the index, changes still queued, a removed contact's
    deletions queued) opened by this pressctl: the same searches, the same documents."""
    location = _old_book(request, tmp_path, backend, "search_0018")
    names = [m.name for m in MIGRATIONS]
    with monkeypatch.context() as patch:
        patch.setattr(database, "MIGRATIONS",
                      MIGRATIONS[:names.index("0018_one_queue_index") + 1])
        old = Store.open(location)
        people = _copies(PEOPLE)
        with old.transaction():
            old.contacts.insert(people[:3])
            purge(old.db, old.dialect)  # in the index
        with old.transaction():
            old.contacts.insert(people[3:])  # still in the queue
            old.contacts.delete([people[0].stored_id])  # its deletions queued
        if old.dialect == "sqlite":
            assert old.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0] > 0
            assert old.db.execute("SELECT count(*) FROM sqlite_master WHERE name = ?",
                                  (f"{TABLE}_docsize",)).fetchone()[0] == 1
        old.close()
    migrated = Store.open(location)
    try:
        _assert_searches_after(migrated, "0019_search_index_without_sizes")
        assert people[0].stored_id not in scanned(migrated, people[0].name)
        if migrated.dialect == "sqlite":
            assert migrated.db.execute("SELECT count(*) FROM sqlite_master WHERE name = ?",
                                       (f"{TABLE}_docsize",)).fetchone()[0] == 0
            assert_index_holds_the_book(migrated)
    finally:
        migrated.close()
