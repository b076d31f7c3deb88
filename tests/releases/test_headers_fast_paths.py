"""The fast paths of pressctl.releases.headers (delivery speed, issue 12) give byte for
byte what the general code gives: a line that fits is not folded, a name without doubled
spaces is not searched for them, a name's phrase is remembered per name. Each is checked
against the code as it was before them, kept here as the reference."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.releases import headers
from pressctl.releases.headers import _phrase, address_field, clean, fold

_SPACES = re.compile(" {2,}")


def fold_reference(field: str, pieces: list[str]) -> str:
    out, size = [field, ":"], len(field) + 1
    for i, piece in enumerate(pieces):
        if i and size + 1 + len(piece) > 78:
            out.append("\r\n ")
            size = 1
        else:
            out.append(" ")
            size += 1
        out.append(piece)
        size += len(piece)
    out.append("\r\n")
    return "".join(out)


def clean_name_reference(name: str) -> str:
    return _SPACES.sub(" ", clean(name)).strip(" ")


def address_field_reference(field: str, name: str, address: str) -> str:
    addr = headers.header_address(address)
    name = clean_name_reference(name)
    if not name:
        return f"{field}: {addr}\r\n"
    return fold_reference(field, [*_phrase(name), f"<{addr}>"])


# names as delivery meets them: ASCII and not, dots, doubled and outer spaces, controls,
# encoded-word look-alikes, lengths on either side of one line
NAME_TEXT = st.text(alphabet=st.sampled_from(
    list("abcXYZ .,'\"()=?-\\") + ["é", "Ł", "日", "\t", "\n", "\r", "\x00", "\u2028", " ", " "]),
    max_size=90)
ADDRESSES = st.sampled_from(["jane@example.net", "a@b.example.org", "é@example.net",
                             "x@bücher.example", "long." * 12 + "box@example.org"])


@settings(max_examples=400, deadline=None)
@given(field=st.sampled_from(["To", "From", "List-Unsubscribe", "X"]),
       pieces=st.lists(st.text(alphabet="ab =<>,", max_size=40), max_size=6))
@example(field="To", pieces=[])
@example(field="To", pieces=[""])
@example(field="To", pieces=["a" * 74])  # 78 exactly: one line
@example(field="To", pieces=["a" * 75])  # 79
@example(field="To", pieces=["a" * 36, "b" * 37])
@example(field="To", pieces=["a" * 36, "b" * 38])
def test_fold_is_the_general_fold(field, pieces):
    assert fold(field, pieces) == fold_reference(field, pieces)


@settings(max_examples=400, deadline=None)
@given(name=NAME_TEXT)
@example(name="  Jane   Doe  ")
@example(name="Jane\tDoe")
@example(name=" ")
def test_a_cleaned_name_is_the_general_one(name):
    assert headers._clean_name(name) == clean_name_reference(name)


@settings(max_examples=600, deadline=None)
@given(name=NAME_TEXT, address=ADDRESSES, field=st.sampled_from(["To", "From"]))
@example(name="Aidan Brooks", address="aidan.brooks@defence-aerospace-monitor.example.org",
         field="To")
@example(name="Zoë Ångström-Łukasiewicz de la Très Longue Famille " * 2,
         address="zoe@example.net", field="To")
@example(name="=?utf-8?q?x?=", address="jane@example.net", field="To")
def test_an_address_field_is_the_general_one_first_time_and_remembered(name, address, field):
    expected = address_field_reference(field, name, address)
    assert address_field(field, name, address) == expected
    assert address_field(field, name, address) == expected  # the phrase remembered


def test_the_remembered_phrases_are_bounded():
    headers._name_phrase.cache_clear()
    for n in range(headers._name_phrase.cache_info().maxsize + 10):
        address_field("To", f"Name{n}", "jane@example.net")
    info = headers._name_phrase.cache_info()
    assert info.currsize == info.maxsize
