"""The normalised name (pressctl.contacts.name_keys): what "the same name" means when the
book looks for one person entered twice. Real-world spellings first."""

from __future__ import annotations

import pytest

from pressctl.contacts.name_keys import how_alike, initial_keys, name_key, similar_names

SAME_NAME = [
    ("Pascale Bresson", "pascale bresson"),  # case
    ("Élodie Marchand", "Elodie Marchand"),  # accents dropped (NFKD)
    ("Raphaël Sart", "RAPHAEL SART"),
    ("DUPONT Marie", "Marie Dupont"),  # surname first, in capitals: word order ignored
    ("Mme Marie Dupont", "Marie Dupont"),  # honorifics dropped, five languages
    ("Dr. Jane Roe", "Jane Roe"),
    ("Prof. Dr. Hans Müller", "Hans Muller"),
    ("Herr Hans Müller", "Hans Müller"),
    ("Sig.ra Anna Rossi", "Anna Rossi"),
    ("Dott.ssa Anna Rossi", "Anna Rossi"),
    ("Sra. Ana García", "Ana Garcia"),
    ("M. Jean Dupont", "Jean Dupont"),  # "M." before two words: Monsieur
    ("Jean-Yves Le Gall", "Jean Yves Le Gall"),  # a hyphen is a space
    ("Marie\u00a0Dupont", "Marie Dupont"),  # NBSP
    ("Ｍａｒｉｅ Dupont", "Marie Dupont"),  # full-width letters (compatibility form)
    ("Straße Anna", "Anna Strasse"),  # ß folds to ss
]


@pytest.mark.parametrize(("written", "same"), SAME_NAME)
def test_spellings_of_one_name_share_its_key(written, same):
    assert name_key(written) == name_key(same)
    assert similar_names(written, same)


DIFFERENT = [
    ("Jane Roe", "John Roe"),
    ("Marie Dupont", "Marie Durand"),
    ("Jean Dupont", "Jean-Pierre Dupont"),  # one more word is another name
    ("M. Dupont", "Marie Durand"),
]


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_names_do_not_match(a, b):
    assert name_key(a) != name_key(b)
    assert not similar_names(a, b)


def test_a_name_without_letters_has_no_key_and_matches_nothing():
    assert name_key(" - ") == ""
    assert not similar_names("-", "-")


def test_an_honorific_alone_is_still_a_name():
    assert name_key("Dr") == "dr"


@pytest.mark.parametrize(("short", "full"), [
    ("J. Roe", "Jane Roe"),
    ("Roe J.", "Jane Roe"),
    ("P. Bresson", "Pascale Bresson"),
    ("Jean-Y. Le Gall", "Jean-Yves Le Gall"),
    ("M. Dupont", "Marie Dupont"),  # "M." before one word is an initial
])
def test_initials_stand_for_words(short, full):
    assert similar_names(short, full) and similar_names(full, short)
    assert how_alike(short, full) == "initials"


def test_initials_never_stand_for_every_word():
    assert not similar_names("J. R.", "Jane Roe")
    assert "j r" not in initial_keys("Jane Roe")


@pytest.mark.parametrize(("a", "b", "how"), [
    ("Pascale Bresson", "Pascale Bresson", "same name"),
    ("Élodie Marchand", "elodie marchand", "accents or case"),
    ("DUPONT Marie", "Marie Dupont", "word order"),
    ("J. Roe", "Jane Roe", "initials"),
    ("Jane Roe", "John Roe", None),
])
def test_how_alike_says_why(a, b, how):
    assert how_alike(a, b) == how
