"""Importing contact files: all or nothing, --skip-invalid with a rejects file, dry runs,
duplicate e-mails (fail, skip, update), chunks, worker processes, regions, round trips."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
from pathlib import Path

import pytest
from conftest import DATA, NOW, SAMPLES, db_snapshot

from pressctl.book import importer, spool
from pressctl.book.contacts import add_contact, export_contacts
from pressctl.book.importer import import_file
from pressctl.book.orgs import add_org, import_orgs
from pressctl.book.session import Book
from pressctl.config import DisplaySettings, Settings
from pressctl.contacts.formats.files import open_contact_file, rejects_text
from pressctl.contacts.model import ContactFilter, Phone
from pressctl.errors import DuplicateContact, InvalidInput, ProblemsFound
from pressctl.store import Store

IMPORT = DATA / "import"
EARLIER = "2026-10-01T08:00:00Z"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return path


def run(book: Book, path: Path, **options):
    """Import ``path``: (the opened file, the report)."""
    file = open_contact_file(path)
    return file, import_file(book, file, **options)


def earlier(book: Book) -> Book:
    """The same book as seen by a command run before this one."""
    return Book(book.store, book.settings, EARLIER)


def seed(book: Book) -> dict[str, int]:
    """Two contacts already in the book; returns their ids by e-mail."""
    ids = {}
    for fields in (
        {"name": "Pascale Bresson", "kind": "officer", "organization": "CNES",
         "emails": ["pascale.bresson@cnes.fr"], "phones": ["01 44 76 75 39"],
         "tags": "cnes", "role": "Press Officer"},
        {"name": "Élodie Marchand", "emails": ["elodie.marchand@example.net"],
         "opted_out": True, "tags": "space"},
    ):
        result = add_contact(earlier(book), fields)
        ids[result.contact.emails[0]] = result.contact.id
    return ids


def names(book: Book) -> list[str]:
    return [c.name for c in book.store.contacts.select()]


def by_email(book: Book, address: str):
    [contact] = [c for c in book.store.contacts.select()
                 if address.casefold() in (e.casefold() for e in c.emails)]
    return contact


@pytest.fixture
def other_book(tmp_path: Path):
    """A second, empty contact book (for round trips)."""
    store = Store.open(tmp_path / "other" / "pressctl.db")
    yield Book(store, Settings(default_region="FR", display=DisplaySettings(own_country="FR")), NOW)
    store.close()


@pytest.fixture
def third_book(tmp_path: Path):
    """A third, empty contact book."""
    store = Store.open(tmp_path / "third" / "pressctl.db")
    yield Book(store, Settings(default_region="FR", display=DisplaySettings(own_country="FR")), NOW)
    store.close()


# -- reading what spreadsheets write -------------------------------------------------------

def test_excel_french_csv_imports_with_prenom_nom_and_french_columns(book):
    _, report = run(book, IMPORT / "excel_fr.csv")
    assert (report.added, report.rejected, report.file_notes) == (3, [], [])
    pascale = by_email(book, "pascale.bresson@cnes.fr")
    assert (pascale.name, pascale.organization, pascale.role) == (
        "Pascale Bresson", "CNES", "Attachée de presse")
    assert pascale.tags == ["espace", "presse"]
    assert pascale.phones == [Phone("+33144767539")]
    raphael = by_email(book, "raphael.sart@cnes.fr")
    assert raphael.name == "Raphaël Sart"
    assert raphael.emails == ["Raphael.Sart@cnes.fr"]
    assert raphael.phones == [Phone("+33144767451"), Phone("+33625796479", None, "mobile")]
    assert raphael.notes == "Appeler le matin\nou par SMS"
    # a national Belgian number, valid because the contact's country is BE
    assert by_email(book, "t.vandenberghe@bxl-sciences.example.com").phones == [
        Phone("+3225550123")]


def test_unknown_columns_are_a_file_note_of_the_report(book, tmp_path):
    path = write(tmp_path, "c.csv", "Nom,Courriel,Twitter\nA B,a@example.org,@ab\n")
    _, report = run(book, path)
    assert report.file_notes == ["ignored column(s): Twitter"]
    assert report.added == 1


def test_cleaned_values_are_reported_with_file_and_line(book, tmp_path):
    path = write(tmp_path, "c.csv", "Nom,Courriel\nA B,a@example.org\n"
                                    "C D,<mailto:C.D@Example.ORG>\n")
    _, report = run(book, path)
    [note] = report.notes
    assert note.where == f"{path}:3"
    assert "C.D@example.org" in note.message
    assert by_email(book, "c.d@example.org").emails == ["C.D@example.org"]


def test_an_undecodable_file_is_refused_before_anything_is_imported(book, tmp_path):
    """UTF-8 with one stray Windows-1252 byte: neither encoding reads it whole (a plain
    cp1252 file is read as such: tests/contacts/test_text_encoding.py)."""
    path = tmp_path / "c.csv"
    path.write_bytes("Nom,Courriel\nÉlodie,e@example.org\n".encode()
                     + "Rémi,r@example.org\n".encode("cp1252"))
    with pytest.raises(InvalidInput, match=r"c\.csv:3: not UTF-8"):
        run(book, path)
    assert book.store.contacts.count() == 0


def test_a_windows_1252_file_is_read_as_such_and_says_so(book):
    _, report = run(book, IMPORT / "cp1252.csv")
    assert book.store.contacts.count() >= 1
    assert any("Windows-1252" in note for note in report.file_notes)


def test_unknown_on_duplicate_policy_is_refused(book, tmp_path):
    path = write(tmp_path, "c.csv", "Nom\nA B\n")
    with pytest.raises(InvalidInput, match="--on-duplicate 'merge'"):
        run(book, path, on_duplicate="merge")


# -- all or nothing --------------------------------------------------------------------------

def test_any_invalid_row_imports_nothing_and_lists_every_problem(book):
    seed(book)
    before = db_snapshot(book.store)
    path = IMPORT / "bad_rows.csv"
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    err = caught.value
    assert err.message == f"{path}: 3 invalid record(s), nothing imported"
    assert "--skip-invalid" in err.hint
    lines = [str(p) for p in err.problems]
    assert [p.where for p in err.problems] == [f"{path}:3", f"{path}:5", f"{path}:6"]
    assert lines[0].startswith(f'{path}:3: phone "01 44 76" is too short for FR')
    assert lines[1].startswith(f'{path}:5: e-mail "marc.example.org"')
    assert lines[2] == f"{path}:6: name is missing"
    assert db_snapshot(book.store) == before


def test_all_or_nothing_across_chunks_rolls_back_earlier_chunks(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    seed(book)
    before = db_snapshot(book.store)
    rows = [f"P{i},p{i}@example.org" for i in range(7)] + ["Bad,bad@"]
    path = write(tmp_path, "c.csv", "Nom,Courriel\n" + "\n".join(rows) + "\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    assert [p.where for p in caught.value.problems] == [f"{path}:9"]
    assert db_snapshot(book.store) == before


def test_a_row_with_too_many_cells_is_rejected_with_its_line(book, tmp_path):
    path = write(tmp_path, "c.csv",
                 "Nom,Courriel\nDupont, Jean,jd@example.org\nA B,ab@example.org\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    [problem] = caught.value.problems
    assert str(problem).startswith(
        f"{path}:2: 3 cells for 2 columns (a ',' inside an unquoted value?)")
    assert book.store.contacts.count() == 0


def test_json_problems_name_the_line_of_each_object(book, tmp_path):
    path = write(tmp_path, "c.json", '{"contacts": [\n'
                                     '  {"name": "Good", "email": "good@example.org"},\n'
                                     '  {"name": "Unknown Field",\n'
                                     '   "twitter": "@uf"},\n'
                                     '  {"name": "Bad Mail", "emails": ["x@"]},\n'
                                     '  {"email": "no.name@example.org"}\n'
                                     ']}\n')
    before = db_snapshot(book.store)
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    problems = [str(p) for p in caught.value.problems]
    assert problems[0] == f"{path}:3: unknown field(s) twitter"
    assert problems[1].startswith(f'{path}:5: e-mail "x@"')
    assert problems[2] == f"{path}:6: name is missing"
    assert len(problems) == 3
    assert db_snapshot(book.store) == before


def test_vcard_problems_name_the_line_where_the_card_begins(book, tmp_path):
    path = write(tmp_path, "c.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Good\nEND:VCARD\n"
                                    "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nEMAIL:a@example.org\n"
                                    "END:VCARD\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:5: name is missing"]
    assert book.store.contacts.count() == 0


# -- --skip-invalid and the rejects file ----------------------------------------------------

def test_skip_invalid_imports_the_valid_rows_and_rejects_the_rest_untouched(book, tmp_path):
    path = IMPORT / "bad_rows.csv"
    file, report = run(book, path, skip_invalid=True)
    assert report.added == 3
    assert names(book) == ["Anaïs Gauthier", "Claire Fontaine", "Lotte Vermeulen"]
    assert [p.where for p in report.problems] == [f"{path}:3", f"{path}:5", f"{path}:6"]

    original = path.read_text(encoding="utf-8").splitlines(keepends=True)
    out = rejects_text(file, report.rejected)
    lines = out.splitlines(keepends=True)
    assert lines[0] == "Name,Email,Phone,Outlet,error\n"
    rows = list(csv.reader(io.StringIO(out, newline="")))
    for index, (line_no, rejection) in enumerate(
            zip((3, 5, 6), report.rejected, strict=True), 1):
        # the original row, byte for byte (its quoting too), then the reason
        assert lines[index].startswith(original[line_no - 1].rstrip("\n") + ",")
        assert rows[index][-1] == rejection.reason
    assert '"Radio, Nord"' in lines[3]
    assert rows[1][-1].startswith('phone "01 44 76" is too short')

    fixed = (out.replace("01 44 76,", "01 44 76 75 00,")
                .replace("marc.example.org", "marc@example.org")
                .replace(",no.name@", "Nora Nom,no.name@"))
    again = write(tmp_path, "rejects.csv", fixed)
    _, report2 = run(book, again)
    assert (report2.added, report2.rejected, report2.file_notes) == (3, [], [])
    assert by_email(book, "marc@example.org").name == "Marc Sansarobase"
    assert by_email(book, "no.name@example.org").outlet == "Radio, Nord"
    assert by_email(book, "paul.court@example.org").phones == [Phone("+33144767500")]


def test_semicolon_rejects_keep_the_semicolon_and_crlf(book, tmp_path):
    path = write(tmp_path, "c.csv", 'sep=;\r\nNom;Courriel;Notes\r\n'
                                    'A B;ab@example.org;"x; y"\r\n'
                                    'C D;cd@;"dit ""oui"""\r\n')
    file, report = run(book, path, skip_invalid=True)
    out = rejects_text(file, report.rejected)
    reason = report.rejected[0].reason
    assert out == ('Nom;Courriel;Notes;error\r\n'
                   'C D;cd@;"dit ""oui""";"' + reason.replace('"', '""') + '"\r\n')
    _, report2 = run(book, write(tmp_path, "r.csv", out.replace("cd@", "cd@example.org")))
    assert report2.added == 1
    assert by_email(book, "cd@example.org").notes == 'dit "oui"'


