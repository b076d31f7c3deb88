"""pressctl.store.listing (issue 12): a contact's e-mails, phones, tags and roles
aggregated by the database (JSON) read back as exactly the lists that were stored,
whatever they hold, on both backends: the same contacts as reading each table row by row
(the reading it replaced, kept here as the reference); in their stored order, not the
order the rows were written; the lines of a list are those contacts' columns; and a
PostgreSQL search of more than a chunk gives each match once, the search run once."""

from __future__ import annotations

from collections import defaultdict

import pytest
from store_backends import book_location

from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter, Phone, sort_key
from pressctl.store import Store
from pressctl.store.listing import CHUNK, ContactLine, ContactStream

NOW = "2026-12-02T10:00:00Z"
ODD = "a|b,c;d\te\"f'g\\h\nnew line [x] {y: 1} \u00e9\u4e2d\U0001F4F0 \x01\x1f"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _contact(name: str, **fields) -> Contact:
    return Contact(name=name, created=NOW, updated=NOW, **fields)


# Each case: contacts that could trip a separator, a quote, an empty list or an order.
CASES = {
    "nothing but a name": [_contact("Nobody")],
    "no phones, e-mails only": [_contact("Ann Lee", emails=["ann@example.org",
                                                            "a.lee@example.net"])],
    "many phones with labels of every kind": [_contact("Many Phones", phones=[
        Phone(f"+3314476{7500 + n:04d}", str(n) if n % 3 else None,
              ("work", "mobile", "fax")[n % 3], [None, "direct", ODD, "", "a,b", '"q"'][n % 6])
        for n in range(14)])],
    "tags with commas, quotes, tabs and brackets": [_contact("Tagged", tags=[
        "a,b", '"quoted"', "tab\there", "[not, a list]", "{}", "[]", "null", "\\", "ü"])],
    "unicode e-mail addresses": [_contact("Zoë Ünal", emails=[
        "zoë@exämple.org", "用户@例子.广告", "o'brien+press@example.com"])],
    "notes and roles with separators and newlines": [_contact(
        "Notes, Inc.", notes=ODD, role="Chef | rédactrice, \"presse\"", organization=ODD,
        outlet="Le \"Monde\"\n", salutation="Madame,\tla", roles={
            "fr": "Attachée, \"de\" presse | chef", "en": "[]", "de-CH": ODD})],
    "languages, flags and every field": [_contact(
        "Élodie Marchand", kind="officer", languages=["fr", "en", "de-CH"], country="FR",
        embargo_ok=True, opted_out=True, first_name_ok=True, emails=["e@example.org"],
        phones=[Phone("+33144767539", "12", "work", "switchboard")], tags=["space"])],
    "several contacts named alike": [
        _contact("Jean Dupont", emails=[f"jd{n}@example.org"], tags=[f"t{n}"] * (n % 2),
                 phones=[Phone(f"+4930123456{n}")] * (n % 3)) for n in range(7)],
}


def _per_table(store: Store) -> list[Contact]:
    """The book read as before issue 12's aggregation: the contacts, then each child
    table row by row in its order, then sorted by name and id."""
    db = store.contacts.db
    emails: dict[int, list[str]] = defaultdict(list)
    for cid, address in db.execute(
            "SELECT contact_id, address FROM contact_emails ORDER BY contact_id, position"):
        emails[cid].append(address)
    phones: dict[int, list[Phone]] = defaultdict(list)
    for cid, *phone in db.execute("SELECT contact_id, e164, extension, type, label FROM "
                                  "contact_phones ORDER BY contact_id, position"):
        phones[cid].append(Phone(*phone))
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, tag in db.execute(
            "SELECT contact_id, tag FROM contact_tags ORDER BY contact_id, position"):
        tags[cid].append(tag)
    roles: dict[int, dict[str, str]] = defaultdict(dict)
    for cid, language, role in db.execute("SELECT contact_id, language, role FROM "
                                          "contact_roles ORDER BY contact_id, position"):
        roles[cid][language] = role
    found = []
    for row in db.execute(
            "SELECT id, name, kind, role, organization, outlet, languages, country, notes, "
            "embargo_ok, opted_out, created, updated, salutation, first_name_ok, sort_name "
            "FROM contacts"):
        cid = row[0]
        found.append((row[15], cid, Contact(
            id=cid, name=row[1], kind=row[2], role=row[3], organization=row[4],
            outlet=row[5], languages=[x for x in row[6].split(",") if x], country=row[7],
            notes=row[8], embargo_ok=bool(row[9]), opted_out=bool(row[10]), created=row[11],
            updated=row[12], salutation=row[13], first_name_ok=bool(row[14]),
            emails=emails[cid], phones=phones[cid], tags=tags[cid], roles=roles[cid])))
    return [contact for _, _, contact in sorted(found, key=lambda f: (f[0], f[1]))]


def _line(c: Contact) -> ContactLine:
    return ContactLine(c.stored_id, c.name, c.kind, c.role, c.organization, c.outlet,
                       c.emails, c.phones, c.tags, c.languages, c.embargo_ok, c.opted_out)


def _stored(store: Store, contacts: list[Contact]) -> list[Contact]:
    with store.transaction():
        store.contacts.insert(contacts)
    return sorted(contacts, key=lambda c: (sort_key(c.name), c.stored_id))


