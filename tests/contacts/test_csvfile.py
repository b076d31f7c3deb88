"""CSV files as spreadsheets write them: reading, writing, and the rejects file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import DATA

from pressctl.contacts.formats import Rejected
from pressctl.contacts.formats.csvfile import EXPORT_COLUMNS, read_csv, write_csv
from pressctl.contacts.formats.files import open_contact_file, rejects_text
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.validation import validate_fields
from pressctl.errors import InvalidInput

IMPORT = DATA / "import"


def read(text: str, source: str = "contacts.csv"):
    layout, records = read_csv(text, source)
    return layout, list(records)


def opened(data: bytes | str, name: str = "contacts.csv"):
    """open_contact_file on in-memory bytes: (the ContactFile, its records as a list)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    file = open_contact_file(Path(name), data=raw)
    return file, list(file.records)


def fr_region(country, organization):
    return country or "FR"


# -- header mapping ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("column", "cell", "key", "expected"),
    [
        # e-mail
        ("Email", "a@example.org", "emails", ["a@example.org"]),
        ("E-mail", "a@example.org", "emails", ["a@example.org"]),
        ("Courriel", "a@example.org", "emails", ["a@example.org"]),
        ("Adresse e-mail", "a@example.org", "emails", ["a@example.org"]),
        ("E-mail professionnel", "a@example.org", "emails", ["a@example.org"]),
        # phones: work numbers as written, mobiles and faxes labelled for the phone parser
        ("Phone", "01 44 76 75 39", "phones", ["01 44 76 75 39"]),
        ("Tél.", "01 44 76 75 39", "phones", ["01 44 76 75 39"]),
        ("Téléphone", "01 44 76 75 39", "phones", ["01 44 76 75 39"]),
        ("Tel", "01 44 76 75 39", "phones", ["01 44 76 75 39"]),
        ("Mobile", "06 25 79 64 79", "phones", ["Mobile: 06 25 79 64 79"]),
        ("Portable", "06 25 79 64 79", "phones", ["Mobile: 06 25 79 64 79"]),
        ("Téléphone portable", "06 25 79 64 79", "phones", ["Mobile: 06 25 79 64 79"]),
        ("Fax", "01 44 76 75 00", "phones", ["Fax: 01 44 76 75 00"]),
        # the rest
        ("Organisation", "CNES", "organization", "CNES"),
        ("Organization", "CNES", "organization", "CNES"),
        ("Organisme", "CNES", "organization", "CNES"),
        ("Société", "CNES", "organization", "CNES"),
        ("Role", "Press Officer", "role", "Press Officer"),
        ("Fonction", "Attachée de presse", "role", "Attachée de presse"),
        ("Job title", "Editor", "role", "Editor"),
        ("Média", "Santé Hebdo", "outlet", "Santé Hebdo"),
        ("Outlet", "Santé Hebdo", "outlet", "Santé Hebdo"),
        ("Pays", "BE", "country", "BE"),
        ("Langues", "fr,en", "languages", "fr,en"),
        ("Rubriques", "space", "tags", "space"),
        ("Remarques", "call first", "notes", "call first"),
        ("Type", "officer", "kind", "officer"),
    ],
)
def test_header_names_in_english_and_french(column, cell, key, expected):
    layout, [record] = read(f"Name;{column}\nJean Dupont;{cell}\n")
    assert layout.unknown == []
    assert record.fields == {"name": "Jean Dupont", key: expected}


def test_a_lone_nom_column_is_the_full_name():
    _, [record] = read("Nom,Courriel\nPascale Bresson,pascale.bresson@cnes.fr\n")
    assert record.fields["name"] == "Pascale Bresson"
    assert "last_name" not in record.fields


@pytest.mark.parametrize(
    ("header", "row"),
    [
        ("Prénom;Nom", "Pascale;Bresson"),
        ("Nom;Prénom", "Bresson;Pascale"),
        ("First name;Last name", "Pascale;Bresson"),
        ("Given name;Surname", "Pascale;Bresson"),
        ("Nom de famille;Prénom", "Bresson;Pascale"),
    ],
)
def test_first_and_last_name_columns_build_the_name(header, row):
    _, [record] = read(f"{header}\n{row}\n")
    assert record.fields["first_name"] == "Pascale"
    assert record.fields["last_name"] == "Bresson"
    assert validate_fields(record.fields, fr_region).contact.name == "Pascale Bresson"


