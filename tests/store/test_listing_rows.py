"""ContactStream.rows (pressctl.store.listing.read_rows): the contacts of a filter as
ContactRows, every column as the database gave it and the lists as its JSON, in the
stream's order, on both backends and across chunks (PostgreSQL's whole-book pages end
with a sort key the rows must not carry); read once, like lines (issue 12)."""

from __future__ import annotations

import json

import pytest
from store_backends import book_location

import pressctl.store.contacts as contact_sql
from pressctl.contacts.contact_rows import (
    ContactRow,
    json_strings,
    languages_of,
    phone_of,
    strings_of,
)
from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter, Phone
from pressctl.store import Store

NOW = "2026-11-22T10:00:00Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, monkeypatch):
    monkeypatch.setattr(contact_sql, "CHUNK", 4)  # 11 contacts: three pages
    s = Store.open(book_location(request, tmp_path))
    people = [Contact(name=f"Person {n:02d}", kind="journalist" if n % 2 else "officer",
                      emails=[f"p{n}@example.org", f"q{n}@example.net"][: n % 3],
                      phones=[Phone(f"+3314476{7500 + n:04d}", "7" if n % 4 == 0 else None,
                                    "mobile" if n % 3 == 0 else "work",
                                    "direct" if n == 5 else None)][: n % 2 + 1],
                      tags=["space", 'qu"ote', "é"][: n % 4], languages=["fr", "en"][: n % 3],
                      roles={"en": "Press officer"} if n == 3 else {},
                      notes="a\nb" if n == 4 else None, created=NOW, updated=NOW)
              for n in range(11, 0, -1)]
    with s.transaction():
        s.contacts.insert(people)
    yield s
    s.close()


def _as_contact(row: ContactRow) -> Contact:
    """What the row says of its contact, read back with the contact_rows helpers."""
    return Contact(
        id=row.id, name=row.name, kind=row.kind, role=row.role, organization=row.organization,
        outlet=row.outlet, languages=languages_of(row.languages), country=row.country,
        notes=row.notes, embargo_ok=bool(row.embargo_ok), opted_out=bool(row.opted_out),
        created=row.created, updated=row.updated, salutation=row.salutation,
        first_name_ok=bool(row.first_name_ok), emails=strings_of(row.emails),
        phones=[phone_of(p) for p in json.loads(row.phones)], tags=strings_of(row.tags),
        roles=json.loads(row.roles))


@pytest.mark.parametrize("where", [EVERY_CONTACT, ContactFilter(tags=("space",)),
                                   ContactFilter(kind="journalist")])
def test_rows_are_the_streams_contacts_column_for_column(store, where):
    contacts = list(store.contacts.stream(where))
    rows = list(store.contacts.stream(where).rows())
    assert contacts and all(type(r) is ContactRow for r in rows)
    assert [_as_contact(r) for r in rows] == contacts
    assert [[p.forms for p in _as_contact(r).phones] for r in rows] == \
        [[p.forms for p in c.phones] for c in contacts]


def test_the_aggregates_splice_to_what_json_dumps_writes(store):
    """Both engines' arrays of strings: without an escape, the text json.dumps writes."""
    spliced = 0
    for row in store.contacts.stream().rows():
        for text in (row.emails, row.tags):
            as_dumped = json.dumps(json.loads(text), ensure_ascii=False)
            if (got := json_strings(text)) is not None:
                assert got == as_dumped
                spliced += 1
            else:
                assert "\\" in text
    assert spliced > 10


def test_a_stream_gives_rows_once_and_not_after_contacts(store):
    stream = store.contacts.stream()
    rows = stream.rows()
    with pytest.raises(ValueError, match="already being read"):
        stream.lines()
    assert len(list(rows)) == 11
    other = store.contacts.stream()
    next(other)
    with pytest.raises(ValueError, match="already being read"):
        other.rows()
