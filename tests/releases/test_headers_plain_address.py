"""headers.header_address answers a plain ASCII address with one match (delivery CPU,
issue 12): byte for byte and error for error what its general checks give, held here to
those checks as they were before that shorter way."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.releases import headers
from pressctl.releases.headers import header_address

_BAD_ADDRESS = re.compile(r'[\s<>()\[\],;:"\\\x00-\x1f\x7f-\x9f]')


def header_address_reference(address: str) -> str:
    if _BAD_ADDRESS.search(address) or address.count("@") != 1:
        raise ValueError(f"not a plain e-mail address: {address!r}")
    local, _, domain = address.partition("@")
    if not local or not domain:
        raise ValueError(f"not a plain e-mail address: {address!r}")
    if address.isascii() or not local.isascii():
        return address
    return local + "@" + headers._idna(domain)


def outcome(check, address: str) -> str | tuple[str, str]:
    try:
        return check(address)
    except ValueError as err:
        return ("ValueError", str(err))


PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]  # every printable ASCII character
TEXT = st.text(alphabet=st.sampled_from(PRINTABLE + [" ", "\t", "\x00", "\x7f", "é", "\u00a0"]),
               max_size=30)


@settings(max_examples=2000, deadline=None)
@given(local=TEXT, domain=TEXT | st.sampled_from(["example.org", "bücher.example", ""]),
       at=st.sampled_from(["@", "", "@@"]))
@example(local="jane", domain="example.org", at="@")
@example(local="", domain="example.org", at="@")
@example(local="jane", domain="", at="@")
@example(local="jané", domain="example.org", at="@")
@example(local="jane", domain="bücher.example", at="@")
@example(local="a\"b", domain="example.org", at="@")
@example(local="jane", domain="example.org\n", at="@")
def test_header_address_is_the_general_check(local, domain, at):
    address = local + at + domain
    assert outcome(header_address, address) == outcome(header_address_reference, address)


@pytest.mark.parametrize("char", PRINTABLE)
def test_each_printable_character_alike(char):
    """Every printable ASCII character, in either part, as the general checks say."""
    for address in (f"a{char}b@example.org", f"jane@ex{char}ample.org"):
        assert outcome(header_address, address) == outcome(header_address_reference, address)


def test_the_plain_ones_take_the_short_way(monkeypatch):
    monkeypatch.setattr(headers, "_BAD_ADDRESS", None)  # the general checks would fail
    assert header_address("jane.o'doe+press@example.org") == "jane.o'doe+press@example.org"