def test_a_header_without_a_name_column_is_refused_with_file_and_line():
    with pytest.raises(InvalidInput) as caught:
        read("Email,Phone\na@example.org,01 44 76 75 39\n", "journalistes.csv")
    assert caught.value.message.startswith("journalistes.csv:1: no name column")
    assert "Email, Phone" in caught.value.message
    assert "Nom" in caught.value.hint


def test_the_no_name_line_counts_the_sep_line():
    with pytest.raises(InvalidInput, match=r"^x\.csv:2: no name column"):
        read("sep=;\nCourriel;Tél.\na@example.org;01\n", "x.csv")


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput, match="empty"):
        read("\n\n", "empty.csv")


def test_unknown_columns_are_reported_as_a_note_not_used():
    file, [record] = opened("Name,Email,Adresse,Twitter\nA B,a@example.org,1 rue X,@ab\n")
    assert file.notes == ["ignored column(s): Adresse, Twitter"]
    assert record.fields == {"name": "A B", "emails": ["a@example.org"]}


def test_known_export_bookkeeping_columns_are_ignored_silently():
    file, [record] = opened("name,id,created,updated,error\nA B,3,2026,2026,old reason\n")
    assert file.notes == []
    assert record.fields == {"name": "A B"}


# -- encodings and delimiters ---------------------------------------------------------------

def test_utf8_with_and_without_bom_read_the_same():
    text = "Nom;Courriel\r\nÉlodie Marchand;elodie.marchand@example.net\r\n"
    plain_file, plain = opened(text.encode("utf-8"))
    bom_file, with_bom = opened(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert with_bom == plain
    assert with_bom[0].fields["name"] == "Élodie Marchand"
    assert bom_file.header_text == "Nom;Courriel\r\n"


def test_excel_french_file_with_bom_sep_line_and_crlf():
    file = open_contact_file(IMPORT / "excel_fr.csv")
    records = list(file.records)
    assert file.delimiter == ";"
    assert file.header_text.startswith("Prénom;Nom;")
    assert [r.line for r in records] == [3, 4, 6]
    first = records[0].fields
    assert first["first_name"] == "Pascale" and first["last_name"] == "Bresson"
    assert first["tags"] == "espace;presse"  # a quoted ';' stays in its cell
    assert first["phones"] == ["01 44 76 75 39"]
    second = records[1]
    assert second.fields["notes"] == "Appeler le matin\r\nou par SMS"
    assert second.fields["phones"] == ["+33 (0)1 44 76 74 51", "Mobile: 06 25 79 64 79"]
    assert second.text == ("Raphaël;Sart;Raphael.Sart@CNES.fr;+33 (0)1 44 76 74 51;"
                           "06 25 79 64 79;CNES;Responsable presse;espace;FR;"
                           '"Appeler le matin\r\nou par SMS"\r\n')


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('Name,Email,Notes\nA B,a@example.org,"x; y"\n', ","),
        ('Name;Email;Notes\nA B;a@example.org;"x, y"\n', ";"),
        ('sep=;\nName;Email;Notes\nA B;a@example.org;"x, y"\n', ";"),
        ('"sep=,"\nName,Email,Notes\nA B,a@example.org,"x; y"\n', ","),
        ("Name\tEmail\tNotes\nA B\ta@example.org\tx, y; z\n", "\t"),
    ],
)
def test_delimiters(text, delimiter):
    layout, [record] = read(text)
    assert layout.delimiter == delimiter
    assert record.fields["name"] == "A B"
    assert record.fields["emails"] == ["a@example.org"]
    assert record.fields["notes"] in ("x; y", "x, y", "x, y; z")


