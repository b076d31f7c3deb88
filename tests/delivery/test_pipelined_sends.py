"""A message's envelope sent with the final dot of the one before it (RFC 2920), and the
wire form given to the SMTP transport (pressctl.delivery.transport.smtp): one round trip
per message, never a message the relay could complete by mistake."""

from __future__ import annotations

import pytest

from pressctl.delivery.transport import SmtpTransport
from pressctl.delivery.transport.base import Wire
from pressctl.delivery.wire import stuff

SENDER = "a@example.org"


def message(n: int) -> bytes:
    return f"Subject: m{n}\r\nFrom: {SENDER}\r\n\r\n.dot line {n}\r\nbody\r\n".encode()


def wire(n: int) -> Wire:
    return Wire(stuff(message(n)))


class _SocketSpy:
    """A connection's socket that keeps each write (the final dot goes straight to the
    socket, not through smtplib's send)."""

    def __init__(self, sock, writes: list[bytes]) -> None:
        self._sock, self._writes = sock, writes

    def sendall(self, data) -> None:
        self._writes.append(bytes(data))
        self._sock.sendall(data)

    def __getattr__(self, name: str):
        return getattr(self._sock, name)


class Writes:
    """What the transport writes on its connection, one entry per write."""

    def __init__(self, transport: SmtpTransport) -> None:
        self.writes: list[bytes] = []
        self.transport = transport

    def watch(self) -> None:
        conn = self.transport._conn
        assert conn is not None and conn.sock is not None
        conn.sock = _SocketSpy(conn.sock, self.writes)


def _send_all(transport: SmtpTransport, count: int, *, commit=None) -> list:
    """Send messages 0..count-1 as the delivery run does: each send is told the next."""
    outcomes = []
    for n in range(count):
        following = (lambda n=n: (SENDER, f"r{n + 1}@example.net", wires[n + 1])
                     ) if n + 1 < count else None
        outcomes.append(transport.send(SENDER, f"r{n}@example.net", wires[n], commit=commit,
                                       following=following))
    return outcomes


wires = [wire(n) for n in range(10)]


