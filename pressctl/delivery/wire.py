"""Messages in their SMTP wire form, spliced: what goes after DATA, dot-stuffed, without the
final dot, for a variant whose shared parts were stuffed once.

Dot-stuffing a whole message (a byte replace over every ~14 KB message) cost more than
building it: the HTML's style sheet starts lines with "." in every message, so every
message needed a copy. :class:`WireFactory` stuffs the parts a variant's messages share
once (pressctl.releases.messages encodes them once already) and, per recipient, only the
small parts that differ: the header block (Date, Message-ID, To, List-Unsubscribe), the
salutation and unsubscribe link in the text and HTML bodies, the recipient's .ics.

It follows the layout of :meth:`MessageFactory.build` part by part. So that a change
there cannot make it send anything else, a new WireFactory builds two probe messages
both ways (with dots, long names and non-ASCII in the per-recipient values) and compares
them byte for byte; if they differ, or the factory's layout is not the one known here, it
falls back to stuffing the built message whole (:attr:`WireFactory.spliced` is False).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

from pressctl.releases import messages as _m
from pressctl.releases.headers import PLAIN_ADDRESS, address_field, commas, fold

Piece = bytes | Callable[[dict[str, str]], bytes]  # shared bytes, or made per recipient


def stuff(data: bytes) -> bytes:
    """``data`` (CRLF lines) as it goes after DATA: dot-stuffed, ending with CRLF, without
    the final dot (which the transport sends on its own, just after its in-flight mark)."""
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    return b"." + stuffed if stuffed.startswith(b".") else stuffed


class _Shared:
    """A shared piece, stuffed once for either place it can start at."""

    __slots__ = ("at_start", "in_line", "ends_line")

    def __init__(self, data: bytes) -> None:
        self.in_line = data.replace(b"\r\n.", b"\r\n..")
        self.at_start = b"." + self.in_line if data.startswith(b".") else self.in_line
        self.ends_line = data.endswith(b"\r\n")


class WireFactory:
    """One variant's messages in wire form; ``build`` takes build()'s arguments."""

    def __init__(self, factory: _m.MessageFactory) -> None:
        self.factory = factory
        self.spliced = False
        try:
            self._pieces = self._layout(factory)
            self.spliced = all(self._build(**probe) == stuff(factory.build(**probe))
                               for probe in _probes(factory))
        except (AttributeError, TypeError, ValueError, KeyError):
            self.spliced = False  # not the layout known here: stuff whole messages
        if not self.spliced:
            self._pieces = []

    def build(self, *, name: str, address: str, salutation: str, now: datetime,
              message_id: str, unsubscribe_token: str = "") -> bytes:
        """The message to one recipient in wire form (see :func:`stuff`); the same checks
        and errors as MessageFactory.build."""
        if not self.spliced:
            return stuff(self.factory.build(
                name=name, address=address, salutation=salutation, now=now,
                message_id=message_id, unsubscribe_token=unsubscribe_token))
        return self._build(name, address, salutation, now, message_id, unsubscribe_token)

    def _build(self, name: str, address: str, salutation: str, now: datetime,
               message_id: str, unsubscribe_token: str = "") -> bytes:
        f = self.factory
        assert isinstance(now, datetime)
        dated = f._dated
        if dated[0] is not now:  # the factory's own check and cache of the Date line
            if now.utcoffset() is None:
                raise ValueError("now must be timezone-aware")
            f._dated = dated = (now, _m.format_datetime(now))
        message_id = str(message_id)
        if not _m._MESSAGE_ID.match(message_id):
            raise ValueError(f"not a Message-ID: {message_id!r}")
        token = str(unsubscribe_token)
        if f._url is not None and not token:
            raise ValueError("unsubscribe_token is required: the sender has an unsubscribe_url")
        link = f._link(token)
        slots = {"date": dated[1], "message_id": message_id, "name": str(name),
                 "address": str(address), "SALUTATION": str(salutation),
                 "UNSUBSCRIBE": link}
        out: list[bytes] = []
        at_start = True
        for piece in self._pieces:
            if piece.__class__ is _Shared:
                out.append(piece.at_start if at_start else piece.in_line)
                at_start = piece.ends_line
                continue
            data = piece(slots)  # type: ignore[operator]
            if not data:
                continue
            stuffed = data.replace(b"\r\n.", b"\r\n..")
            out.append(b"." + stuffed if at_start and data.startswith(b".") else stuffed)
            at_start = data.endswith(b"\r\n")
        if not at_start:
            out.append(b"\r\n")
        return b"".join(out)

    # -- the layout of MessageFactory.build ----------------------------------------------

    def _layout(self, f: _m.MessageFactory) -> list[_Shared | Callable[[dict[str, str]], bytes]]:
        """The pieces of a message, in order; shared ones stuffed now. A piece that is made
        per recipient never ends with a lone CR, so no CRLF is split between two pieces
        (the factory's parts are CRLF throughout)."""
        raw: list[Piece] = []

        def head_date(s: dict[str, str]) -> bytes:
            return f"Date: {s['date']}\r\nMessage-ID: {s['message_id']}\r\n".encode()

        def head_to(s: dict[str, str]) -> bytes:
            return to_line(s["name"], s["address"])

        raw += [head_date, f._from.encode(), head_to, f._middle.encode()]
        if f._url is not None:
            def head_unsubscribe(s: dict[str, str]) -> bytes:
                return fold("List-Unsubscribe",
                            commas([*f._unsubscribe, f"<{s['UNSUBSCRIBE']}>"])).encode()
            raw.append(head_unsubscribe)
        raw += [f._tail.encode(), f._open, f._text.head, *_body(f._text), f._sep_alt,
                f._related_open, f._html.head, *_body(f._html), f._related_close]
        if f._calendar is not None:
            calendar = f._calendar

            def inline_ics(s: dict[str, str]) -> bytes:
                return b"".join(f._inline_ics(_ics(calendar, s)))

            def attached_ics(s: dict[str, str]) -> bytes:
                return _m._b64(_ics(calendar, s))

            raw += [f._sep_alt, inline_ics, f._end_alt, f._files, f._sep_mixed,
                    f._ics_head, attached_ics, f._close]
        else:
            raw += [f._end_alt, f._files, f._close]
        return _merged(raw)


# A name of atoms (RFC 5322 atext) separated by single spaces, and a plain ASCII address:
# what headers.address_field makes of them is "To: name <address>" on one line when it
# fits (it cleans nothing, quotes nothing, encodes nothing), so it is written at once.
# tests/delivery/test_wire_plain_to.py holds it to address_field byte for byte.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_PLAIN_MOST = 78 - len("To: ") - len(" <>")  # name + address on one line (headers.fold)


def to_line(name: str, address: str) -> bytes:
    """The To line of a message, as ``address_field("To", name, address)`` encodes it
    (the same bytes, the same errors), by a shorter way for a plain name and address."""
    if (len(name) + len(address) <= _PLAIN_MOST and "=?" not in name
            and PLAIN_ADDRESS.match(address) and _PLAIN_NAME.match(name)):
        return f"To: {name} <{address}>\r\n".encode()
    return address_field("To", name, address).encode()


def _ics(calendar: Callable[[str, str], bytes], s: dict[str, str]) -> bytes:
    ics = calendar(s["name"], s["address"])
    if not isinstance(ics, bytes):
        raise TypeError(f"the calendar callable returned {type(ics).__name__}, not bytes")
    return ics


def _body(part: _m._Body) -> list[Piece]:
    """A text part's body: its encoded pieces shared, each hole filled per recipient as
    _Body.body fills it; a base64 body with holes is made whole per recipient."""
    if not part.holes:
        return [part.static]
    if not part.qp:
        return [part.body]
    pieces: list[Piece] = [part.encoded[0]]
    for name, encoded in zip(part.names, part.encoded[1:], strict=True):
        def hole(s: dict[str, str], name: str = name) -> bytes:
            value = _m._lines(s[name])
            return _m._qp_open(html.escape(value) if part.escape else value)
        # the salutation is often the same as another recipient's, and the link is the
        # same for all when it is a mailto: (no per-recipient token)
        pieces += [_memo(hole, name), encoded]
    return pieces


MEMO_SIZE = 2048  # values a hole keeps the encoding of (it starts over when full)


def _memo(hole: Callable[[dict[str, str]], bytes],
          name: str) -> Callable[[dict[str, str]], bytes]:
    """``hole``, remembering what it made of the last values of slot ``name`` (it is a
    function of that value alone). Two connections may share it: a lost insert only
    costs an encoding."""
    made: dict[str, bytes] = {}

    def remembered(s: dict[str, str]) -> bytes:
        value = s[name]
        found = made.get(value)
        if found is None:
            if len(made) >= MEMO_SIZE:
                made.clear()
            found = made[value] = hole(s)
        return found
    return remembered


def _merged(raw: list[Piece]) -> list[_Shared | Callable[[dict[str, str]], bytes]]:
    """Adjacent shared pieces joined (and stuffed) as one."""
    out: list[_Shared | Callable[[dict[str, str]], bytes]] = []
    run: list[bytes] = []
    for piece in raw:
        if isinstance(piece, bytes):
            run.append(piece)
            continue
        if run:
            out.append(_Shared(b"".join(run)))
            run = []
        out.append(piece)
    if run:
        out.append(_Shared(b"".join(run)))
    return out


def _probes(f: _m.MessageFactory) -> list[dict]:
    """Two recipients whose values exercise the splice: a salutation and a name that start
    lines with dots once encoded, a long non-ASCII name that folds."""
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    token = "probe-token" if f._url is not None else ""
    return [
        {"name": "." * 3, "address": "probe@example.org", "salutation": ".\n..Dear .Probe,",
         "now": now, "message_id": "<probe.1@example.org>", "unsubscribe_token": token},
        {"name": "Zoë Ångström-Łukasiewicz de la Très Longue Famille " * 2,
         "address": "zoe@example.net", "salutation": "Chère Zoë,\n." + "é" * 90,
         "now": now, "message_id": "<probe.2@example.org>", "unsubscribe_token": token},
    ]
