"""One person per person (issue 13): a contact without an e-mail is the stored contact with
the same normalised name holding one of its numbers, on `add`, `import` and
`extract --import` alike, and ``--on-duplicate`` decides as it does for a shared address.
Both backends, real book files (or databases)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, db_snapshot

from pressctl.book import importer
from pressctl.book.contacts import Added, add_contact
from pressctl.book.extraction import extract_from_file, import_proposals
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import ContactFilter
from pressctl.errors import DuplicateContact

# The seed releases' contact blocks, copied into the repository (tests/data/extract/), so
# that these run wherever the tests do.
EXTRACTS = Path(__file__).resolve().parents[1] / "data" / "extract"
SEED_003 = EXTRACTS / "seed003_contacts.txt"
SEEDS_WITH_CONTACTS = ["seed000_contacts.md", "seed002_contacts.txt", "seed003_contacts.txt"]


def named(book, name: str) -> list:
    return [c for c in book.store.contacts.select() if c.name == name]


def write_csv(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- add ----------------------------------------------------------------------------------


def test_add_without_email_with_the_same_name_and_a_shared_phone_is_refused(book):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    before = db_snapshot(book.store)
    with pytest.raises(DuplicateContact) as raised:
        add_contact(book, {"name": "ROUX Camille", "phones": ["+33 1 44 76 75 00",
                                                              "06 12 34 56 78"]})
    assert "name and phone +33144767500 match contact #1 Camille Roux" in \
        raised.value.problems[0].message
    assert db_snapshot(book.store) == before


def test_add_without_email_skip_keeps_the_stored_contact(book):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    result = add_contact(book, {"name": "Mme Camille Roux", "phones": ["01 44 76 75 00"],
                                "role": "Reporter"}, on_duplicate="skip")
    assert result.action is Added.SKIPPED
    assert result.contact.id == 1 and result.contact.role is None
    assert book.store.contacts.count() == 1


def test_add_without_email_update_merges_into_the_stored_contact(book):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    result = add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00",
                                                                   "06 12 34 56 78"],
                                "role": "Reporter"}, on_duplicate="update")
    assert result.action is Added.UPDATED and result.contact.id == 1
    stored = book.store.contacts.get(1)
    assert stored.role == "Reporter"
    assert [p.e164 for p in stored.phones] == ["+33144767500", "+33612345678"]
    assert book.store.contacts.count() == 1


def test_a_stored_contact_with_an_email_is_matched_by_name_and_phone_too(book):
    add_contact(book, {"name": "Pascale Bresson", "emails": ["pascale.bresson@cnes.fr"],
                       "phones": ["01 44 76 75 39"]})
    with pytest.raises(DuplicateContact):
        add_contact(book, {"name": "Pascale Bresson", "phones": ["+33 1 44 76 75 39"]})


def test_another_name_at_the_same_number_is_another_person(book):
    """A press office's switchboard: one number, several people."""
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    result = add_contact(book, {"name": "Claire Roux", "phones": ["01 44 76 75 00"]})
    assert result.action is Added.ADDED
    assert book.store.contacts.count() == 2


def test_the_same_name_with_another_number_is_added(book):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    assert add_contact(book, {"name": "Camille Roux",
                              "phones": ["01 44 76 75 01"]}).action is Added.ADDED


def test_a_contact_with_an_email_is_told_apart_by_its_address(book):
    """The rule is for contacts without an e-mail: an address says who it is."""
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    result = add_contact(book, {"name": "Camille Roux", "emails": ["camille@example.fr"],
                                "phones": ["01 44 76 75 00"]})
    assert result.action is Added.ADDED


# -- import ---------------------------------------------------------------------------------


def test_import_without_email_fails_on_a_stored_person_and_changes_nothing(book, tmp_path):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    before = db_snapshot(book.store)
    path = write_csv(tmp_path, "name,phones\nRoux Camille,+33 1 44 76 75 00\n"
                                "Claire Roux,+33 1 44 76 75 00\n")
    with pytest.raises(DuplicateContact) as raised:
        import_file(book, open_contact_file(path))
    [problem] = raised.value.problems
    assert problem.where.endswith("people.csv:2")
    assert "match contact #1 Camille Roux" in problem.message
    assert db_snapshot(book.store) == before


def test_import_without_email_skip_and_update(book, tmp_path):
    add_contact(book, {"name": "Camille Roux", "phones": ["01 44 76 75 00"]})
    path = write_csv(tmp_path, "name,phones,role\nCamille Roux,01 44 76 75 00,Reporter\n")
    skipped = import_file(book, open_contact_file(path), on_duplicate="skip")
    assert (skipped.added, len(skipped.skipped)) == (0, 1)
    updated = import_file(book, open_contact_file(path), on_duplicate="update")
    assert (updated.added, updated.updated) == (0, 1)
    assert [c.role for c in named(book, "Camille Roux")] == ["Reporter"]


def test_two_rows_of_one_file_without_email_are_one_person(book, tmp_path):
    path = write_csv(tmp_path, "name,phones,tags\nCamille Roux,01 44 76 75 00,space\n"
                                "Élodie Marchand,01 44 76 75 10,\n"
                                "CAMILLE ROUX,+33 1 44 76 75 00,health\n")
    with pytest.raises(DuplicateContact) as raised:
        import_file(book, open_contact_file(path))
    assert [(p.where.rpartition("/")[2], p.message) for p in raised.value.problems] == [
        ("people.csv:4", "name and phone +33144767500 are also on line 2")]
    report = import_file(book, open_contact_file(path), on_duplicate="update")
    assert report.added == 2
    [camille] = [c for c in book.store.contacts.select() if "roux" in c.name.lower()]
    assert camille.tags == ["space", "health"]


