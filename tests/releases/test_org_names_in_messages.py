"""Organisations are named in the message's language (issue 11): the French headings take
"du CNES", "de l'ASC", "de la NASA", "des Nations unies"; the English ones the English short
name ("About CSA", "CSA press contacts"); the sender is "Name (ASC)" in French and
"Name (CSA)" in English. Built through the real pipeline (build_messages) and read back
with the standard e-mail parser."""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES

from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import edit_org, import_orgs
from pressctl.contacts.formats.files import open_contact_file
from pressctl.releases.checking import load_release_set
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages
from pressctl.releases.templating import Templates

TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
FR_READER, EN_READER = "lectrice@example.fr", "reader@example.com"
ORGS = [
    {"name": {"en": "Canadian Space Agency", "fr": "Agence spatiale canadienne"},
     "short_name": {"en": "CSA", "fr": "ASC"}, "country": "CA",
     "about": {"en": "The Canadian Space Agency...", "fr": "L'Agence spatiale canadienne..."}},
    {"name": "National Aeronautics and Space Administration", "short_name": "NASA",
     "article": {"fr": "la"}, "about": {"en": "NASA...", "fr": "La NASA..."}},
    {"name": "United Nations", "names": {"fr": "Nations unies"}, "article": {"fr": "les"},
     "about": {"en": "The UN...", "fr": "Les Nations unies..."}},
    {"name": "Office national d'études et de recherches aérospatiales", "short_name": "ONERA",
     "short_names": {"fr": "Onera"}, "of": {"fr": "de l'Office"},
     "about": {"fr": "L'Onera...", "en": "ONERA..."}},
]


@pytest.fixture
def joint(book, tmp_path):
    """A book with the four organisations, a CSA officer, two readers; the release in
    English and French."""
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps(ORGS), encoding="utf-8")
    assert import_orgs(book, path) == (4, 0)
    add_contact(book, {"name": "Jeanne Roy", "kind": "officer", "organization": "CSA",
                       "emails": "jeanne.roy@asc-csa.example.ca", "languages": "fr,en"})
    add_contact(book, {"name": "Lectrice", "emails": FR_READER, "languages": "fr",
                       "tags": "space"})
    add_contact(book, {"name": "Reader", "emails": EN_READER, "languages": "en",
                       "tags": "space"})
    for language, other in (("en", "fr"), ("fr", "en")):
        (tmp_path / f"PR1.{language}.md").write_text("\n".join([
            "+++", 'reference = "PR1-2026"', f'language = "{language}"',
            f'title = "Joint release {language}"', "date = 2026-06-01",
            'organizations = ["CSA", "NASA", "United Nations", "ONERA"]',
            f'translations = {{ {other} = "PR1.{other}.md" }}', 'audience = "tag:space"',
            "+++", "", "Body.", ""]), encoding="utf-8")
    return book, tmp_path / "PR1.en.md"


def _message(book, path: Path, address: str):
    releases = load_release_set(path, TODAY)
    recipients = select_recipients(book, releases, None, only=[address])
    [built] = build_messages(book, releases, recipients, Templates(), now=NOW)
    return email.message_from_bytes(built.raw, policy=email.policy.default)


def _plain(text: str) -> str:
    """Words of a part, whatever the typography (no-break spaces, curly apostrophes)."""
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'")
    return " ".join(text.split())


def _parts(message) -> tuple[str, str]:
    text = message.get_body(("plain",)).get_content()
    markup = message.get_body(("html",)).get_content()
    return _plain(text), _plain(html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_french_headings_take_the_article_the_name_needs(joint):
    book, path = joint
    message = _message(book, path, FR_READER)
    assert message["Content-Language"] == "fr"
    for body in _parts(message):
        for heading in ("À propos de l'ASC", "Contacts presse de l'ASC",
                        "À propos de la NASA", "À propos des Nations unies",
                        "À propos de l'Office"):  # a stored form wins over "de l'Onera"
            assert heading in body, heading
        assert "À propos de ASC" not in body and "CSA" not in body
    sender = message["From"].addresses[0]
    assert sender.display_name == "Jeanne Roy (ASC)"


def test_english_headings_use_the_english_names(joint):
    book, path = joint
    message = _message(book, path, EN_READER)
    assert message["Content-Language"] == "en"
    for body in _parts(message):
        for heading in ("About CSA", "CSA press contacts", "About NASA",
                        "About United Nations", "About ONERA"):
            assert heading in body, heading
        assert "ASC" not in body and "de l'" not in body
    assert message["From"].addresses[0].display_name == "Jeanne Roy (CSA)"


def test_a_changed_short_name_reaches_the_next_message(joint):
    book, path = joint
    edit_org(book, "CSA", {"short_names": {"fr": ""}, "of": {"fr": "de l'Agence"}})
    text, _ = _parts(_message(book, path, FR_READER))
    assert "À propos de l'Agence" in text and "Contacts presse de l'Agence" in text


def test_the_sample_release_names_cnes_and_sfr_in_french(book, tmp_path):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    folder = tmp_path / "release"
    folder.mkdir()
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        (folder / f"PR106-2020.{language}.md").write_text(text.replace("2020-09-2", "2099-09-2"),
                                                          encoding="utf-8")
    releases = load_release_set(folder / "PR106-2020.en.md", TODAY)
    recipients = select_recipients(book, releases, None,
                                   only=["claire.fontaine@gazette-espace.example.org"])
    [built] = build_messages(book, releases, recipients, Templates(), now=NOW)
    message = email.message_from_bytes(built.raw, policy=email.policy.default)
    for body in _parts(message):
        for heading in ("À propos du CNES", "Contacts presse du CNES", "À propos de la SFR",
                        "Contacts presse de la SFR"):
            assert heading in body, heading
    assert message["From"].addresses[0].display_name == "Pascale Bresson (CNES)"
