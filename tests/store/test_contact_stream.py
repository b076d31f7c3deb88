"""ContactQueries.stream reads a book of any size in chunks (issue 12), on both backends:
one row per contact with its e-mails, phones, tags and roles aggregated by the database
(pressctl.store.listing), CHUNK rows at a time. SQLite: one statement stepped by
fetchmany. PostgreSQL: the whole book in LIMIT queries resuming after the last name and
id; a filtered list reads the matching ids once (the filter runs once), then their
contacts a chunk of ids at a time. Never the whole table for the first contact, never a
query per contact or per child table; every contact once, in name order, ties across
chunks too."""

from __future__ import annotations

import pytest
from store_backends import book_location

import pressctl.store.contacts as contact_sql
from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter, Phone, sort_key
from pressctl.store import Store

NOW = "2026-11-22T10:00:00Z"
CHUNK = 5
CHILD_TABLES = ("contact_emails", "contact_phones", "contact_tags", "contact_roles")


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _people() -> list[Contact]:
    """13 contacts: seven of them named alike, so that one name spans two chunks."""
    names = ["Jean Dupont"] * 7 + ["Élodie Marchand", "elodie marchand", "Zoë Adler",
                                    "Anaïs Gauthier", "Bob", "Ölaf Ek"]
    return [Contact(name=name, kind="officer" if n % 2 else "journalist",
                    emails=[f"person{n}@example.org", f"p{n}@example.net"][: 1 + n % 2],
                    phones=[Phone(f"+3314476{7500 + n:04d}", "12" if n % 3 == 0 else None,
                                  "mobile" if n % 4 == 0 else "work", "direct" if n == 5 else None)],
                    tags=[f"t{n}", "space", "a"][: 1 + n % 3], languages=["fr", "en"][: 1 + n % 2],
                    roles={"fr": "Attachée de presse", "en": "Press officer"} if n == 2 else {},
                    created=NOW, updated=NOW)
            for n, name in enumerate(names)]


@pytest.fixture
def stored(store) -> list[Contact]:
    """The people, inserted out of name order; as they should come out: by name, then id."""
    people = _people()
    with store.transaction():
        store.contacts.insert(people)
    return sorted(people, key=lambda c: (sort_key(c.name), c.stored_id))


class _Recorded:
    """A statement run, its parameters, and how its rows were read."""

    def __init__(self, sql: str, params) -> None:
        self.sql = sql
        self.params = list(params)
        self.reads: list[tuple[str, int]] = []  # ("fetchmany", size asked) / ("fetchall", 0)
        self.rows = 0


class _Cursor:
    def __init__(self, inner, record: _Recorded) -> None:
        self.inner, self.record = inner, record

    def fetchmany(self, size):
        rows = self.inner.fetchmany(size)
        self.record.reads.append(("fetchmany", size))
        self.record.rows += len(rows)
        return rows

    def fetchall(self):
        rows = self.inner.fetchall()
        self.record.reads.append(("fetchall", 0))
        self.record.rows += len(rows)
        return rows

    def fetchone(self):
        return self.inner.fetchone()

    def __iter__(self):
        self.record.reads.append(("iterate", 0))
        for row in self.inner:
            self.record.rows += 1
            yield row


