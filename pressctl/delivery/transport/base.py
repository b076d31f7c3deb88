"""What every transport shares: the Outcome of one send, the Transport protocol the
delivery run takes (and the factory it is given), and the bytes as they go after DATA."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pressctl.errors import ConfigError
from pressctl.outbox.states import SendStatus
from pressctl.releases.headers import header_address

_LINE_ENDS = re.compile(rb"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Outcome:
    status: SendStatus
    code: int | None  # the SMTP reply code; None when no reply explains the failure
    reply: str  # the server's reply text, or what went wrong


class LastMark(Protocol):
    """What a commit may return: a mark the transport sets as its very last step before
    the final dot goes out (pressctl.delivery.inflight.InFlightFlag)."""

    def set(self) -> None: ...


# Called when all but the final dot has gone out; returning False withholds the dot (a stop
# came while the caller waited there): the message is then INTERRUPTED, never complete. A
# LastMark returned is set just before the dot (see set_last_mark).
Commit = Callable[[], "bool | LastMark | None"]


def set_last_mark(committed: bool | LastMark | None) -> None:
    """For a transport whose final step is not a socket write (a file's link into new/, a
    recording): set the commit's mark, if it returned one."""
    if committed is not None and not isinstance(committed, bool):
        committed.set()


@dataclass(frozen=True, slots=True)
class Wire:
    """A message already in its wire form (pressctl.delivery.wire): CRLF lines, dot-stuffed,
    ending with CRLF, without the final dot. Only a transport whose ``takes_wire`` is
    True is given one."""

    body: bytes


# Asked by a pipelining transport just before a message's final dot (before its commit):
# the next message of the connection, (sender, recipient, Wire), or None. Its envelope
# (MAIL, RCPT, DATA) goes out with this message's final dot (RFC 2920), and the caller's
# next send() must be that message; a transport that sees any other closes the connection
# (the relay discards a message that never ended).
Following = Callable[[], "tuple[str, str, Wire] | None"]


class Transport(Protocol):
    """One connection's way of delivering; see pressctl.delivery.transport."""

    def send(self, sender: str, recipient: str, data: bytes, *, crlf: bool = False,
             commit: Commit | None = None) -> Outcome: ...

    # SmtpTransport also takes ``data`` as a Wire, ``following=`` (a Following) and
    # ``meanwhile=`` (run once the final dot is out, before its reply is read): see its
    # ``takes_wire``.

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


TransportFactory = Callable[[], Transport]  # one new transport per connection of a run

INTERRUPTED = Outcome(SendStatus.INTERRUPTED, None,
                      "stopped before the message was complete: not sent")


class _Closing:
    _stopping = False
    takes_wire = False  # send() takes a Wire, following= and meanwhile= (SmtpTransport)

    def close(self) -> None:
        pass

    def interrupt(self) -> None:
        """No new message after this; see the module docstring."""
        self._stopping = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Failure(Exception):
    """Connecting failed in a way one message's Outcome describes (internal)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.reply)
        self.outcome = outcome


def _envelope(sender: str, recipient: str) -> tuple[str, str | Outcome]:
    """(sender, recipient) as they go in the envelope; an unusable recipient becomes a
    permanent Outcome, an unusable sender a ConfigError (it would fail every message)."""
    try:
        mail_from = header_address(sender)
    except ValueError:
        raise ConfigError(f"the sender {sender!r} is not a plain e-mail address") from None
    try:
        return mail_from, header_address(recipient)
    except ValueError:
        return mail_from, Outcome(SendStatus.PERMANENT, None,
                                  f"{recipient!r} is not a plain e-mail address")


def _wire(data: bytes, crlf: bool = False) -> bytes:
    """``data`` as it goes after DATA: CRLF line ends, dot-stuffed, with the final dot.

    ``crlf``: the caller guarantees CRLF line ends already (messages.MessageFactory
    does): three scans of the message are skipped, a fifth of the CPU of a send."""
    if not crlf:
        ends = data.count(b"\r\n")
        if data.count(b"\n") != ends or data.count(b"\r") != ends:
            data = _LINE_ENDS.sub(b"\r\n", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    # Dot-stuffing by replacement (the lines are CRLF now): 50 times faster than a regex.
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return (b"." + stuffed if stuffed.startswith(b".") else stuffed) + b".\r\n"
