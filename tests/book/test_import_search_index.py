"""An import writes the search index a chunk at a time, its triggers of inserts dropped
for the import's transaction (pressctl.store.search.insert_triggers_dropped): the index
it leaves is, byte for byte, the index of the book's rows built afresh (what the triggers
would have written), searches find what a scan finds, the triggers are back as they were
after an import, a dry run or a failed import, and a row beyond the rowids' range is
refused as the triggers refuse it."""

from __future__ import annotations

import sqlite3
import string
from pathlib import Path

import pytest
from conftest import NOW
from search_index_oracle import documents, leaves

from pressctl.book import importer
from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.session import Book
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Contact, ContactFilter
from pressctl.errors import ProblemsFound
from pressctl.store import Store
from pressctl.store.search import QUEUE, TABLE, purge

HEADER = "name,kind,role,roles,organization,outlet,emails,phones,notes\n"


def _row(n: int, *, email: str | None = None, outlet: str | None = None) -> str:
    roles = f'"fr=Rédacteur {n % 7};de=Redakteur {n % 5}"' if n % 3 == 0 else ""
    phones = f'"+33 1 44 76 {n % 100:02d} {n // 100 % 100:02d}; Mobile: 06 25 79 {n % 89:02d} 79"' \
        if n % 2 else ""
    emails = email or (f'"person{n}@example.org; p.{n}@news.example.net"' if n % 4 == 0
                       else f"person{n}@example.org")
    notes = f'"met at ""Salon {n % 11}""\nsecond line"' if n % 5 == 0 else ""
    return (f"Personne {n:05d} Élodie,journalist,Reporter {n % 13},{roles},Org {n % 17},"
            f"{outlet or f'Outlet {n % 23}'},{emails},{phones},{notes}\n")


def _file(tmp_path: Path, name: str, rows: list[str]) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def assert_index_holds_the_book(store: Store) -> None:
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


def _triggers(store: Store) -> list[tuple[str, str]]:
    return store.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                            "ORDER BY name").fetchall()


def searched(store: Store, text: str) -> list[int]:
    return sorted(c.stored_id for c in store.contacts.select(ContactFilter(search=text)))


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def scanned(store: Store, text: str) -> list[int]:
    """The rule, brute force: a substring, ASCII letters' case ignored (LIKE's)."""
    wanted = text.translate(_ASCII_LOWER)
    digits = "".join(ch for ch in text if ch.isdigit())

    def matches(c: Contact) -> bool:
        fields = [c.name, c.role, c.organization, c.outlet, c.notes, *c.emails,
                  *c.roles.values()]
        if any(wanted in f.translate(_ASCII_LOWER) for f in fields if f):
            return True
        return len(digits) >= 3 and any(digits in p.e164 for p in c.phones)

    return sorted(c.stored_id for c in store.contacts.select() if matches(c))


SEARCHES = ["personne 0001", "Élodie", "élodie", "outlet 7", "org 1", "redakteur 3", "rédacteur",
            "news.example", "salon 4", "second line", "447601", "2579", "person77@"]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 50)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("workers", [0, 1])
def test_an_import_leaves_the_index_the_triggers_would_have_written(book, tmp_path,
                                                                     small_chunks, workers):
    before = _triggers(book.store)
    add_contact(book, {"name": "Déjà Là", "emails": ["deja@example.org"], "role": "Editor",
                       "phones": ["+33 1 44 76 75 39"]})  # queued by the triggers
    path = _file(tmp_path, "many.csv", [_row(n) for n in range(1, 431)])
    report = import_file(book, open_contact_file(path), workers=workers)
    assert report.added == 430
    assert _triggers(book.store) == before
    for text in SEARCHES:
        assert searched(book.store, text) == scanned(book.store, text), text
    assert searched(book.store, "personne 00017") == [18]
    assert_index_holds_the_book(book.store)
    add_contact(book, {"name": "Après Coup", "emails": ["apres@example.org"]})
    assert searched(book.store, "après coup") == [432]  # the triggers are at work again
    assert_index_holds_the_book(book.store)