def test_vcard_rejects_add_one_property_and_import_again_once_fixed(book, tmp_path):
    good = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Claire Fontaine\r\n"
            "EMAIL:claire.fontaine@gazette-espace.example.org\r\nEND:VCARD\r\n")
    bad = ("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Paul Court\r\nN:Court;Paul;;;\r\n"
           "EMAIL:paul.court@\r\nTEL;TYPE=CELL:06 25 79\r\nNOTE:Line one\\nline two\r\n"
           "END:VCARD\r\n")
    path = write(tmp_path, "in.vcf", good + bad)
    file, report = run(book, path, skip_invalid=True)
    assert report.added == 1
    [rejection] = report.rejected
    assert rejection.record.line == 6
    out = rejects_text(file, report.rejected)
    error_lines = [line for line in out.split("\r\n") if line.startswith("X-PRESSCTL-ERROR:")]
    assert len(error_lines) == 1
    assert 'e-mail "paul.court@"' in error_lines[0]
    assert "\\;" in error_lines[0]  # the two reasons' separator, escaped for vCard
    assert out.replace(error_lines[0] + "\r\n", "") == bad
    assert out.index("X-PRESSCTL-ERROR") < out.index("END:VCARD")

    fixed = out.replace("paul.court@\r\n", "paul.court@example.org\r\n").replace(
        "06 25 79\r\n", "06 25 79 64 79\r\n")
    _, report2 = run(book, write(tmp_path, "rejects.vcf", fixed))
    assert (report2.added, report2.rejected) == (1, [])
    paul = by_email(book, "paul.court@example.org")
    assert paul.phones == [Phone("+33625796479", None, "mobile")]
    assert paul.notes == "Line one\nline two"


