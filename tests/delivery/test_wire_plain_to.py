"""The To line of a spliced message (pressctl.delivery.wire.to_line) is, byte for byte and
error for error, what headers.address_field makes: its shorter way for plain names and
addresses (issue 12, delivery CPU) is held to the general code on generated values, on
either side of the one-line limit."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.delivery import wire
from pressctl.delivery.wire import to_line
from pressctl.releases.headers import address_field

# atext and the characters that are not, spaces single and doubled, encoded-word look-alikes
ATEXT = list("aZ09!#$%&'*+/=?^_`{|}~-")
NAMES = st.text(alphabet=st.sampled_from([*ATEXT, " "]), max_size=75) | st.text(alphabet=st.sampled_from(
    list("aZ09!#$%&'*+/=?^_`{|}~-") + list(" .,\"()<>@;:[]\\") + ["é", "\t", "\x00", " "]),
    max_size=75)
LOCAL = st.text(alphabet=st.sampled_from([*ATEXT, "."]), max_size=40) | st.text(alphabet=st.sampled_from(list("aZ09.!#$%&'*+/=?^_`{|}~-") +
                                         list(" \"(),:;<>@[]\\") + ["é", "\x7f"]), max_size=40)
DOMAIN = st.sampled_from(["example.org", "b.example.net", "bücher.example", "x", ""])


def general(name: str, address: str) -> bytes | type[Exception]:
    try:
        return address_field("To", name, address).encode()
    except ValueError:
        return ValueError


def fast(name: str, address: str) -> bytes | type[Exception]:
    try:
        return to_line(name, address)
    except ValueError:
        return ValueError


@settings(max_examples=1500, deadline=None)
@given(name=NAMES, local=LOCAL, domain=DOMAIN)
@example(name="Jane Doe", local="jane", domain="example.org")
@example(name="=?utf-8?q?x?=", local="jane", domain="example.org")
@example(name="a=?b", local="jane", domain="example.org")
@example(name="Jane Doe", local="jane@x", domain="example.org")
@example(name="", local="jane", domain="example.org")
@example(name=" Jane", local="jane", domain="example.org")
def test_the_to_line_is_address_fields(name, local, domain):
    address = f"{local}@{domain}" if domain else local
    assert fast(name, address) == general(name, address)


@pytest.mark.parametrize("extra", [-1, 0, 1, 2])
def test_either_side_of_one_line(extra):
    """Names and addresses whose To line is 77, 78, 79 and 80 characters long."""
    address = "press.desk@example.org"
    name = "Jane " + "D" * (wire._PLAIN_MOST - len(address) - 5 + extra)
    line = to_line(name, address)
    assert line == address_field("To", name, address).encode()
    assert (b"\r\n " in line) == (extra > 0)  # folded once it passes 78


def test_plain_values_take_the_short_way(monkeypatch):
    """The short way is the one taken for a plain name (else this file tests nothing)."""
    def refuse(*args: object) -> str:
        raise AssertionError("address_field called")
    monkeypatch.setattr(wire, "address_field", refuse)
    assert to_line("Jane O'Doe", "jane.o'doe@example.org") == \
        b"To: Jane O'Doe <jane.o'doe@example.org>\r\n"
