"""Organisations: add, edit, remove, and import from JSON (all or nothing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW, SAMPLES, db_snapshot

from pressctl.book.contacts import add_contact
from pressctl.book.orgs import (
    add_org,
    edit_org,
    file_fields,
    find_org,
    import_orgs,
    remove_org,
    validate_org,
)
from pressctl.book.session import Book
from pressctl.errors import InvalidInput, NotFound, ProblemsFound
from pressctl.store.changes import Subject

EARLIER = "2026-10-01T08:00:00Z"
CNES = {"name": "Centre national d'études spatiales", "short_name": "CNES", "country": "FR",
        "website": "https://presse.cnes.fr",
        "about": {"fr": "Le CNES est l'agence spatiale française.",
                  "en": "CNES is the French space agency."}}


def write_json(tmp_path: Path, data, name: str = "orgs.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False),
                    encoding="utf-8")
    return path


@pytest.fixture
def cnes(book):
    return add_org(Book(book.store, book.settings, EARLIER), CNES)


# -- validation --------------------------------------------------------------------------------

def test_validate_org_normalises_country_and_language_tags():
    org, problems = validate_org({"name": " CNES ", "country": "france",
                                  "about": {"FR": " Texte ", "en_gb": "Text", "de": "  "}})
    assert problems == []
    assert (org.name, org.country) == ("CNES", "FR")
    assert org.about == {"fr": "Texte", "en-GB": "Text"}  # an empty text is no text


@pytest.mark.parametrize(("fields", "problem"), [
    ({}, "name is missing"),
    ({"name": "   "}, "name is missing"),
    ({"name": "X", "country": "Narnia"}, 'country "Narnia" is not an ISO 3166 code'),
    ({"name": "X", "country": "ZZ"}, 'country "ZZ" is not an ISO 3166 code'),
    ({"name": "X", "website": "ftp://cnes.fr"}, 'website "ftp://cnes.fr" is not a web address'),
    ({"name": "X", "website": "www.cnes.fr"}, 'website "www.cnes.fr" is not a web address'),
    ({"name": "X", "website": "javascript:alert(1)"}, "is not a web address"),
    ({"name": "X", "website": "https://"}, 'website "https://" is not a web address'),
    ({"name": "X", "website": "https://presse cnes.fr"}, "is not a web address"),
    ({"name": "X", "about": "CNES is..."}, "about must map languages to texts"),
    ({"name": "X", "about": {"français!": "x"}}, 'about: "français!" is not a language tag'),
    ({"name": "X", "colour": "blue"}, "unknown field(s): colour"),
])
def test_validate_org_problems(fields, problem):
    org, problems = validate_org(fields)
    assert org is None
    assert any(p.startswith(problem) or problem in p for p in problems), problems


@pytest.mark.parametrize("website", ["https://presse.cnes.fr", "http://www.sfr.radiologie.fr",
                                     "HTTPS://CNES.FR/presse", "https://cnes.fr:8443/a?b=c"])
def test_validate_org_accepts_web_addresses(website):
    org, problems = validate_org({"name": "X", "website": website})
    assert problems == [] and org.website == website


# -- add, edit, remove -------------------------------------------------------------------------

def test_add_org(book):
    org = add_org(book, CNES)
    assert org.id is not None
    assert (org.created, org.updated) == (NOW, NOW)
    [stored] = book.store.orgs.all()
    assert stored == org
    assert stored.label == "CNES"


def test_add_org_with_problems_lists_them_all_and_adds_nothing(book):
    before = db_snapshot(book.store)
    with pytest.raises(ProblemsFound) as caught:
        add_org(book, {"name": "X", "country": "Narnia", "website": "ftp://x.org"})
    assert len(caught.value.problems) == 2
    assert caught.value.message.startswith("organisation not added: country")
    assert db_snapshot(book.store) == before


@pytest.mark.parametrize("fields", [
    {"name": "centre national d'études spatiales"},  # same name, other case
    {"name": "CNES"},  # a name equal to another's short name
    {"name": "Other", "short_name": "cnes"},  # same short name
    {"name": "Other", "short_name": "Centre national d'études spatiales"},
])
def test_add_org_refuses_a_name_or_short_name_already_used(book, cnes, fields):
    before = db_snapshot(book.store)
    with pytest.raises(InvalidInput) as caught:
        add_org(book, fields)
    assert f"(#{cnes.id}) already uses the name" in caught.value.message
    assert db_snapshot(book.store) == before


def test_find_org_by_short_name_name_or_id(book, cnes):
    for ref in ("CNES", "cnes", "Centre national d'études spatiales", str(cnes.id), " CNES "):
        assert find_org(book, ref).id == cnes.id
    with pytest.raises(NotFound, match='no organisation "ESA"'):
        find_org(book, "ESA")


def test_edit_org_changes_fields_and_one_about_language(book, cnes):
    org = edit_org(book, "cnes", {"website": "https://cnes.fr", "about": {"fr": "Nouveau texte",
                                                                          "de": "Deutsch"}})
    assert org.website == "https://cnes.fr"
    assert org.about == {"fr": "Nouveau texte", "en": CNES["about"]["en"], "de": "Deutsch"}
    assert (org.id, org.created, org.updated) == (cnes.id, EARLIER, NOW)
    assert find_org(book, "CNES") == org


def test_edit_org_can_drop_an_about_language_with_an_empty_text(book, cnes):
    assert edit_org(book, "CNES", {"about": {"en": ""}}).about == {"fr": CNES["about"]["fr"]}


def test_edit_org_validates_and_changes_nothing_on_problems(book, cnes):
    before = db_snapshot(book.store)
    with pytest.raises(ProblemsFound, match="organisation not changed"):
        edit_org(book, "CNES", {"country": "Narnia"})
    with pytest.raises(ProblemsFound, match=r"not a language tag"):
        edit_org(book, "CNES", {"about": {"??": "x"}})
    with pytest.raises(ProblemsFound, match=r"unknown field\(s\): colour"):
        edit_org(book, "CNES", {"colour": "blue"})
    with pytest.raises(NotFound):
        edit_org(book, "ESA", {"country": "FR"})
    assert db_snapshot(book.store) == before


def test_edit_org_refuses_a_short_name_of_another_org(book, cnes):
    add_org(book, {"name": "Société Française de Radiologie", "short_name": "SFR"})
    before = db_snapshot(book.store)
    with pytest.raises(InvalidInput, match=r'already uses the name "CNES"'):
        edit_org(book, "SFR", {"short_name": "CNES"})
    assert db_snapshot(book.store) == before
    # renaming itself (same name, other case) is fine
    assert edit_org(book, "SFR", {"short_name": "sfr"}).short_name == "sfr"


def test_remove_org_keeps_its_contacts(book, cnes):
    add_contact(book, {"name": "Pascale Bresson", "kind": "officer", "organization": "cnes"})
    add_contact(book, {"name": "Raphaël Sart", "organization": CNES["name"]})
    add_contact(book, {"name": "Other", "organization": "ESA"})
    org, count = remove_org(book, "CNES")
    assert (org.id, count) == (cnes.id, 2)
    assert book.store.orgs.all() == []
    assert book.store.contacts.count() == 3
    assert book.store.contacts.get(1).organization == "cnes"
    with pytest.raises(NotFound):
        remove_org(book, "CNES")


# -- import ------------------------------------------------------------------------------------

def test_import_the_sample_organisations_then_again_as_updates(book):
    assert import_orgs(book, SAMPLES / "organizations.json") == (2, 0)
    orgs = {o.label: o for o in book.store.orgs.all()}
    assert set(orgs) == {"CNES", "SFR"}
    assert orgs["SFR"].website == "http://www.sfr.radiologie.fr"
    assert set(orgs["CNES"].about) == {"en", "fr"}
    before = [(o.id, o.name, o.about) for o in book.store.orgs.all()]
    assert import_orgs(book, SAMPLES / "organizations.json") == (0, 2)
    assert [(o.id, o.name, o.about) for o in book.store.orgs.all()] == before


def test_import_updates_by_short_name_or_by_name(book, cnes, tmp_path):
    path = write_json(tmp_path, [
        {"name": "CNES (France)", "short_name": "CNES", "country": "FR"},  # by short name
        {"name": "Société Française de Radiologie", "short_name": "SFR"},  # new
    ])
    assert import_orgs(book, path) == (1, 1)
    org = find_org(book, "CNES")
    assert (org.id, org.name, org.created, org.updated) == (cnes.id, "CNES (France)", EARLIER, NOW)
    assert org.about == {}  # the file's object is the whole organisation

    path = write_json(tmp_path, [{"name": "CNES (France)", "short_name": "CNES-FR"}])
    assert import_orgs(book, path) == (0, 1)  # by name: its short name changes
    assert find_org(book, "CNES-FR").id == cnes.id
    assert len(book.store.orgs.all()) == 2


def test_import_is_all_or_nothing_and_lists_every_problem(book, cnes, tmp_path):
    before = db_snapshot(book.store)
    path = write_json(tmp_path, [
        {"name": "Good One", "country": "BE"},
        {"name": "Bad Country", "country": "Atlantis"},
        "ESA",
        {"name": "Bad Site", "website": "cnes.fr", "about": {"fr": "x", "!!": "y"}},
        {"short_name": "NN"},
    ])
    with pytest.raises(ProblemsFound) as caught:
        import_orgs(book, path)
    assert caught.value.message == f"{path}: 5 problem(s), nothing imported"
    assert [str(p) for p in caught.value.problems] == [
        f'{path}: organisation 2: country "Atlantis" is not an ISO 3166 code',
        f"{path}: organisation 3: expected an object with organisation fields",
        f'{path}: organisation 4: website "cnes.fr" is not a web address '
        "(expected https://host/... or http://host/...)",
        f'{path}: organisation 4: about: "!!" is not a language tag such as fr or en',
        f"{path}: organisation 5: name is missing",
    ]
    assert db_snapshot(book.store) == before


def test_import_refuses_the_same_name_twice_in_the_file(book, tmp_path):
    path = write_json(tmp_path, [{"name": "Alpha", "short_name": "AA"}, {"name": "Beta"},
                                 {"name": "alpha"}, {"name": "Gamma", "short_name": "aa"}])
    with pytest.raises(ProblemsFound) as caught:
        import_orgs(book, path)
    assert [str(p) for p in caught.value.problems] == [
        f'{path}: organisation 3: the name "alpha" is also used by organisation 1',
        f'{path}: organisation 4: the name "aa" is also used by organisation 1',
    ]
    assert book.store.orgs.all() == []


def test_import_refuses_a_name_of_one_org_with_the_short_name_of_another(book, cnes, tmp_path):
    add_org(book, {"name": "Société Française de Radiologie", "short_name": "SFR"})
    before = db_snapshot(book.store)
    path = write_json(tmp_path, [
        {"name": "Brand New", "short_name": "BN"},
        {"name": "Société Française de Radiologie", "short_name": "CNES"},
    ])
    with pytest.raises(ProblemsFound) as caught:
        import_orgs(book, path)
    [problem] = caught.value.problems
    assert problem.where == f"{path}: organisation 2"
    assert "already uses the name" in problem.message
    assert db_snapshot(book.store) == before


@pytest.mark.parametrize(("content", "message"), [
    ('[{"name": "x",}]', r":1: invalid JSON"),
    ('{"name": "CNES"}', r": expected a list of organisations"),
])
def test_import_refuses_files_that_are_not_a_list(book, tmp_path, content, message):
    with pytest.raises(InvalidInput, match=message):
        import_orgs(book, write_json(tmp_path, content))


def test_import_reads_utf8_with_bom_and_refuses_other_encodings(book, tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([{"name": "Société X"}]).encode())
    assert import_orgs(book, path) == (1, 0)
    legacy = tmp_path / "legacy.json"
    legacy.write_bytes('[\n{"name": "Société Y"}]'.encode("cp1252"))
    with pytest.raises(InvalidInput, match=r"legacy\.json:2: not UTF-8"):
        import_orgs(book, legacy)


def test_import_of_a_missing_file_or_a_directory(book, tmp_path):
    with pytest.raises(InvalidInput, match="no such file"):
        import_orgs(book, tmp_path / "none.json")
    with pytest.raises(InvalidInput, match="cannot read"):
        import_orgs(book, tmp_path)


# -- names by language and the French "of" form ------------------------------------------------

CSA = {"name": {"en": "Canadian Space Agency", "fr": "Agence spatiale canadienne"},
       "short_name": {"en": "CSA", "fr": "ASC"}, "country": "CA",
       "about": {"en": "The CSA...", "fr": "L'ASC..."}}


def test_a_name_given_by_language_keeps_its_first_entry_as_the_canonical_name():
    org, problems = validate_org(CSA)
    assert problems == []
    assert (org.name, org.short_name) == ("Canadian Space Agency", "CSA")  # what contacts use
    assert org.names == {"en": "Canadian Space Agency", "fr": "Agence spatiale canadienne"}
    assert org.short_names == {"en": "CSA", "fr": "ASC"}
    assert (org.label_in("fr"), org.of_in("fr"), org.label_in("en")) == ("ASC", "de l'ASC",
                                                                         "CSA")


def test_the_plain_string_names_are_still_accepted():
    org, problems = validate_org({"name": "Centre national d'études spatiales",
                                  "short_name": "CNES"})
    assert problems == [] and (org.names, org.short_names, org.article, org.of) == ({}, {},
                                                                                    {}, {})
    assert org.of_in("fr") == "du CNES"


def test_names_beside_a_canonical_name_and_french_forms():
    org, problems = validate_org({
        "name": "United Nations", "names": {"FR": " Nations   unies "},
        "short_names": {"en": "UN"}, "article": {"fr-ca": "Les", "fr": "les"},
        "of": {"fr": "des Nations unies", "de": "der Vereinten Nationen"}})
    assert problems == []
    assert org.names == {"fr": "Nations unies"}  # tag normalised, spaces made one
    assert org.article == {"fr-CA": "les", "fr": "les"}
    assert org.of == {"fr": "des Nations unies", "de": "der Vereinten Nationen"}


@pytest.mark.parametrize(("fields", "problem"), [
    ({"name": {}}, "name is missing"),
    ({"name": {"fr": ""}}, "name (fr) is empty: write it, or leave the language out"),
    ({"name": "X", "short_name": {"fr": "  "}}, "short_name (fr) is empty"),
    ({"name": "X", "names": {"fr": ""}}, "names (fr) is empty"),
    ({"name": "X", "names": {"français!": "X"}}, 'names: "français!" is not a language tag'),
    ({"name": {"fr!": "X"}}, 'name: "fr!" is not a language tag such as fr or en'),
    ({"name": "X", "short_names": ["ASC"]}, "short_names must map languages to texts"),
    ({"name": "X", "names": {"fr": 3}}, "names (fr) must be text, not 3"),
    ({"name": "X", "names": {"fr": ["A"]}}, 'names (fr) must be text, not ["A"]'),
    ({"name": "X", "names": {"fr": "A", "FR": "B"}}, 'names: "FR" is given twice (as fr)'),
    ({"name": {"en": "X"}, "names": {"fr": "Y"}}, "name is a mapping and names is given too"),
    ({"name": "X", "article": {"fr": "der"}}, 'article (fr): "der" is not one of le, la, '
                                              "l', les, none"),
    ({"name": "X", "article": {"en": "the"}}, "article (en): articles are for French names"),
    ({"name": "X", "article": {"fr": ""}}, "article (fr) is empty"),
    ({"name": "X", "of": {"fr": "l'ASC"}}, 'of (fr): "l\'ASC" does not read as "of" + the '
                                           "name: start it with du, de la, de l', des, de, d'"),
    ({"name": "X", "of": {"en": " "}}, "of (en) is empty"),
])
def test_names_by_language_problems(fields, problem):
    org, problems = validate_org(fields)
    assert org is None
    assert any(p.startswith(problem) for p in problems), problems


def test_add_org_refuses_an_empty_name_in_a_language_and_adds_nothing(book):
    before = db_snapshot(book.store)
    with pytest.raises(ProblemsFound, match=r"short_names \(fr\) is empty"):
        add_org(book, {"name": "Canadian Space Agency", "short_names": {"fr": ""}})
    assert db_snapshot(book.store) == before


def test_edit_org_replaces_and_removes_names_by_language(book):
    add_org(book, CSA)
    org = edit_org(book, "CSA", {"names": {"fr": "Agence spatiale du Canada", "de": ""},
                                 "short_names": {"en": ""}, "article": {"fr": "la"},
                                 "of": {"fr": "de l'Agence"}})
    assert org.names == {"en": "Canadian Space Agency", "fr": "Agence spatiale du Canada"}
    assert org.short_names == {"fr": "ASC"}  # an empty value removes that language
    assert (org.article, org.of) == ({"fr": "la"}, {"fr": "de l'Agence"})
    assert (org.name, org.short_name) == ("Canadian Space Agency", "CSA")  # untouched
    assert book.store.orgs.get(org.stored_id) == org
    last = book.store.changes.last_of(Subject.ORGANIZATION, org.stored_id)
    assert last.summary == ("edited CSA: name (fr), short name (en), article (fr), of (fr)")


def test_edit_org_validates_names_by_language_and_changes_nothing(book):
    add_org(book, CSA)
    before = db_snapshot(book.store)
    with pytest.raises(ProblemsFound, match="articles are for French names only"):
        edit_org(book, "CSA", {"article": {"en": "the"}})
    with pytest.raises(ProblemsFound, match='"xx!" is not a language tag'):
        edit_org(book, "CSA", {"short_names": {"xx!": ""}})  # a bad tag, even to remove
    assert db_snapshot(book.store) == before


def test_import_keeps_every_new_field_and_a_second_import_changes_nothing(book, tmp_path):
    path = write_json(tmp_path, [CSA, {"name": "United Nations", "names": {"fr": "Nations unies"},
                                       "article": {"fr": "les"}},
                                 {"name": "Onera", "of": {"fr": "de l'Office"}}])
    assert import_orgs(book, path) == (3, 0)
    orgs = {o.name: o for o in book.store.orgs.all()}
    assert orgs["Canadian Space Agency"].short_names == {"en": "CSA", "fr": "ASC"}
    assert orgs["United Nations"].of_in("fr") == "des Nations unies"
    assert orgs["Onera"].of_in("fr") == "de l'Office"
    assert import_orgs(book, path) == (0, 3)
    assert {o.name: o for o in book.store.orgs.all()} == orgs


def test_file_fields_read_back_as_the_same_organisation(book, tmp_path):
    add_org(book, CSA)
    add_org(book, {"name": "NASA", "article": {"fr": "la"}, "of": {"en": "of NASA"}})
    exported = [file_fields(o) for o in book.store.orgs.all()]
    assert exported[0]["name"] == "Canadian Space Agency" and exported[0]["names"]["fr"] == (
        "Agence spatiale canadienne")
    again = [validate_org(fields)[0] for fields in exported]
    assert [(o.name, o.short_name, o.names, o.short_names, o.article, o.of, o.about)
            for o in again] == [(o.name, o.short_name, o.names, o.short_names, o.article,
                                 o.of, o.about) for o in book.store.orgs.all()]


def test_the_sample_organisations_carry_their_french_articles(book):
    import_orgs(book, SAMPLES / "organizations.json")
    assert [(o.label, o.of_in("fr"), o.of_in("en")) for o in book.store.orgs.all()] == [
        ("CNES", "du CNES", "CNES"), ("SFR", "de la SFR", "SFR")]
