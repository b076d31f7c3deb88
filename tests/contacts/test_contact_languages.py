"""A contact in each reader's language: roles per language (validation, the role a reader
sees), the salutation and first-name fields, and how CSV, JSON and vCard carry them; the
vCard ORG/TITLE/ROLE/NOTE that other address books show, checked with vobject."""

from __future__ import annotations

import json

import pytest
import vobject

from pressctl.contacts.formats.csvfile import read_csv, write_csv
from pressctl.contacts.formats.jsonfile import read_json, write_json
from pressctl.contacts.formats.vcard import read_vcards, write_vcards
from pressctl.contacts.languages import known_language
from pressctl.contacts.model import Contact, Phone
from pressctl.contacts.validation import edited_roles, role_entry, validate_fields


def fr_region(country, organization):
    return country or "FR"


def valid(**fields) -> Contact:
    result = validate_fields({"name": "Jeanne Dupont", **fields}, fr_region)
    assert result.ok, result.problems
    assert result.contact is not None
    return result.contact


def problems(**fields) -> list[str]:
    result = validate_fields({"name": "Jeanne Dupont", **fields}, fr_region)
    assert result.contact is None
    return result.problems


def jeanne() -> Contact:
    return Contact(
        name="Jeanne Dupont", kind="officer", role="Attachée de presse",
        roles={"fr": "Attachée de presse", "en": "Press officer", "de": "Pressesprecherin"},
        organization="CNES", emails=["jeanne.dupont@cnes.fr"], phones=[Phone("+33144767539")],
        notes="Avant 10 h; jamais le vendredi.\nDeuxième ligne, avec virgule.",
        salutation="Madame la rédactrice en chef", first_name_ok=True, id=7,
        languages=["fr", "en"], country="FR", embargo_ok=True)


def claire() -> Contact:
    return Contact(
        name="Claire Fontaine", kind="journalist", role="Correspondante espace",
        roles={"en": "Space correspondent"}, organization="Groupe Presse Sud",
        outlet="La Gazette de l'Espace", emails=["claire@gazette.example.org"], id=8)


# -- the role a reader sees ------------------------------------------------------------------

@pytest.mark.parametrize(("language", "shown"), [
    ("fr", "Attachée de presse"),
    ("en", "Press officer"),
    ("en-GB", "Press officer"),  # no en-GB role: the English one
    ("fr-CA", "Attachée de presse"),
    ("it", "Attachée de Presse (as written)"),  # no Italian role: as written
])
def test_a_message_shows_the_role_in_its_language_else_as_written(language, shown):
    contact = Contact("Jeanne Dupont", role="Attachée de Presse (as written)",
                      roles={"fr": "Attachée de presse", "en": "Press officer"})
    assert contact.role_in(language) == shown


def test_a_role_given_for_a_region_serves_its_language_and_the_exact_tag_wins():
    contact = Contact("A B", role="Rôle", roles={"fr-CA": "Agente de presse",
                                                  "fr": "Attachée de presse"})
    assert contact.role_in("fr-CA") == "Agente de presse"
    assert contact.role_in("fr-BE") == "Attachée de presse"
    assert Contact("A B", role="Rôle", roles={"en-GB": "Press officer"}).role_in("en") == \
        "Press officer"
    assert Contact("A B", role="Rôle").role_in("en") == "Rôle"
    assert Contact("A B").role_in("en") is None


# -- validation ------------------------------------------------------------------------------

def test_roles_are_validated_into_canonical_language_tags():
    contact = valid(role="Attachée de presse",
                    roles=["EN=Press officer", " fr_ca = Agente de presse ", "de=Pressesprecherin"])
    assert contact.roles == {"en": "Press officer", "fr-CA": "Agente de presse",
                             "de": "Pressesprecherin"}
    assert contact.role == "Attachée de presse"


def test_without_a_role_as_written_the_first_role_given_is_it():
    contact = valid(roles=["fr=Attachée de presse", "en=Press officer"])
    assert contact.role == "Attachée de presse"


