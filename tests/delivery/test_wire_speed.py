"""The wire form's per-recipient shortcuts (delivery speed, issue 12): a salutation's
encoding remembered per value, and the address and name fast paths of headers, still give
byte for byte the built message stuffed, for values seen once, seen again, and after the
memory of them started over."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.delivery import wire as wire_module
from pressctl.delivery.wire import WireFactory, stuff
from pressctl.releases.messages import SALUTATION, UNSUBSCRIBE, MessageFactory, Sender, Variant

NOW = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
VARIANT = Variant(subject="Launch", language="en",
                  text=f"{SALUTATION}\n\n.a line with a dot\n{UNSUBSCRIBE}\n",
                  html=f"<style>\n.x{{}}\n</style><p>{SALUTATION}</p>\n.<p>{UNSUBSCRIBE}</p>")
SENDER = Sender(name="Presse", address="presse@example.org",
                list_unsubscribe_mailto="out@example.org",
                unsubscribe_url="https://example.org/u/{token}")
VALUES = st.text(alphabet=st.sampled_from(list("aZ .,=&<>\"'-") + ["é", "日", "\n", "\r", "\t"]),
                 max_size=100)


@pytest.fixture(scope="module")
def factories():
    factory = MessageFactory(VARIANT, SENDER, domain="example.org")
    wire = WireFactory(factory)
    assert wire.spliced
    return factory, wire


def _both(factory, wire, n, name, salutation):
    values = {"name": name, "address": f"r{n}@example.net", "salutation": salutation,
              "now": NOW, "message_id": f"<m.{n}@example.org>",
              "unsubscribe_token": f"tok{n}"}
    return wire.build(**values), stuff(factory.build(**values))


@settings(max_examples=300, deadline=None)
@given(name=VALUES, salutation=VALUES)
@example(name="Aidan Brooks", salutation="Dear Aidan Brooks,")
@example(name="...", salutation=".\n..Dear .Probe,")
@example(name="Zoë " * 30, salutation="Chère Zoë,\n." + "é" * 90)
def test_a_salutation_seen_again_gives_the_same_bytes_as_building_it(factories, name,
                                                                   salutation):
    factory, wire = factories
    first, expected = _both(factory, wire, 1, name, salutation)
    again, expected_again = _both(factory, wire, 2, name, salutation)  # remembered now
    assert first == expected
    assert again == expected_again


def test_the_memory_starts_over_when_full_and_stays_exact(factories, monkeypatch):
    factory, _ = factories
    monkeypatch.setattr(wire_module, "MEMO_SIZE", 3)
    wire = WireFactory(factory)  # its holes see the small size
    salutations = [f"Dear {n % 5},\n.{n % 7}" for n in range(40)]
    for n, salutation in enumerate(salutations):
        built, expected = _both(factory, wire, n, f"Name {n % 4}", salutation)
        assert built == expected
    memos = [piece for piece in wire._pieces
             if getattr(piece, "__name__", "") == "remembered"]
    assert len(memos) == 4  # the salutation and the link, in the text and the HTML
    for memo in memos:
        cells = memo.__closure__
        made = next(c.cell_contents for c in cells if isinstance(c.cell_contents, dict))
        assert 0 < len(made) <= 3


def test_per_recipient_links_are_remembered_within_bounds_and_stay_exact(factories,
                                                                      monkeypatch):
    factory, _ = factories
    monkeypatch.setattr(wire_module, "MEMO_SIZE", 5)
    wire = WireFactory(factory)
    for n in range(30):  # a token per recipient: every link is new
        built, expected = _both(factory, wire, n, "A", "Dear A,")
        assert built == expected
    for memo in [piece for piece in wire._pieces
                 if getattr(piece, "__name__", "") == "remembered"]:
        made = next(c.cell_contents for c in memo.__closure__
                    if isinstance(c.cell_contents, dict))
        assert 0 < len(made) <= 5
