"""Display forms stored beside each phone (migration 0017, issue 12): written with the
number by every write of a contact, equal to phonenumbers' own format_number and
region_code_for_number; given to the numbers already stored by the migration; and a
number without forms (written before 0017) shown exactly as one with them, through
phonenumbers, on both backends."""

from __future__ import annotations

import sqlite3

import phonenumbers as pn
import pytest
from store_backends import book_location

from pressctl.contacts import phone_forms
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.phones import STYLES, format_phone
from pressctl.store import Store, database
from pressctl.store.contacts import fill_phone_forms
from pressctl.store.migrations import MIGRATIONS

NOW = "2026-12-02T10:00:00Z"
# Numbers of several regions: a code of one region, codes shared by several (+1, +44,
# +7), a leading zero kept (Italy), a national prefix formatting rule (France, Germany),
# a non-geographic code (+800), a number whose region phonenumbers cannot name (an
# invalid +1 area code), and numbers in no format of their country.
NUMBERS = ["+33144767539", "+33625796479", "+12023581600", "+14165550123",
           "+18095551234", "+442071234567", "+447911123456", "+441624612345",
           "+390612345678", "+3902123456", "+4930123456", "+491701234567",
           "+74951234567", "+77012345678", "+81312345678", "+61212345678",
           "+5511912345678", "+862065529988", "+27211234567", "+80012345678",
           "+11234567890", "+3312", "+4903012345678"]
