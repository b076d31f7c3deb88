"""The SMTP transport's steady-state shortcuts (delivery speed, issue 12): replies read
without smtplib's getreply layers but with its results and errors, an Outcome shared by
identical replies while each message keeps its own reply text, envelope senders
remembered within bounds (VERP gives one per message), extensions looked up once per
connection."""

from __future__ import annotations

import io
import smtplib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from smtp_fixtures import FaultySMTP, PipeliningHandler

from pressctl.delivery.transport import SmtpTransport
from pressctl.delivery.transport import smtp as smtp_module
from pressctl.delivery.transport.base import Wire
from pressctl.delivery.wire import stuff


class _Boom(io.BytesIO):
    def readline(self, size=-1):
        raise ConnectionResetError(104, "Connection reset by peer")


def _conn(data: bytes | None) -> smtplib.SMTP:
    conn = smtplib.SMTP()  # not connected: replies come from ``file``
    conn.file = _Boom() if data is None else io.BytesIO(data)
    return conn


def _outcome(read, data):
    conn = _conn(data)
    try:
        result = ("reply", read(conn))
    except smtplib.SMTPException as err:
        context = err.__context__
        result = ("raised", type(err), str(err), type(context), str(context))
    return result, conn.file is None  # close() drops the file


REPLY_LINES = st.lists(st.one_of(
    st.builds(lambda code, sep, text: code + sep + text,
              st.sampled_from([b"250", b"354", b"421", b"5x0", b"", b"25"]),
              st.sampled_from([b" ", b"-", b""]),
              st.binary(max_size=20).map(lambda b: b.replace(b"\n", b""))),
    st.just(b"250 " + b"x" * 9000)), max_size=4).map(
        lambda lines: b"".join(line + b"\r\n" for line in lines))


@settings(max_examples=300, deadline=None)
@given(data=REPLY_LINES)
@example(data=b"250-first\r\n250-second\r\n250 last\r\n")
@example(data=b"250 ok\r\n")
@example(data=b"")  # the server closed the connection
@example(data=b"abc nonsense\r\n250 next\r\n")
@example(data=b"250 " + b"x" * 9000 + b"\r\n")  # longer than smtplib's _MAXLINE
@example(data=b"250 " + b"x" * 8186 + b"\r\n")  # 8,192 bytes: just fits
@example(data=b"250 " + b"x" * 8187 + b"\r\n")  # one more
@example(data=b"250-" + b"y" * 300 + b"\r\n250 z\r\n")
@example(data=b"250-unfinished\r\n")
@example(data=None)  # the read fails
def test_replies_are_read_as_smtplib_reads_them(data):
    assert _outcome(smtp_module._getreply, data) == _outcome(smtplib.SMTP.getreply, data)


class _Numbered(PipeliningHandler):
    """Each message accepted with a reply of its own (as Postfix names its queue id)."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        await super().handle_DATA(server, session, envelope)
        self.count += 1
        return "250 OK same" if self.count % 3 else f"250 OK queued as Q{self.count}"


def _wire(n: int) -> Wire:
    return Wire(stuff(f"Subject: m{n}\r\n\r\n.dot {n}\r\n".encode()))


def test_each_message_keeps_its_own_reply_text(smtp_server_factory):
    server = smtp_server_factory(_Numbered(), smtp_class=FaultySMTP)
    wires = [_wire(n) for n in range(7)]
    with SmtpTransport(server.settings(), {}) as transport:
        outcomes = [transport.send("a@example.org", f"r{n}@example.net", wires[n],
                                   following=(lambda n=n: ("a@example.org",
                                                           f"r{n + 1}@example.net",
                                                           wires[n + 1])) if n < 6 else None)
                    for n in range(7)]
    replies = [o.reply for o in outcomes]
    assert replies == ["OK same" if (n + 1) % 3 else f"OK queued as Q{n + 1}"
                       for n in range(7)]
    assert all(o.status == "sent" and o.code == 250 for o in outcomes)
    assert outcomes[0] is outcomes[1]  # the same reply: one Outcome
    assert outcomes[2] is not outcomes[3]


def test_verp_senders_go_ahead_each_as_given_and_are_not_all_kept(smtp_server_factory):
    server = smtp_server_factory(PipeliningHandler(), smtp_class=FaultySMTP)
    count = 3 * smtp_module.SENDERS_KEPT
    senders = [f"bounces+{n}@example.org" for n in range(count)]
    wires = [_wire(n) for n in range(count)]
    with SmtpTransport(server.settings(), {}) as transport:
        outcomes = [transport.send(senders[n], f"r{n}@example.net", wires[n],
                                   following=(lambda n=n: (senders[n + 1],
                                                           f"r{n + 1}@example.net",
                                                           wires[n + 1]))
                                   if n + 1 < count else None)
                    for n in range(count)]
        assert len(transport._senders) <= smtp_module.SENDERS_KEPT
    assert [o.status for o in outcomes] == ["sent"] * count
    assert [(m.mail_from, m.rcpt_tos) for m in server.messages] == [
        (senders[n], [f"r{n}@example.net"]) for n in range(count)]
    assert server.connections == 1


@pytest.mark.parametrize("sender", ["dépêches@example.org", "not an address"])
def test_a_sender_that_cannot_go_ahead_goes_the_usual_way(smtp_server_factory, sender):
    server = smtp_server_factory(PipeliningHandler(), smtp_class=FaultySMTP)
    with SmtpTransport(server.settings(), {}) as transport:
        first = transport.send("a@example.org", "r0@example.net", _wire(0),
                               following=lambda: (sender, "r1@example.net", _wire(1)))
        assert transport._ahead is None  # nothing went ahead
        assert sender not in transport._senders
    assert first.status == "sent"
    assert len(server.messages) == 1
