"""vCard reading and writing, checked against vobject as an independent parser."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import vobject
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.contacts.formats.vcard import read_vcards, write_vcards
from pressctl.contacts.formats.vcard_writer import _card, _fold
from pressctl.contacts.model import Contact, Phone
from pressctl.errors import Problem, ProblemsFound

DATA = Path(__file__).parent.parent / "data" / "vcard"
# Escaped characters, line breaks and a backslash that must not turn into "\n".
RAPHAEL_NOTE = "Couvre l'Élysée; Matignon, parfois.\nPréfère les SMS.\nChemin: C:\\notes\\presse"


def fixture_text(name: str) -> str:
    # newline="" keeps CRLF files as they are, so line endings are part of the test.
    with open(DATA / name, encoding="utf-8", newline="") as handle:
        return handle.read()


def raphael() -> Contact:
    return Contact(
        name="Raphaël Sart",
        kind="journalist",
        role="Journaliste politique",
        organization="Le Monde",
        outlet="Le Monde, édition du soir",
        tags=["politique", "élysée"],
        languages=["fr", "en"],
        country="FR",
        emails=["r.sart@lemonde.example", "raphael.sart@mail.example"],
        phones=[
            Phone("+33144767539", extension="5"),
            Phone("+33625796479", type="mobile"),
            Phone("+33144767500", type="fax"),
        ],
        notes=RAPHAEL_NOTE,
        embargo_ok=True,
        id=12,
        updated="2024-05-01T12:00:00+02:00",
    )


def francoise() -> Contact:
    return Contact(
        name="Françoise Millet",
        kind="officer",
        role="Attachée de presse",
        organization="Ministère de l'Économie; des Finances, Service presse",
        emails=["francoise.millet@finances.example"],
        phones=[Phone("+33153180000")],
        opted_out=True,
        id=13,
    )


def siobhan() -> Contact:
    return Contact(
        name="O'Brien, Siobhán",
        organization="The Irish Times",
        emails=["s.obrien@irishtimes.example"],
        languages=["en"],
        id=14,
    )


def parse_with_vobject(text: str) -> list:
    return list(vobject.readComponents(text))


def values(card, name: str) -> list:
    return [line.value for line in card.contents.get(name, [])]


# ----------------------------------------------------------------- writing, read by vobject


def test_written_3_0_cards_are_read_by_vobject_with_every_value_intact():
    cards = parse_with_vobject(write_vcards([raphael(), francoise(), siobhan()]))

    assert [card.version.value for card in cards] == ["3.0"] * 3
    first, second, third = cards
    assert first.fn.value == "Raphaël Sart"
    assert (first.n.value.family, first.n.value.given) == ("Sart", "Raphaël")
    assert first.org.value == ["Le Monde, édition du soir"]  # a journalist's ORG: the outlet
    assert first.title.value == "Journaliste politique"
    assert first.role.value == "Journalist"
    assert [(line.value, line.params["TYPE"]) for line in first.contents["email"]] == [
        ("r.sart@lemonde.example", ["INTERNET", "PREF"]),
        ("raphael.sart@mail.example", ["INTERNET"]),
    ]
    assert [(line.value, line.params["TYPE"]) for line in first.contents["tel"]] == [
        ("+33144767539 ext. 5", ["WORK", "VOICE"]),
        ("+33625796479", ["CELL"]),
        ("+33144767500", ["WORK", "FAX"]),
    ]
    assert first.note.value == RAPHAEL_NOTE
    assert first.categories.value == ["politique", "élysée"]
    assert values(first, "x-pressctl-lang") == ["fr", "en"]
    assert values(first, "x-pressctl-outlet") == ["Le Monde, édition du soir"]
    assert values(first, "x-pressctl-organization") == ["Le Monde"]
    assert values(first, "x-pressctl-country") == ["FR"]
    assert values(first, "x-pressctl-kind") == ["journalist"]
    assert values(first, "x-pressctl-embargo-ok") == ["true"]
    assert "x-pressctl-opted-out" not in first.contents
    assert first.rev.value == "2024-05-01T10:00:00Z"  # +02:00 converted to UTC

    assert second.org.value == ["Ministère de l'Économie; des Finances, Service presse"]
    assert values(second, "x-pressctl-opted-out") == ["true"]
    assert "x-pressctl-embargo-ok" not in second.contents
    assert "rev" not in second.contents

    assert third.fn.value == "O'Brien, Siobhán"
    assert (third.n.value.family, third.n.value.given) == ("O'Brien", "Siobhán")


def test_written_4_0_cards_are_read_by_vobject():
    # vobject applies its 3.0 rules to 4.0 cards: it parses them and unescapes text, but
    # leaves tel: URIs and PREF=n alone; read_vcards interprets those (tested below).
    (card,) = parse_with_vobject(write_vcards([raphael()], version="4.0"))

    assert card.version.value == "4.0"
    assert card.kind.value == "individual"
    assert card.prodid.value
    assert card.fn.value == "Raphaël Sart"
    assert (card.n.value.family, card.n.value.given) == ("Sart", "Raphaël")
    assert [(line.value, line.params.get("PREF")) for line in card.contents["email"]] == [
        ("r.sart@lemonde.example", ["1"]),
        ("raphael.sart@mail.example", None),
    ]
    assert [(line.value, line.params["TYPE"]) for line in card.contents["tel"]] == [
        ("tel:+33144767539;ext=5", ["work", "voice"]),
        ("tel:+33625796479", ["cell"]),
        ("tel:+33144767500", ["work", "fax"]),
    ]
    assert all(line.params["VALUE"] == ["uri"] for line in card.contents["tel"])
    assert [(line.value, line.params["PREF"]) for line in card.contents["lang"]] == [
        ("fr", ["1"]),
        ("en", ["2"]),
    ]
    assert "x-pressctl-lang" not in card.contents
    assert card.note.value == RAPHAEL_NOTE
    assert card.rev.value == "20240501T100000Z"


def test_raw_output_escapes_text_and_uses_crlf_only():
    text = write_vcards([raphael(), francoise()])

    assert text.endswith("END:VCARD\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    assert "\r\nORG:Ministère de l'Économie\\; des Finances\\, Service presse\r\n" in text
    assert "\r\nFN:Raphaël Sart\r\n" in text
    assert "\r\nTEL;TYPE=WORK,VOICE:+33144767539 ext. 5\r\n" in text


def test_long_lines_are_folded_at_75_octets_between_utf8_characters():
    # 3-byte and 4-byte characters placed so a cut at exactly 75 bytes would split one.
    note = "Résumé: " + "€" * 40 + " " + "日本語のメモ" * 10 + " 📰" * 20
    contact = Contact(name="Œdipe Lefèvre-Ångström", notes=note, emails=["o.lefevre@example.fr"])

    for version in ("3.0", "4.0"):
        raw = write_vcards([contact], version=version).encode("utf-8")
        physical = raw.split(b"\r\n")[:-1]
        note_lines = [i for i, line in enumerate(physical) if line.startswith(b"NOTE:")]
        assert len(note_lines) == 1
        start = note_lines[0]
        assert physical[start + 1].startswith(b" ") and physical[start + 2].startswith(b" ")
        for line in physical:
            assert len(line) <= 75
            line.decode("utf-8")  # raises if a multi-byte character was cut in two
        assert max(len(line) for line in physical) >= 72  # folding uses the room it has
        (card,) = parse_with_vobject(raw.decode("utf-8"))
        assert card.note.value == note


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.sampled_from("aé€📰 ;,\\x"), min_size=1, max_size=90),
                min_size=1, max_size=6))
@example(["é" + "a" * 74])  # 75 characters, 76 octets: folded
@example(["é" + "a" * 73])  # 75 octets: not
@example(["FN:x", "€" + "a" * 73, "NOTE:" + "a" * 70])  # 76 octets in a card with others
@example(["a" * 76, "é"])  # a long line with the card's accent elsewhere
@example(["a" * 76])  # ASCII: 76 octets, folded
@example(["a" * 75])  # not
def test_a_card_folds_exactly_the_lines_that_pass_75_octets(lines):
    """A card whose lines all fit is written without folding each line (a shortcut that
    counts the card's octets beyond one a character): the result is always every line
    through the folding itself."""
    assert _card(lines) == "".join(_fold(line) + "\r\n" for line in lines)


def test_phone_text_formatter_is_used_for_3_0_text_but_not_for_4_0_uris():
    seen: list[Phone] = []

    def pretty(phone: Phone) -> str:
        seen.append(phone)
        return "+33 1 44 76 75 39 poste 5"

    contact = Contact(name="Raphaël Sart", phones=[Phone("+33144767539", extension="5")])

    (card,) = parse_with_vobject(write_vcards([contact], phone_text=pretty))
    assert card.tel.value == "+33 1 44 76 75 39 poste 5"
    assert seen == [Phone("+33144767539", extension="5")]

    v4 = write_vcards([contact], version="4.0", phone_text=pretty)
    assert "TEL;VALUE=uri;TYPE=work,voice:tel:+33144767539;ext=5\r\n" in v4


def test_n_property_splits_names_simply():
    names = {
        "Raphaël Sart": ("Sart", "Raphaël"),
        "Charles de Gaulle": ("de Gaulle", "Charles"),
        "María de la Cruz": ("de la Cruz", "María"),
        "O'Brien, Siobhán": ("O'Brien", "Siobhán"),
        "Madonna": ("", "Madonna"),
        "Jean Pierre Le Pen": ("Pen", "Jean Pierre Le"),
    }
    cards = parse_with_vobject(write_vcards([Contact(name=name) for name in names]))
    assert [(card.n.value.family, card.n.value.given) for card in cards] == list(names.values())


def test_uid_is_a_deterministic_uuid_urn_from_id_and_first_email():
    def uid(contact: Contact) -> str:
        return parse_with_vobject(write_vcards([contact]))[0].uid.value

    first = uid(raphael())
    assert first.startswith("urn:uuid:")
    uuid.UUID(first.removeprefix("urn:uuid:"))
    assert uid(raphael()) == first
    assert parse_with_vobject(write_vcards([raphael()], version="4.0"))[0].uid.value == first

    other_id, other_email = raphael(), raphael()
    other_id.id = 99
    other_email.emails = ["autre@lemonde.example"]
    assert len({first, uid(other_id), uid(other_email), uid(francoise())}) == 4


def test_naive_update_time_is_taken_as_utc_and_garbage_is_left_out():
    naive = Contact(name="A B", updated="2024-05-01 10:00:00")
    assert parse_with_vobject(write_vcards([naive]))[0].rev.value == "2024-05-01T10:00:00Z"
    garbage = Contact(name="A B", updated="yesterday")
    assert "REV" not in write_vcards([garbage])


def test_unknown_version_is_refused():
    with pytest.raises(ValueError, match="2.1"):
        write_vcards([raphael()], version="2.1")


# ----------------------------------------------------------------- reading


def test_reads_cards_serialised_by_vobject():
    card = vobject.vCard()
    card.add("fn").value = "Françoise Millet"
    card.add("n").value = vobject.vcard.Name(family="Millet", given="Françoise")
    card.add("org").value = ["Ministère de l'Économie; des Finances", "Service presse"]
    card.add("title").value = "Attachée de presse"
    email = card.add("email")
    email.value, email.type_param = "f.millet@finances.example", "INTERNET"
    mobile = card.add("tel")
    mobile.value, mobile.type_param = "+33 6 25 79 64 79", "CELL"
    card.add("categories").value = ["Économie", "Budget"]
    card.add("note").value = "Avant 10h,\njamais le vendredi; merci. " + "ü" * 60
    other = vobject.vCard()
    other.add("fn").value = "Siobhán O'Brien"
    other.add("n").value = vobject.vcard.Name(family="O'Brien", given="Siobhán")
    text = card.serialize() + other.serialize()

    first, second = read_vcards(text)

    assert first.fields == {
        "name": "Françoise Millet",
        "first_name": "Françoise",
        "last_name": "Millet",
        "role": "Attachée de presse",
        # ORG of another address book: the import's kind makes it an outlet or not
        "affiliation": "Ministère de l'Économie; des Finances",
        "emails": ["f.millet@finances.example"],
        "phones": ["Mobile: +33 6 25 79 64 79"],
        "tags": "Économie,Budget",
        "notes": "Avant 10h,\njamais le vendredi; merci. " + "ü" * 60,
    }
    assert second.fields["name"] == "Siobhán O'Brien"
    assert second.line == first.text.count("\r\n") + 1
    assert first.text + second.text == text


def test_reads_apple_contacts_export():
    text = fixture_text("apple.vcf")
    raphael_card, siobhan_card = read_vcards(text)

    assert (raphael_card.line, siobhan_card.line) == (1, 22)
    assert raphael_card.fields == {
        "name": "Raphaël Sart",
        "first_name": "Raphaël",
        "last_name": "Sart",
        "role": "Journaliste politique",
        "affiliation": "Le Monde",
        # type=pref puts the home address first although it comes second in the file.
        "emails": ["raphael.sart@mail.example", "r.sart@lemonde.example"],
        "phones": ["Mobile: +33 6 25 79 64 79", "01 44 76 75 39", "Fax: 01 44 76 75 00"],
        "country": "France",
        "notes": "Couvre l'Élysée, Matignon.\nPréfère les SMS.",
    }
    assert siobhan_card.fields["emails"] == ["s.obrien@irishtimes.example"]
    assert siobhan_card.fields["phones"] == ["+353 1 675 8000"]
    assert siobhan_card.fields["affiliation"] == "The Irish Times"
    lines = text.splitlines(keepends=True)
    assert raphael_card.text == "".join(lines[:21])
    assert siobhan_card.text == "".join(lines[21:])


def test_reads_google_contacts_export_with_crlf_and_escaped_separators():
    text = fixture_text("google.vcf")
    assert "\r\n" in text
    (card,) = read_vcards(text)

    assert card.fields["affiliation"] == "Ministère de l'Économie; des Finances"
    assert card.fields["role"] == "Attachée de presse"
    assert card.fields["emails"] == ["francoise.millet@finances.example", "fmillet@mail.example"]
    assert card.fields["phones"] == ["Mobile: +33 6 12 34 56 78", "+33 1 53 18 00 00"]
    # The escaped comma belongs to the category; tags come out comma-joined regardless.
    assert card.fields["tags"] == "myContacts,Presse, médias,Économie"
    assert card.fields["notes"] == "Joignable avant 10h; jamais le vendredi."
    assert card.text == text


def test_reads_outlook_2_1_quoted_printable_with_bare_parameters():
    text = fixture_text("outlook21.vcf")
    (card,) = read_vcards(text)

    assert card.fields == {
        "name": "Renée Dupré",
        "first_name": "Renée",
        "last_name": "Dupré",
        "role": "Rédactrice en chef adjointe",
        "affiliation": "Agence France-Presse",
        "emails": ["r.dupre@afp.example", "renee.dupre@afp.example"],
        "phones": ["+33 (0)1 40 41 46 46", "Mobile: 06 25 79 64 79", "Fax: +33 1 40 41 46 32"],
        "country": "France",  # split over a soft line break: "Franc=" + "e"
        "notes": "Spécialiste des questions européennes, très réactive.\nDeuxième ligne: fin.",
    }
    assert card.text == text


def test_reads_4_0_card_with_uris_pref_numbers_and_folding():
    text = fixture_text("v4.vcf")
    (card,) = read_vcards(text)

    assert card.fields == {
        "name": "Jonas Weber",
        "first_name": "Jonas",
        "last_name": "Weber",
        "role": "Korrespondent",  # ROLE, as there is no TITLE
        "outlet": "Der Spiegel",  # ORG, the same: the journalist's outlet
        "emails": ["jonas.weber@mail.example", "j.weber@spiegel.example"],
        "phones": [
            "+49-40-3007-0 ext. 2150",
            "Mobile: +49-151-2345-6789",
            "Fax: +49-40-3007-2246",
        ],
        "tags": "Politik,Europa",
        "languages": "de,en",
        # The ADR line has a quoted LABEL containing ':' and is folded inside "20457".
        "country": "Germany",
        "notes": "Schreibt über Verteidigung und Sicherheitspolitik, oft mit kurzen Fristen.",
        "kind": "journalist",
        "embargo_ok": "yes",
    }


def test_bom_crlf_file_with_several_cards_keeps_lines_and_text():
    cards = [
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Raphaël Sart\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Françoise\r\n  Millet\r\nEMAIL:f@example.fr\r\n"
        "END:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Siobhán O'Brien\r\nEND:VCARD\r\n",
    ]
    text = "\ufeff" + cards[0] + "\r\n" + cards[1] + cards[2]

    records = read_vcards(text)

    assert [record.line for record in records] == [1, 6, 12]
    assert [record.text for record in records] == cards
    assert [record.fields["name"] for record in records] == [
        "Raphaël Sart",
        "Françoise Millet",  # folded: CRLF and one space removed, the second space kept
        "Siobhán O'Brien",
    ]


def test_names_and_parameters_are_case_insensitive_and_groups_ignored():
    text = (
        "begin:vcard\nversion:3.0\nn:Sart;Raphaël;;;\n"
        "ITEM7.email;Type=Internet,Pref:r.sart@lemonde.example\n"
        "Item8.Tel;type=work;TYPE=fax:01 44 76 75 00\nend:vcard\n"
    )
    (card,) = read_vcards(text)
    assert card.fields == {
        "name": "Raphaël Sart",  # no FN: built from N
        "first_name": "Raphaël",
        "last_name": "Sart",
        "emails": ["r.sart@lemonde.example"],
        "phones": ["Fax: 01 44 76 75 00"],
    }


def test_only_n_components_are_comma_lists():
    text = (
        "BEGIN:VCARD\nVERSION:3.0\nN:Sart;Jean,Raphaël;;;\n"
        "ORG:Smith, Jones & Co;Newsdesk\nEND:VCARD\n"
    )
    (card,) = read_vcards(text)
    assert card.fields["first_name"] == "Jean Raphaël"
    assert card.fields["name"] == "Jean Raphaël Sart"
    assert card.fields["affiliation"] == "Smith, Jones & Co"


def test_pressctl_country_is_preferred_to_the_address_country():
    text = (
        "BEGIN:VCARD\nVERSION:3.0\nFN:A B\nADR;TYPE=WORK:;;1 rue X;Paris;;75001;France\n"
        "X-PRESSCTL-COUNTRY:FR\nEND:VCARD\n"
    )
    assert read_vcards(text)[0].fields["country"] == "FR"


def test_folded_structure_lines_and_unbalanced_quotes_are_tolerated():
    text = 'BEGIN:VCARD\nVERSION:3.0\nFN;X-LABEL="odd:Ana Lima\nEND:VCA\n RD\n'
    (card,) = read_vcards(text)
    assert card.fields["name"] == "Ana Lima"
    assert card.text == text


def test_empty_file_has_no_cards():
    assert read_vcards("") == []
    assert read_vcards("\ufeff\r\n\r\n") == []


def test_malformed_file_lists_every_problem_with_its_line():
    text = "\n".join(
        [
            "BEGIN:VCARD",  # 1
            "VERSION:3.0",
            "this line has no colon",  # 3
            "END:VCARD",
            "END:VCARD",  # 5: no BEGIN
            "NOTE:stray",  # 6: outside any card
            "BEGIN:VCARD",  # 7: never closed, another BEGIN follows
            "FN:A B",
            "BEGIN:VCARD",  # 9: never closed, file ends
            "FN:C D",
            "",
        ]
    )
    with pytest.raises(ProblemsFound) as caught:
        read_vcards(text)

    assert caught.value.problems == [
        Problem("line 3", "content line without ':'"),
        Problem("line 5", "END:VCARD without BEGIN:VCARD"),
        Problem("line 6", "NOTE outside BEGIN:VCARD/END:VCARD"),
        Problem("line 7", "BEGIN:VCARD without END:VCARD"),
        Problem("line 9", "BEGIN:VCARD without END:VCARD"),
    ]
    assert "5 problem(s)" in str(caught.value)


# ----------------------------------------------------------------- round trip


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_write_then_read_gives_the_same_fields(version):
    written = write_vcards([raphael(), francoise(), siobhan()], version=version)
    first, second, third = read_vcards(written)

    assert first.fields == {
        "name": "Raphaël Sart",
        "first_name": "Raphaël",
        "last_name": "Sart",
        "role": "Journaliste politique",
        "organization": "Le Monde",
        "outlet": "Le Monde, édition du soir",
        "emails": ["r.sart@lemonde.example", "raphael.sart@mail.example"],
        "phones": ["+33144767539 ext. 5", "Mobile: +33625796479", "Fax: +33144767500"],
        "tags": "politique,élysée",
        "languages": "fr,en",
        "country": "FR",
        "notes": RAPHAEL_NOTE,
        "kind": "journalist",
        "embargo_ok": "true",
    }
    assert second.fields == {
        "name": "Françoise Millet",
        "first_name": "Françoise",
        "last_name": "Millet",
        "role": "Attachée de presse",
        "organization": "Ministère de l'Économie; des Finances, Service presse",
        "emails": ["francoise.millet@finances.example"],
        "phones": ["+33153180000"],
        "kind": "officer",
        "opted_out": "true",
    }
    assert third.fields["name"] == "O'Brien, Siobhán"
    assert third.fields["languages"] == "en"
    assert "".join(record.text for record in (first, second, third)) == written
