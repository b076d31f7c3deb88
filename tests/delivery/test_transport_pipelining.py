"""The pipelined exchange (MAIL, RCPT and DATA in one write) gives the same outcomes as
the step-by-step one, and keeps the connection in step after every kind of failure."""

from __future__ import annotations

import pytest

from pressctl.delivery.transport import SmtpTransport

MESSAGE = b"Subject: test\r\nFrom: a@example.org\r\n\r\n.a line starting with a dot\r\nbody\r\n"


def test_the_server_offers_pipelining_and_messages_arrive_intact(pipelining_server):
    with SmtpTransport(pipelining_server.settings(), {}) as transport:
        outcomes = [transport.send("a@example.org", f"r{i}@example.net", MESSAGE)
                    for i in range(3)]
        assert transport._conn.has_extn("pipelining")
    assert [o.status for o in outcomes] == ["sent"] * 3
    assert pipelining_server.connections == 1
    assert [m.rcpt_tos for m in pipelining_server.messages] == [
        ["r0@example.net"], ["r1@example.net"], ["r2@example.net"]]
    assert all(m.data == MESSAGE for m in pipelining_server.messages)  # dot-stuffing undone


@pytest.mark.parametrize(("recipient", "status", "code"), [
    ("tempfail@example.net", "transient", 451),
    ("reject@example.net", "permanent", 550),
    ("deferdata@example.net", "transient", 451),
    ("refusedata@example.net", "permanent", 554),
    ("drop@example.net", "unknown", None),
])
def test_failures_keep_the_conversation_in_step(pipelining_server, recipient, status, code):
    with SmtpTransport(pipelining_server.settings(), {}) as transport:
        outcome = transport.send("a@example.org", recipient, MESSAGE)
        after = transport.send("a@example.org", "next@example.net", MESSAGE)
    assert (outcome.status, outcome.code) == (status, code)
    assert after.status == "sent"
    assert [m.rcpt_tos for m in pipelining_server.messages][-1] == ["next@example.net"]


def test_factory_output_needs_no_line_end_repair():
    # MessageFactory promises CRLF line ends: the transport may skip its checks for it.
    from datetime import UTC, datetime

    from pressctl.delivery.transport.base import _wire
    from pressctl.releases.messages import SALUTATION, MessageFactory, Sender, Variant

    variant = Variant(subject="Test", language="en",
                      text=f"{SALUTATION}\n.starts with a dot\n" + "é" * 300,
                      html=f"<p>{SALUTATION}</p>\n<p>.dot</p>")
    factory = MessageFactory(variant, Sender(name="P", address="p@example.org"),
                             domain="example.org")
    for salutation in ("Dear Jane,", ".Dear", "x\r\ny", "\n.\n"):
        data = factory.build(name="Jane", address="j@example.org", salutation=salutation,
                             now=datetime(2030, 1, 1, tzinfo=UTC), message_id="<a@example.org>")
        assert _wire(data, crlf=True) == _wire(data)
