"""`contacts add/edit/show` with roles per language, a salutation and the first-name flag;
bad input refused with one clear message, exit 3, and nothing stored."""

from __future__ import annotations

import json

import vobject
from conftest import db_snapshot

ADD_JEANNE = ("contacts", "add", "Jeanne Dupont", "--kind", "officer", "--org", "CNES",
              "--role", "Attachée de presse", "--role-lang", "en=Press officer",
              "--role-lang", "de=Pressesprecherin", "--salutation",
              "Madame la rédactrice en chef", "--first-name-ok",
              "--email", "jeanne.dupont@cnes.fr", "--json")


def test_add_then_show_roles_salutation_and_flag(cli):
    added = cli(*ADD_JEANNE)
    assert added.exit_code == 0, added.stderr
    contact = json.loads(added.stdout)["contact"]
    assert contact["role"] == "Attachée de presse"
    assert contact["roles"] == {"en": "Press officer", "de": "Pressesprecherin"}
    assert contact["salutation"] == "Madame la rédactrice en chef"
    assert contact["first_name_ok"] is True
    shown = cli("contacts", "show", "jeanne.dupont@cnes.fr")
    assert shown.exit_code == 0, shown.stderr
    lines = [" ".join(line.split()) for line in shown.stdout.splitlines()]
    assert "role Attachée de presse" in lines
    assert "roles en: Press officer, de: Pressesprecherin" in lines
    assert "salutation Madame la rédactrice en chef" in lines
    assert "first name ok yes" in lines
    as_json = json.loads(cli("contacts", "show", "1", "--json").stdout)
    assert as_json["roles"] == contact["roles"] and as_json["first_name_ok"] is True


def test_show_leaves_out_roles_a_contact_has_none_of(cli):
    cli("contacts", "add", "Bob", "--email", "bob@example.org")
    lines = [" ".join(line.split()) for line in cli("contacts", "show", "1").stdout.splitlines()]
    assert not any(line.startswith("roles") for line in lines)
    assert "first name ok no" in lines


def test_edit_sets_and_removes_one_language_and_clears_the_salutation(cli):
    cli(*ADD_JEANNE)
    result = cli("contacts", "edit", "1", "--role-lang", "en=Spokesperson",
                 "--role-lang", "de=", "--salutation", "", "--no-first-name-ok", "--json")
    assert result.exit_code == 0, result.stderr
    contact = json.loads(result.stdout)
    assert contact["roles"] == {"en": "Spokesperson"}
    assert contact["role"] == "Attachée de presse"
    assert (contact["salutation"], contact["first_name_ok"]) == (None, False)
    again = json.loads(cli("contacts", "edit", "1", "--first-name-ok", "--json").stdout)
    assert again["first_name_ok"] is True and again["roles"] == {"en": "Spokesperson"}


def test_export_carries_them_to_a_vcard_other_address_books_read(cli):
    cli(*ADD_JEANNE)
    exported = cli("contacts", "export", "--format", "vcard")
    assert exported.exit_code == 0, exported.stderr
    (card,) = vobject.readComponents(exported.stdout)
    assert card.org.value == ["CNES"]
    assert [(t.value, t.params.get("LANGUAGE")) for t in card.contents["title"]] == [
        ("Attachée de presse", None), ("Press officer", ["en"]),
        ("Pressesprecherin", ["de"])]


def test_bad_role_lang_is_refused_with_exit_3_and_nothing_stored(cli, home):
    cli("init")
    before = db_snapshot(home)
    for option, message in (
            ("xx", '"xx" is not a role in a language: write LANGUAGE=ROLE, '
                   'e.g. en="Press officer"'),
            ("zz=Foo", 'role language "zz" is not a language code such as fr, en or fr-CA'),
            ("en=", 'role in "en" is empty')):
        result = cli("contacts", "add", "Jane Doe", "--email", "jane@example.org",
                     "--role-lang", option)
        assert result.exit_code == 3, (option, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    two = cli("contacts", "add", "Jane Doe", "--email", "jane@example.org",
              "--role-lang", "en=A", "--role-lang", "EN=B")
    assert two.exit_code == 3 and 'two roles in "en"' in two.stderr
    assert db_snapshot(home) == before


def test_bad_edit_is_refused_with_exit_3_and_changes_nothing(cli, home):
    cli(*ADD_JEANNE)
    before = db_snapshot(home)
    bad = cli("contacts", "edit", "1", "--role-lang", "klingon")
    assert bad.exit_code == 3
    assert '"klingon" is not a role in a language' in bad.stderr
    missing = cli("contacts", "edit", "1", "--role-lang", "it=")
    assert missing.exit_code == 3
    assert "Jeanne Dupont has no role in language it to remove" in missing.stderr
    assert "its roles are in: en, de" in missing.stderr
    long = cli("contacts", "edit", "1", "--salutation", "x" * 201)
    assert long.exit_code == 3 and "salutation is longer than 200 characters" in long.stderr
    assert db_snapshot(home) == before


def test_a_bad_salutations_config_is_exit_4(cli, home):
    config = home / "config.toml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        '# style = "formal"', 'style = "polite"'), encoding="utf-8")
    result = cli("contacts", "list")
    assert result.exit_code == 4
    assert "salutations.style 'polite' is not one of name, formal" in result.stderr
    assert "Traceback" not in result.stderr