def test_json_rejects_hold_line_error_record_and_import_again_once_fixed(book, tmp_path):
    path = write(tmp_path, "in.json",
                 '[\n  {"name": "Good", "email": "good@example.org"},\n'
                 '  {"name": "Bad", "email": "bad@",\n'
                 '   "phones": [{"e164": "+33144767539", "type": "fax"}]}\n]\n')
    file, report = run(book, path, skip_invalid=True)
    assert report.added == 1
    items = json.loads(rejects_text(file, report.rejected))
    assert [(i["line"], i["record"]["name"]) for i in items] == [(3, "Bad")]
    assert items[0]["error"].startswith('e-mail "bad@"')

    items[0]["record"]["email"] = "bad@example.org"
    _, report2 = run(book, write(tmp_path, "rejects.json", json.dumps(items)))
    assert (report2.added, report2.rejected) == (1, [])
    assert by_email(book, "bad@example.org").phones == [Phone("+33144767539", None, "fax")]


# -- dry run -------------------------------------------------------------------------------

def test_dry_run_reports_counts_as_if_imported_and_changes_nothing(book, tmp_path):
    ids = seed(book)
    before = db_snapshot(book.store)
    path = write(tmp_path, "c.csv", "Nom,Courriel,Rubriques\n"
                                    "New One,new.one@example.org,\n"
                                    "Pascale B.,PASCALE.BRESSON@cnes.fr,press\n"
                                    "New Two,new.two@example.org,\n")
    _, report = run(book, path, on_duplicate="update", dry_run=True)
    assert (report.added, report.updated, report.dry_run) == (2, 1, True)
    assert db_snapshot(book.store) == before
    assert book.store.contacts.get(ids["pascale.bresson@cnes.fr"]).tags == ["cnes"]

    _, real = run(book, path, on_duplicate="update")
    assert (real.added, real.updated) == (report.added, report.updated)
    assert db_snapshot(book.store) != before


def test_dry_run_with_skip_invalid_reports_rejects_and_changes_nothing(book):
    before = db_snapshot(book.store)
    _, report = run(book, IMPORT / "bad_rows.csv", dry_run=True, skip_invalid=True)
    assert (report.added, len(report.rejected)) == (3, 3)
    assert db_snapshot(book.store) == before


def test_dry_run_still_refuses_invalid_rows_without_skip_invalid(book):
    with pytest.raises(ProblemsFound):
        run(book, IMPORT / "bad_rows.csv", dry_run=True)


