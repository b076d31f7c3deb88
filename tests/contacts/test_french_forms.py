"""The French "of" forms of organisation names (pressctl.contacts.french_forms) and the
names an organisation has in a message's language (Organization.name_in, label_in, of_in)."""

from __future__ import annotations

import pytest

from pressctl.contacts.french_forms import (
    ARTICLES,
    elides,
    is_of_form,
    normalise_article,
    of_form,
)
from pressctl.contacts.model import Organization


@pytest.mark.parametrize(("name", "article", "expected"), [
    # the cases of issue 11 first
    ("CNES", None, "du CNES"),  # masculine by default, read as a word
    ("ASC", None, "de l'ASC"),  # an acronym spelt out, vowel first
    ("NASA", "la", "de la NASA"),  # feminine: the stored article says it
    ("Nations unies", "les", "des Nations unies"),  # plural
    ("Onera", None, "de l'Onera"),  # read as a word, vowel first
    ("ESA", "la", "de l'ESA"),  # feminine and elided: l' whatever the gender
    ("ONU", "la", "de l'ONU"),
    ("Agence spatiale canadienne", "la", "de l'Agence spatiale canadienne"),
    ("Élysée", None, "de l'Élysée"),  # an accented capital is a vowel
    ("Œuvre d'Orient", "la", "de l'Œuvre d'Orient"),
    ("INSERM", None, "de l'INSERM"),
    ("Université de Paris", "la", "de l'Université de Paris"),
    ("SFR", "la", "de la SFR"),
    ("FMI", None, "du FMI"),  # "effe" sounds like a vowel, but written French keeps "le"
    ("SNCF", "la", "de la SNCF"),
    ("Havre", None, "du Havre"),  # h taken as aspirated
    ("HAS", "la", "de la HAS"),
    ("Humanité", "l'", "de l'Humanité"),  # a mute h: the article says l'
    ("Humanité", "l’", "de l'Humanité"),  # the typographic apostrophe is the same article
    ("Yémen", None, "du Yémen"),  # y before a vowel is a consonant
    ("YMCA", None, "de l'YMCA"),  # y before a consonant is a vowel
    ("Airbus", "none", "d'Airbus"),  # no article: "de", elided before a vowel
    ("Thales", "none", "de Thales"),
    ("Nations unies", "LES", "des Nations unies"),  # the article's case does not matter
    ("Hôpitaux de Paris", "les", "des Hôpitaux de Paris"),  # les never elides
    ("  CNES ", None, "du CNES"),  # the name as given, trimmed
    ("« Équipe »", "la", "de l'« Équipe »"),  # a leading quote mark is not the first sound
])
def test_french_of_forms(name, article, expected):
    assert of_form(name, article) == expected


def test_an_unknown_article_is_refused_not_guessed():
    with pytest.raises(ValueError, match="unknown French article 'der'"):
        of_form("CNES", "der")


@pytest.mark.parametrize(("text", "expected"), [
    ("le", "le"), (" La ", "la"), ("l'", "l'"), ("l’", "l'"), ("LES", "les"), ("none", "none"),
    ("", None), ("du", None), ("f", None), ("de la", None),
])
def test_normalise_article(text, expected):
    assert normalise_article(text) == expected
    assert expected is None or expected in ARTICLES


@pytest.mark.parametrize(("name", "expected"), [
    ("ASC", True), ("ESA", True), ("onera", True), ("Île-de-France", True), ("Y", True),
    ("CNES", False), ("Havre", False), ("Yaourt", False), ("", False), ("123", False),
])
def test_elision_reads_the_first_letter(name, expected):
    assert elides(name) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("du CNES", True), ("de l'ASC", True), ("de l’ASC", True), ("de la NASA", True),
    ("des Nations unies", True), ("d'Airbus", True), ("de Thales", True),
    ("l'ASC", False), ("ASC", False), ("du ", False), ("de", False), ("Du CNES", False),
])
def test_an_of_override_must_read_as_an_of_form(text, expected):
    assert is_of_form(text) is expected


# -- an organisation's names in a language -----------------------------------------------------

CSA = Organization("Canadian Space Agency", "CSA", "CA",
                   names={"fr": "Agence spatiale canadienne", "en": "Canadian Space Agency"},
                   short_names={"fr": "ASC"})


@pytest.mark.parametrize(("language", "name", "short", "label", "of"), [
    ("fr", "Agence spatiale canadienne", "ASC", "ASC", "de l'ASC"),
    ("fr-CA", "Agence spatiale canadienne", "ASC", "ASC", "de l'ASC"),  # its base language
    ("en", "Canadian Space Agency", "CSA", "CSA", "CSA"),  # English: no article, the label
    ("de", "Canadian Space Agency", "CSA", "CSA", "CSA"),  # no German names: the canonical
])
def test_the_names_in_a_language_fall_back_to_the_canonical_ones(language, name, short, label,
                                                                  of):
    assert (CSA.name_in(language), CSA.short_in(language), CSA.label_in(language),
            CSA.of_in(language)) == (name, short, label, of)


def test_without_a_short_name_the_label_is_the_name_in_that_language():
    un = Organization("United Nations", names={"fr": "Nations unies"}, article={"fr": "les"})
    assert (un.label_in("fr"), un.of_in("fr")) == ("Nations unies", "des Nations unies")
    assert (un.label_in("en"), un.short_in("en")) == ("United Nations", None)


def test_a_stored_of_form_wins_over_the_rule():
    onera = Organization("Office national d'études et de recherches aérospatiales", "ONERA",
                         short_names={"fr": "Onera"}, article={"fr": "la"},
                         of={"fr": "de l'Office", "en": "of ONERA"})
    assert onera.of_in("fr") == "de l'Office"  # not "de l'Onera", which the rule gives
    assert onera.of_in("fr-BE") == "de l'Office"
    assert onera.of_in("en") == "of ONERA"  # an override in any language is used as written
    assert Organization("X", "ONERA", short_names={"fr": "Onera"}).of_in("fr") == "de l'Onera"


def test_the_stored_article_belongs_to_the_french_label():
    nasa = Organization("National Aeronautics and Space Administration", "NASA",
                        article={"fr": "la"})
    assert nasa.of_in("fr") == "de la NASA"
    assert Organization("Centre national d'études spatiales", "CNES").of_in("fr") == "du CNES"
