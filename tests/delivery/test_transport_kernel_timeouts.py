"""A plain SMTP connection blocks with the kernel's timeouts (SO_RCVTIMEO, SO_SNDTIMEO)
and reads its replies straight from the socket (issue 12: no ``poll`` before each read and
write): the same outcomes and texts as before for a relay that goes silent or stops
reading, a stop still cuts a blocked read short, TLS keeps Python's socket timeout, and
the reply reader reads exactly the lines a buffered socket file reads."""
# The fixtures are imported from smtp_fixtures, so test arguments "redefine" them:
# ruff: noqa: F811

from __future__ import annotations

import socket
import struct
import threading
import time
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from smtp_fixtures import (  # noqa: F401  (pytest fixtures are used by name)
    smtp_server,
    smtp_server_factory,
    tls_ca,
    tls_server,
)

from pressctl.config import SmtpSettings
from pressctl.delivery.transport import Outcome, SmtpTransport
from pressctl.delivery.transport.base import INTERRUPTED
from pressctl.delivery.transport.smtp import _kernel_timeouts, _Replies

SENDER = "presse@example.org"
MESSAGE = b"Subject: x\r\n\r\nBonjour.\r\n"


class ScriptedRelay:
    """A real SMTP server on 127.0.0.1 that answers the greeting, EHLO (PIPELINING) and,
    unless ``silent`` says otherwise, every command; ``silent`` is where it stops
    answering: "MAIL" (it reads on, answering nothing), "dot" (it reads the message and
    never answers the final dot) or "data" (it answers the envelope, then never reads
    again)."""

    def __init__(self, silent: str | None) -> None:
        self.silent = silent
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def settings(self, timeout: float) -> SmtpSettings:
        return SmtpSettings("127.0.0.1", self.port, security="plain", timeout=timeout)

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 relay ready\r\n")
            answering = True
            while line := lines.readline():
                verb = line[:4].upper()
                if verb == b"EHLO":
                    conn.sendall(b"250-relay\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
                elif verb == b"MAIL" and self.silent == "MAIL":
                    answering = False
                elif verb == b"DATA" and answering:
                    conn.sendall(b"354 go on\r\n")
                    if self.silent == "data":
                        self.done.wait(30)  # never reads again
                        return
                    while (data := lines.readline()) and data != b".\r\n":
                        pass
                    if self.silent != "dot":
                        conn.sendall(b"250 2.0.0 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                elif answering:
                    conn.sendall(b"250 ok\r\n")

    def close(self) -> None:
        self.done.set()
        self.listener.close()
        self.thread.join(5)


@pytest.fixture
def relay(request):
    made: list[ScriptedRelay] = []

    def make(silent: str | None = None) -> ScriptedRelay:
        made.append(ScriptedRelay(silent))
        return made[-1]

    yield make
    for one in made:
        one.close()


def _kernel_limit(sock: socket.socket, option: int) -> float:
    seconds, micro = struct.unpack("ll", sock.getsockopt(socket.SOL_SOCKET, option, 16))
    return seconds + micro / 1_000_000


def test_a_plain_connection_blocks_with_the_kernels_timeouts(smtp_server):
    with SmtpTransport(smtp_server.settings(timeout=7.5), {}) as transport:
        assert transport.send(SENDER, "a@example.net", MESSAGE).status == "sent"
        conn = transport._conn
        assert conn is not None and isinstance(conn.file, _Replies)
        assert conn.sock.gettimeout() is None  # blocking: no poll before a read or write
        assert _kernel_limit(conn.sock, socket.SO_RCVTIMEO) == pytest.approx(7.5, abs=0.02)
        assert _kernel_limit(conn.sock, socket.SO_SNDTIMEO) == pytest.approx(7.5, abs=0.02)
        assert transport.send(SENDER, "b@example.net", MESSAGE).status == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.net"], ["b@example.net"]]


def test_tls_keeps_pythons_socket_timeout(tls_server):
    with SmtpTransport(tls_server.settings(timeout=7.5), {}) as transport:
        assert transport.send(SENDER, "a@example.net", MESSAGE).status == "sent"
        conn = transport._conn
        assert conn is not None and not isinstance(conn.file, _Replies)
        assert conn.sock.gettimeout() == 7.5


def test_a_relay_silent_after_mail_times_out_with_the_same_text(relay):
    server = relay("MAIL")
    started = time.monotonic()
    outcome = SmtpTransport(server.settings(0.4), {}).send(SENDER, "a@example.net", MESSAGE)
    took = time.monotonic() - started
    assert outcome == Outcome("transient", None, "timed out (at MAIL FROM)")
    assert 0.35 <= took < 3


def test_a_relay_silent_after_the_final_dot_leaves_the_outcome_unknown(relay):
    server = relay("dot")
    outcome = SmtpTransport(server.settings(0.4), {}).send(SENDER, "a@example.net", MESSAGE)
    assert outcome == Outcome("unknown", None,
                              "no reply to end of DATA (timed out): the message may have "
                              "been delivered; do not resend it automatically")


def test_a_relay_that_stops_reading_times_out_the_write(relay):
    server = relay("data")
    big = b"Subject: x\r\n\r\n" + b"0123456789" * 4_000_000 + b"\r\n"  # past any buffer
    started = time.monotonic()
    outcome = SmtpTransport(server.settings(0.5), {}).send(SENDER, "a@example.net", big)
    assert outcome == Outcome("transient", None, "timed out (at the message)")
    assert time.monotonic() - started < 10


def test_a_stop_cuts_a_blocked_read_short(relay):
    server = relay("MAIL")
    transport = SmtpTransport(server.settings(30), {})
    timer = threading.Timer(0.5, transport.interrupt)
    timer.start()
    started = time.monotonic()
    outcome = transport.send(SENDER, "a@example.net", MESSAGE)
    timer.join()
    assert outcome == INTERRUPTED
    assert time.monotonic() - started < 5  # not the 30 s timeout


def test_what_came_after_the_last_reply_read_is_kept():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        file = ours.makefile("rb")
        theirs.sendall(b"250 first\r\n250-second\r\n250 third")
        assert file.readline() == b"250 first\r\n"  # buffered: the rest with it
        conn = SimpleNamespace(sock=ours, file=file)
        _kernel_timeouts(conn, 1.0)  # type: ignore[arg-type]
        assert isinstance(conn.file, _Replies)
        assert conn.file.readline(8193) == b"250-second\r\n"
        theirs.sendall(b"\r\n")
        assert conn.file.readline(8193) == b"250 third\r\n"


def test_an_error_met_while_draining_is_raised_at_the_read_after_what_came_before():
    class Draining:  # a socket file that had one more line, then the socket's reset
        def __init__(self) -> None:
            self.reads = [b"250 second\r\n"]
            self.closed = False

        def read1(self, size: int) -> bytes:
            if self.reads:
                return self.reads.pop()
            raise ConnectionResetError(104, "Connection reset by peer")

        def close(self) -> None:
            self.closed = True

    ours, theirs = socket.socketpair()
    with ours, theirs:
        file = Draining()
        conn = SimpleNamespace(sock=ours, file=file)
        _kernel_timeouts(conn, 1.0)  # type: ignore[arg-type]
        assert file.closed and isinstance(conn.file, _Replies)
        assert ours.gettimeout() == 1.0  # Python's timeout again, as before
        assert conn.file.readline(8193) == b"250 second\r\n"
        with pytest.raises(ConnectionResetError):
            conn.file.readline(8193)
        theirs.sendall(b"250 third\r\n")  # the error is raised once, as a socket's
        assert conn.file.readline(8193) == b"250 third\r\n"


@settings(max_examples=150, deadline=None)
@given(chunks=st.lists(st.binary(max_size=40).map(
           lambda b: b.replace(b"x", b"\n")), max_size=8),
       limits=st.lists(st.sampled_from([-1, 1, 3, 7, 8193]), min_size=1, max_size=30))
def test_replies_reads_the_lines_a_buffered_socket_file_reads(chunks, limits):
    expected, got = [], []
    for reader, into in (("file", expected), ("replies", got)):
        ours, theirs = socket.socketpair()
        with ours, theirs:
            for chunk in chunks:
                theirs.sendall(chunk)
            theirs.shutdown(socket.SHUT_WR)
            read = (ours.makefile("rb").readline if reader == "file"
                    else _Replies(ours, b"").readline)
            for limit in limits:
                into.append(read(limit))
    assert got == expected
