"""An import writes its new contacts from the plain values its workers send (sort keys
made there, no Contact made in the main process but for a contact merged in its chunk or
whose opt-outs are kept), and its trail a chunk at a time: the rows are those the
Contact path (ContactQueries.insert) and one NewChange a row would write, value for
value."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.book import importer
from pressctl.book.importer import import_file
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import sort_key
from pressctl.contacts.phones import display_forms
from pressctl.store import Store
from pressctl.store.changes import ChangeAction, NewChange, Subject

HEADER = ("name,kind,role,organization,outlet,emails,phones,tags,languages,country,"
          "embargo_ok,opted_out,notes,salutation,roles\n")
_TABLES = {
    "contacts": "id, name, kind, role, organization, outlet, languages, country, notes, "
                "embargo_ok, opted_out, created, updated, salutation, first_name_ok, "
                "sort_name, version",
    "contact_emails": "contact_id, position, address, key",
    "contact_phones": "contact_id, position, e164, extension, type, label, international, "
                      "national, region",
    "contact_tags": "contact_id, position, tag",
    "contact_roles": "contact_id, language, position, role",
}


def _rows(tmp_path: Path) -> list[str]:
    rows = []
    for n in range(1, 91):
        # +1 and +44 are shared by several regions: the region comes from the number
        phones = {0: f"+1 212 555 01{n % 100:02d}", 1: f"+44 20 7946 0{n % 1000:03d}",
                  2: f"01 44 76 {n % 100:02d} 39; Mobile: 06 25 79 {n % 90:02d} 79 x12"}[n % 3]
        rows.append(f'Élodie Num{n},journalist,Reporter,,Outlet {n % 7},'
                    f'"e{n}@Example.ORG; other{n}@news.example.net","{phones}",'
                    f'"Tech, Space",fr; en,FR,{"true" if n % 2 else "false"},'
                    f'{"true" if n % 11 == 0 else "false"},"note {n}",Chère Élodie,'
                    '"en=Reporter; fr=Journaliste"\n')
    # merged into row 5 of its chunk (--on-duplicate update): a Contact made of it
    rows.insert(20, 'Elodie Num5,journalist,,,Other outlet,"E5@example.org; new5@example.org",'
                '+33 6 12 34 56 78,Climate,,FR,,,,,\n')
    rows.append("No Mail,other,,,,,+33 1 40 00 00 01,,,FR,,,,,\n")
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return rows


def _table_rows(store: Store) -> dict[str, list[tuple[object, ...]]]:
    return {table: store.db.execute(f"SELECT {columns} FROM {table} ORDER BY 1, 2, 3"
                                    ).fetchall() for table, columns in _TABLES.items()}


@pytest.mark.parametrize("workers", [0, 1])
def test_an_import_writes_the_rows_the_contact_path_writes(book, tmp_path, workers,
                                                          monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 40)  # merges and opt-outs in several chunks
    _rows(tmp_path)
    report = import_file(book, open_contact_file(tmp_path / "contacts.csv"),
                         on_duplicate="update", workers=workers)
    assert report.added == 91 and report.updated == 0 and not report.rejected
    imported = _table_rows(book.store)
    assert len(imported["contact_phones"]) > 91  # some rows hold two numbers
    assert all(row[6] for row in imported["contact_phones"])  # every number has its forms
    # The same contacts written by the Contact path into a new book: the same rows.
    contacts = book.store.contacts.select()
    other = Store.open(tmp_path / "other" / "pressctl.db")
    with other.transaction():
        other.contacts.insert([_unsaved(c) for c in sorted(contacts, key=lambda c: c.id)])
    assert _table_rows(other) == imported
    other.close()


def _unsaved(contact):
    contact.id = None
    return contact


def test_the_worker_sends_the_values_and_sort_key_the_store_would_write(monkeypatch):
    monkeypatch.setattr(importer, "_job", (lambda country, org: "GB", "journalist", False))
    fields = {"name": "Zoë Ångström", "emails": "Zoe@Example.ORG",
              "phones": "+1 212 555 0100; 020 7946 0018; +44 141 496 0849"}
    (packed, problems, notes, keys), = importer._validate_rows([fields])
    assert packed is not None and not problems and keys == ["zoe@example.org"]
    assert packed[16] == sort_key("Zoë Ångström")
    assert [p[:3] for p in packed[9]] == [("+12125550100", None, "work"),
                                          ("+442079460018", None, "work"),
                                          ("+441414960849", None, "work")]


def test_an_opted_out_row_and_a_merged_one_name_their_stored_contacts(book, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 40)
    _rows(tmp_path)
    report = import_file(book, open_contact_file(tmp_path / "contacts.csv"),
                         on_duplicate="update", workers=0)
    notices = list(report.opted_out)
    assert notices  # rows 11, 22... say "opted out"
    for notice in notices:
        stored = book.store.contacts.get(notice.contact.stored_id)
        assert stored is not None and stored.opted_out
        assert notice.suppression.address in stored.emails
    merged = book.store.contacts.owners_of_email_keys(["e5@example.org", "new5@example.org"])
    assert len(set(merged.values())) == 1
    five = book.store.contacts.get(merged["e5@example.org"])
    assert five is not None and five.name == "Elodie Num5" and five.outlet == "Other outlet"
    assert [p.e164 for p in five.phones][-1] == "+33612345678"
    assert all(p.forms == display_forms(p.e164) for p in five.phones)
    assert five.tags == ["tech", "space", "climate"]


def test_numbered_entries_are_the_entries_of_one_new_change_a_row(book):
    changes = book.store.changes
    with book.store.transaction():
        changes.record(book.now, "ana", [
            NewChange(ChangeAction.IMPORT, Subject.CONTACT, cid, f"added from f.csv:{line}")
            for cid, line in ((7, 2), (8, 3), (9, 5))])
        changes.record_numbered(book.now, "ana", ChangeAction.IMPORT, Subject.CONTACT, 7,
                                ["added from f.csv:2", "added from f.csv:3",
                                 "added from f.csv:5"])
    rows = book.store.db.execute("SELECT at, actor, action, subject_kind, subject_id, summary "
                                 "FROM changes ORDER BY id").fetchall()
    assert [tuple(r) for r in rows[:3]] == [tuple(r) for r in rows[3:]]
    assert [r[4] for r in rows[3:]] == ["7", "8", "9"]


def test_entries_made_from_the_lines_are_the_numbered_entries(book):
    changes = book.store.changes
    lines = [2, 3, 5, 10, 99, 1000]
    with book.store.transaction():
        changes.record_numbered(book.now, "ana", ChangeAction.IMPORT, Subject.CONTACT, 98,
                                [f"added from my 'file'.csv:{line}" for line in lines])
        assert changes.record_lines(book.now, "ana", ChangeAction.IMPORT, Subject.CONTACT,
                                    98, "added from my 'file'.csv:", lines) == len(lines)
        assert changes.record_lines(book.now, "ana", ChangeAction.IMPORT, Subject.CONTACT,
                                    1, "x", []) == 0
    rows = [tuple(r) for r in book.store.db.execute(
        "SELECT at, actor, action, subject_kind, subject_id, summary FROM changes "
        "ORDER BY id").fetchall()]
    assert len(rows) == 2 * len(lines)
    assert rows[:len(lines)] == rows[len(lines):]
    assert [r[4] for r in rows[len(lines):]] == ["98", "99", "100", "101", "102", "103"]