@pytest.mark.parametrize("case", CASES)
def test_aggregated_reading_gives_the_contacts_reading_each_table_gives(store, case):
    stored = _stored(store, [_contact("Before"), *CASES[case], _contact("Zed Last")])
    streamed = list(store.contacts.stream())
    assert streamed == _per_table(store)
    assert streamed == stored  # and exactly what was written


@pytest.mark.parametrize("case", CASES)
def test_the_lines_of_a_list_are_its_contacts_columns(store, case):
    stored = _stored(store, [_contact("Before"), *CASES[case]])
    assert list(store.contacts.stream().lines()) == [_line(c) for c in stored]


def test_children_come_in_their_stored_order_not_the_order_rows_were_written(store):
    """Rows written in one order and numbered (position) in the other: the aggregates
    follow the positions, as the lists were stored."""
    [contact] = _stored(store, [_contact(
        "Shuffled", emails=[f"e{n}@example.org" for n in range(6)],
        phones=[Phone(f"+3314476750{n}", label=f"l{n}") for n in range(6)],
        tags=[f"t{n}" for n in range(6)], roles={f"l{n}": f"r{n}" for n in range(6)})])
    with store.transaction():
        for table in ("contact_emails", "contact_phones", "contact_tags", "contact_roles"):
            # the other way round (through a gap: (contact_id, position) is unique)
            store.contacts.db.execute(f"UPDATE {table} SET position = position + 100")
            store.contacts.db.execute(f"UPDATE {table} SET position = 5 - (position - 100)")
    [read] = store.contacts.stream()
    assert read.emails == contact.emails[::-1] and read.tags == contact.tags[::-1]
    assert read.phones == contact.phones[::-1]
    assert list(read.roles.items()) == list(contact.roles.items())[::-1]
    assert read == _per_table(store)[0]
    [line] = store.contacts.stream().lines()
    assert (line.emails, line.phones, line.tags) == (read.emails, read.phones, read.tags)


@pytest.mark.parametrize("where", [ContactFilter(kind="officer"), ContactFilter(tags=("a,b",)),
                                   ContactFilter(search="dupont"), ContactFilter(ids=(2, 3)),
                                   ContactFilter(search="nobody matches")])
def test_a_filtered_stream_gives_the_filtered_contacts_and_lines(store, where):
    people = [c for cases in CASES.values() for c in cases]
    stored = _stored(store, people)
    wanted = [c for c in stored if c in store.contacts.select(where)]
    assert wanted == store.contacts.select(where)
    assert list(store.contacts.stream(where).lines()) == [_line(c) for c in wanted]


def test_a_stream_is_read_once_as_contacts_or_as_lines(store):
    _stored(store, [_contact("One"), _contact("Two")])
    stream = store.contacts.stream()
    assert isinstance(stream, ContactStream)
    assert next(stream).name == "One"
    with pytest.raises(ValueError, match="already being read"):
        stream.lines()
    assert [c.name for c in stream] == ["Two"]  # the rest, from where it was
    lined = store.contacts.stream()
    assert [line.name for line in lined.lines()] == ["One", "Two"]
    assert list(lined) == []  # its contacts went out as lines


def test_nothing_is_read_before_the_first_contact_is_asked_for(store, monkeypatch):
    _stored(store, [_contact("One")])
    ran: list[str] = []
    inner = store.contacts.db

    class Counting:
        def execute(self, sql, params=()):
            ran.append(sql)
            return inner.execute(sql, params)

    monkeypatch.setattr(store.contacts, "db", Counting())
    stream = store.contacts.stream(EVERY_CONTACT)
    assert ran == []
    assert [c.name for c in stream] == ["One"] and len(ran) == 1


def test_a_search_of_more_than_a_chunk_gives_each_match_once(store, monkeypatch):
    """More matches than CHUNK (900): on PostgreSQL the matching ids are read in one
    query (the trigram search runs once), then a chunk of ids at a time; every match
    comes once, in name order, on both backends."""
    matching = [_contact(f"Person {n:04d}", outlet="Orbit Weekly" if n % 10 else None,
                         emails=[f"p{n}@example.org"]) for n in range(2 * CHUNK + 400)]
    stored = _stored(store, matching)
    expected = [c for c in stored if c.outlet == "Orbit Weekly"]
    assert len(expected) > 2 * CHUNK  # three pages
    ran: list[tuple[str, list]] = []
    inner = store.contacts.db

    class Recording:
        def execute(self, sql, params=()):
            ran.append((sql, list(params)))
            return inner.execute(sql, params)

    monkeypatch.setattr(store.contacts, "db", Recording())
    found = list(store.contacts.stream(ContactFilter(search="orbit weekly")))
    assert [c.id for c in found] == [c.id for c in expected]  # each once, in order
    assert found == expected
    searches = [sql for sql, params in ran if "%orbit weekly%" in params]
    assert len(searches) == 1  # one search, whatever the number of pages
    if store.database.dialect == "postgresql":
        assert len(ran) == 1 + 3 and all(len(params) <= CHUNK for _, params in ran[1:])
    else:
        assert len(ran) == 1  # one statement, stepped
