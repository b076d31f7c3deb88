"""Roles per language, salutations and the first-name flag in the book, on SQLite and
PostgreSQL: stored and read back, edited, merged, searched, exported, checked, copied by
`db copy`, and in a person's GDPR export."""

from __future__ import annotations

import pytest
from conftest import NOW, db_snapshot

from pressctl.book.contacts import add_contact, check_book, edit_contact, export_contacts
from pressctl.book.gdpr import export_person
from pressctl.book.importer import import_file
from pressctl.config import parse_database
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import EVERY_CONTACT, Contact, ContactFilter
from pressctl.errors import NotFound, ProblemsFound
from pressctl.store import Store
from pressctl.store.changes import Subject
from pressctl.store.migrations import MIGRATIONS
from pressctl.store.transfer import checksum, copy_book

JEANNE = {"name": "Jeanne Dupont", "kind": "officer", "organization": "CNES",
          "role": "Attachée de presse", "emails": ["jeanne.dupont@cnes.fr"],
          "roles": ["fr=Attachée de presse", "en=Press officer"],
          "salutation": "Madame la rédactrice en chef", "first_name_ok": True}


def test_the_migration_is_0014_after_0013():
    names = [m.name for m in MIGRATIONS]
    at = names.index("0014_contact_roles_and_salutations")
    assert names[at - 1] == "0013_organization_names"


def test_roles_salutation_and_flag_are_stored_and_read_back_in_order(book):
    added = add_contact(book, {**JEANNE, "roles": ["it=Addetta stampa", *JEANNE["roles"]]})
    stored = book.store.contacts.get(added.contact.stored_id)
    assert stored is not None
    assert list(stored.roles.items()) == [("it", "Addetta stampa"),
                                          ("fr", "Attachée de presse"), ("en", "Press officer")]
    assert stored.salutation == "Madame la rédactrice en chef"
    assert stored.first_name_ok is True
    assert stored == added.contact


def test_a_contact_without_them_reads_back_empty(book):
    added = add_contact(book, {"name": "Bob", "emails": ["bob@example.org"]})
    stored = book.store.contacts.get(added.contact.stored_id)
    assert stored is not None
    assert (stored.roles, stored.salutation, stored.first_name_ok) == ({}, None, False)


def test_an_edit_sets_one_language_keeps_the_others_and_removes_with_an_empty_role(book):
    contact_id = str(add_contact(book, JEANNE).contact.id)
    edited = edit_contact(book, contact_id, {"roles": ["en=Spokesperson", "de=Sprecherin"]})
    assert edited.contact.roles == {"fr": "Attachée de presse", "en": "Spokesperson",
                                    "de": "Sprecherin"}
    edited = edit_contact(book, contact_id, {"roles": ["fr="], "salutation": "",
                                             "first_name_ok": False})
    stored = book.store.contacts.get(int(contact_id))
    assert stored is not None and stored == edited.contact
    assert stored.roles == {"en": "Spokesperson", "de": "Sprecherin"}
    assert (stored.salutation, stored.first_name_ok) == (None, False)


def test_the_trail_names_the_fields_an_edit_changed(book):
    contact_id = add_contact(book, JEANNE).contact.stored_id
    edit_contact(book, str(contact_id), {"roles": ["en=Spokesperson"],
                                         "salutation": "Chère Jeanne", "first_name_ok": False})
    last = book.store.changes.last_of(Subject.CONTACT, contact_id)
    assert last is not None
    assert last.summary == "edited: roles, salutation, first name ok"


def test_a_bad_edit_changes_nothing(book, home):
    contact_id = str(add_contact(book, JEANNE).contact.id)
    before = db_snapshot(home)
    with pytest.raises(ProblemsFound, match='role language "xx" is not a language code'):
        edit_contact(book, contact_id, {"roles": ["xx=Foo"]})
    with pytest.raises(NotFound, match="has no role in language it to remove"):
        edit_contact(book, contact_id, {"roles": ["it="]})
    assert db_snapshot(home) == before


def test_adding_again_merges_roles_and_keeps_the_rest(book):
    add_contact(book, JEANNE)
    merged = add_contact(book, {"name": "Jeanne Dupont", "emails": ["jeanne.dupont@cnes.fr"],
                                "roles": ["en=Spokesperson", "de=Sprecherin"]},
                         on_duplicate="update").contact
    assert merged.roles == {"fr": "Attachée de presse", "en": "Spokesperson",
                            "de": "Sprecherin"}
    assert merged.salutation == "Madame la rédactrice en chef" and merged.first_name_ok