def test_a_file_that_is_not_utf8_and_holds_no_utf8_is_read_as_cp1252():
    file = open_contact_file(IMPORT / "cp1252.csv")
    assert [r.fields["name"] for r in file.records] == ["Pascale Bresson", "Anaïs Gauthier"]
    assert file.notes == ["read as Windows-1252 (Latin-1) (not UTF-8), cells separated by "
                          "semicolons"]


def test_a_utf8_file_with_one_stray_byte_is_refused_at_its_line_not_read_as_cp1252():
    data = "Nom\nÉlodie\nBob\n".encode() + "Rémi\n".encode("cp1252")
    with pytest.raises(InvalidInput, match=r"^x\.csv:4: not UTF-8 \(byte 0xe9\)") as caught:
        open_contact_file(Path("x.csv"), data=data)
    assert "UTF-8" in caught.value.hint


# Excel's "CSV (séparateur: point-virgule)" in a French Windows: cp1252, ';', CRLF.
EXCEL_CP1252 = ("Nom;Courriel;Média;Notes\r\n"
                "Zoé Lenoir;z.lenoir@lib.example;Libération;Chœur à 5 €, très tôt\r\n"
                "Hélène Mère;h.mere@lib.example;Libération;\r\n").encode("cp1252")
# Excel's "Texte Unicode": UTF-16 LE with a BOM, tab-separated.
EXCEL_UNICODE = ("Nom\tCourriel\tMédia\r\n"
                 "Zoé Lenoir\tz.lenoir@lib.example\tLibération\r\n").encode("utf-16")


@pytest.fixture(params=["bytes", "file"])
def open_bytes(request, tmp_path):
    """Both ways into open_contact_file: bytes read elsewhere, and a file on disk."""
    def run(data: bytes, name: str = "excel.csv"):
        if request.param == "bytes":
            file = open_contact_file(Path(name), data=data)
        else:
            (tmp_path / name).write_bytes(data)
            file = open_contact_file(tmp_path / name)
        return file, list(file.records)
    return run


def test_excel_cp1252_semicolon_file_is_read_with_its_accents(open_bytes):
    assert b"\x9c" in EXCEL_CP1252 and b"\x80" in EXCEL_CP1252  # œ and € as cp1252 bytes
    file, records = open_bytes(EXCEL_CP1252)
    assert [r.line for r in records] == [2, 3]
    assert records[0].fields == {"name": "Zoé Lenoir", "emails": ["z.lenoir@lib.example"],
                                 "outlet": "Libération", "notes": "Chœur à 5 €, très tôt"}
    assert records[1].fields["name"] == "Hélène Mère"
    assert file.notes == ["read as Windows-1252 (Latin-1) (not UTF-8), cells separated by "
                          "semicolons"]


@pytest.mark.parametrize(("data", "label"), [
    (EXCEL_UNICODE, "UTF-16"),
    (EXCEL_UNICODE[2:], "UTF-16 LE"),  # no BOM: found by the NULs of its ASCII
    ("Nom\tCourriel\r\nZoé Lenoir\tz.lenoir@lib.example\r\n".encode("utf-16-be"),
     "UTF-16 BE"),
], ids=["le-bom", "le-no-bom", "be-no-bom"])
def test_utf16_files_are_found_by_content(open_bytes, data, label):
    file, [record] = open_bytes(data)
    assert record.fields["name"] == "Zoé Lenoir"
    assert record.fields["emails"] == ["z.lenoir@lib.example"]
    assert file.delimiter == "\t"
    assert file.notes == [f"read as {label} (not UTF-8), cells separated by tabs"]


def test_valid_utf8_stays_utf8_even_when_cp1252_would_read_it_too(open_bytes):
    data = "Nom;Média\nZoé Lenoir;Libération\n".encode()
    assert data.decode("cp1252")  # "ZoÃ©": cp1252 reads these bytes, wrongly
    file, [record] = open_bytes(data)
    assert record.fields["name"] == "Zoé Lenoir"
    assert file.notes == []


