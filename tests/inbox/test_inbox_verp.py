"""VERP: the envelope sender carries a recipient's token, and only a well-formed token
is ever read back (pressctl.inbox.verp)."""

from __future__ import annotations

import pytest

from pressctl.delivery.unsubscribe import unsubscribe_token
from pressctl.errors import InvalidInput
from pressctl.inbox.verp import verp_sender, verp_token

TOKEN = "Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY"


def test_the_token_goes_after_plus_b_in_the_local_part():
    assert verp_sender("press@cnes.fr", TOKEN) == f"press+b.{TOKEN}@cnes.fr"


@pytest.mark.parametrize("token", [
    TOKEN, "_dL8W-7UH7RIV_Kn9qyiMn1CE4suCtd7", "-" * 32, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
])
def test_a_token_round_trips_through_the_sender_address(token):
    assert verp_token(verp_sender("press@cnes.fr", token)) == token


def test_the_tokens_mailout_rows_already_have_round_trip():
    # The one-click unsubscribe tokens are the tokens VERP carries (same length, alphabet).
    for row in range(50):
        token = unsubscribe_token(b"k" * 32, row, f"journalist{row}@lemonde.example")
        assert verp_token(verp_sender("presse.cnes@cnes.fr", token)) == token


def test_a_sender_with_its_own_plus_keeps_it():
    address = verp_sender("press+releases@cnes.fr", TOKEN)
    assert address == f"press+releases+b.{TOKEN}@cnes.fr" and verp_token(address) == TOKEN


@pytest.mark.parametrize("token", [
    TOKEN[:31],  # too short
    TOKEN + "A",  # too long
    TOKEN[:31] + "=",  # base64 padding is not base64url's
    TOKEN[:31] + ".",
    TOKEN[:31] + "+",
    TOKEN[:31] + "/",
    TOKEN[:31] + "é",
    TOKEN[:16] + " " + TOKEN[17:],
    "",
])
def test_a_malformed_token_is_refused_when_sending(token):
    with pytest.raises(InvalidInput, match="not a bounce token"):
        verp_sender("press@cnes.fr", token)


@pytest.mark.parametrize("address", [
    f"press+b.{TOKEN[:31]}@cnes.fr",
    f"press+b.{TOKEN}A@cnes.fr",
    f"press+b.{TOKEN[:31]}=@cnes.fr",
    f"press+b.{TOKEN[:31]}.@cnes.fr",
    f"press+x.{TOKEN}@cnes.fr",  # not the bounce mark
    f"press+b{TOKEN}@cnes.fr",
    f"press+b.{TOKEN}",  # no domain
    f"press+b.{TOKEN}@",
    "press@cnes.fr",
    f"press+b.{TOKEN}.x@cnes.fr",  # the token must end the local part
    "",
])
def test_a_malformed_token_is_never_read_back(address):
    assert verp_token(address) is None


@pytest.mark.parametrize("written", [
    f"<press+b.{TOKEN}@cnes.fr>", f"Service de presse <press+b.{TOKEN}@cnes.fr>",
    f"  press+b.{TOKEN}@cnes.fr ",
])
def test_the_token_is_read_from_a_header_value(written):
    assert verp_token(written) == TOKEN


@pytest.mark.parametrize(("sender", "message"), [
    ("cnes.fr", "cannot carry a bounce token"),
    ("@cnes.fr", "cannot carry a bounce token"),
    ("press@", "cannot carry a bounce token"),
    ('"service presse"@cnes.fr', "cannot carry a bounce token"),
    ("Service <press@cnes.fr>", "cannot carry a bounce token"),
    ("presse.é@cnes.fr", "cannot carry a bounce token"),
    (f"press+b.{TOKEN}@cnes.fr", "already carries a bounce token"),
    ("service.de.presse.du.centre.national@cnes.fr", "too long to carry a bounce token"),
])
def test_a_sender_that_cannot_carry_a_token_is_refused(sender, message):
    with pytest.raises(InvalidInput, match=message):
        verp_sender(sender, TOKEN)


def test_the_longest_sender_local_part_that_fits_is_accepted():
    local = "p" * (64 - len("+b.") - 32)
    address = verp_sender(f"{local}@cnes.fr", TOKEN)
    assert len(address.partition("@")[0]) == 64
    with pytest.raises(InvalidInput):
        verp_sender(f"{local}p@cnes.fr", TOKEN)


def test_tokens_are_case_sensitive():
    # base64url: a server that lowers local parts changes the token; it is not matched.
    lowered = verp_sender("press@cnes.fr", TOKEN).lower()
    assert verp_token(lowered) == TOKEN.lower() != TOKEN

