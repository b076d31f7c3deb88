"""`pressctl contacts ...` through typer's CliRunner: exit codes, stdout and stderr apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import vobject
from conftest import SAMPLES, db_snapshot


def _list(cli, *args):
    result = cli("contacts", "list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_add_normalises_and_show_prints_house_style(cli):
    result = cli("contacts", "add", "Pascale Bresson", "--kind", "officer", "--org", "CNES",
                 "--role", "Attachée de Presse", "--phone", "Tél. 01 44 76 75 39",
                 "--email", " mailto:Pascale.Bresson@CNES.fr ", "--lang", "fr", "--json")
    assert result.exit_code == 0, result.stderr
    added = json.loads(result.stdout)
    assert added["action"] == "added"
    assert added["contact"]["emails"] == ["Pascale.Bresson@cnes.fr"]
    assert added["contact"]["phones"][0]["e164"] == "+33144767539"
    assert "cleaned" in result.stderr
    shown = cli("contacts", "show", "pascale.bresson@cnes.fr", "--phone-style", "house")
    assert "+33 (0)1 44 76 75 39" in shown.stdout
    assert "Attachée de Presse" in shown.stdout


def test_add_rejects_a_bad_phone_with_the_reason_and_stores_nothing(cli, home):
    cli("init")
    before = db_snapshot(home)
    result = cli("contacts", "add", "Jane Doe", "--phone", "01 44 76", "--email", "jane@example.com")
    assert result.exit_code == 3
    assert "01 44 76" in result.stderr and "too short" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert db_snapshot(home) == before


def test_add_duplicate_policies(cli):
    cli("contacts", "add", "Jane Doe", "--email", "jane@example.com")
    clash = cli("contacts", "add", "Jane D.", "--email", "JANE@example.com")
    assert clash.exit_code == 3
    assert "already belongs to contact #1 Jane Doe" in clash.stderr
    assert "--on-duplicate" in clash.stderr
    skipped = cli("contacts", "add", "Jane D.", "--email", "jane@example.com",
                  "--on-duplicate", "skip", "--json")
    assert json.loads(skipped.stdout)["action"] == "skipped"
    updated = cli("contacts", "add", "Jane Doe", "--email", "jane@example.com", "--tag", "space",
                  "--on-duplicate", "update", "--json")
    assert json.loads(updated.stdout)["contact"]["tags"] == ["space"]
    assert len(_list(cli)) == 1


def test_list_filters(sample_book):
    officers = _list(sample_book, "--kind", "officer")
    assert sorted(c["name"] for c in officers) == [
        "Françoise Millet", "Nicolas Merlet", "Pascale Bresson", "Raphaël Sart"]
    assert {c["organization"] for c in _list(sample_book, "--org", "sfr")} == {"SFR"}
    assert all("fr" in c["languages"] for c in _list(sample_book, "--lang", "fr"))
    assert all(c["country"] == "GB" for c in _list(sample_book, "--country", "UK"))
    assert [c["name"] for c in _list(sample_book, "--opted-out")] == ["Élodie Marchand"]
    assert all(c["embargo_ok"] for c in _list(sample_book, "--embargo-ok"))
    assert all("space" in c["tags"] for c in _list(sample_book, "--tag", "space"))
    assert [c["name"] for c in _list(sample_book, "--search", "bresson")] == ["Pascale Bresson"]
    assert sample_book("contacts", "list", "--kind", "astronaut").exit_code == 3


def test_plain_list_is_tab_separated_with_a_header(sample_book):
    result = sample_book("contacts", "list", "--org", "CNES")
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["id", "name", "kind"]
    assert len(lines) == 3
    assert "\x1b[" not in result.stdout  # no colour codes when not a terminal
    assert "2 contact(s)" in result.stderr


def test_edit_tag_untag_optout_remove(sample_book):
    sb = sample_book
    assert sb("contacts", "edit", "pascale.bresson@cnes.fr", "--role", "Responsable Presse",
              "--add-phone", "Mobile: 06 12 34 56 78").exit_code == 0
    pascale = json.loads(sb("contacts", "show", "pascale.bresson@cnes.fr", "--json").stdout)
    assert pascale["role"] == "Responsable Presse"
    assert [p["type"] for p in pascale["phones"]] == ["work", "mobile"]
    bad = sb("contacts", "edit", "pascale.bresson@cnes.fr", "--add-phone", "12")
    assert bad.exit_code == 3 and "not changed" in bad.stderr
    assert sb("contacts", "tag", "vip,Radio Show", "pascale.bresson@cnes.fr").exit_code == 0
    tags = json.loads(sb("contacts", "show", "pascale.bresson@cnes.fr", "--json").stdout)["tags"]
    assert tags[-2:] == ["vip", "radio-show"]
    sb("contacts", "untag", "vip", "pascale.bresson@cnes.fr")
    assert "vip" not in json.loads(
        sb("contacts", "show", "pascale.bresson@cnes.fr", "--json").stdout)["tags"]
    assert sb("contacts", "optout", "raphael.sart@cnes.fr").exit_code == 0
    assert json.loads(sb("contacts", "show", "raphael.sart@cnes.fr", "--json").stdout)["opted_out"]
    refused = sb("contacts", "remove", "raphael.sart@cnes.fr")  # no TTY, no --yes
    assert refused.exit_code == 2
    assert sb("contacts", "remove", "raphael.sart@cnes.fr", "--yes").exit_code == 0
    gone = sb("contacts", "show", "raphael.sart@cnes.fr")
    assert gone.exit_code == 3 and "no contact with e-mail" in gone.stderr


def test_import_all_or_nothing_lists_every_problem(cli, home, tmp_path):
    cli("contacts", "add", "Jane Doe", "--email", "jane@example.com")
    before = db_snapshot(home)
    bad = tmp_path / "journalistes.csv"
    bad.write_text(
        "Prénom;Nom;Courriel;Téléphone\n"
        "Marie;Curie;marie@example.fr;01 99 00 12 34\n"
        "Paul;Langevin;paul@example;01 99 00 12 35\n"
        "Irène;Joliot;irene@example.fr;01 44 76\n",
        encoding="utf-8-sig",
    )
    result = cli("contacts", "import", bad)
    assert result.exit_code == 3
    assert f"{bad}:3:" in result.stderr and "paul@example" in result.stderr
    assert f"{bad}:4:" in result.stderr and "too short" in result.stderr
    assert "nothing imported" in result.stderr
    assert result.stdout == ""
    assert db_snapshot(home) == before


def test_import_skip_invalid_writes_rejects_untouched(cli, tmp_path):
    source = tmp_path / "list.csv"
    source.write_text(
        "Name,Email,Phone\n"
        "Good One,good@example.com,+44 20 7946 0123\n"
        "\"Bad, Phone\",bad@example.com,+44 20\n",
        encoding="utf-8",
    )
    rejects = tmp_path / "rejects.csv"
    missing = cli("contacts", "import", source, "--skip-invalid")
    assert missing.exit_code == 2 and "--rejects" in missing.stderr
    result = cli("contacts", "import", source, "--skip-invalid", "--rejects", rejects, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["added"], summary["rejected"]) == (1, 1)
    lines = rejects.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Name,Email,Phone,error"
    assert lines[1].startswith('"Bad, Phone",bad@example.com,+44 20,')
    assert "too short" in lines[1]
    assert [c["name"] for c in _list(cli)] == ["Good One"]


def test_import_dry_run_changes_nothing(cli, home):
    cli("init")
    before = db_snapshot(home)
    result = cli("contacts", "import", SAMPLES / "contacts.vcf", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "Dry run: would import 26 new contact(s)" in result.stderr
    assert db_snapshot(home) == before


def test_import_missing_file_is_exit_3(cli, tmp_path):
    result = cli("contacts", "import", tmp_path / "nope.csv")
    assert result.exit_code == 3 and "no such file" in result.stderr


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_export_is_read_by_vobject(sample_book, tmp_path, version):
    out = tmp_path / "officers.vcf"
    result = sample_book("contacts", "export", "--kind", "officer", "--out", out,
                         "--vcard-version", version)
    assert result.exit_code == 0, result.stderr
    cards = {c.fn.value: c for c in vobject.readComponents(out.read_text(encoding="utf-8"))}
    assert set(cards) == {"Pascale Bresson", "Raphaël Sart", "Nicolas Merlet", "Françoise Millet"}
    assert cards["Raphaël Sart"].email.value == "raphael.sart@cnes.fr"
    assert "33" in cards["Françoise Millet"].tel.value
    assert cards["Françoise Millet"].version.value == version


def test_export_to_stdout_and_reimport(sample_book, tmp_path):
    csv_text = sample_book("contacts", "export", "--format", "csv", "--tag", "space").stdout
    (tmp_path / "space.csv").write_text(csv_text, encoding="utf-8")
    exported = {c["name"] for c in _list(sample_book, "--tag", "space")}
    other_home = tmp_path / "other"
    other = ("--home", other_home, "--db", other_home / "pressctl.db")  # another book
    assert sample_book(*other, "init").exit_code == 0
    result = sample_book(*other, "contacts", "import", tmp_path / "space.csv")
    assert result.exit_code == 0, result.stderr
    reimported = json.loads(sample_book(*other, "contacts", "list", "--json").stdout)
    assert {c["name"] for c in reimported} == exported


def test_check_reports_stored_problems(sample_book, home):
    assert sample_book("contacts", "check").exit_code == 0
    from conftest import home_store

    with home_store(home) as store, store.transaction():
        store.db.execute("UPDATE contact_phones SET e164 = '+3314' WHERE contact_id = 1")
    result = sample_book("contacts", "check", "--json")
    assert result.exit_code == 3
    findings = json.loads(result.stdout)
    assert any(f["contact"] == 1 and f["level"] == "error" for f in findings)


EXTRACT = Path(__file__).resolve().parent.parent / "data" / "extract"


def test_extract_json_on_the_joint_release(cli):
    result = cli("contacts", "extract", EXTRACT / "seed000_contacts.md", "--json")
    assert result.exit_code == 0, result.stderr
    found = {c["name"]: c for c in json.loads(result.stdout)}
    assert found["Pascale Bresson"] == {
        "name": "Pascale Bresson", "role": "Press Officer", "organization": "CNES",
        "phones": ["+33144767539"], "emails": ["pascale.bresson@cnes.fr"],
        "confidence": 1.0, "lines": {"name": 21, "emails": [21], "phones": [21]}}
    assert found["Françoise Millet"]["organization"] == "SFR"


def test_extract_import_adds_officers_once(cli, home):
    first = cli("contacts", "extract", EXTRACT / "seed002_contacts.txt", "--import")
    assert first.exit_code == 0, first.stderr
    assert "Imported 2 new contact(s)" in first.stderr
    officers = _list(cli, "--kind", "officer")
    assert {c["role"] for c in officers} == {"Attachée de Presse", "Responsable Presse"}
    before = db_snapshot(home)
    again = cli("contacts", "extract", EXTRACT / "seed002_contacts.txt", "--import")
    assert again.exit_code == 3 and "already belongs" in again.stderr
    assert db_snapshot(home) == before


def test_extract_finds_nothing_in_a_release_without_contacts(cli):
    result = cli("contacts", "extract", EXTRACT / "seed001_body.txt")
    assert result.exit_code == 3
    assert "no contacts found" in result.stderr and result.stdout == ""


CREDIT_AND_CONTACT = ("Photos by Jane Doe: +33 1 99 00 27 82\n\nPress contact\n"
                      "Jeanne Martin, Press Officer, +33 1 99 00 27 81, "
                      "jeanne.martin@example.fr\n")


def test_extract_import_leaves_out_proposals_below_the_threshold_and_names_them(
        cli, home, tmp_path):
    release = tmp_path / "release.txt"
    release.write_text(CREDIT_AND_CONTACT, encoding="utf-8")
    shown = cli("contacts", "extract", release, "--json")
    assert [(c["name"], c["confidence"]) for c in json.loads(shown.stdout)] == [
        ("Jane Doe", 0.45), ("Jeanne Martin", 0.95)]
    result = cli("contacts", "extract", release, "--import")
    assert result.exit_code == 0, result.stderr
    assert (f"{release}:1: Jane Doe not imported: confidence 0.45 is below 0.50 "
            "(--all imports it)") in result.stderr
    assert [c["name"] for c in _list(cli)] == ["Jeanne Martin"]


def test_extract_import_all_imports_every_proposal(cli, home, tmp_path):
    release = tmp_path / "release.txt"
    release.write_text(CREDIT_AND_CONTACT, encoding="utf-8")
    result = cli("contacts", "extract", release, "--import", "--all")
    assert result.exit_code == 0, result.stderr
    assert "not imported" not in result.stderr
    assert sorted(c["name"] for c in _list(cli)) == ["Jane Doe", "Jeanne Martin"]


CNES_ADDRESS = "Press contact\nJeanne Martin, +33 1 99 00 27 81, jeanne.martin@cnes.fr\n"


def test_extract_names_the_books_organisation_of_the_address_domain(sample_book, tmp_path):
    release = tmp_path / "release.txt"
    release.write_text(CNES_ADDRESS, encoding="utf-8")  # CNES is not written in it
    result = sample_book("contacts", "extract", release, "--json")
    assert result.exit_code == 0, result.stderr
    assert [c["organization"] for c in json.loads(result.stdout)] == ["CNES"]


def test_extract_needs_no_book(cli, missing_home, tmp_path):
    release = tmp_path / "release.txt"
    release.write_text(CNES_ADDRESS, encoding="utf-8")
    result = cli("contacts", "extract", release, "--json")
    assert result.exit_code == 0, result.stderr
    assert [c["organization"] for c in json.loads(result.stdout)] == [None]
    assert not missing_home.exists()


def test_extract_import_refuses_a_proposal_with_a_bad_number(cli, home, tmp_path):
    release = tmp_path / "release.txt"
    release.write_text("Press contact\nJeanne Martin, Press Officer, Tél. 01 44 76, "
                       "jeanne.martin@example.fr\n", encoding="utf-8")
    cli("init")
    before = db_snapshot(home)
    result = cli("contacts", "extract", release, "--import")
    assert result.exit_code == 3
    assert f"{release}:2:" in result.stderr and "too short" in result.stderr
    assert db_snapshot(home) == before


def test_skip_invalid_shows_the_first_rejects_and_writes_them_all(cli, tmp_path):
    rows = [f"Person {i},p{i}@example.com,01 44 76" for i in range(15)]
    source = tmp_path / "bad.csv"
    source.write_text("Name,Email,Phone\n" + "\n".join(rows) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    result = cli("contacts", "import", source, "--skip-invalid", "--rejects", rejects)
    assert result.exit_code == 0
    assert result.stderr.count("rejected /") == 10
    assert f"5 more rejected row(s), all in {rejects}" in result.stderr
    assert len(rejects.read_text(encoding="utf-8").splitlines()) == 16


def test_a_broken_vcard_file_is_named_in_every_problem(cli, tmp_path):
    broken = tmp_path / "phone-export.vcf"
    broken.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Jane Doe\nEMAIL:jane@example.com\n",
                      encoding="utf-8")
    result = cli("contacts", "import", broken)
    assert result.exit_code == 3
    assert f"{broken}:1: BEGIN:VCARD without END:VCARD" in result.stderr


def test_an_unknown_duplicate_policy_is_a_command_line_error(cli):
    result = cli("contacts", "add", "Jane Doe", "--email", "jane@example.com",
                 "--on-duplicate", "maybe")
    assert result.exit_code == 2
    assert "fail, skip, update" in result.stderr


# -- files Excel opens (issue 11) ----------------------------------------------------------

def _add_zoe(cli):
    result = cli("contacts", "add", "Zoé Lenoir", "--email", "z.lenoir@lib.example",
                 "--outlet", "Libération", "--role", "Cheffe du service Sciences",
                 "--notes", "Appeler le matin; jamais le lundi", "--lang", "fr")
    assert result.exit_code == 0, result.stderr


def test_excel_csv_export_is_semicolons_utf8_with_bom_and_crlf(cli, tmp_path):
    import csv

    _add_zoe(cli)
    out = tmp_path / "contacts.csv"
    result = cli("contacts", "export", "--format", "csv", "--excel", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert "Excel" in result.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfname;kind;role;")
    assert data.count(b"\r\n") == 2 and b"\n" not in data.replace(b"\r\n", b"")
    assert "Zoé Lenoir;journalist;".encode() in data
    assert b'"Appeler le matin; jamais le lundi"' in data  # a ';' in a value is quoted
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [(r["name"], r["outlet"], r["notes"]) for r in rows] == [
        ("Zoé Lenoir", "Libération", "Appeler le matin; jamais le lundi")]


def test_excel_implies_csv_and_goes_to_stdout_too(cli):
    _add_zoe(cli)
    result = cli("contacts", "export", "--excel")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith("\ufeffname;kind;".encode())
    assert result.stdout_bytes.count(b"\r\n") == 2  # click's .stdout hides the CR


def test_excel_with_another_format_is_a_command_line_error(cli):
    result = cli("contacts", "export", "--format", "vcard", "--excel")
    assert result.exit_code == 2
    assert "--excel is for CSV" in result.stderr


def test_without_excel_the_csv_export_stays_comma_separated_without_bom(cli):
    _add_zoe(cli)
    result = cli("contacts", "export", "--format", "csv")
    assert result.stdout.startswith("name,kind,role,")


def test_an_excel_csv_export_imports_back_into_another_book(cli, tmp_path):
    _add_zoe(cli)
    out = tmp_path / "excel.csv"
    assert cli("contacts", "export", "--excel", "--out", out).exit_code == 0
    other_home = tmp_path / "other"
    other = ("--home", other_home, "--db", other_home / "pressctl.db")
    assert cli(*other, "init").exit_code == 0
    result = cli(*other, "contacts", "import", out)
    assert result.exit_code == 0, result.stderr
    [zoe] = json.loads(cli(*other, "contacts", "list", "--json").stdout)
    assert (zoe["name"], zoe["outlet"], zoe["role"], zoe["notes"]) == (
        "Zoé Lenoir", "Libération", "Cheffe du service Sciences",
        "Appeler le matin; jamais le lundi")


@pytest.mark.parametrize(("data", "said"), [
    ("Nom;Courriel;Média\r\nZoé Lenoir;z.lenoir@lib.example;Libération\r\n".encode("cp1252"),
     "read as Windows-1252 (Latin-1) (not UTF-8), cells separated by semicolons"),
    ("Nom\tCourriel\tMédia\r\nZoé Lenoir\tz.lenoir@lib.example\tLibération\r\n"
     .encode("utf-16"), "read as UTF-16 (not UTF-8), cells separated by tabs"),
], ids=["cp1252", "utf16"])
def test_excel_own_csv_files_import_and_say_the_encoding_used(cli, tmp_path, data, said):
    path = tmp_path / "excel.csv"
    path.write_bytes(data)
    result = cli("contacts", "import", path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count(f"{path}: {said}\n") == 1
    [zoe] = _list(cli)
    assert (zoe["name"], zoe["outlet"]) == ("Zoé Lenoir", "Libération")


def test_contacts_export_follows_the_config_csv_dialect_unless_told(sample_book, home,
                                                                    tmp_path):
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '# csv_dialect = "excel"', 'csv_dialect = "excel"'), encoding="utf-8")
    excel = tmp_path / "excel.csv"
    assert sample_book("contacts", "export", "--out", excel).exit_code == 0
    assert excel.read_bytes().startswith(b"\xef\xbb\xbf") and b";" in excel.read_bytes()
    plain = tmp_path / "plain.csv"
    assert sample_book("contacts", "export", "--out", plain, "--no-excel").exit_code == 0
    assert not plain.read_bytes().startswith(b"\xef\xbb\xbf")