@pytest.mark.parametrize(("entry", "message"), [
    ("xx", '"xx" is not a role in a language: write LANGUAGE=ROLE'),
    ("Press officer", '"Press officer" is not a role in a language'),
    ("xx=Foo", 'role language "xx" is not a language code such as fr, en or fr-CA'),
    ("english!=Foo", 'role language "english!" is not a language code'),
    ("=Foo", 'role language "" is not a language code'),
    ("en=", 'role in "en" is empty'),
    ("en=Press\nofficer", "role in en 'Press\\nofficer' contains a line break"),
])
def test_a_bad_role_entry_is_refused_with_what_to_write(entry, message):
    [problem] = problems(roles=[entry])
    assert message in problem


def test_two_different_roles_for_one_language_are_refused():
    [problem] = problems(roles=["en=Press officer", "EN=Spokesperson"])
    assert problem == ('two roles in "en" ("Press officer" and "Spokesperson"): keep one')
    assert valid(roles=["en=Press officer", "en=Press officer"]).roles == {"en": "Press officer"}


def test_role_entry_parses_what_role_lang_takes():
    assert role_entry("en=Press officer = spokesperson") == ("en", "Press officer = spokesperson")
    assert role_entry("French=Attachée") == ("fr", "Attachée")  # a language's name is taken
    assert isinstance(role_entry("en"), str)


@pytest.mark.parametrize(("tag", "known"), [
    ("fr", True), ("en-GB", True), ("zh-Hant-TW", True), ("gsw", True),  # 3 letters: trusted
    ("xx", False), ("zz-FR", False), ("qq", False)])
def test_a_two_letter_language_must_be_iso_639_1(tag, known):
    assert known_language(tag) is known


def test_an_edit_sets_replaces_and_removes_roles_in_place():
    roles = {"fr": "Attachée de presse", "en": "Press officer"}
    assert edited_roles(roles, ["en=Spokesperson", "de=Pressesprecherin"]) == (
        ["fr=Attachée de presse", "en=Spokesperson", "de=Pressesprecherin"], [])
    assert edited_roles(roles, ["fr="]) == (["en=Press officer"], [])
    assert edited_roles(roles, ["it="]) == (["fr=Attachée de presse", "en=Press officer"],
                                            ["it"])
    # An entry that is not valid goes on to validation, which says what is wrong.
    assert edited_roles(roles, ["xx"])[0][-1] == "xx"


def test_salutation_and_first_name_flag_are_validated():
    contact = valid(salutation="  Madame la   rédactrice en chef ", first_name_ok="oui")
    assert contact.salutation == "Madame la rédactrice en chef"
    assert contact.first_name_ok is True
    assert valid().salutation is None and valid().first_name_ok is False
    assert problems(salutation="Chère\nJeanne") == [
        "salutation 'Chère\\nJeanne' contains a line break or control character"]
    assert problems(salutation="x" * 201) == ["salutation is longer than 200 characters"]
    assert problems(first_name_ok="perhaps") == ['first_name_ok "perhaps" is not true or false']


@pytest.mark.parametrize(("kind", "fields", "organization", "outlet"), [
    # An ORG from another address book: a journalist's outlet, anyone else's organisation.
    ("journalist", {}, None, "Le Monde"),
    ("officer", {}, "Le Monde", None),
    ("other", {}, "Le Monde", None),
    # Never over a stated value.
    ("journalist", {"outlet": "Le Monde diplomatique"}, "Le Monde", "Le Monde diplomatique"),
    ("officer", {"organization": "CNES"}, "CNES", "Le Monde"),
])
def test_an_affiliation_becomes_outlet_or_organisation_by_kind(kind, fields, organization,
                                                                outlet):
    contact = valid(kind=kind, affiliation="Le Monde", **fields)
    assert (contact.organization, contact.outlet) == (organization, outlet)


# -- CSV -------------------------------------------------------------------------------------

def test_csv_reads_a_role_column_per_language():
    text = ("Nom;Fonction;Fonction (EN);role_de;title-fr-CA;Courriel\n"
            "Jeanne Dupont;Attachée de presse;Press officer;Pressesprecherin;Agente;j@cnes.fr\n")
    layout, records = read_csv(text, "c.csv")
    assert layout.unknown == []
    [record] = list(records)
    assert record.fields["roles"] == ["en=Press officer", "de=Pressesprecherin",
                                      "fr-CA=Agente"]
    contact = validate_fields(record.fields, fr_region).contact
    assert contact is not None and contact.role == "Attachée de presse"
    assert contact.role_in("en") == "Press officer"