class _Recording:
    """The store's connection, recording every statement and the rows read from it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.statements: list[_Recorded] = []

    def execute(self, sql, params=()):
        record = _Recorded(sql, params)
        self.statements.append(record)
        return _Cursor(self.inner.execute(sql, params), record)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def contact_reads(self) -> list[_Recorded]:
        """The statements that read contacts with their children (all of them here)."""
        return [s for s in self.statements
                if all(f" FROM {table} " in s.sql for table in CHILD_TABLES)]


@pytest.fixture
def recording(store, monkeypatch) -> _Recording:
    monkeypatch.setattr(contact_sql, "CHUNK", CHUNK)
    recorder = _Recording(store.contacts.db)
    monkeypatch.setattr(store.contacts, "db", recorder)
    return recorder


def test_every_contact_comes_once_in_name_order_with_its_children(store, stored, recording):
    streamed = list(store.contacts.stream())
    assert streamed == stored  # e-mails, phones, tags and roles in their order too
    assert [c.name for c in streamed][:2] == ["Anaïs Gauthier", "Bob"]
    assert store.contacts.select() == stored  # the list API: the same contacts


def test_the_first_contact_reads_one_chunk_not_the_table(store, stored, recording):
    first = next(store.contacts.stream())
    assert first == stored[0]
    [read] = recording.statements  # its children came with it: no query of their own
    assert read in recording.contact_reads() and read.rows <= CHUNK
    if store.database.dialect == "sqlite":
        assert read.reads == [("fetchmany", CHUNK)]  # a statement stepped, chunk by chunk
    else:
        assert f"LIMIT {CHUNK}" in read.sql and read.reads == [("fetchall", 0)]


def test_a_whole_book_is_read_chunk_by_chunk_one_statement_for_all_tables(store, stored,
                                                                           recording):
    assert len(list(store.contacts.stream())) == len(stored) == 13
    chunks = -(-len(stored) // CHUNK)  # 3: 5, 5 and 3 contacts
    reads = recording.contact_reads()
    assert reads == recording.statements  # no query per contact, none per child table
    if store.database.dialect == "sqlite":
        [read] = reads
        assert {how for how in read.reads} == {("fetchmany", CHUNK)}
    else:  # each chunk its own query, resuming after the last name and id read
        assert len(reads) == chunks
        assert all(f"LIMIT {CHUNK}" in r.sql and r.rows <= CHUNK for r in reads)
        assert all("(sort_name, id) >" in r.sql for r in reads[1:])
    assert sum(r.rows for r in reads) == len(stored)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_postgresql_runs_a_filter_once_then_reads_its_contacts_by_id(store, stored,
                                                                   recording):
    """A search (or any filter) spanning several chunks: the matching ids in one query,
    then their contacts, a chunk of ids at a time, without the filter again."""
    found = list(store.contacts.stream(ContactFilter(search="dupont")))
    assert found == [c for c in stored if c.name == "Jean Dupont"] and len(found) == 7
    first, *pages = recording.statements
    assert "LIKE" in first.sql and "%dupont%" in first.params
    assert first.sql.startswith("SELECT id FROM contacts")
    assert len(pages) == 2 and pages == recording.contact_reads()  # 5 + 2 contacts
    assert all("LIKE" not in p.sql and len(p.params) <= CHUNK for p in pages)
    assert [i for p in pages for i in p.params] == [c.id for c in found]


@pytest.mark.parametrize("where, expected", [
    (ContactFilter(kind="officer"), lambda c: c.kind == "officer"),
    (ContactFilter(tags=("space",)), lambda c: "space" in c.tags),
    (ContactFilter(search="dupont"), lambda c: c.name == "Jean Dupont"),
    (ContactFilter(search="example.net"), lambda c: any("example.net" in e for e in c.emails)),
])
def test_a_filter_holds_on_every_chunk(store, stored, recording, where, expected):
    assert list(store.contacts.stream(where)) == [c for c in stored if expected(c)]


def test_an_empty_book_streams_nothing(store, recording):
    assert list(store.contacts.stream(EVERY_CONTACT)) == []
    [read] = recording.statements
    assert read.rows == 0


def test_a_chunk_exactly_full_ends_the_stream(store, recording):
    people = _people()[:CHUNK * 2]
    with store.transaction():
        store.contacts.insert(people)
    assert len(list(store.contacts.stream())) == CHUNK * 2


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # SQLite's query plan
def test_each_contacts_children_are_found_through_an_index(stored, store, recording):
    """Each child table is searched by contact id through an index (the tags, migration
    0016's, holds them in order), never scanned; the contacts are read in table order and
    sorted by name once."""
    list(store.contacts.stream())
    [read] = recording.statements
    plan = [str(row[3]) for row in store.database.db.execute(
        "EXPLAIN QUERY PLAN " + read.sql, read.params)]
    for table in CHILD_TABLES:
        assert any(step.startswith(f"SEARCH {table} USING") and "(contact_id=?)" in step
                   for step in plan), plan
        assert not any(step.startswith(f"SCAN {table}") for step in plan), plan
    assert "SEARCH contact_tags USING COVERING INDEX contact_tags_in_order (contact_id=?)" \
        in plan
    assert plan[0] == "SCAN contacts" and plan[-1] == "USE TEMP B-TREE FOR ORDER BY"
