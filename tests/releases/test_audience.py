"""Tests for pressctl.releases.audience: who receives a release.

The book: the CNES and SFR press officers of seed release 000, and synthetic journalists on
example.* domains (one of them opted out, one Canadian French speaker).
"""

from __future__ import annotations

import pytest

from pressctl.contacts.model import Contact, Organization
from pressctl.errors import InvalidInput
from pressctl.releases.audience import parse_audience


def contact(name: str, **fields) -> Contact:
    return Contact(name=name, emails=[f"{name.lower().replace(' ', '.')}@example.org"], **fields)


BOOK = [
    contact("Pascale Bresson", kind="officer", organization="CNES", country="FR",
            languages=["fr", "en"], tags=["space"]),
    contact("Nicolas Merlet", kind="officer", organization="Société Française de Radiologie",
            country="FR", languages=["fr"], tags=["health"]),
    contact("Alice Orbit", kind="journalist", outlet="Orbit Weekly", country="GB",
            languages=["en"], tags=["space", "deep-space"], embargo_ok=True),
    contact("Benoît Lune", kind="journalist", outlet="La Revue de l'Espace", country="FR",
            languages=["fr"], tags=["space"], embargo_ok=True),
    contact("Chloé Tremblay", kind="journalist", outlet="Le Devoir spatial", country="CA",
            languages=["fr-CA", "en"], tags=["space", "health"]),
    contact("Dana Health", kind="journalist", outlet="Health Wire", country="US",
            languages=["en-US"], tags=["health"]),
    contact("Owen Optout", kind="journalist", outlet="Orbit Weekly", country="GB",
            languages=["en"], tags=["space"], embargo_ok=True, opted_out=True),
]
EVERYONE_BUT_OWEN = {c.name for c in BOOK if not c.opted_out}


def names(expression: str, **options) -> set[str]:
    audience = parse_audience(expression, **options)
    return {c.name for c in BOOK if audience.matches(c)}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # The audience of seed release 000: space and health journalists.
        ("kind:journalist and (tag:space or tag:health)",
         {"Alice Orbit", "Benoît Lune", "Chloé Tremblay", "Dana Health"}),
        ("kind:journalist and lang:fr", {"Benoît Lune", "Chloé Tremblay"}),
        ('outlet:"Orbit Weekly"', {"Alice Orbit"}),
        ("embargo_ok", {"Alice Orbit", "Benoît Lune"}),
        ("all", EVERYONE_BUT_OWEN),
        # Terms one by one.
        ("tag:space", {"Pascale Bresson", "Alice Orbit", "Benoît Lune", "Chloé Tremblay"}),
        ('tag:"Deep Space"', {"Alice Orbit"}),  # compared as stored: deep-space
        ("tag:SPACE", {"Pascale Bresson", "Alice Orbit", "Benoît Lune", "Chloé Tremblay"}),
        ("kind:officer", {"Pascale Bresson", "Nicolas Merlet"}),
        ("kind:journaliste", {"Alice Orbit", "Benoît Lune", "Chloé Tremblay", "Dana Health"}),
        ("lang:fr", {"Pascale Bresson", "Nicolas Merlet", "Benoît Lune", "Chloé Tremblay"}),
        ("lang:fr-CA", {"Chloé Tremblay"}),  # fr-CA does not match plain fr
        ("lang:en", {"Pascale Bresson", "Alice Orbit", "Chloé Tremblay", "Dana Health"}),
        ("lang:French", {"Pascale Bresson", "Nicolas Merlet", "Benoît Lune", "Chloé Tremblay"}),
        ("country:FR", {"Pascale Bresson", "Nicolas Merlet", "Benoît Lune"}),
        ("country:uk", {"Alice Orbit"}),  # people write UK; ISO says GB
        ("country:Canada", {"Chloé Tremblay"}),
        ("outlet:orbit", {"Alice Orbit"}),  # substring, case ignored
        ("outlet:'revue de l'", {"Benoît Lune"}),
        ("outlet:\u201cHealth Wire\u201d", {"Dana Health"}),  # word processors' quotes
        ("org:CNES", {"Pascale Bresson"}),
        ("org:cnes", {"Pascale Bresson"}),
        # Precedence: not > and > or.
        ("tag:health or tag:space and kind:officer",
         {"Pascale Bresson", "Nicolas Merlet", "Chloé Tremblay", "Dana Health"}),
        ("(tag:health or tag:space) and kind:officer", {"Pascale Bresson", "Nicolas Merlet"}),
        ("not tag:space and kind:journalist", {"Dana Health"}),
        ("not (tag:space and kind:journalist)",
         {"Pascale Bresson", "Nicolas Merlet", "Dana Health"}),
        ("not not embargo_ok", {"Alice Orbit", "Benoît Lune"}),
        ("tag:space AND Not lang:en OR country:US", {"Benoît Lune", "Dana Health"}),
        ("((kind:officer))", {"Pascale Bresson", "Nicolas Merlet"}),
    ],
)
def test_audience_selects(expression, expected):
    assert names(expression) == expected