@pytest.mark.parametrize(("data", "message"), [
    # 0x81 is one of the five bytes cp1252 leaves undefined
    (b"Nom\r\nZo\xe9\r\nBad\x81\r\n", r":3: not Windows-1252 \(Latin-1\) \(byte 0x81\)"),
    (b"\xef\xbb\xbfNom\nAlice\nR\xe9mi\n", r":3: not UTF-8 \(byte 0xe9\)"),  # a BOM says UTF-8
    (b"Nom\nR\xe9mi\nA\x00B\n", r":2: not UTF-8 \(byte 0xe9\)"),  # NUL: not a text file
    ("Nom\nAlice\n".encode("utf-16") + b"\x00\xd8A\x00\n\x00",
     r":3: not UTF-16 \(bytes 0x00d8\)"),  # a lone surrogate
], ids=["cp1252-undefined", "bom-then-cp1252", "nul", "utf16-lone-surrogate"])
def test_undecodable_bytes_are_refused_with_file_and_line(open_bytes, data, message):
    with pytest.raises(InvalidInput, match=message) as caught:
        open_bytes(data, "bad.csv")
    assert caught.value.message.split(":")[-3].endswith("bad.csv")


# -- records: lines, text, shape ---------------------------------------------------------

def test_a_quoted_cell_with_a_newline_keeps_text_and_lines_right():
    text = ('Name,Email,Notes\n'
            'A B,a@example.org,"first line\nsecond line"\n'
            'C D,c@example.org,plain\n')
    _, records = read(text)
    assert [r.line for r in records] == [2, 4]
    assert records[0].text == 'A B,a@example.org,"first line\nsecond line"\n'
    assert records[0].fields["notes"] == "first line\nsecond line"
    assert records[1].text == "C D,c@example.org,plain\n"


@pytest.mark.parametrize("odd", ["\x0b", "\x0c", "\u2028", "\x85", "\x1e"])
def test_only_cr_and_lf_end_a_row(odd):
    # FileMaker writes a vertical tab for a line break inside a cell; U+2028 comes from
    # copied web text. Neither may split the row or shift the line numbers.
    text = f"Name,Email,Notes\nA B,a@example.org,one{odd}two\nC D,c@example.org,x\n"
    _, records = read(text)
    assert [(r.line, r.fields["name"]) for r in records] == [(2, "A B"), (3, "C D")]
    assert records[0].fields["notes"] == f"one{odd}two"
    assert records[0].text == f"A B,a@example.org,one{odd}two\n"


def test_blank_rows_are_skipped_and_still_counted():
    _, records = read("Name\n\nA B\n,\n\nC D")
    assert [(r.line, r.fields["name"]) for r in records] == [(3, "A B"), (6, "C D")]
    assert records[1].text == "C D"


def test_lines_and_texts_stay_exact_across_multiline_headers_cells_and_blank_rows():
    # Whitespace of any kind makes a cell (and a row) blank, as str.strip says; a row's
    # extra cells count only when one holds text.
    text = ('sep=;\r\n\r\n"Full\nname";Email;Mobile;Fonction (EN)\r\n'
            '\u00a0;\u2003\t;\u3000\r\n'
            '"A\r\nB";a@example.org;06 12;Editor;\u00a0 \r\n'
            ';;\r\n'
            "C D;'=c@example.org;\u2003;;;x\r\n"
            '"E\nF\nG";e@example.org')
    layout, records = read(text)
    assert (layout.header_line, layout.header_text) == (3, '"Full\nname";Email;Mobile;'
                                                           'Fonction (EN)\r\n')
    assert [(r.line, r.text) for r in records] == [
        (6, '"A\r\nB";a@example.org;06 12;Editor;\u00a0 \r\n'),
        (9, "C D;'=c@example.org;\u2003;;;x\r\n"),
        (10, '"E\nF\nG";e@example.org')]
    assert [r.fields for r in records] == [
        {"name": "A\r\nB", "emails": ["a@example.org"], "phones": ["Mobile: 06 12"],
         "roles": ["en=Editor"]},
        {"_error": "6 cells for 4 columns (a ';' inside an unquoted value?)", "name": "C D",
         "emails": ["=c@example.org"]},
        {"name": "E\nF\nG", "emails": ["e@example.org"]}]


