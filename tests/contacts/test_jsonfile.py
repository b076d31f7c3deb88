"""JSON contact files: a list, or {"contacts": [...]}, with each object's line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA

from pressctl.contacts.formats import RawRecord, Rejected
from pressctl.contacts.formats.files import open_contact_file, rejects_text
from pressctl.contacts.formats.jsonfile import contact_to_json, read_json, write_json
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.validation import validate_fields
from pressctl.errors import InvalidInput

IMPORT = DATA / "import"


def fr_region(country, organization):
    return country or "FR"


def test_a_plain_list_with_the_line_of_each_object():
    text = ('[\n'
            '  {"name": "A B", "email": "a@example.org"},\n'
            '\n'
            '  {\n'
            '    "name": "C D"\n'
            '  }, {"name": "E F"},\n'
            '  {"name": "G H"}\n'
            ']\n')
    records = read_json(text, "x.json")
    assert [(r.line, r.fields["name"]) for r in records] == [
        (2, "A B"), (4, "C D"), (6, "E F"), (7, "G H")]
    assert records[0].text == '{"name": "A B", "email": "a@example.org"}'
    assert records[1].text == '{\n    "name": "C D"\n  }'


def test_a_contacts_member_found_past_values_and_lists_before_it():
    file = open_contact_file(IMPORT / "contacts.json")
    records = list(file.records)
    assert file.format == "json"
    assert [(r.line, r.fields["name"]) for r in records] == [
        (5, "Pascale Bresson"), (9, "Katrin Vogel"), (18, "Jonas Schäfer")]


@pytest.mark.parametrize(
    "text",
    [
        '{"contacts": [{"name": "A B"}]}',
        '{"type": "contacts", "groups": ["x", "y"], "contacts": [{"name": "A B"}]}',
        '{"meta": {"contacts": 3, "more": [1]}, "contacts": [{"name": "A B"}]}',
        '{"contacts": [{"name": "Z"}], "contacts": [{"name": "A B"}]}',  # json.loads: last
        ' \n{ "contacts" : [ {"name": "A B"} ] , "count": 1 }',
    ],
)
def test_the_contacts_member_wherever_it_stands(text):
    records = read_json(text, "x.json")
    assert [r.fields for r in records] == [{"name": "A B"}]


def test_an_empty_list():
    assert read_json("[]", "x.json") == []
    assert read_json('{"contacts": [ ]}', "x.json") == []


def test_aliases_and_ignored_bookkeeping_fields():
    [record] = read_json(
        '[{"name": "A B", "email": "a@example.org", "phone": "01 44 76 75 39", '
        '"organisation": "CNES", "language": "fr", "beats": ["space", "health"], '
        '"id": 3, "created": "2026-01-01T00:00:00Z", "updated": null}]', "x.json")
    assert record.fields == {
        "name": "A B", "emails": ["a@example.org"], "phones": ["01 44 76 75 39"],
        "organization": "CNES", "languages": ["fr"], "tags": ["space", "health"]}


def test_unknown_fields_reject_the_record():
    [record] = read_json('[{"name": "A B", "twitter": "@ab", "fax_number": "x"}]', "x.json")
    assert record.fields["_error"] == "unknown field(s) fax_number, twitter"
    assert validate_fields(record.fields, fr_region).problems == [
        "unknown field(s) fax_number, twitter"]


def test_an_item_that_is_not_an_object_is_a_record_with_an_error():
    records = read_json('[{"name": "A B"},\n "Jean Dupont",\n 3]', "x.json")
    assert [(r.line, r.fields) for r in records[1:]] == [
        (2, {"_error": "expected an object with contact fields"}),
        (3, {"_error": "expected an object with contact fields"})]
    assert records[1].text == '"Jean Dupont"'


def test_flags_as_booleans_or_strings():
    records = read_json('[{"name": "A", "embargo_ok": true, "opted_out": false},'
                        ' {"name": "B", "embargo_ok": "oui"}]', "x.json")
    assert records[0].fields["embargo_ok"] == "true"
    assert records[0].fields["opted_out"] == "false"
    assert validate_fields(records[1].fields, fr_region).contact.embargo_ok is True


def test_phones_as_strings_or_as_objects_written_by_export():
    [record] = read_json(json.dumps([{"name": "A B", "phones": [
        "Mobile: 06 25 79 64 79",
        {"e164": "+33144767500", "extension": "12", "type": "work", "label": "standard",
         "display": "+33 1 44 76 75 00 ext. 12"},
        {"e164": "+33144767501", "extension": None, "type": "fax", "label": None},
        {"number": "+32 2 555 01 23", "type": "mobile"},
    ]}]), "x.json")
    contact = validate_fields(record.fields, fr_region).contact
    assert contact.phones == [
        Phone("+33625796479", None, "mobile"),
        Phone("+33144767500", "12", "work", "standard"),
        Phone("+33144767501", None, "fax"),
        Phone("+3225550123", None, "mobile"),
    ]


def test_e_mails_as_a_string_or_a_list():
    records = read_json('[{"name": "A", "emails": "a@example.org"},'
                        ' {"name": "B", "emails": ["b@example.org", "c@example.org"]}]', "x")
    assert records[0].fields["emails"] == ["a@example.org"]
    assert records[1].fields["emails"] == ["b@example.org", "c@example.org"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[\n  {"name": "A"},\n  {"name": "B",}\n]', r"^x\.json:3: invalid JSON"),
        ('{"name": "A"}', r'^x\.json:1: expected a list of contacts or an object with a '),
        ('{"contacts": {"name": "A"}}', r"^x\.json:1: expected a list"),
        ('"contacts"', r"^x\.json:1: expected a list"),
        ("", r"^x\.json:1: invalid JSON"),
    ],
)
def test_a_file_that_is_not_a_contact_list_is_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        read_json(text, "x.json")


def test_format_is_guessed_from_the_content_when_the_suffix_says_nothing():
    file = open_contact_file(Path("export"), data=b'  [{"name": "A B"}]')
    assert file.format == "json"
    assert [r.fields for r in file.records] == [{"name": "A B"}]


# -- writing, and the rejects file -------------------------------------------------------

def _phone_text(phone: Phone) -> str:
    return phone.e164


SAMPLE = Contact(
    name="Katrin Vogel", kind="journalist", role="Space editor", outlet="Raumfahrt Heute",
    tags=["space", "defence"], languages=["de", "en"], country="DE",
    emails=["katrin.vogel@raumfahrt-heute.example.com"],
    phones=[Phone("+493023125417", "12", "work", "desk"), Phone("+493023125418", None, "fax")],
    notes="Berlin newsroom;\nreads faxes", embargo_ok=True, opted_out=False, id=9,
    created="2026-01-01T00:00:00Z", updated="2026-02-01T00:00:00Z",
)


def test_write_json_reads_back_to_the_same_contact():
    text = "".join(write_json([SAMPLE, Contact(name="Bare")], _phone_text))
    assert json.loads(text)[0] == contact_to_json(SAMPLE, _phone_text)
    records = read_json(text, "export.json")
    assert [r.line for r in records] == [2, 3]
    back = validate_fields(records[0].fields, fr_region).contact
    for name in ("name", "kind", "role", "outlet", "tags", "languages", "country",
                 "emails", "phones", "notes", "embargo_ok", "opted_out"):
        assert getattr(back, name) == getattr(SAMPLE, name), name


def test_write_json_of_nothing_is_an_empty_list():
    assert json.loads("".join(write_json([], _phone_text))) == []


def test_rejects_are_line_error_record_and_fixed_ones_import_again():
    text = ('[\n'
            '  {"name": "Good", "email": "good@example.org"},\n'
            '  {"name": "Bad",\n'
            '   "email": "bad@", "x": 1}\n'
            ']\n')
    file = open_contact_file(Path("in.json"), data=text.encode())
    good, bad = list(file.records)
    out = rejects_text(file, [Rejected(bad, "e-mail is wrong")])
    assert json.loads(out) == [{"line": 3, "error": "e-mail is wrong",
                                "record": {"name": "Bad", "email": "bad@", "x": 1}}]

    fixed = json.loads(out)
    fixed[0]["record"] = {"name": "Bad", "email": "bad@example.org"}
    again = open_contact_file(Path("rejects.json"), data=json.dumps(fixed, indent=2).encode())
    [record] = list(again.records)
    assert record.line == 2
    assert record.fields == {"name": "Bad", "emails": ["bad@example.org"]}
    # rejected again, it is written back as the contact, not wrapped twice
    out2 = rejects_text(again, [Rejected(record, "still wrong")])
    assert json.loads(out2) == [{"line": 2, "error": "still wrong",
                                 "record": {"name": "Bad", "email": "bad@example.org"}}]


def test_rejects_of_an_item_that_is_not_json_object_keep_it_as_is():
    file = open_contact_file(Path("in.json"), data=b'["just a name"]')
    [record] = list(file.records)
    assert json.loads(rejects_text(file, [Rejected(record, "not an object")])) == [
        {"line": 1, "error": "not an object", "record": "just a name"}]


def test_raw_record_text_is_what_a_rejects_file_parses():
    record = RawRecord(4, {}, "not json {")
    file = open_contact_file(Path("in.json"), data=b"[]")
    assert json.loads(rejects_text(file, [Rejected(record, "r")]))[0]["record"] == "not json {"