@pytest.mark.parametrize(
    "expression", ["all", "not embargo_ok", 'outlet:"Orbit Weekly"', "not kind:officer",
                   "embargo_ok or all"],
)
def test_opted_out_contacts_are_never_in_an_audience(expression):
    owen = BOOK[-1]
    assert not parse_audience(expression).matches(owen)


def test_org_matches_short_and_full_names_when_the_book_s_organisations_are_given():
    sfr = Organization(name="Société Française de Radiologie", short_name="SFR")
    assert names("org:SFR") == set()  # without the book, only the name as written
    assert names("org:SFR", organizations=[sfr]) == {"Nicolas Merlet"}
    assert names("org:\"société française de radiologie\"", organizations=[sfr]) == {
        "Nicolas Merlet"}


def test_the_text_is_kept_as_written():
    audience = parse_audience("kind:journalist and lang:fr")
    assert audience.text == "kind:journalist and lang:fr"
    assert audience.select(BOOK) == [BOOK[3], BOOK[4]]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("tag:space and", 'audience "tag:space and": expected a term after "and" (column 14)'),
        ("tag:space and ", 'audience "tag:space and ": expected a term after "and" (column 15)'),
        ("and tag:space", 'audience "and tag:space": expected a term before "and" (column 1)'),
        ("tag:space or or lang:fr",
         'audience "tag:space or or lang:fr": expected a term after "or" (column 14)'),
        ("not", 'audience "not": expected a term after "not" (column 4)'),
        ("tag:space lang:fr",
         'audience "tag:space lang:fr": expected "and" or "or" before "lang:fr" (column 11)'),
        ("(tag:space or lang:fr", ('audience "(tag:space or lang:fr": the "(" is never closed '
                                  "(column 1)")),
        ("tag:space)", 'audience "tag:space)": ")" without a matching "(" (column 10)'),
        ("()", 'audience "()": expected a term after "(" (column 2)'),
        ("(tag:a tag:b)",
         'audience "(tag:a tag:b)": expected "and", "or" or ")" before "tag:b" (column 8)'),
        ("tga:space", ('audience "tga:space": unknown term "tga:space" (column 1) '
                      '(did you mean "tag:"?)')),
        ("embargo", ('audience "embargo": unknown term "embargo" (column 1) '
                    '(did you mean "embargo_ok"?)')),
        ("space", ('audience "space": unknown term "space" (column 1) (terms are tag:, kind:, '
                  "lang:, country:, outlet:, org:, embargo_ok, all)")),
        ("kind:jouralist", ('audience "kind:jouralist": kind "jouralist" is not one of officer, '
                           "journalist, other (column 1)")),
        ("lang:fr and lang:x", ('audience "lang:fr and lang:x": lang "x" is not a BCP 47 '
                               "language tag such as fr, en or fr-CA (column 13)")),
        ("country:Narnia", ('audience "country:Narnia": country "Narnia" is not an ISO 3166 '
                           "country code or known country name (column 1)")),
        ("tag:", 'audience "tag:": expected a value after "tag:" (column 5)'),
        ('outlet:"Orbit Weekly', ('audience "outlet:"Orbit Weekly": the quote " is never '
                                 "closed (column 8)")),
        ("", 'audience "" is empty (write all for everyone)'),
        ("   ", 'audience "   " is empty (write all for everyone)'),
    ],
)
def test_audience_errors_name_the_column(expression, message):
    with pytest.raises(InvalidInput) as caught:
        parse_audience(expression)
    assert str(caught.value) == message