def test_a_row_with_too_many_cells_is_marked():
    _, [bad, tolerated] = read("Name,Email\nDupont, Jean,j@example.org\nA B,a@example.org,,\n")
    assert bad.fields["_error"] == "3 cells for 2 columns (a ',' inside an unquoted value?)"
    assert "_error" not in tolerated.fields  # empty trailing cells are what Excel writes
    assert validate_fields(bad.fields, fr_region).problems[0].startswith("3 cells")


def test_several_phone_columns_and_a_phones_cell_with_labels():
    _, [record] = read('Name,Phones,Mobile,Fax\nA B,"Mobile: 06 25 79 64 79; 01 44 76 75 39",'
                       "06 86 89 55 17,01 44 76 75 00\n")
    contact = validate_fields(record.fields, fr_region).contact
    assert [(p.e164, p.type) for p in contact.phones] == [
        ("+33625796479", "mobile"), ("+33144767539", "work"),
        ("+33686895517", "mobile"), ("+33144767500", "fax"),
    ]


def test_several_email_columns_are_all_kept():
    _, [record] = read("Name,Email,Email 2\nA B,a@example.org,b@example.org\n")
    assert record.fields["emails"] == ["a@example.org", "b@example.org"]


# -- writing -------------------------------------------------------------------------------

def _phone_text(phone: Phone) -> str:
    return phone.e164 + (f" ext. {phone.extension}" if phone.extension else "")


def test_write_csv_writes_the_export_columns_and_reads_back_the_same():
    contact = Contact(
        name='Dupont, Jean "JD"', kind="officer", role="Head; press", organization="CNES",
        tags=["space", "press-office"], languages=["fr", "en-GB"], country="FR",
        emails=["jd@example.org", "Jean.Dupont@example.com"],
        phones=[Phone("+33144767500", "12", "work", "standard"),
                Phone("+33625796479", None, "mobile"), Phone("+33144767501", None, "fax")],
        notes="line one\nline two", embargo_ok=True, opted_out=True, id=4,
        created="2026-01-01T00:00:00Z", updated="2026-02-01T00:00:00Z",
    )
    text = "".join(write_csv([contact], _phone_text))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    assert rows[1][EXPORT_COLUMNS.index("id")] == "4"
    assert text.endswith("\r\n")

    layout, [record] = read(text)
    assert layout.unknown == []
    back = validate_fields(record.fields, fr_region).contact
    for name in ("name", "kind", "role", "organization", "tags", "languages", "country",
                 "emails", "phones", "notes", "embargo_ok", "opted_out"):
        assert getattr(back, name) == getattr(contact, name), name


def test_write_csv_excel_dialect_is_bom_semicolons_and_crlf():
    contact = Contact(name="Zoé Lenoir", kind="journalist", outlet="Libération",
                      emails=["z.lenoir@lib.example"], notes="matin; pas le lundi")
    text = "".join(write_csv([contact], _phone_text, dialect="excel"))
    assert text.startswith("\ufeffname;kind;role;")
    assert text.count("\r\n") == 2 and text.count("\n") == 2
    assert '"matin; pas le lundi"' in text
    _, [record] = read(text.removeprefix("\ufeff"))
    assert record.fields["name"] == "Zoé Lenoir" and record.fields["outlet"] == "Libération"


_FORMULAS = {"name": '=HYPERLINK("http://x.example/","Click")', "outlet": "@SUM(A1:A9)",
             "role": "+1 editor", "notes": "-2+3 tabs\tinside", "organization": "\tIndented"}


def _formula_contact() -> Contact:
    return Contact(kind="journalist", emails=["f@example.org"],
                   phones=[Phone("+33144767500", None, "work")], **_FORMULAS)


def _cells(text: str, delimiter: str) -> dict[str, str]:
    header, row = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""),
                             delimiter=delimiter)
    return dict(zip(header, row, strict=True))


