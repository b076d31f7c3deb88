"""The import's shortcuts keep what it stores exact: the e-mail keys the worker computed
are the keys stored (and a contact merged with a later row of its chunk gets the keys of
its merged e-mails); records go to the workers in marshal's format, or as they are when
they hold a value marshal cannot write; the result is the same with workers as without."""

from __future__ import annotations

import marshal
from pathlib import Path

import pytest

from pressctl.book import importer
from pressctl.book.importer import import_file
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file

HEADER = "name,kind,outlet,emails,phones,country\n"


def _file(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "contacts.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def _stored_keys(book) -> list[tuple[int, int, str, str]]:
    return book.store.db.execute("SELECT contact_id, position, address, key "
                                 "FROM contact_emails ORDER BY contact_id, position").fetchall()


def _assert_keys_are_the_addresses_keys(book) -> None:
    stored = _stored_keys(book)
    assert stored
    assert all(key == email_key(address) for _, _, address, key in stored)


@pytest.mark.parametrize("workers", [0, 1])
def test_an_import_stores_each_address_with_its_key(book, tmp_path, workers, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 40)
    rows = [f'Person {n},journalist,Outlet {n},"Person.{n}@Example.ORG; p{n}@News.Example.net",'
            f"+33 1 44 76 {n % 100:02d} 39,FR\n" for n in range(1, 150)]
    import_file(book, open_contact_file(_file(tmp_path, rows)), workers=workers)
    _assert_keys_are_the_addresses_keys(book)
    assert book.store.contacts.count() == 149


def test_a_contact_merged_in_its_chunk_gets_the_keys_of_its_merged_emails(book, tmp_path):
    rows = [f"Filler {n},journalist,,filler{n}@example.org,,FR\n" for n in range(30)]
    rows[5] = "Anne Leroy,journalist,Le Monde,anne@example.org,,FR\n"
    rows[9] = 'Anne Leroy,journalist,Le Monde,"Anne@Example.org; A.Leroy@Lemonde.Example.fr",,FR\n'
    rows += [f"After {n},journalist,,after{n}@example.org,,FR\n" for n in range(30)]
    report = import_file(book, open_contact_file(_file(tmp_path, rows)),
                         on_duplicate="update", workers=0)
    assert report.added == 59 and report.updated == 0  # 60 rows, Anne twice
    _assert_keys_are_the_addresses_keys(book)
    owners = book.store.contacts.owners_of_email_keys(
        ["anne@example.org", "a.leroy@lemonde.example.fr"])
    assert len(set(owners.values())) == 1 and len(owners) == 2


class _Text(str):
    """A str subclass, which marshal does not write."""


def test_records_marshal_cannot_write_still_reach_the_workers(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "_job", (lambda country, org: "FR", "journalist", False))
    fields = [{"name": _Text("Ana Lima"), "emails": ["ana@example.org"]}]
    assert importer._sent(fields) is fields  # sent as it is: the pool pickles it
    sent = importer._sent([{"name": "Ana Lima", "emails": ["ana@example.org"]}])
    assert isinstance(sent, bytes)
    validated = marshal.loads(importer._validate_packed(sent))
    assert validated == marshal.loads(importer._validate_packed(fields))
    assert validated[0][0][0] == "Ana Lima" and validated[0][3] == ["ana@example.org"]


def test_workers_or_none_the_book_is_the_same(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 25)
    rows = [f'Person {n},journalist,Outlet {n},"p{n}@example.org",'
            f'"+33 1 44 76 {n % 100:02d} 39; Mobile: 06 25 79 {n % 90:02d} 79",FR\n'
            for n in range(1, 120)]
    rows.append("Bad Phone,journalist,,bad@example.org,01 44,FR\n")
    path = _file(tmp_path, rows)
    first = import_file(book, open_contact_file(path), workers=1, skip_invalid=True,
                        dry_run=True)
    second = import_file(book, open_contact_file(path), workers=0, skip_invalid=True,
                         dry_run=True)
    assert first.added == second.added == 119
    assert [r.reason for r in first.rejected] == [r.reason for r in second.rejected]
    assert len(first.rejected) == 1