# -- duplicates against the book ----------------------------------------------------------------

DUPES = ("Nom,Courriel,Tél.,Rubriques,Fonction,Désinscrit\n"
         "Claire Fontaine,claire@example.org,,,,\n"
         "Pascale Bresson,Pascale.Bresson@CNES.fr,Mobile: 06 86 89 55 17,space,Head of press,\n"
         "Élodie M.,elodie.marchand@EXAMPLE.net; elodie@example.org,,tech,,non\n")


def test_on_duplicate_fail_lists_each_clash_and_imports_nothing(book, tmp_path):
    ids = seed(book)
    before = db_snapshot(book.store)
    path = write(tmp_path, "c.csv", DUPES)
    with pytest.raises(DuplicateContact) as caught:
        run(book, path)
    pascale, elodie = ids["pascale.bresson@cnes.fr"], ids["elodie.marchand@example.net"]
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: e-mail pascale.bresson@cnes.fr already belongs to contact "
        f"#{pascale} Pascale Bresson",
        f"{path}:4: e-mail elodie.marchand@example.net already belongs to contact "
        f"#{elodie} Élodie Marchand",
    ]
    assert "--on-duplicate" in caught.value.hint
    assert db_snapshot(book.store) == before


def test_on_duplicate_skip_reports_each_row_and_imports_the_others(book, tmp_path):
    ids = seed(book)
    path = write(tmp_path, "c.csv", DUPES)
    _, report = run(book, path, on_duplicate="skip")
    assert (report.added, report.updated) == (1, 0)
    assert [p.where for p in report.skipped] == [f"{path}:3", f"{path}:4"]
    assert f"#{ids['pascale.bresson@cnes.fr']}" in report.skipped[0].message
    assert sorted(names(book)) == ["Claire Fontaine", "Pascale Bresson", "Élodie Marchand"]
    assert book.store.contacts.get(ids["pascale.bresson@cnes.fr"]).tags == ["cnes"]


def test_on_duplicate_update_completes_the_existing_contact(book, tmp_path):
    ids = seed(book)
    path = write(tmp_path, "c.csv", DUPES)
    _, report = run(book, path, on_duplicate="update")
    assert (report.added, report.updated, report.skipped) == (1, 2, [])

    pascale = book.store.contacts.get(ids["pascale.bresson@cnes.fr"])
    assert pascale.kind == "officer"  # the file does not say: the kind is kept
    assert pascale.role == "Head of press"  # given fields replace
    assert pascale.organization == "CNES"  # not given: kept
    assert pascale.emails == ["pascale.bresson@cnes.fr"]
    assert pascale.phones == [Phone("+33144767539"), Phone("+33686895517", None, "mobile")]
    assert pascale.tags == ["cnes", "space"]
    assert (pascale.created, pascale.updated) == (EARLIER, NOW)

    elodie = book.store.contacts.get(ids["elodie.marchand@example.net"])
    assert elodie.name == "Élodie M."
    assert elodie.emails == ["elodie.marchand@example.net", "elodie@example.org"]
    assert elodie.tags == ["space", "tech"]
    assert elodie.opted_out is True  # "non" in the file never undoes an opt-out
    assert book.store.contacts.count() == 3


# -- opt-outs are forever ------------------------------------------------------------------------


def _suppressed(book: Book) -> dict[str, str]:
    return dict(book.store.db.execute("SELECT address, reason FROM suppressions"))


def test_on_duplicate_update_keeps_an_opt_out_and_says_so(book, tmp_path):
    ids = seed(book)
    path = write(tmp_path, "c.csv", DUPES)  # Élodie's row says "Désinscrit: non"
    _, report = run(book, path, on_duplicate="update")
    elodie = ids["elodie.marchand@example.net"]
    assert book.store.contacts.get(elodie).opted_out is True
    assert [(n.where, n.contact.id, n.suppression.address) for n in report.opted_out] == [
        (f"{path}:4", elodie, "elodie.marchand@example.net"),
        (f"{path}:4", elodie, "elodie@example.org")]
    # the address the row brought to an opted-out contact is opted out for good too
    assert _suppressed(book)["elodie@example.org"] == (
        f"added to contact #{elodie} Élodie Marchand, who had opted out")
    assert report.opted_out[0].suppression.since == EARLIER


def test_import_of_an_opted_out_address_adds_it_opted_out_and_says_so(book, tmp_path):
    seed(book)
    book.store.db.execute("DELETE FROM contacts WHERE name = 'Élodie Marchand'")
    path = write(tmp_path, "c.csv", "Name,Email,Opted out\n"
                                    "New Person,new@example.org,false\n"
                                    "Élodie Marchand,Elodie.Marchand@example.net,false\n")
    _, report = run(book, path)
    assert report.added == 2
    assert by_email(book, "elodie.marchand@example.net").opted_out is True
    assert by_email(book, "new@example.org").opted_out is False
    [notice] = report.opted_out
    assert notice.where == f"{path}:3"
    assert notice.contact.id == by_email(book, "elodie.marchand@example.net").id
    assert (notice.suppression.address, notice.suppression.since) == (
        "elodie.marchand@example.net", EARLIER)
    assert "contacts optin elodie.marchand@example.net" in str(notice)