def test_the_next_envelope_goes_with_the_final_dot_and_every_message_arrives_once(
        pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    first = transport.send(SENDER, "r0@example.net", wires[0],
                           following=lambda: (SENDER, "r1@example.net", wires[1]))
    spy = Writes(transport)
    spy.watch()
    rest = [transport.send(SENDER, f"r{n}@example.net", wires[n],
                           following=(lambda n=n: (SENDER, f"r{n + 1}@example.net",
                                                   wires[n + 1])) if n < 4 else None)
            for n in range(1, 5)]
    transport.close()
    assert [o.status for o in [first, *rest]] == ["sent"] * 5
    assert pipelining_server.connections == 1
    assert [m.rcpt_tos for m in pipelining_server.messages] == [
        [f"r{n}@example.net"] for n in range(5)]
    assert [m.data for m in pipelining_server.messages] == [message(n) for n in range(5)]
    # No MAIL FROM of its own for messages 2 to 4: each went out behind a final dot.
    assert not any(w.startswith(b"MAIL FROM") for w in spy.writes)
    assert sum(w.startswith(b".\r\nMAIL FROM:<a@example.org> SIZE=") for w in spy.writes) == 3
    assert spy.writes[-2:] == [b".\r\n", b"quit\r\n"]  # the last message had no next one


def test_the_commit_comes_after_the_next_message_is_made_and_before_the_dot(pipelining_server):
    order = []
    transport = SmtpTransport(pipelining_server.settings(), {})

    def following():
        order.append("next made")
        return SENDER, "r1@example.net", wires[1]

    def commit():
        order.append(f"commit with {len(pipelining_server.messages)} received")

    transport.send(SENDER, "r0@example.net", wires[0], commit=commit, following=following)
    transport.send(SENDER, "r1@example.net", wires[1], commit=commit)
    transport.close()
    assert order == ["next made", "commit with 0 received", "commit with 1 received"]


def test_a_send_of_another_message_than_announced_drops_the_connection(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    transport.send(SENDER, "r0@example.net", wires[0],
                   following=lambda: (SENDER, "r1@example.net", wires[1]))
    other = transport.send(SENDER, "r2@example.net", wires[2])
    transport.close()
    assert other.status == "sent"
    # The announced message never got data: the relay discarded it with the connection.
    assert [m.rcpt_tos for m in pipelining_server.messages] == [["r0@example.net"],
                                                                ["r2@example.net"]]
    assert pipelining_server.connections == 2


def test_closing_with_an_envelope_sent_ahead_completes_nothing(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    transport.send(SENDER, "r0@example.net", wires[0],
                   following=lambda: (SENDER, "r1@example.net", wires[1]))
    transport.close()  # no QUIT: it would be message data
    SmtpTransport(pipelining_server.settings(), {}).close()  # the server is still in step
    assert [m.rcpt_tos for m in pipelining_server.messages] == [["r0@example.net"]]


def test_a_stop_after_the_envelope_went_ahead_sends_no_more(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    transport.send(SENDER, "r0@example.net", wires[0],
                   following=lambda: (SENDER, "r1@example.net", wires[1]))
    transport.interrupt()
    assert transport.send(SENDER, "r1@example.net", wires[1]).status == "interrupted"
    transport.close()
    assert [m.rcpt_tos for m in pipelining_server.messages] == [["r0@example.net"]]


def test_a_failure_making_the_next_message_withholds_the_dot(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})

    def following():
        raise RuntimeError("the database is gone")

    with pytest.raises(RuntimeError):
        transport.send(SENDER, "r0@example.net", wires[0], following=following)
    assert transport._conn is None
    after = transport.send(SENDER, "r1@example.net", wires[1])
    transport.close()
    assert after.status == "sent"
    assert [m.rcpt_tos for m in pipelining_server.messages] == [["r1@example.net"]]


@pytest.mark.parametrize(("recipient", "status", "code"), [
    ("tempfail@example.net", "transient", 451),
    ("reject@example.net", "permanent", 550),
    ("deferdata@example.net", "transient", 451),
    ("refusedata@example.net", "permanent", 554),
    ("drop@example.net", "unknown", None),
])
def test_a_refusal_ahead_or_behind_keeps_the_conversation_in_step(
        pipelining_server, recipient, status, code):
    transport = SmtpTransport(pipelining_server.settings(), {})
    first = transport.send(SENDER, "r0@example.net", wires[0],
                           following=lambda: (SENDER, recipient, wires[1]))
    middle = transport.send(SENDER, recipient, wires[1],
                            following=lambda: (SENDER, "r2@example.net", wires[2]))
    last = transport.send(SENDER, "r2@example.net", wires[2])
    transport.close()
    assert first.status == "sent" and last.status == "sent"
    assert (middle.status, middle.code) == (status, code)
    delivered = [m.rcpt_tos[0] for m in pipelining_server.messages]
    assert delivered[0] == "r0@example.net" and delivered[-1] == "r2@example.net"
    assert delivered.count("r2@example.net") == 1


def test_an_address_that_cannot_go_ahead_goes_the_usual_way(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    transport.send(SENDER, "r0@example.net", wires[0],
                   following=lambda: (SENDER, "not an address", wires[1]))
    refused = transport.send(SENDER, "not an address", wires[1])
    after = transport.send(SENDER, "r2@example.net", wires[2])
    transport.close()
    assert refused.status == "permanent" and after.status == "sent"
    assert pipelining_server.connections == 1


def test_without_pipelining_the_next_message_is_not_asked_for(smtp_server):
    asked = []
    transport = SmtpTransport(smtp_server.settings(), {})
    outcome = transport.send(SENDER, "r0@example.net", wires[0],
                             following=lambda: asked.append(1))
    transport.close()
    assert outcome.status == "sent" and asked == []
    assert smtp_server.messages[0].data == message(0)


def test_meanwhile_runs_once_the_final_dot_is_out_before_its_reply_is_read(pipelining_server):
    transport = SmtpTransport(pipelining_server.settings(), {})
    spy = Writes(transport)
    seen = []
    transport.send(SENDER, "r0@example.net", wires[0])  # connects
    spy.watch()
    outcome = transport.send(SENDER, "r1@example.net", wires[1],
                             meanwhile=lambda: seen.append(list(spy.writes)))
    transport.close()
    assert outcome.status == "sent"
    [writes] = seen
    assert writes[-1] == b".\r\n"  # the dot had gone out, and nothing after it
    assert writes[-2] == wires[1].body
