"""Two common shapes of an e-mail field are read without the general clean-up
(pressctl.contacts.emails._plain_shapes): plain addresses separated by commas or
semicolons, as pressctl's own export writes them, and "mailto:" before a plain address.
What they give must be, piece for piece, what the general clean-up gives (addresses,
the text each came from, notes, display names, refusals), and every other field must
be left to the general clean-up."""

from __future__ import annotations

import random

import pytest

from pressctl.contacts import emails

ADDRESSES = ["a@example.org", "Jean.Dupont@Example.COM", "o'brien@news.example.net",
             "x+tag@sub.example.org", "name@example", "bad@@example.org",
             "a..b@example.org", "postmaster@example.org", "q?z@example.org",
             "p%41@example.org", "{at}@example.org", "AT@example.org", "or@example.org"]
SEPARATORS = [";", "; ", ",", ", ", " ;", " , ", ";;", "; ;", ";\t", "\t,", ";\n", "\r\n"]
EDGES = ["", " ", "\t", "\u00a0", ";", ","]
NAMES = ["", "Jean ", "Jürgen Graßl ", "Jean  Dupont ", "Jean-Luc O'Brien ", "J. R. ",
         "Et Martin ", "or ", "Jean AT ", "Jean at ", "Paul Arobase ", "Zoë\u00a0", "Zoë ",
         "Dupont, Jean ", "(Jean) ", '"Jean" ', "'Jean' ", "Jean2 ", "Jean_ ", "Jean",
         "«Jean» ", "Mail: ", "Jean\u0301 ", "Ｊｅａｎ ", "Ĳ ", "Jean ; "]


def _fields() -> list[str]:
    rng = random.Random(12)
    fields = []
    for _ in range(3000):
        parts = rng.sample(ADDRESSES, rng.randint(1, 3))
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(SEPARATORS) + part
        if rng.random() < 0.3:
            text = rng.choice(["mailto:", "MailTo:", "mailto: ", "mailto:<"]) + text
        elif rng.random() < 0.4:
            text = f"{rng.choice(NAMES)}<{text}>"
        if rng.random() < 0.2:
            text = rng.choice(EDGES) + text + rng.choice(EDGES)
        fields.append(text)
    return fields


def _outcomes(found: list) -> list[tuple]:
    return [(type(o).__name__, *(getattr(o, s) for s in o.__slots__)) for o in found]


def test_the_quick_shapes_read_what_the_general_clean_up_reads():
    quick = 0
    for text in _fields():
        found = emails._plain_shapes(text, False)
        if found is None:
            continue
        quick += 1
        assert _outcomes(found) == _outcomes(emails._examined(text, False)), text
    assert quick > 300  # the shapes are met, not left to the general path


@pytest.mark.parametrize("text", [
    "a@example.org;b@example.org", "a@example.org , b@example.org",
    "mailto:a@example.org", "MAILTO:Jean.Dupont@Example.COM", "a@example.org;a..b@example.org",
    "Jürgen Graßl <j.grassl@example.com>", "<a@example.org>", "Jean-Luc O'Brien<a@example.org>",
    "Zoë <a..b@example.org>",
])
def test_common_shapes_take_the_quick_way(text):
    found = emails._plain_shapes(text, False)
    assert found is not None
    assert _outcomes(found) == _outcomes(emails._examined(text, False))


@pytest.mark.parametrize("text", [
    "a@example.org;;b@example.org", "a@example.org;", " a@example.org;b@example.org",
    "a@example.org;\nb@example.org", "mailto:a@example.org?subject=x",
    "mailto:p%41@example.org", "mailto: a@example.org", "é@example.org;b@example.org",
    "a@example.org\u00a0;b@example.org", "Et Jean <a@example.org>",
    "Jean AT <a@example.org>", "Jean arobase <a@example.org>", "Dupont, Jean <a@example.org>",
    '"Jean" <a@example.org>', "Jean <a@example.org>.", "<mailto:a@example.org>",
    "Jean <a@example.org; b@example.org>", "Zoë\u00a0<a@example.org>",
])
def test_other_fields_take_the_general_way(text):
    assert emails._plain_shapes(text, False) is None
