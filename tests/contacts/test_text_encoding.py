"""Text that cannot be stored is invalid input (issue 7, finding 9).

Lone surrogates (a JSON "\\udcff" escape; what Python makes of bytes that are not UTF-8 in
a command-line argument) and NUL characters are rejected in every import format and in
`contacts add/edit` arguments: exit 3, file:line or the contact, the field named, the
text shown escaped, nothing stored. They used to reach SQLite and exit 1 with a
UnicodeEncodeError.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from conftest import db_snapshot

from pressctl.contacts.validation import validate_fields

SURROGATE = "\udcff"

# (file name, content as bytes, line of the bad record, field named, what is said)
BAD_FILES = [
    ("lone.json", (b'[\n  {"name": "Bob", "emails": ["bob@example.com"]},\n'
                   b'  {"name": "Ann \\udcff", "emails": ["ann@example.com"]}\n]\n'),
     3, 'name "Ann \\udcff"', "lone surrogate"),
    ("nul.json", (b'[\n  {"name": "Ann", "emails": ["ann@example.com"], '
                  b'"notes": "a\\u0000b"}\n]\n'), 2, 'notes "a\\x00b"', "NUL character"),
    ("email.json", b'[{"name": "Ann", "emails": ["ann\\ud800@example.com"]}]\n',
     1, 'e-mail "ann\\ud800@example.com"', "lone surrogate"),
    ("nul.csv", b"name,email,notes\nBob,bob@example.com,x\nAnn,ann@example.com,a\x00b\n",
     3, 'notes "a\\x00b"', "NUL character"),
    ("nul-name.csv", b"name,email\nAnn\x00,ann@example.com\n", 2, 'name "Ann\\x00"',
     "NUL character"),
    ("nul.vcf", (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bob\r\nEMAIL:bob@example.com\r\n"
                 b"END:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\x00X\r\n"
                 b"EMAIL:ann@example.com\r\nEND:VCARD\r\n"), 6, 'name "Ann\\x00X"',
     "NUL character"),
    # UTF-7 is the one charset whose decoder lets a lone surrogate through.
    ("utf7.vcf", (b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
                  b"FN;CHARSET=utf-7;ENCODING=QUOTED-PRINTABLE:Ann +2AA-\r\n"
                  b"EMAIL:ann@example.com\r\nEND:VCARD\r\n"), 1, 'name "Ann \\ud800"',
     "lone surrogate"),
]


@pytest.mark.parametrize(("name", "content", "line", "field", "said"), BAD_FILES,
                         ids=[f[0] for f in BAD_FILES])
def test_unstorable_text_in_any_import_format_is_invalid_input_with_file_and_line(
        cli, home, tmp_path, name, content, line, field, said):
    path = tmp_path / name
    path.write_bytes(content)
    before = db_snapshot(home)
    result = cli("contacts", "import", path)
    assert result.exit_code == 3, result.stderr
    assert f"{path}:{line}: {field}" in result.stderr
    assert said in result.stderr
    assert "Traceback" not in result.stderr and "UnicodeEncodeError" not in result.stderr
    assert db_snapshot(home) == before


def test_a_lone_surrogate_in_json_no_longer_exits_1(cli, tmp_path):
    """Finding 9: the JSON import of "Ann \\udcff" exited 1 with a UnicodeEncodeError."""
    path = tmp_path / "ann.json"
    path.write_text('[{"name": "Ann \\udcff", "emails": ["ann@example.com"]}]')
    result = cli("contacts", "import", path)
    assert result.exit_code == 3
    assert result.stderr.endswith(
        f'  {path}:1: name "Ann \\udcff" is not valid text: \\udcff is a lone surrogate '
        "(bytes that are not UTF-8, or a broken \\u escape): write it in UTF-8\n")


def test_skipped_unstorable_records_go_to_the_rejects_file_as_written(cli, tmp_path):
    path = tmp_path / "mixed.json"
    path.write_text('[{"name": "Bob", "emails": ["bob@example.com"]},\n'
                    ' {"name": "Ann \\udcff", "emails": ["ann@example.com"]}]')
    rejects = tmp_path / "rejects.json"
    result = cli("contacts", "import", path, "--skip-invalid", "--rejects", rejects)
    assert result.exit_code == 0, result.stderr
    assert "Imported 1 new contact(s)" in result.stderr
    text = rejects.read_text(encoding="utf-8")  # valid UTF-8: the escape is kept as such
    assert '"Ann \\udcff"' in text
    [entry] = json.loads(text)
    assert entry["line"] == 2 and entry["record"]["name"] == "Ann " + SURROGATE
    assert "lone surrogate" in entry["error"]
    fixed = tmp_path / "fixed.json"
    entry["record"]["name"] = "Ann é"
    fixed.write_text(json.dumps([entry]), encoding="utf-8")
    assert cli("contacts", "import", fixed).exit_code == 0  # the rejects file round-trips
    names = {c["name"] for c in json.loads(cli("contacts", "list", "--json").stdout)}
    assert names == {"Bob", "Ann é"}


@pytest.mark.parametrize(("args", "field"), [
    (["Ann " + SURROGATE, "--email", "ann@example.com"], 'name "Ann \\udcff"'),
    (["Ann", "--email", f"ann{SURROGATE}@example.com"], 'e-mail "ann\\udcff@example.com"'),
    (["Ann", "--email", "ann@example.com", "--notes", "a\x00b"], 'notes "a\\x00b"'),
    (["Ann", "--email", "ann@example.com", "--role", f"Chef {SURROGATE}"],
     'role "Chef \\udcff"'),
    (["Ann", "--email", "ann@example.com", "--phone", f"01 44 76 75 3{SURROGATE}"],
     'phone "01 44 76 75 3\\udcff"'),
], ids=["name", "email", "notes-nul", "role", "phone"])
def test_contacts_add_rejects_unstorable_arguments_naming_the_field(cli, home, args, field):
    before = db_snapshot(home)
    result = cli("contacts", "add", *args)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith(f"Error: contact not added: {field} ")
    assert "is not valid text" in result.stderr or "NUL character" in result.stderr
    assert db_snapshot(home) == before


@pytest.mark.parametrize(("args", "field"), [
    (["--role", f"Chef {SURROGATE}"], 'role "Chef \\udcff"'),
    (["--notes", "a\x00b"], 'notes "a\\x00b"'),
    (["--name", f"Ann {SURROGATE}"], 'name "Ann \\udcff"'),
    (["--add-email", f"x{SURROGATE}@example.com"], 'e-mail "x\\udcff@example.com"'),
], ids=["role", "notes-nul", "name", "add-email"])
def test_contacts_edit_rejects_unstorable_arguments_naming_the_field(cli, home, args, field):
    assert cli("contacts", "add", "Ann", "--email", "ann@example.com").exit_code == 0
    before = db_snapshot(home)
    result = cli("contacts", "edit", "1", *args)
    assert result.exit_code == 3, result.stderr
    assert result.stderr.startswith(f"Error: contact #1 not changed: {field} ")
    assert "is not valid text" in result.stderr or "NUL character" in result.stderr
    assert db_snapshot(home) == before


def test_an_argument_with_bytes_that_are_not_utf8_is_rejected_by_the_installed_script(
        console_script, home):
    """The real path: the shell passes the byte 0xff, Python decodes it to \\udcff."""
    env = {**os.environ, "PRESSCTL_HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [os.fsencode(console_script), b"contacts", b"add", b"Ann \xff", b"--email",
         b"ann@example.com"], env=env, capture_output=True, timeout=60, check=False)
    stderr = done.stderr.decode("utf-8")
    assert done.returncode == 3, stderr
    assert stderr.startswith('Error: contact not added: name "Ann \\udcff" is not valid text')
    assert "Traceback" not in stderr


@pytest.mark.parametrize(("fields", "problem"), [
    ({"name": "Ann \ud83d"}, 'name "Ann \\ud83d" is not valid text'),  # half an emoji
    ({"name": "Ann", "tags": ["ok", "b\x00d"]}, 'tags "b\\x00d" contains a NUL character'),
    ({"name": "Ann", "organization": "CN\udcffES"}, 'organisation "CN\\udcffES"'),
    ({"name": "Zoé \udcff"}, 'name "Zoé \\udcff"'),  # only the broken character escaped
])
def test_validation_names_the_field_and_shows_the_text_escaped(fields, problem):
    result = validate_fields(fields, lambda country, org: "FR")
    assert not result.ok and result.contact is None
    assert any(p.startswith(problem) for p in result.problems), result.problems
    for text in result.problems:
        text.encode("utf-8")  # every message can be printed and stored


def test_valid_unicode_is_untouched():
    result = validate_fields({"name": "Zoé 😀 Ōta", "emails": ["zoe@example.com"]},
                             lambda country, org: "FR")
    assert result.ok and result.contact.name == "Zoé 😀 Ōta"


@pytest.mark.parametrize("args", [
    ["orgs", "add", f"Zoé {SURROGATE}"],
    ["contacts", "list", "--search", f"x{SURROGATE}"],
], ids=["orgs add", "contacts list --search"])
def test_unstorable_arguments_anywhere_else_are_invalid_input_not_a_bug(cli, home, args):
    before = db_snapshot(home)
    result = cli(*args)
    assert result.exit_code == 3, result.stderr
    assert "\\udcff" in result.stderr and "is not valid text" in result.stderr
    assert "bug" not in result.stderr and result.stderr.count("\n") == 1
    assert db_snapshot(home) == before


@pytest.mark.parametrize(("data", "line", "said"), [
    (b"Nom;Courriel\r\nZo\xe9;z@lib.example\r\nBad\x81;b@lib.example\r\n", 3,
     "not Windows-1252 (Latin-1) (byte 0x81)"),
    ("Nom\nZoé\n".encode() + "Rémi\n".encode("cp1252"), 3, "not UTF-8 (byte 0xe9)"),
], ids=["undefined-in-cp1252", "utf8-with-a-cp1252-byte"])
def test_bytes_no_detected_encoding_reads_are_still_refused_with_file_and_line(
        cli, home, tmp_path, data, line, said):
    path = tmp_path / "excel.csv"
    path.write_bytes(data)
    before = db_snapshot(home)
    result = cli("contacts", "import", path)
    assert result.exit_code == 3
    assert f"{path}:{line}: {said}" in result.stderr
    assert db_snapshot(home) == before
