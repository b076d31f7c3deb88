"""A plain connection's replies (transport.smtp._Replies) are read by _getreply's short way
when a whole one-line reply is already in hand (delivery CPU, issue 12): the same codes,
texts, errors and lines left over as smtplib's own getreply over a socket file."""

from __future__ import annotations

import smtplib
import socket

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pressctl.delivery.transport import smtp as smtp_module
from pressctl.delivery.transport.smtp import _getreply, _Replies

LINES = st.lists(st.one_of(
    st.builds(lambda code, sep, text: code + sep + text,
              st.sampled_from([b"250", b"354", b"421", b"5x0", b"", b"25", b" 25", b"+25",
                               b"2_5", b"\xd9\xa0\xd9"]),
              st.sampled_from([b" ", b"-", b""]),
              st.binary(max_size=20).map(lambda b: b.replace(b"\n", b""))),
    st.just(b"250 " + b"x" * 9000), st.just(b"250 " + b"x" * 8186),
    st.just(b"250 " + b"x" * 8187)), max_size=5).map(
        lambda lines: b"".join(line + b"\r\n" for line in lines))


def _read_all(data: bytes, ours: bool, reads: int) -> list:
    """``reads`` replies read from a socket the peer wrote ``data`` to and closed."""
    mine, theirs = socket.socketpair()
    with mine, theirs:
        theirs.sendall(data)
        theirs.shutdown(socket.SHUT_WR)
        conn = smtplib.SMTP()
        conn.sock = mine
        conn.file = _Replies(mine, b"") if ours else mine.makefile("rb")
        got: list = []
        for _ in range(reads):
            try:
                got.append(_getreply(conn) if ours else smtplib.SMTP.getreply(conn))
            except smtplib.SMTPException as err:
                got.append((type(err), str(err)))
                break
        return got


@settings(max_examples=400, deadline=None)
@given(data=LINES, reads=st.integers(1, 6))
@example(data=b"250 ok\r\n250 2.1.5 ok\r\n354 go on\r\n", reads=3)
@example(data=b"250-first\r\n250 last\r\n250 ok\r\n", reads=3)
@example(data=b"250 " + b"x" * 8186 + b"\r\n250 ok\r\n", reads=2)
@example(data=b"250 " + b"x" * 8187 + b"\r\n", reads=1)
@example(data=b"25\r\n-x\r\n", reads=2)
@example(data=b"+25 plus\r\n", reads=1)
def test_replies_read_as_smtplib_reads_them(data, reads):
    assert _read_all(data, True, reads) == _read_all(data, False, reads)


def test_a_reply_in_hand_takes_the_short_way(monkeypatch):
    """The short way is the one taken (else the test above would test only the long)."""
    class NoRead(_Replies):
        def readline(self, limit: int = -1) -> bytes:
            raise AssertionError("read the long way")
    mine, theirs = socket.socketpair()
    with mine, theirs:
        conn = smtplib.SMTP()
        conn.file = NoRead(mine, b"250 2.0.0 Ok: queued\r\n354 go\r\n")
        monkeypatch.setattr(smtp_module, "_Replies", NoRead)
        assert _getreply(conn) == (250, b"2.0.0 Ok: queued")
        assert _getreply(conn) == (354, b"go")