def test_csv_reads_a_roles_cell_with_semicolons_inside_roles():
    text = ('name,roles\nJeanne Dupont,"fr=Attachée; presse et médias; en=Press officer;'
            'de = Pressesprecherin"\n')
    [record] = list(read_csv(text, "c.csv")[1])
    contact = validate_fields(record.fields, fr_region).contact
    assert contact is not None
    assert contact.roles == {"fr": "Attachée; presse et médias", "en": "Press officer",
                             "de": "Pressesprecherin"}


def test_csv_a_role_column_in_an_unknown_language_rejects_the_row():
    [record] = list(read_csv("name,role_zz\nJeanne,Foo\n", "c.csv")[1])
    result = validate_fields(record.fields, fr_region)
    assert result.problems == ['role language "zz" is not a language code such as fr, en or '
                               'fr-CA: write LANGUAGE=ROLE, e.g. en="Press officer"']


def test_csv_salutation_and_first_name_columns():
    text = "Nom,Formule d'appel,Prénom OK\nJeanne Dupont,Chère Jeanne,oui\n"
    layout, records = read_csv(text, "c.csv")
    assert layout.unknown == []
    contact = validate_fields(next(records).fields, fr_region).contact
    assert contact is not None
    assert (contact.salutation, contact.first_name_ok) == ("Chère Jeanne", True)


@pytest.mark.parametrize("dialect", ["standard", "excel"])
def test_csv_export_reads_back_the_same_roles_salutation_and_flag(dialect):
    text = "".join(write_csv([jeanne(), claire()], lambda p: p.e164, dialect=dialect))
    _, records = read_csv(text.removeprefix("\ufeff"), "export.csv")
    back = [validate_fields(r.fields, fr_region).contact for r in records]
    for original, read in zip([jeanne(), claire()], back, strict=True):
        assert read is not None
        assert (read.role, read.roles, read.salutation, read.first_name_ok) == (
            original.role, original.roles, original.salutation, original.first_name_ok)
        assert list(read.roles) == list(original.roles)  # the order given is kept


# -- JSON ------------------------------------------------------------------------------------

def test_json_role_as_a_mapping_is_a_role_per_language():
    text = json.dumps([{"name": "Jeanne Dupont",
                        "role": {"fr": "Attachée de presse", "en": "Press officer"}}])
    [record] = read_json(text, "c.json")
    contact = validate_fields(record.fields, fr_region).contact
    assert contact is not None
    assert contact.roles == {"fr": "Attachée de presse", "en": "Press officer"}
    assert contact.role == "Attachée de presse"  # the first entry: the role as written


def test_json_export_reads_back_the_same():
    text = "".join(write_json([jeanne()], lambda p: p.e164))
    [written] = json.loads(text)
    assert written["roles"] == jeanne().roles and written["role"] == "Attachée de presse"
    assert written["salutation"] == "Madame la rédactrice en chef"
    assert written["first_name_ok"] is True
    [record] = read_json(text, "export.json")
    contact = validate_fields(record.fields, fr_region).contact
    assert contact is not None
    assert (contact.role, contact.roles, contact.salutation, contact.first_name_ok) == (
        "Attachée de presse", jeanne().roles, "Madame la rédactrice en chef", True)


# -- vCard, read by vobject ------------------------------------------------------------------