OWN = ["", "FR", "GB", "US", "CA", "IT", "DE", "KZ", "RU", "IM", "001"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _phonenumbers(e164: str) -> tuple[str, str, str]:
    number = pn.parse(e164, None)
    return (pn.format_number(number, pn.PhoneNumberFormat.INTERNATIONAL),
            pn.format_number(number, pn.PhoneNumberFormat.NATIONAL),
            pn.region_code_for_number(number) or "")


def _stored(store: Store) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {e164: (international, national, region) for e164, international, national, region
            in store.db.execute("SELECT e164, international, national, region "
                                "FROM contact_phones").fetchall()}


def _book(store: Store) -> list[Contact]:
    contacts = [Contact(name=f"Person {n}", created=NOW, updated=NOW,
                        phones=[Phone(e164, "12" if n % 2 else None, "work", None)])
                for n, e164 in enumerate(NUMBERS)]
    with store.transaction():
        store.contacts.insert(contacts)
    return contacts


def test_the_stored_forms_are_phonenumbers_own(store):
    _book(store)
    stored = _stored(store)
    assert set(stored) == set(NUMBERS)
    for e164 in NUMBERS:
        assert stored[e164] == _phonenumbers(e164), e164


def test_an_edited_contact_gets_the_forms_of_its_new_numbers(store):
    contact = _book(store)[0]
    contact.phones = [Phone("+4930123456"), Phone("+12023581600", "5", "fax", "desk")]
    with store.transaction():
        assert store.contacts.replace(contact)
    rows = store.db.execute(
        "SELECT e164, international, national, region FROM contact_phones "
        "WHERE contact_id = ? ORDER BY position", (contact.id,)).fetchall()
    assert [tuple(r) for r in rows] == [("+4930123456", *_phonenumbers("+4930123456")),
                                        ("+12023581600", *_phonenumbers("+12023581600"))]


def test_a_number_phonenumbers_cannot_read_is_stored_without_forms(store):
    with store.transaction():
        store.contacts.insert([Contact(name="Odd", created=NOW, updated=NOW,
                                       phones=[Phone("+0123")])])
    assert _stored(store) == {"+0123": (None, None, None)}
    [contact] = store.contacts.select()
    with pytest.raises(Exception, match="not a stored E.164 number"):
        format_phone(contact.phones[0])  # as before 0017: the parse refuses it


def _shown(store: Store) -> list[str]:
    """Every phone of the book in every style, for readers of every own country, as a
    list shows them (lines) and as an export does (contacts)."""
    shown = []
    for style in STYLES:
        for own in OWN:
            show = phone_forms.formatter(style, own)
            shown += [show(p) for line in store.contacts.stream().lines() for p in line.phones]
            shown += [show(p) for c in store.contacts.stream() for p in c.phones]
    return shown


def test_numbers_without_forms_are_shown_as_numbers_with_them(store):
    _book(store)
    with_forms = _shown(store)
    expected = []
    # The reference: phonenumbers itself, parse then format, in the list's order.
    order = [p.e164 for line in store.contacts.stream().lines() for p in line.phones]
    extension = {p.e164: p.extension for c in store.contacts.stream() for p in c.phones}
    for style in STYLES:
        for own in OWN:
            once = [_reference(e164, style, own) + (f" ext. {extension[e164]}"
                                                    if extension[e164] else "")
                    for e164 in order]
            expected += once + once
    assert with_forms == expected
    with store.transaction():  # as written before migration 0017
        store.db.execute("UPDATE contact_phones SET international = NULL, national = NULL, "
                         "region = NULL")
    assert _shown(store) == expected


def _reference(e164: str, style: str, own: str) -> str:
    if style == "e164":
        return e164
    international, national, region = _phonenumbers(e164)
    if style == "auto":
        style = "national" if region == own and own else "international"
    if style == "house":
        code = pn.parse(e164, None).country_code
        return phone_forms.house_text(code or 0, international, national)
    return international if style == "international" else national


def test_the_migration_gives_the_numbers_already_stored_their_forms(store):
    _book(store)
    with store.transaction():
        store.db.execute("UPDATE contact_phones SET international = NULL, national = NULL, "
                         "region = NULL")
        [step] = [m.python_step for m in MIGRATIONS if m.name == "0017_contact_phone_forms"]
        assert step is not None
        step(store.db, store.dialect)
    stored = _stored(store)
    assert {e164: stored[e164] for e164 in NUMBERS} == \
        {e164: _phonenumbers(e164) for e164 in NUMBERS}


def test_the_backfill_reads_in_pages_and_skips_what_has_forms(store, monkeypatch):
    from pressctl.store import contacts as contact_store

    monkeypatch.setattr(contact_store, "_FORMS_PAGE", 4)  # several pages of phones
    _book(store)
    with store.transaction():
        store.db.execute("UPDATE contact_phones SET international = NULL, national = NULL, "
                         "region = NULL WHERE e164 LIKE '+3%'")
        nulled = sum(1 for e in NUMBERS if e.startswith("+3"))
        assert fill_phone_forms(store.db) == nulled
        assert fill_phone_forms(store.db) == 0  # nothing left to fill
    assert _stored(store) == {e164: _phonenumbers(e164) for e164 in NUMBERS}


def test_a_book_at_0016_migrates_to_stored_forms(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    before = [m for m in MIGRATIONS if m.name < "0017"]
    monkeypatch.setattr(database, "MIGRATIONS", before)
    old = database.Database.open(path)
    old.db.execute("INSERT INTO contacts (id, name, kind, created, updated) "
                   "VALUES (1, 'Old', 'journalist', ?, ?)", (NOW, NOW))
    old.db.executemany("INSERT INTO contact_phones (contact_id, position, e164, type) "
                       "VALUES (1, ?, ?, 'work')", list(enumerate(NUMBERS)))
    old.close()
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
    database.Database.open(path, create=False).close()  # migrates to this code's schema
    with sqlite3.connect(path) as db:
        rows = dict((e, (i, n, r)) for e, i, n, r in db.execute(
            "SELECT e164, international, national, region FROM contact_phones"))
        assert "0017_contact_phone_forms" in {r[0] for r in db.execute(
            "SELECT name FROM schema_migrations")}
    assert rows == {e164: _phonenumbers(e164) for e164 in NUMBERS}


def test_forms_left_beside_a_number_changed_by_hand_are_not_used(store):
    # `contacts forget` puts a token in place of a forgotten number wherever it is; an
    # administrator may edit a number in SQL: its old forms must not show the old number.
    _book(store)
    with store.transaction():
        store.db.execute("UPDATE contact_phones SET e164 = '+4930123456' "
                         "WHERE e164 = '+33144767539'")
        store.db.execute("UPDATE contact_phones SET e164 = 'forgotten-1234' "
                         "WHERE e164 = '+12023581600'")
    phones = [p for line in store.contacts.stream().lines() for p in line.phones]
    assert "+33144767539" not in {p.e164 for p in phones}
    show = phone_forms.formatter("international")
    assert show(Phone("+4930123456")) == "+49 30 123456"  # phonenumbers' form, not FR's
    with pytest.raises(Exception, match="not a stored E.164 number"):
        show(Phone("forgotten-1234"))
