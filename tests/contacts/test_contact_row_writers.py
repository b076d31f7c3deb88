"""The writers of exports and `contacts list --json` that go from the store's rows
(pressctl.contacts.contact_rows: write_csv_rows, write_json_rows, iter_vcard_rows,
contact_row_json) write byte for byte what the Contact-based writers (write_csv,
write_json, iter_vcards, contact_to_json through the --json printer) write for the same
contacts, read from a real book on both backends (issue 12): non-ASCII, quotes,
backslashes, newlines and control characters in notes, tags and roles, extensions,
labels, empty lists, cells a spreadsheet would take for a formula, cards to fold,
phones with and without trusted stored forms."""

from __future__ import annotations

import json

import pytest
from store_backends import book_location

from pressctl.cli.streamed import INDENT, indented_json
from pressctl.contacts.contact_rows import json_strings, number_text
from pressctl.contacts.formats.csvfile import write_csv, write_csv_rows
from pressctl.contacts.formats.jsonfile import (
    contact_row_json,
    contact_to_json,
    write_json,
    write_json_rows,
)
from pressctl.contacts.formats.vcard import iter_vcards
from pressctl.contacts.formats.vcard_writer import iter_vcard_rows
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.phone_forms import STYLES, formatter
from pressctl.store import Store

NOW = "2026-11-22T10:00:00Z"
LONG = "Une note très longue, avec des accents éèà et des virgules; " * 4


def _people() -> list[Contact]:
    return [
        Contact(name="Anaïs Gauthier", kind="journalist", role="Rédactrice en chef",
                outlet="Le Monde des Étoiles", emails=["anais@etoiles.example"],
                phones=[Phone("+33144767539", "12", "work", "standard"),
                        Phone("+33612345678", None, "mobile", None),
                        Phone("+33144767540", None, "fax", None)],
                tags=["espace", "science"], languages=["fr", "en"], country="FR",
                roles={"en": "Editor-in-chief", "de": "Chefredakteurin"},
                embargo_ok=True, salutation="Madame la rédactrice en chef",
                first_name_ok=True, created=NOW, updated=NOW),
        Contact(name="Bob", kind="officer", organization="=HYPERLINK(\"x\")",
                emails=[], phones=[], tags=[], languages=[], created=NOW, updated=NOW),
        Contact(name="de la Cruz, María", kind="other", role='She said "hi"; then\\left',
                organization="-2+3", outlet="@SUM(A1)", country="ES",
                emails=["maria@cruz.example", "m@x.example", "third@x.example"],
                phones=[Phone("+12023581600", "5", "work", "direct, line 2")],
                tags=['quote"tag', 'ends",', "back\\slash", "semi;colon", "comma,tag", "ünï"],
                languages=["es"], notes='Line one\nline "two",\r\nthree\ttab\x01\u2028end',
                opted_out=True, created=NOW, updated="2026-11-22T11:00:00+01:00"),
        Contact(name="Zoë  Adler\tvon   Berg", kind="journalist", outlet="東京 Times",
                organization="Tokyo Media Group", emails=["zoe@tokyo.example"],
                phones=[Phone("+81312345678")], tags=["ニュース"], languages=["ja"],
                notes=LONG, role="Correspondante " + "é" * 40, created=NOW, updated=""),
        Contact(name="Ölaf Ek", kind="journalist", emails=["olaf@ek.example"],
                phones=[Phone("+46812345678", None, "work", 'the "old" one')],
                roles={"sv": "Reporter; senior"}, created=NOW, updated="not a time"),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    with s.transaction():
        s.contacts.insert(_people())
        # A number whose stored forms are not its own (changed by hand) and one without
        # any (written before they were kept): both shown from a parse, as before.
        s.db.execute("UPDATE contact_phones SET international = '+33 9 99 99 99 99' "
                     "WHERE e164 = '+33612345678'")
        s.db.execute("UPDATE contact_phones SET international = NULL, national = NULL, "
                     "region = NULL WHERE e164 = '+12023581600'")
    yield s
    s.close()


def _both(store):
    return list(store.contacts.stream()), list(store.contacts.stream().rows())


def test_the_book_holds_every_hard_case(store):
    contacts, rows = _both(store)
    assert len(contacts) == len(rows) == 5
    assert [c.name for c in contacts] == [r.name for r in rows]
    assert any(p.forms is None for c in contacts for p in c.phones)  # the parse path
    assert any(json_strings(r.tags) is None for r in rows)  # an escape: decoded


@pytest.mark.parametrize("dialect", ["standard", "excel"])
def test_csv_from_rows_is_what_write_csv_writes(store, dialect):
    contacts, rows = _both(store)
    old = "".join(write_csv(contacts, formatter("international"), dialect=dialect))
    new = "".join(write_csv_rows(rows, number_text("international"), dialect=dialect,
                                 batch=2))
    assert new == old
    assert "=HYPERLINK" in new and "de la Cruz, María" in new


def test_csv_from_rows_refuses_an_unknown_dialect():
    from pressctl.errors import InvalidInput

    with pytest.raises(InvalidInput, match="dialect"):
        list(write_csv_rows([], number_text("international"), dialect="tsv"))


def test_json_from_rows_is_what_write_json_writes(store):
    contacts, rows = _both(store)
    old = "".join(write_json(contacts, formatter("international")))
    new = "".join(write_json_rows(rows, number_text("international")))
    assert new == old
    assert "".join(write_json_rows([], number_text("international"))) == \
        "".join(write_json([], formatter("international")))


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("own_country", [None, "FR", "us"])
def test_list_json_objects_from_rows_are_what_the_contact_printer_writes(store, style,
                                                                           own_country):
    """`contacts list --json`: each object at the array's indent, phones shown in the
    settings' style with their label, as pressctl.cli.views.phone_display shows them."""
    contacts, rows = _both(store)
    number = formatter(style, own_country)
    row_number = number_text(style, own_country)

    def show(phone):
        return f"{number(phone)} ({phone.label})" if phone.label else number(phone)

    def row_show(phone):
        return f"{row_number(phone)} ({phone[3]})" if phone[3] else row_number(phone)

    for contact, row in zip(contacts, rows, strict=True):
        expected = contact_to_json(contact, show)
        assert contact_row_json(row, row_show, INDENT) == indented_json(expected, INDENT)
        assert contact_row_json(row, row_show) == json.dumps(expected, ensure_ascii=False)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcards_from_rows_are_what_iter_vcards_writes(store, version):
    contacts, rows = _both(store)
    old = list(iter_vcards(contacts, version, phone_text=formatter("international")))
    new = list(iter_vcard_rows(rows, version, number_text("international")))
    assert new == old
    text = "".join(new)
    assert "\r\n " in text  # a folded line
    assert "NOTE:Line one\\nline \"two\"\\,\\nthree" in text  # escaped


def test_vcards_from_rows_check_the_version_at_once():
    with pytest.raises(ValueError, match="3.0 or 4.0"):
        iter_vcard_rows([], "2.1", number_text("international"))


@pytest.mark.parametrize("text, expected", [
    ("[]", "[]"), ('["a"]', '["a"]'), ('["a","b"]', '["a", "b"]'),
    ('["a", "b"]', '["a", "b"]'),  # PostgreSQL's own spacing
    ('["é,","x"]', '["é,", "x"]'), ('["a\\"b"]', None), ('["a\\\\","b"]', None),
])
def test_json_strings_splices_only_arrays_without_escapes(text, expected):
    assert json_strings(text) == expected
    if expected is not None:
        assert expected == json.dumps(json.loads(text), ensure_ascii=False)
