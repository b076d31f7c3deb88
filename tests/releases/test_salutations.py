"""How messages greet each recipient (pressctl.releases.salutations), and the role of each
press contact in the reader's language, in the real messages of the sample release."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import html
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES

from pressctl.book.contacts import add_contact, edit_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.config.salutations import SalutationSettings
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Contact
from pressctl.releases.checking import load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages, plan_messages
from pressctl.releases.salutations import first_name, greeting
from pressctl.releases.templating import Templates

TODAY = date(2020, 9, 1)
NOW = datetime(2020, 9, 21, 8, 0, tzinfo=UTC)
FR_READER = "claire.fontaine@gazette-espace.example.org"  # gets the French version
EN_READER = "harriet.pennington@orbit-weekly.example.com"  # gets the English version
FORMAL = SalutationSettings(style="formal")
NAMED = SalutationSettings()


def person(**fields) -> Contact:
    return Contact(**{"name": "Jeanne Dupont", **fields})


# -- the rules, first that applies ----------------------------------------------------------

RULES = [
    # 1. the contact's own salutation wins over everything, a comma added when it has none
    (person(salutation="Madame la rédactrice en chef", first_name_ok=True), "fr",
     SalutationSettings(style="formal", greetings={"fr": "Chers amis,"}),
     "Madame la rédactrice en chef,"),
    (person(salutation="Chère Jeanne,"), "fr", NAMED, "Chère Jeanne,"),
    (person(salutation="Estimada Sra. Dupont:"), "en", NAMED, "Estimada Sra. Dupont:"),
    (person(salutation="Hello!"), "en", NAMED, "Hello!"),
    # 2. first name, only for a contact that allows it, over config and style
    (person(first_name_ok=True), "fr", FORMAL, "Bonjour Jeanne,"),
    (person(first_name_ok=True), "en", SalutationSettings(greetings={"en": "Dear all,"}),
     "Dear Jeanne,"),
    (person(first_name_ok=True), "fr-CA", NAMED, "Bonjour Jeanne,"),
    (person(name="Jean-Yves Le Gall", first_name_ok=True), "fr", NAMED, "Bonjour Jean-Yves,"),
    (person(name="Dupont, Jeanne Marie", first_name_ok=True), "fr", NAMED,
     "Bonjour Jeanne Marie,"),
    (person(first_name_ok=True), "de", NAMED, "Dear Jeanne,"),  # no German form: English
    # 3. config.toml's greeting for the language (its tag, else its language)
    (person(), "fr", SalutationSettings(greetings={"fr": "Madame, Monsieur,"}),
     "Madame, Monsieur,"),
    (person(), "en", SalutationSettings(style="formal", greetings={"en": "Dear {name},"}),
     "Dear Jeanne Dupont,"),
    (person(), "fr-CA", SalutationSettings(greetings={"fr": "Bonjour {name},",
                                                       "fr-CA": "Allô {name},"}),
     "Allô Jeanne Dupont,"),
    (person(), "fr-BE", SalutationSettings(greetings={"fr": "Madame, Monsieur,"}),
     "Madame, Monsieur,"),
    (person(), "de", SalutationSettings(greetings={"de": "Sehr geehrte Damen und Herren,"}),
     "Sehr geehrte Damen und Herren,"),
    (person(), "en", SalutationSettings(greetings={"fr": "Madame, Monsieur,"}),
     "Dear Jeanne Dupont,"),  # another language's greeting is not this one's
    # 4. the style: "name" (the default) or "formal"
    (person(), "fr", NAMED, "Bonjour Jeanne Dupont,"),
    (person(), "en", NAMED, "Dear Jeanne Dupont,"),
    (person(), "fr", FORMAL, "Madame, Monsieur,"),
    (person(), "en", FORMAL, "Dear Sir or Madam,"),
    (person(), "fr-CA", FORMAL, "Madame, Monsieur,"),
    (person(), "it", FORMAL, "Dear Sir or Madam,"),  # no Italian form: English
    (person(), "it", NAMED, "Dear Jeanne Dupont,"),
]


@pytest.mark.parametrize(("contact", "language", "settings", "expected"), RULES)
def test_the_first_rule_that_applies_gives_the_salutation(contact, language, settings,
                                                          expected):
    assert greeting(contact, language, settings) == expected


def test_the_default_settings_greet_by_full_name():
    assert greeting(person(), "fr") == "Bonjour Jeanne Dupont,"


def test_a_name_with_braces_is_not_a_template():
    assert greeting(person(name="Zoë {name}"), "en", NAMED) == "Dear Zoë {name},"


@pytest.mark.parametrize(("name", "first"), [
    ("Jeanne Dupont", "Jeanne"), ("Jean-Yves Le Gall", "Jean-Yves"),
    ("Dupont, Jeanne", "Jeanne"), ("O'Brien,  Siobhán  Mary", "Siobhán Mary"),
    ("Madonna", "Madonna"), ("Dupont,", "Dupont,")])
def test_first_name(name, first):
    assert first_name(name) == first


# -- in the real messages ---------------------------------------------------------------------

@pytest.fixture
def sample(book):
    """The sample book; Pascale Bresson (CNES, the first officer) has her role in French
    and English, her colleague Raphaël Sart only "Press Officer" as written (his French
    title of the sample file removed)."""
    import_orgs(book, SAMPLES / "organizations.json")
    assert import_file(book, open_contact_file(SAMPLES / "contacts.csv")).added == 26
    edit_contact(book, "pascale.bresson@cnes.fr", {
        "role": "Attachée de Presse",
        "roles": ["fr=Attachée de presse", "en=Press officer"]})
    edit_contact(book, "raphael.sart@cnes.fr", {"roles": ["fr="]})
    return book


def release(folder: Path) -> Path:
    folder.mkdir()
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return folder / "PR106-2020.en.md"


def messages(book: Book, path: Path, only: list[str]) -> dict[str, tuple[str, str]]:
    """Each reader's (text, html's text), spaces of every kind made one plain space."""
    releases = load_release_set(path, TODAY)
    recipients = select_recipients(book, releases, None, only=only)
    found = {}
    for built in build_messages(book, releases, recipients, Templates(), now=NOW):
        parsed = email.message_from_bytes(built.raw, policy=email.policy.default)
        text, markup = (parsed.get_body((kind,)).get_content() for kind in ("plain", "html"))
        shown = html.unescape(re.sub(r"<[^>]+>", "", markup))
        found[built.recipient.address] = (re.sub(r"\s+", " ", text),
                                          re.sub(r"\s+", " ", shown))
    return found


def test_a_press_contact_shows_the_role_in_the_readers_language(sample, tmp_path):
    found = messages(sample, release(tmp_path / "release"), [FR_READER, EN_READER])
    for part in found[FR_READER]:
        assert "Pascale Bresson, Attachée de presse" in part
        assert "Press officer" not in part
        assert "Raphaël Sart, Press Officer" in part  # no French role: as written
    for part in found[EN_READER]:
        assert "Pascale Bresson, Press officer" in part
        assert "Attachée de" not in part
        assert "Raphaël Sart, Press Officer" in part


def test_a_language_without_a_role_shows_the_role_as_written(sample, tmp_path):
    edit_contact(sample, "pascale.bresson@cnes.fr", {"roles": ["en="]})
    found = messages(sample, release(tmp_path / "release"), [EN_READER])
    for part in found[EN_READER]:
        assert "Pascale Bresson, Attachée de Presse" in part


def with_salutations(book: Book, settings: SalutationSettings) -> Book:
    return Book(book.store, dataclasses.replace(book.settings, salutations=settings), book.now)


def test_messages_greet_by_full_name_unless_configured(sample, tmp_path):
    path = release(tmp_path / "release")
    found = messages(sample, path, [FR_READER, EN_READER])
    assert "Bonjour Claire Fontaine," in found[FR_READER][0]
    assert "Dear Harriet Pennington," in found[EN_READER][0]
    formal = messages(with_salutations(sample, FORMAL), path, [FR_READER, EN_READER])
    for part in formal[FR_READER]:
        assert "Madame, Monsieur," in part and "Claire Fontaine," not in part
    for part in formal[EN_READER]:
        assert "Dear Sir or Madam," in part and "Harriet Pennington," not in part


def test_messages_use_a_contacts_own_salutation_and_first_name_when_allowed(sample, tmp_path):
    edit_contact(sample, FR_READER, {"salutation": "Madame la rédactrice en chef"})
    edit_contact(sample, EN_READER, {"first_name_ok": True})
    book = with_salutations(sample, SalutationSettings(style="formal",
                                                       greetings={"en": "Dear colleague,"}))
    found = messages(book, release(tmp_path / "release"), [FR_READER, EN_READER])
    for part in found[FR_READER]:
        assert "Madame la rédactrice en chef," in part
    for part in found[EN_READER]:
        assert "Dear Harriet," in part and "Dear colleague," not in part


def test_a_mailout_freezes_each_recipients_own_salutation(sample, tmp_path):
    add_contact(sample, {"name": "Zoé Martin", "emails": ["zoe@example.org"], "tags": "space",
                         "languages": "fr", "country": "FR", "first_name_ok": True})
    releases = load_release_set(release(tmp_path / "release"), TODAY)
    recipients = select_recipients(sample, releases, None,
                                   only=[FR_READER, EN_READER, "zoe@example.org"])
    plan = plan_messages(with_salutations(sample, FORMAL), releases, recipients, Templates(),
                         now=NOW)
    assert {m.recipient.address: m.salutation for m in plan.messages} == {
        FR_READER: "Madame, Monsieur,", EN_READER: "Dear Sir or Madam,",
        "zoe@example.org": "Bonjour Zoé,"}