@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_org_is_the_outlet_of_a_journalist_and_the_organisation_of_an_officer(version):
    officer, journalist = vobject.readComponents(write_vcards([jeanne(), claire()], version))
    assert officer.org.value == ["CNES"]
    assert journalist.org.value == ["La Gazette de l'Espace"]
    # The other one is kept, for pressctl to read back.
    assert [p.value for p in journalist.contents["x-pressctl-organization"]] == [
        "Groupe Presse Sud"]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_title_per_language_role_and_note_as_vobject_reads_them(version):
    (card,) = vobject.readComponents(write_vcards([jeanne()], version))
    titles = [(t.value, t.params.get("LANGUAGE")) for t in card.contents["title"]]
    assert titles == [("Attachée de presse", None), ("Attachée de presse", ["fr"]),
                      ("Press officer", ["en"]), ("Pressesprecherin", ["de"])]
    assert card.title.value == "Attachée de presse"  # what a phone shows: the first
    assert card.role.value == "Press officer"  # the profession, from the kind
    assert card.note.value == jeanne().notes
    assert [p.value for p in card.contents["x-pressctl-salutation"]] == [
        "Madame la rédactrice en chef"]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_vcard_round_trip_through_vobject_keeps_every_field(version):
    """Export, parsed and written again by vobject (as another address book would), then
    imported: the same contacts."""
    written = write_vcards([jeanne(), claire()], version)
    rewritten = "".join(card.serialize() for card in vobject.readComponents(written))
    back = [validate_fields(r.fields, fr_region).contact for r in read_vcards(rewritten)]
    for original, read in zip([jeanne(), claire()], back, strict=True):
        assert read is not None
        for name in ("name", "kind", "role", "roles", "organization", "outlet", "notes",
                     "salutation", "first_name_ok", "emails", "languages", "embargo_ok"):
            assert getattr(read, name) == getattr(original, name), name


def test_vcard_role_of_another_address_book_says_the_kind_or_is_the_role():
    text = ("BEGIN:VCARD\nVERSION:3.0\nFN:A B\nORG:Le Monde\nROLE:Journalist\nEND:VCARD\n"
            "BEGIN:VCARD\nVERSION:3.0\nFN:C D\nORG:CNES\nROLE:Press officer\nEND:VCARD\n"
            "BEGIN:VCARD\nVERSION:3.0\nFN:E F\nROLE:Porte-parole\nEND:VCARD\n")
    first, second, third = read_vcards(text)
    assert (first.fields["kind"], first.fields["affiliation"]) == ("journalist", "Le Monde")
    assert "role" not in first.fields
    officer = validate_fields(second.fields, fr_region).contact
    assert officer is not None and (officer.kind, officer.organization) == ("officer", "CNES")
    assert third.fields["role"] == "Porte-parole" and "kind" not in third.fields


def test_vcard_only_titles_in_languages_give_the_first_as_the_role_as_written():
    text = ("BEGIN:VCARD\nVERSION:4.0\nFN:A B\nTITLE;LANGUAGE=fr:Attachée de presse\n"
            "TITLE;LANGUAGE=en:Press officer\nEND:VCARD\n")
    contact = validate_fields(read_vcards(text)[0].fields, fr_region).contact
    assert contact is not None
    assert (contact.role, contact.roles) == (
        "Attachée de presse", {"fr": "Attachée de presse", "en": "Press officer"})


@pytest.mark.parametrize(("card", "organization", "outlet"), [
    # pressctl before ORG named outlets: ORG was the organisation, the outlet apart.
    ("ORG:Groupe Le Monde\nX-PRESSCTL-KIND:journalist\nX-PRESSCTL-OUTLET:Le Monde\n",
     "Groupe Le Monde", "Le Monde"),
    ("ORG:CNES\nX-PRESSCTL-KIND:officer\n", "CNES", None),
    ("ORG:CNES\nX-PRESSCTL-KIND:journalist\n", "CNES", None),
    # Today's export: ORG is the outlet, both kept apart.
    ("ORG:Le Monde\nX-PRESSCTL-KIND:journalist\nX-PRESSCTL-OUTLET:Le Monde\n"
     "X-PRESSCTL-ORGANIZATION:Groupe Le Monde\n", "Groupe Le Monde", "Le Monde"),
    ("ORG:Le Monde\nX-PRESSCTL-KIND:journalist\nX-PRESSCTL-OUTLET:Le Monde\n", None,
     "Le Monde"),
])
def test_vcard_org_written_by_pressctl_old_and_new_reads_back(card, organization, outlet):
    text = f"BEGIN:VCARD\nVERSION:3.0\nFN:A B\n{card}END:VCARD\n"
    contact = validate_fields(read_vcards(text)[0].fields, fr_region).contact
    assert contact is not None
    assert (contact.organization, contact.outlet) == (organization, outlet)