def test_three_rows_of_one_person_update_into_one_contact(book, tmp_path):
    """The second row merges into the first (not inserted yet); the third finds the
    merged contact, not the first row's."""
    path = write_csv(tmp_path, "name,phones,tags\nCamille Roux,01 44 76 75 00,space\n"
                                "Roux Camille,01 44 76 75 00 / 06 12 34 56 78,health\n"
                                "Camille ROUX,06 12 34 56 78,mars\n")
    report = import_file(book, open_contact_file(path), on_duplicate="update")
    assert report.added == 1
    [camille] = book.store.contacts.select()
    assert camille.tags == ["space", "health", "mars"]
    assert [p.e164 for p in camille.phones] == ["+33144767500", "+33612345678"]


def test_a_row_with_an_email_then_the_same_person_without_one(book, tmp_path):
    path = write_csv(tmp_path, "name,emails,phones\n"
                                "Camille Roux,camille@example.fr,01 44 76 75 00\n"
                                "Camille Roux,,01 44 76 75 00\n")
    report = import_file(book, open_contact_file(path), on_duplicate="skip")
    assert (report.added, len(report.skipped)) == (1, 1)


def test_rows_of_earlier_chunks_are_found_in_the_book(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    path = write_csv(tmp_path, "name,phones\nCamille Roux,01 44 76 75 00\nA B,01 44 76 75 01\n"
                                "C D,01 44 76 75 02\nCamille Roux,01 44 76 75 00\n")
    with pytest.raises(DuplicateContact) as raised:
        import_file(book, open_contact_file(path), workers=0)
    assert [p.message for p in raised.value.problems] == [
        "name and phone +33144767500 are also on line 2"]


def test_import_looks_numbers_up_once_per_chunk_not_per_row(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 10)
    calls: list[int] = []
    lookup = type(book.store.duplicates).phone_holders

    def counted(self, numbers):
        numbers = list(numbers)
        calls.append(len(numbers))
        return lookup(self, numbers)

    monkeypatch.setattr(type(book.store.duplicates), "phone_holders", counted)
    rows = "".join(f"Person {i:02d},01 44 76 {i // 100:02d} {i % 100:02d}\n" for i in range(30))
    report = import_file(book, open_contact_file(write_csv(tmp_path, "name,phones\n" + rows)),
                         workers=0)
    assert report.added == 30
    assert calls == [10, 10, 10]


def test_one_lookup_takes_more_numbers_than_sqlite_takes_parameters(book, tmp_path,
                                                                   monkeypatch):
    calls: list[int] = []
    lookup = type(book.store.duplicates).phone_holders

    def counted(self, numbers):
        numbers = list(numbers)
        calls.append(len(numbers))
        return lookup(self, numbers)

    monkeypatch.setattr(type(book.store.duplicates), "phone_holders", counted)
    rows = "".join(f"Person {i:04d},+33 1 44 {i // 100:02d} {i % 100:02d} 00\n"
                   for i in range(1200))
    rows += "Person 0007,+33 1 44 00 07 00\n"  # the last row: the 8th's person
    with pytest.raises(DuplicateContact) as raised:
        import_file(book, open_contact_file(write_csv(tmp_path, "name,phones\n" + rows)),
                    workers=0)
    assert calls == [1200]
    assert [p.message for p in raised.value.problems] == [
        "name and phone +33144000700 are also on line 9"]


def test_a_file_where_every_row_has_an_email_never_looks_numbers_up(book, tmp_path,
                                                                     monkeypatch):
    def refused(self, numbers):
        raise AssertionError("no lookup by number for rows with an e-mail")

    monkeypatch.setattr(type(book.store.duplicates), "phone_holders", refused)
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))


# -- extract --import (the examples) ----------------------------------------------------


def test_extracting_seed_003_twice_gives_one_pascale_bresson(book):
    import_orgs(book, SAMPLES / "organizations.json")
    first = import_proposals(book, extract_from_file(SEED_003, None), SEED_003.name)
    assert first.added >= 1
    before = db_snapshot(book.store)
    with pytest.raises(DuplicateContact):
        import_proposals(book, extract_from_file(SEED_003, None), SEED_003.name)
    assert db_snapshot(book.store) == before
    again = import_proposals(book, extract_from_file(SEED_003, None), SEED_003.name,
                             on_duplicate="skip")
    assert again.added == 0
    again = import_proposals(book, extract_from_file(SEED_003, None), SEED_003.name,
                             on_duplicate="update")
    assert again.added == 0
    assert len(named(book, "Pascale Bresson")) == 1


@pytest.mark.parametrize("name", SEEDS_WITH_CONTACTS)
def test_extracting_each_seed_twice_and_importing_both_times_gives_no_duplicate(book, name):
    """The issue's "Done when": the seed releases, extracted and imported twice (the
    second time with --on-duplicate skip, then update) leave one contact per person."""
    import_orgs(book, SAMPLES / "organizations.json")
    seed = EXTRACTS / name
    first = import_proposals(book, extract_from_file(seed, None), name)
    people = sorted(c.name for c in book.store.contacts.select())
    assert first.added == len(people) >= 2
    for policy in ("skip", "update"):
        again = import_proposals(book, extract_from_file(seed, None), name,
                                 on_duplicate=policy)
        assert again.added == 0, policy
        assert sorted(c.name for c in book.store.contacts.select()) == people, policy


def test_extracting_seed_003_into_the_sample_book_finds_its_officers(book):
    """The sample book's Pascale Bresson has an e-mail; the release gives none."""
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    report = import_proposals(book, extract_from_file(SEED_003, None), SEED_003.name,
                              on_duplicate="skip")
    assert report.added == 0
    assert len(named(book, "Pascale Bresson")) == 1
    assert book.store.contacts.select(ContactFilter(search="Bresson"))