def test_search_finds_a_role_in_any_language(book):
    add_contact(book, JEANNE)
    add_contact(book, {"name": "Bob", "emails": ["bob@example.org"], "role": "Editor"})
    found = book.store.contacts.select(ContactFilter(search="press officer"))
    assert [c.name for c in found] == ["Jeanne Dupont"]


def test_an_import_in_parallel_workers_keeps_them(book, tmp_path):
    rows = ["name,email,role,role_en,salutation,first_name_ok"] + [
        f"Person {n},p{n}@example.org,Attachée,Press officer,Chère Personne {n},oui"
        for n in range(40)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = import_file(book, open_contact_file(path), workers=2)
    assert report.added == 40
    person = book.store.contacts.select(ContactFilter(search="Person 7"))[0]
    assert (person.roles, person.salutation, person.first_name_ok) == (
        {"en": "Press officer"}, "Chère Personne 7", True)


def test_check_revalidates_roles_and_salutation(book):
    add_contact(book, JEANNE)
    assert [f for f in check_book(book) if f.level == "error"] == []
    with book.store.transaction():  # written by hand, as no command would
        book.store.contacts.insert([Contact("Bad Roles", roles={"xx": "Foo"},
                                            salutation="x" * 300, created=NOW, updated=NOW)])
    errors = [f.message for f in check_book(book) if f.level == "error"]
    assert errors == ['role language "xx" is not a language code such as fr, en or fr-CA: '
                      'write LANGUAGE=ROLE, e.g. en="Press officer"',
                      "salutation is longer than 200 characters"]


@pytest.mark.parametrize("fmt", ["csv", "json", "vcard"])
def test_export_then_import_into_another_book_keeps_them(book, fmt, tmp_path):
    add_contact(book, JEANNE)
    text = "".join(export_contacts(book.store, EVERY_CONTACT, fmt))
    path = tmp_path / f"export.{'vcf' if fmt == 'vcard' else fmt}"
    path.write_text(text, encoding="utf-8")
    other = Store.open(parse_database(str(tmp_path / "other.db"), base=tmp_path, where="t"))
    try:
        from pressctl.book.session import Book

        import_file(Book(other, book.settings, NOW), open_contact_file(path))
        [copy] = other.contacts.select()
    finally:
        other.close()
    assert (copy.role, copy.roles, copy.salutation, copy.first_name_ok, copy.organization) == (
        "Attachée de presse", {"fr": "Attachée de presse", "en": "Press officer"},
        "Madame la rédactrice en chef", True, "CNES")


def test_the_gdpr_export_holds_them(book):
    add_contact(book, JEANNE)
    data = export_person(book, "jeanne.dupont@cnes.fr")
    assert data["contact"]["roles"] == {"fr": "Attachée de presse", "en": "Press officer"}
    assert data["contact"]["salutation"] == "Madame la rédactrice en chef"
    assert data["contact"]["first_name_ok"] is True


@pytest.mark.parametrize("direction", ["sqlite->postgresql", "postgresql->sqlite"])
def test_db_copy_carries_roles_salutation_and_flag(direction, tmp_path, postgres_server):
    made = []

    def place(backend: str, name: str):
        if backend == "sqlite":
            return parse_database(str(tmp_path / f"{name}.db"), base=tmp_path, where=name)
        url = postgres_server.new_database(name)
        made.append(url)
        return parse_database(url, base=tmp_path, where=name)

    source_backend, target_backend = direction.split("->")
    source = Store.open(place(source_backend, "source"))
    target = Store.open(place(target_backend, "target"))
    try:
        with source.transaction():
            source.contacts.insert([Contact(
                "Jeanne Dupont", kind="officer", role="Attachée de presse",
                roles={"fr": "Attachée de presse", "en": "Press officer"},
                salutation="Madame la rédactrice en chef", first_name_ok=True,
                emails=["jeanne@cnes.fr"], created=NOW, updated=NOW)])
        copied = copy_book(source.database, target.database)
        assert copied.rows["contact_roles"] == 2
        assert copied == checksum(target.database)
        assert target.contacts.get(1) == source.contacts.get(1)
        copy = target.contacts.get(1)
        assert copy is not None and copy.roles == {"fr": "Attachée de presse",
                                                   "en": "Press officer"}
        assert (copy.salutation, copy.first_name_ok) == ("Madame la rédactrice en chef", True)
    finally:
        source.close()
        target.close()
        for url in made:
            postgres_server.drop_database(url)