def test_a_row_saying_opted_out_suppresses_every_address_of_its_contact(book, tmp_path):
    path = write(tmp_path, "c.csv", "Name,Email,Opted out\n"
                                    "Two Desks,a@example.org; b@example.org,yes\n")
    _, report = run(book, path)
    assert _suppressed(book) == {"a@example.org": f"marked opted out in {path}:2",
                                 "b@example.org": f"marked opted out in {path}:2"}
    assert [n.suppression.address for n in report.opted_out] == ["a@example.org",
                                                                   "b@example.org"]


def test_opt_outs_hold_across_chunks_of_one_file(book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    path = write(tmp_path, "c.csv", "Name,Email,Opted out\n"
                                    "Ann,ann@example.org,yes\n"
                                    "Bob,bob@example.org,\n"
                                    "Ann Again,ann@example.org; ann@example.net,no\n")
    _, report = run(book, path, on_duplicate="update")
    ann = by_email(book, "ann@example.org")
    assert (ann.name, ann.opted_out) == ("Ann Again", True)
    assert set(_suppressed(book)) == {"ann@example.org", "ann@example.net"}
    assert by_email(book, "bob@example.org").opted_out is False
    assert [(n.where, n.suppression.address) for n in report.opted_out] == [
        (f"{path}:2", "ann@example.org"), (f"{path}:4", "ann@example.org"),
        (f"{path}:4", "ann@example.net")]


def test_a_dry_run_reports_opt_outs_and_changes_nothing(book, tmp_path):
    seed(book)
    before = db_snapshot(book.store)
    path = write(tmp_path, "c.csv", DUPES)
    _, report = run(book, path, on_duplicate="update", dry_run=True)
    assert [n.suppression.address for n in report.opted_out] == [
        "elodie.marchand@example.net", "elodie@example.org"]
    assert db_snapshot(book.store) == before


def test_on_duplicate_update_records_a_new_opt_out_and_a_stated_kind(book, tmp_path):
    ids = seed(book)
    path = write(tmp_path, "c.csv", "Nom,Courriel,Type,Opt-out\n"
                                    "Pascale Bresson,pascale.bresson@cnes.fr,other,oui\n")
    run(book, path, on_duplicate="update")
    pascale = book.store.contacts.get(ids["pascale.bresson@cnes.fr"])
    assert (pascale.kind, pascale.opted_out) == ("other", True)


def test_on_duplicate_update_refuses_a_row_naming_two_contacts(book, tmp_path):
    seed(book)
    before = db_snapshot(book.store)
    path = write(tmp_path, "c.csv", "Nom,Courriel\n"
                                    "Both,pascale.bresson@cnes.fr; elodie.marchand@example.net\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path, on_duplicate="update")
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: its e-mails belong to different contacts"]
    assert db_snapshot(book.store) == before


# -- duplicates inside the file ----------------------------------------------------------------

IN_FILE = ("Nom,Courriel,Rubriques,Type\n"
           "Anna Alpha,anna@example.org,a,officer\n"
           "Bruno Beta,bruno@example.org,,\n"
           "Anna A.,ANNA@example.org,b,\n"
           "Carla Gamma,carla@example.org,,\n"
           "Anna Again,anna@example.org; anna.alpha@example.org,c,\n")


def test_in_file_duplicates_fail_with_the_earlier_line(book, tmp_path):
    before = db_snapshot(book.store)
    path = write(tmp_path, "c.csv", IN_FILE)
    with pytest.raises(DuplicateContact) as caught:
        run(book, path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:4: e-mail anna@example.org is also on line 2",
        f"{path}:6: e-mail anna@example.org is also on line 2",
    ]
    assert db_snapshot(book.store) == before


def test_in_file_duplicates_skipped_per_row(book, tmp_path):
    path = write(tmp_path, "c.csv", IN_FILE)
    _, report = run(book, path, on_duplicate="skip")
    assert report.added == 3
    assert [str(p) for p in report.skipped] == [
        f"{path}:4: e-mail anna@example.org is also on line 2",
        f"{path}:6: e-mail anna@example.org is also on line 2",
    ]
    assert names(book) == ["Anna Alpha", "Bruno Beta", "Carla Gamma"]


def test_in_file_duplicates_merged_with_update(book, tmp_path):
    path = write(tmp_path, "c.csv", IN_FILE)
    _, report = run(book, path, on_duplicate="update")
    assert (report.added, report.updated) == (3, 0)  # one new contact, met three times
    anna = by_email(book, "anna@example.org")
    assert anna.name == "Anna Again"
    assert anna.kind == "officer"
    assert anna.emails == ["anna@example.org", "anna.alpha@example.org"]
    assert anna.tags == ["a", "b", "c"]
    assert book.store.contacts.count() == 3


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_duplicates_across_chunk_boundaries(book, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    path = write(tmp_path, "c.csv", IN_FILE)
    with pytest.raises(DuplicateContact) as caught:
        run(book, path)
    assert [p.where for p in caught.value.problems] == [f"{path}:4", f"{path}:6"]
    assert all("is also on line 2" in p.message for p in caught.value.problems)
    assert book.store.contacts.count() == 0

    _, skipped = run(book, path, on_duplicate="skip", dry_run=True)
    assert ([p.where for p in skipped.skipped], skipped.added) == ([f"{path}:4", f"{path}:6"], 3)

    _, report = run(book, path, on_duplicate="update")
    assert (report.added, report.updated) == (3, 0)
    anna = by_email(book, "anna.alpha@example.org")
    assert (anna.name, anna.kind, anna.tags) == ("Anna Again", "officer", ["a", "b", "c"])
    assert book.store.contacts.count() == 3


@pytest.mark.parametrize("chunk", [1, 2, 2_000])
def test_a_book_contact_updated_by_two_rows_counts_once(book, tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    ids = seed(book)
    path = write(tmp_path, "c.csv", "Nom,Courriel,Rubriques\n"
                                    "P B,pascale.bresson@cnes.fr,one\n"
                                    "New,new@example.org,\n"
                                    "P. Bresson,PASCALE.BRESSON@cnes.fr,two\n")
    _, report = run(book, path, on_duplicate="update")
    assert (report.added, report.updated) == (1, 1)
    pascale = book.store.contacts.get(ids["pascale.bresson@cnes.fr"])
    assert (pascale.name, pascale.tags) == ("P. Bresson", ["cnes", "one", "two"])


# -- worker processes ----------------------------------------------------------------------

def _big_csv(rows: int) -> str:
    lines = ["Nom;Courriel;Tél.;Pays"]
    for i in range(rows):
        if i % 997 == 5:
            lines.append(f"Person {i};p{i}@example.org;01 44 76;")  # too short
        elif i % 1201 == 7:
            lines.append(f";p{i}@example.org;;")  # no name
        elif i % 1500 == 9:
            lines.append(f"Person {i};p{i - 9}@example.org;;")  # duplicate e-mail
        elif i % 2 == 0:
            hundreds, units = i // 100 % 100, i % 100
            lines.append(f"Person {i};p{i}@example.org;01 44 {hundreds:02d} {units:02d} 39;")
        else:
            hundreds, units = i // 100 % 100, i % 100
            lines.append(f"Person {i};p{i}@example.org;02 555 {hundreds:02d} {units:02d};BE")
    return "\n".join(lines) + "\n"


def test_worker_processes_give_the_same_contacts_and_problems(tmp_path, book, other_book,
                                                              third_book):
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("worker processes need fork")
    path = write(tmp_path, "big.csv", _big_csv(7_000))

    def outcome(target: Book, workers: int):
        _, report = run(target, path, workers=workers, skip_invalid=True, on_duplicate="skip")
        contacts = [(c.name, c.emails, c.phones, c.country) for c in target.store.contacts.select()]
        return (report.added, [str(p) for p in report.problems],
                [str(p) for p in report.skipped], contacts)

    serial = outcome(book, 0)
    parallel = outcome(other_book, 2)
    assert serial[0] == 7_000 - 8 - 6 - 5
    assert len(serial[1]) == 8 + 6 and len(serial[2]) == 5
    assert parallel == serial
    assert outcome(third_book, 1) == serial  # one worker process


def test_large_files_pick_worker_processes_by_themselves(book, tmp_path, monkeypatch):
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("worker processes need fork")
    contexts = []
    real = multiprocessing.get_context

    def spy(method=None):
        contexts.append(method)
        return real(method)

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    monkeypatch.setattr(importer, "PARALLEL_FROM", 10)
    monkeypatch.setattr(importer, "CHUNK", 3)
    rows = [f"P{i:02d},p{i}@example.org,01 44 76 75 {i:02d}" for i in range(20)]
    path = write(tmp_path, "c.csv", "Nom,Courriel,Tél.\n" + "\n".join(rows) + "\nBad,,01\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    assert contexts == ["fork"]
    assert [p.where for p in caught.value.problems] == [f"{path}:22"]
    _, report = run(book, path, skip_invalid=True)
    assert report.added == 20
    assert by_email(book, "p7@example.org").phones == [Phone("+33144767507")]


# -- regions -------------------------------------------------------------------------------

BELGIAN = "Nom,Courriel,Tél.\nLotte Vermeulen,lotte@example.org,02 555 01 87\n"


def test_region_override_reads_national_numbers_of_that_country(book, tmp_path):
    path = write(tmp_path, "c.csv", BELGIAN)
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)  # default region FR: "02 555 01 87" is one digit short
    assert caught.value.problems[0].message.startswith('phone "02 555 01 87"')
    _, report = run(book, path, region="BE")
    assert report.added == 1
    assert by_email(book, "lotte@example.org").phones == [Phone("+3225550187")]


def test_contact_country_beats_organisation_country_beats_the_region(book, tmp_path):
    add_org(book, {"name": "Université libre de Bruxelles", "short_name": "ULB",
                   "country": "BE"})
    path = write(tmp_path, "c.csv", "Nom,Courriel,Tél.,Organisation,Pays\n"
                                    "Org BE,a@example.org,02 555 01 23,ULB,\n"
                                    "Contact FR,b@example.org,01 44 76 75 39,ULB,FR\n"
                                    "Default,c@example.org,01 44 76 75 40,,\n"
                                    "Override BE,d@example.org,02 555 01 24,,\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    assert [p.where for p in caught.value.problems] == [f"{path}:5"]
    with pytest.raises(ProblemsFound) as caught:
        run(book, path, region="BE")
    assert [p.where for p in caught.value.problems] == [f"{path}:4"]

    _, report = run(book, path, region="BE", skip_invalid=True)
    assert report.added == 3
    assert by_email(book, "a@example.org").phones == [Phone("+3225550123")]
    assert by_email(book, "b@example.org").phones == [Phone("+33144767539")]
    assert by_email(book, "d@example.org").phones == [Phone("+3225550124")]


def test_numbers_with_a_country_code_ignore_the_region(book, tmp_path):
    path = write(tmp_path, "c.csv", "Nom,Courriel,Tél.\nA,a@example.org,+33 1 44 76 75 39\n")
    run(book, path, region="BE")
    assert by_email(book, "a@example.org").phones == [Phone("+33144767539")]


# -- round trips -------------------------------------------------------------------------------

def _comparable(book: Book) -> list[tuple]:
    return [
        (c.name, c.kind, c.role, c.organization, c.outlet, c.emails,
         [(p.e164, p.extension, p.type) for p in c.phones], c.tags, c.languages, c.country,
         c.notes, c.embargo_ok, c.opted_out)
        for c in book.store.contacts.select()
    ]


@pytest.mark.parametrize("sample", ["contacts.csv", "contacts.vcf"])
@pytest.mark.parametrize(("fmt", "version", "suffix"), [
    ("csv", "3.0", "csv"), ("json", "3.0", "json"), ("vcard", "3.0", "vcf"),
    ("vcard", "4.0", "vcf")])
def test_export_then_import_gives_the_same_contacts(book, other_book, tmp_path,
                                                     sample, fmt, version, suffix):
    for target in (book, other_book):
        import_orgs(target, SAMPLES / "organizations.json")
    _, report = run(book, SAMPLES / sample)
    assert (report.added, report.rejected) == (26, [])
    original = _comparable(book)
    assert any(p[2] == "mobile" for c in original for p in c[6])
    assert any(p[2] == "fax" for c in original for p in c[6])
    assert any(c[12] for c in original) and any(c[11] for c in original)

    text = "".join(export_contacts(book.store, ContactFilter(), fmt, vcard_version=version))
    _, again = run(other_book, write(tmp_path, f"export.{suffix}", text))
    assert (again.added, again.rejected, again.file_notes) == (26, [], [])
    assert _comparable(other_book) == original


def test_export_then_import_keeps_extensions_and_labels_in_csv_and_json(book, other_book,
                                                                       tmp_path):
    add_contact(book, {"name": "Jean Dupont", "emails": ["jd@example.org"],
                       "phones": ["01 44 76 75 00 ext. 12 (standard)", "Fax: 01 44 76 75 01"]})
    for fmt in ("csv", "json"):
        text = "".join(export_contacts(book.store, ContactFilter(), fmt))
        _, report = run(other_book, write(tmp_path, f"e.{fmt}", text), on_duplicate="update")
        assert by_email(other_book, "jd@example.org").phones == [
            Phone("+33144767500", "12", "work", "standard"), Phone("+33144767501", None, "fax")]


def test_duplicates_and_invalid_rows_are_reported_together(book, tmp_path):
    seed(book)
    before = db_snapshot(book.store)
    path = write(tmp_path, "mixed.csv",
                 "Name,Email,Phone\n"
                 "Pascale B.,pascale.bresson@cnes.fr,\n"
                 "Bad Phone,bad@example.com,01 44 76\n")
    with pytest.raises(ProblemsFound) as caught:
        run(book, path)
    where = [str(p) for p in caught.value.problems]
    assert where[0].startswith(f"{path}:2: e-mail pascale.bresson@cnes.fr already belongs")
    assert where[1].startswith(f"{path}:3: phone")
    assert "1 duplicate(s)" in str(caught.value)
    assert db_snapshot(book.store) == before


def test_a_skipped_row_naming_an_opted_out_address_still_says_so(book, tmp_path):
    ids = seed(book)
    path = write(tmp_path, "c.csv", DUPES)
    _, report = run(book, path, on_duplicate="skip")
    [notice] = report.opted_out
    assert (notice.where, notice.contact.id, notice.suppression.address) == (
        f"{path}:4", ids["elodie.marchand@example.net"], "elodie.marchand@example.net")


# -- bulk inserts and bounded memory (issue 12) --------------------------------------------

@pytest.mark.parametrize("workers", [0, 1])
def test_a_chunk_with_a_rejected_row_in_the_middle_stores_the_others(book, tmp_path,
                                                                     monkeypatch, workers):
    if workers and "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("worker processes need fork")
    monkeypatch.setattr(importer, "CHUNK", 5)
    rows = [f"P{i},p{i}@example.org,01 44 76 75 {i:02d}" for i in range(9)]
    rows[2] = "Bad,bad@,01 44 76 75 02"  # line 4, in the middle of the first chunk
    path = write(tmp_path, "c.csv", "Nom,Courriel,Tél.\n" + "\n".join(rows) + "\n")
    _, report = run(book, path, skip_invalid=True, workers=workers)
    assert [p.where for p in report.problems] == [f"{path}:4"]
    assert report.added == 8
    stored = {c.emails[0]: c for c in book.store.contacts.select()}
    assert sorted(stored) == sorted(f"p{i}@example.org" for i in range(9) if i != 2)
    assert stored["p3@example.org"].phones == [Phone("+33144767503")]
    trail = [c.summary for c in book.store.changes.trail() if "added from" in c.summary]
    assert f"added from {path}:5" in trail and f"added from {path}:4" not in trail


def test_a_large_report_keeps_few_rows_in_memory_and_still_lists_every_rejected_row(
        book, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 7)
    monkeypatch.setattr(spool, "KEPT", 3)
    monkeypatch.setattr(spool, "BATCH", 4)
    rows = []
    for i in range(60):
        rows.append(f"P{i},p{i}@example.org" if i % 3 else f"P{i},p{i}-at-example.org")
    path = write(tmp_path, "c.csv", "Nom,Courriel\n" + "\n".join(rows) + "\n")
    file, report = run(book, path, skip_invalid=True)
    want = [f"{path}:{i + 2}" for i in range(0, 60, 3)]
    assert [p.where for p in report.problems] == want
    assert report.rejected.in_memory < 3 + 4  # the head and at most one batch
    assert report.added == 40
    out = rejects_text(file, report.rejected)
    assert [row[0] for row in csv.reader(io.StringIO(out))][1:] == [
        f"P{i}" for i in range(0, 60, 3)]


@pytest.mark.parametrize("policy", ["fail", "skip"])
def test_a_duplicate_of_a_row_several_chunks_earlier_names_its_line(book, tmp_path,
                                                                    monkeypatch, policy):
    # Earlier chunks are in the store, not in memory: the line comes from the import's
    # own record of the contacts it added, not from the book's clash text.
    monkeypatch.setattr(importer, "CHUNK", 2)
    rows = [f"P{i},p{i}@example.org" for i in range(7)] + ["Again,P1@EXAMPLE.org"]
    path = write(tmp_path, "c.csv", "Nom,Courriel\n" + "\n".join(rows) + "\n")
    if policy == "fail":
        with pytest.raises(DuplicateContact) as caught:
            run(book, path)
        [problem] = caught.value.problems
    else:
        _, report = run(book, path, on_duplicate="skip")
        [problem] = report.skipped
    assert problem.where == f"{path}:9"
    assert problem.message == "e-mail p1@example.org is also on line 3"


def test_a_duplicate_of_a_book_contact_names_that_contact_not_a_line(book, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    ids = seed(book)
    rows = [f"P{i},p{i}@example.org" for i in range(5)] + ["Again,pascale.bresson@cnes.fr"]
    path = write(tmp_path, "c.csv", "Nom,Courriel\n" + "\n".join(rows) + "\n")
    _, report = run(book, path, on_duplicate="skip")
    [problem] = report.skipped
    assert problem.message == (f"e-mail pascale.bresson@cnes.fr already belongs to contact "
                               f"#{ids['pascale.bresson@cnes.fr']} Pascale Bresson")


def test_a_contact_added_then_updated_by_later_chunks_counts_as_added_only(book, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 2)
    seed(book)
    rows = ["A,a@example.org,x", "B,b@example.org,", "C,c@example.org,",
            "A2,a@example.org,y", "P,pascale.bresson@cnes.fr,z", "A3,a@example.org,w"]
    path = write(tmp_path, "c.csv", "Nom,Courriel,Rubriques\n" + "\n".join(rows) + "\n")
    _, report = run(book, path, on_duplicate="update")
    assert (report.added, report.updated) == (3, 1)
    assert by_email(book, "a@example.org").tags == ["x", "y", "w"]


@pytest.mark.parametrize(("rows", "cpus", "want"), [
    (100, 2, 0), (importer.PARALLEL_FROM, 1, 1), (importer.PARALLEL_FROM, 2, 1),
    (100_000, 4, importer.MAX_WORKERS), (100_000, 64, importer.MAX_WORKERS),
])
def test_worker_processes_follow_the_file_size_and_the_cores(rows, cpus, want):
    # On 2 cores one worker validates while the main process reads and writes: a second
    # worker would only share the same two cores (and add a process's memory).
    assert importer._workers_for(rows, cpus) == want


@pytest.mark.parametrize("chunk", [1, 2_000])
def test_an_address_only_on_a_refused_row_does_not_clash_with_a_later_row(book, tmp_path,
                                                                        monkeypatch, chunk):
    monkeypatch.setattr(importer, "CHUNK", chunk)
    # C names A's and B's addresses: refused; z@ belongs to nobody, so Z is a new contact.
    path = write(tmp_path, "c.csv", "Nom,Courriel\nA,a@example.org\nB,b@example.org\n"
                 'C,"a@example.org; b@example.org; z@example.org"\nZ,z@example.org\n')
    _, report = run(book, path, on_duplicate="update", skip_invalid=True)
    assert [p.where for p in report.problems] == [f"{path}:4"]
    assert "different contacts" in report.problems[0].message
    assert (report.added, report.updated) == (3, 0)
    assert by_email(book, "z@example.org").name == "Z"