def test_the_excel_dialect_writes_what_excel_would_evaluate_as_text():
    """A cell starting with = + - @ tab or CR gets an apostrophe in the Excel dialect
    (CSV injection: Excel would run it; a phone "+33 ..." would show as #NULL!)."""
    cells = _cells("".join(write_csv([_formula_contact()], _phone_text, dialect="excel")),
                   ";")
    for key, value in _FORMULAS.items():
        assert cells[key] == "'" + value, key
    assert cells["phones"] == "'+33144767500"
    assert cells["emails"] == "f@example.org" and cells["kind"] == "journalist"


def test_the_standard_dialect_writes_every_cell_as_it_is():
    cells = _cells("".join(write_csv([_formula_contact()], _phone_text)), ",")
    for key, value in _FORMULAS.items():
        assert cells[key] == value, key
    assert cells["phones"] == "+33144767500"


def test_an_excel_export_imports_back_without_the_apostrophes():
    text = "".join(write_csv([_formula_contact()], _phone_text, dialect="excel"))
    _, [record] = read(text.removeprefix("\ufeff"))
    back = validate_fields(record.fields, fr_region).contact
    assert back.name == _FORMULAS["name"] and back.outlet == _FORMULAS["outlet"]
    assert back.role == _FORMULAS["role"] and back.notes == _FORMULAS["notes"]
    assert [p.e164 for p in back.phones] == ["+33144767500"]


@pytest.mark.parametrize("name", ["'t Hart", "'Tis Press", "O'Brien", "'"])
def test_an_apostrophe_before_anything_but_a_formula_character_is_kept(name):
    _, [record] = read(f"Name,Email\n{name},a@example.org\n")
    assert record.fields["name"] == name


def test_write_csv_refuses_an_unknown_dialect():
    with pytest.raises(InvalidInput, match="unknown CSV dialect 'tsv'"):
        list(write_csv([], _phone_text, dialect="tsv"))


def test_write_csv_with_no_contacts_is_just_the_header():
    assert "".join(write_csv([], _phone_text)) == ",".join(EXPORT_COLUMNS) + "\r\n"


# -- the rejects file ----------------------------------------------------------------------

def test_rejects_keep_rows_untouched_under_the_original_header():
    text = ('sep=;\r\n'
            'Nom;Courriel;Tél.;Notes\r\n'
            'Bon Contact;bon@example.org;01 44 76 75 39;ok\r\n'
            'Mauvais;"mauvais@";01 44 76 75 39;"dit ""bonjour""; merci"\r\n'
            'Court;court@example.org;01 44 76;"deux\r\nlignes"\r\n')
    file, records = opened(text)
    rejected = [Rejected(records[1], 'e-mail "mauvais@" is wrong'),
                Rejected(records[2], "phone; too short")]
    out = rejects_text(file, rejected)
    assert out == (
        'Nom;Courriel;Tél.;Notes;error\r\n'
        'Mauvais;"mauvais@";01 44 76 75 39;"dit ""bonjour""; merci";'
        '"e-mail ""mauvais@"" is wrong"\r\n'
        'Court;court@example.org;01 44 76;"deux\r\nlignes";"phone; too short"\r\n'
    )
    # read back: the reason sits in the "error" column, which an import ignores
    rows = list(csv.reader(io.StringIO(out, newline=""), delimiter=";"))
    assert [row[-1] for row in rows] == ["error", 'e-mail "mauvais@" is wrong',
                                         "phone; too short"]
    again, again_records = opened(out)
    assert again.notes == []
    assert [r.fields for r in again_records] == [r.fields for r in records[1:]]


def test_rejects_of_a_short_row_put_the_reason_under_error():
    file, [record] = opened("Name,Email,Phone,Outlet\nA B,bad@\n")
    out = rejects_text(file, [Rejected(record, "bad e-mail")])
    assert out == "Name,Email,Phone,Outlet,error\nA B,bad@,,,bad e-mail\n"
    _, [again] = opened(out.replace("bad@", "ab@example.org"))
    assert again.fields == {"name": "A B", "emails": ["ab@example.org"]}


def test_rejects_of_a_last_row_without_newline_end_with_one():
    file, [record] = opened("Name,Email\r\nA B,bad@")
    assert rejects_text(file, [Rejected(record, "x")]) == "Name,Email,error\r\nA B,bad@,x\r\n"