def test_searches_after_an_import_find_what_a_scan_finds_on_both_backends(book, tmp_path,
                                                                         small_chunks):
    path = _file(tmp_path, "many.csv", [_row(n) for n in range(1, 181)])
    import_file(book, open_contact_file(path), workers=0)
    for text in SEARCHES:
        assert searched(book.store, text) == scanned(book.store, text), text
    assert searched(book.store, "personne 00017") == [17]


def test_updates_of_earlier_chunks_and_of_the_book_keep_the_index_in_step(book, tmp_path,
                                                                         small_chunks):
    add_contact(book, {"name": "Book Person", "emails": ["book@example.org"],
                       "outlet": "Old Outlet", "phones": ["+33 1 44 76 75 39"],
                       "roles": ["fr=Ancienne fonction"]})
    rows = [_row(n) for n in range(1, 121)]
    rows.append(_row(3, email="person3@example.org", outlet="Changed Outlet"))  # chunk 1's
    rows.append(_row(500, email="book@example.org", outlet="New Outlet"))  # the book's
    rows += [_row(n) for n in range(121, 161)]
    path = _file(tmp_path, "updates.csv", rows)
    report = import_file(book, open_contact_file(path), on_duplicate="update", workers=0)
    assert (report.added, report.updated) == (160, 1)
    store = book.store
    assert searched(store, "old outlet") == [] and searched(store, "new outlet") == [1]
    assert searched(store, "changed outlet") == [4]
    assert searched(store, "redakteur 0") == scanned(store, "redakteur 0")
    for text in [*SEARCHES, "ancienne", "447675"]:
        assert searched(store, text) == scanned(store, text), text
    if store.dialect == "sqlite":
        assert_index_holds_the_book(store)


@pytest.mark.sqlite_only
def test_a_failed_import_and_a_dry_run_leave_the_triggers_and_the_index_as_they_were(
        book, tmp_path, small_chunks):
    add_contact(book, {"name": "Déjà Là", "emails": ["deja@example.org"]})
    before = _triggers(book.store)
    queued = book.store.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0]
    assert queued > 0
    bad = _file(tmp_path, "bad.csv", [_row(n) for n in range(1, 120)]
                + [",journalist,,,,,nobody@example.org,,\n"])
    with pytest.raises(ProblemsFound):
        import_file(book, open_contact_file(bad), workers=0)
    assert _triggers(book.store) == before
    assert book.store.db.execute(f"SELECT count(*) FROM {QUEUE}").fetchone()[0] == queued
    assert book.store.contacts.count() == 1 and searched(book.store, "personne") == []
    good = _file(tmp_path, "good.csv", [_row(n) for n in range(1, 120)])
    report = import_file(book, open_contact_file(good), dry_run=True, workers=0)
    assert report.added == 119 and book.store.contacts.count() == 1
    assert _triggers(book.store) == before and searched(book.store, "personne") == []
    add_contact(book, {"name": "Après Coup", "emails": ["apres@example.org"]})
    assert searched(book.store, "après coup") == [2]
    assert_index_holds_the_book(book.store)


def test_a_contact_id_beyond_the_index_range_is_refused_during_an_import(tmp_path):
    store = Store.open(tmp_path / "book.db")
    try:
        with store.transaction():
            store.db.execute("INSERT INTO contacts (id, name, kind, created, updated) "
                             "VALUES (?, 'Last One', 'other', ?, ?)", (2**40 - 1, NOW, NOW))
        path = _file(tmp_path, "one.csv", [_row(1)])
        with pytest.raises(sqlite3.IntegrityError, match="out of the search index range"):
            import_file(Book(store, book_settings(), NOW), open_contact_file(path), workers=0)
        assert store.contacts.count() == 1 and searched(store, "personne") == []
        assert len(_triggers(store)) == 13
    finally:
        store.close()


def book_settings():
    from pressctl.config import DisplaySettings, Settings

    return Settings(default_region="FR", display=DisplaySettings(own_country="FR"))
