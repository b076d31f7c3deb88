"""Messages in their wire form, spliced from a variant's parts stuffed once
(pressctl.delivery.wire): byte for byte what stuffing the whole built message gives."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime

import pytest

from pressctl.delivery import wire as wire_module
from pressctl.delivery.wire import WireFactory, stuff
from pressctl.releases.messages import (
    SALUTATION,
    UNSUBSCRIBE,
    Attachment,
    InlineImage,
    MessageFactory,
    Sender,
    Variant,
)

NOW = datetime(2030, 1, 2, 9, 30, tzinfo=UTC)
CSS = "<style>\n.content{color:#e4e6e8 !important;}\n.kind,.footer a{color:#b00;}\n</style>"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


def _ics(name: str, address: str) -> bytes:
    return (f"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nATTENDEE;CN={name}:mailto:{address}\r\n"
            "END:VCALENDAR\r\n").encode()


VARIANTS = {
    "plain": Variant(subject="Launch", language="en",
                     text=f"{SALUTATION}\n\n.a line with a dot\n..two\n{UNSUBSCRIBE}\n",
                     html=f"{CSS}<p>{SALUTATION}</p>\n.<p>{UNSUBSCRIBE}</p>"),
    "no holes": Variant(subject="Same for all", language="fr", text=".\n.only dots\n",
                        html=f"{CSS}<p>x</p>"),
    "base64": Variant(subject="日本語", language="ja",
                      text=f"{SALUTATION}\n" + "日本語の本文。" * 40,
                      html=f"<p>{SALUTATION}</p>" + "<p>日本語</p>" * 40),
    "everything": Variant(
        subject="Invitation – été", language="fr",
        text=f"{SALUTATION}\n" + "é" * 120 + f"\n.{UNSUBSCRIBE}\n",
        html=f"{CSS}<p>{SALUTATION}</p><img src=\"cid:x\">\n.<a>{UNSUBSCRIBE}</a>",
        attachments=(Attachment("communiqué.pdf", "application/pdf", b"%PDF-1.4\n" * 50),),
        calendar=_ics,
        images=(InlineImage("<img.1@example.org>", "logo.png", "image/png", PNG),)),
}
SENDERS = {
    "mailto": Sender(name="Press Office (ACME)", address="press@example.org",
                     reply_to="desk@example.org", list_unsubscribe_mailto="out@example.org"),
    "one-click": Sender(name="Presse", address="presse@example.org",
                        list_unsubscribe_mailto="out@example.org",
                        unsubscribe_url="https://example.org/u/{token}"),
}
RECIPIENTS = [
    {"name": "Jane Doe", "address": "jane@example.net", "salutation": "Dear Jane,"},
    {"name": "", "address": "x@example.net", "salutation": ".Dear dotted,\n.\n..."},
    {"name": "Zoë Ångström " * 8, "address": "zoe@example.net",
     "salutation": "Chère Zoë,\r\n." + "é" * 80},
    {"name": "A. N. Other.", "address": "o@example.net", "salutation": "<b>&amp;</b>\n.x"},
]


def _values(recipient: dict, number: int) -> dict:
    return {**recipient, "now": NOW, "message_id": f"<m{number}@example.org>",
            "unsubscribe_token": f"tok.{number}-~"}


def _unstuff(data: bytes) -> bytes:
    lines = data.split(b"\r\n")
    return b"\r\n".join(line[1:] if line.startswith(b".") else line for line in lines)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("sender", sorted(SENDERS))
def test_the_spliced_wire_form_is_the_built_message_stuffed_byte_for_byte(variant, sender):
    factory = MessageFactory(VARIANTS[variant], SENDERS[sender], domain="example.org")
    wire = WireFactory(factory)
    assert wire.spliced
    for number, recipient in enumerate(RECIPIENTS):
        values = _values(recipient, number)
        built = factory.build(**values)
        assert wire.build(**values) == stuff(built)
        assert _unstuff(wire.build(**values)) == built  # unstuffing gives the message back


def test_lines_starting_with_a_dot_are_doubled_in_shared_and_per_recipient_parts():
    factory = MessageFactory(VARIANTS["plain"], SENDERS["mailto"], domain="example.org")
    data = WireFactory(factory).build(**_values(RECIPIENTS[1], 1))
    lines = data.split(b"\r\n")
    assert b"..a line with a dot" in lines and b"...two" in lines  # the text (shared)
    assert b"..content{color:#e4e6e8 !important;}" in lines  # the style sheet (shared)
    assert b"..Dear dotted,=" in lines or b"..Dear dotted," in lines  # the salutation
    # no line of the wire form starts with a single dot: the relay would eat it
    assert all(not line.startswith(b".") or line.startswith(b"..") for line in lines)
    assert data.endswith(b"\r\n") and not data.endswith(b"\r\n.\r\n")  # no final dot


def test_the_wire_form_parses_as_the_recipients_message():
    factory = MessageFactory(VARIANTS["everything"], SENDERS["one-click"], domain="example.org")
    values = _values(RECIPIENTS[2], 7)
    message = email.message_from_bytes(_unstuff(WireFactory(factory).build(**values)),
                                       policy=email.policy.default)
    assert message["To"].addresses[0].addr_spec == "zoe@example.net"
    assert message["Message-ID"] == "<m7@example.org>"
    assert "https://example.org/u/tok.7-~" in message["List-Unsubscribe"]
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("Chère Zoë,\n." + "é" * 80)
    ics = [part for part in message.walk() if part.get_filename() == "invite.ics"]
    assert b"mailto:zoe@example.net" in ics[0].get_payload(decode=True)


@pytest.mark.parametrize("name", ["Eve\r\nBcc: victim@example.com", "Eve\nBcc: v@example.com",
                                  "Eve\u2028Bcc: v@example.com"])
def test_per_recipient_headers_cannot_inject_a_header(name):
    factory = MessageFactory(VARIANTS["plain"], SENDERS["mailto"], domain="example.org")
    data = WireFactory(factory).build(**{**_values(RECIPIENTS[0], 1), "name": name})
    head = data.split(b"\r\n\r\n")[0]
    assert not any(line.lower().startswith(b"bcc:") for line in head.split(b"\r\n"))


@pytest.mark.parametrize(("field", "value"), [
    ("address", "jane@example.net\r\nBcc: v@example.com"),
    ("message_id", "<m1@example.org>\r\nBcc: v@example.com"),
    ("message_id", "not-an-id"),
])
def test_a_bad_per_recipient_value_raises_as_the_factory_does(field, value):
    factory = MessageFactory(VARIANTS["plain"], SENDERS["mailto"], domain="example.org")
    values = {**_values(RECIPIENTS[0], 1), field: value}
    with pytest.raises(ValueError):
        factory.build(**values)
    with pytest.raises(ValueError):
        WireFactory(factory).build(**values)


def test_the_one_click_sender_needs_a_token_here_too():
    factory = MessageFactory(VARIANTS["plain"], SENDERS["one-click"], domain="example.org")
    with pytest.raises(ValueError, match="unsubscribe_token"):
        WireFactory(factory).build(**{**_values(RECIPIENTS[0], 1), "unsubscribe_token": ""})


def test_a_layout_that_does_not_match_falls_back_to_stuffing_the_whole_message(monkeypatch):
    # As if MessageFactory.build had changed: the probes differ, nothing wrong is sent.
    monkeypatch.setattr(wire_module, "_body", lambda part: [b"changed"])
    factory = MessageFactory(VARIANTS["plain"], SENDERS["mailto"], domain="example.org")
    wire = WireFactory(factory)
    assert not wire.spliced
    values = _values(RECIPIENTS[1], 1)
    assert wire.build(**values) == stuff(factory.build(**values))


def test_a_factory_without_the_known_parts_falls_back_too():
    factory = MessageFactory(VARIANTS["plain"], SENDERS["mailto"], domain="example.org")
    del factory._text  # an attribute the splice reads
    assert not WireFactory(factory).spliced


def test_stuff_ends_every_message_with_a_line_end_and_doubles_a_leading_dot():
    assert stuff(b".x\r\n.\r\nlast") == b"..x\r\n..\r\nlast\r\n"
    assert stuff(b"") == b"\r\n"
