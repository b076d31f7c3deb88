"""One e-mail per recipient: headers, parts, the salutation and the recipient's own .ics.

:class:`MessageFactory` encodes once what all recipients of a *variant* (language, version,
embargo state) share; :meth:`MessageFactory.build` adds the per-recipient parts (Date,
Message-ID, To, unsubscribe link, salutation, .ics) by joining pre-encoded bytes: tens of
microseconds a message where ``email.message.EmailMessage`` costs ~1.3 ms.

What a caller must know:

* ``build()`` returns bytes with CRLF line ends (the SMTP form; a Maildir writer converts).
  No line passes 998 octets; header lines are folded at 78 wherever there is a space to
  fold at (a long address or URL has none). A factory can be shared between threads.
* Structure: multipart/alternative(text/plain, text/html[, text/calendar]), inside
  multipart/mixed with the attachments and invite.ics when there are any. With inline
  images (Variant.images) the text/html becomes multipart/related(text/html, images...),
  each image base64 with its Content-ID, which the HTML names as ``cid:`` (InlineImage.url).
* Bodies: quoted-printable or base64 per part, whichever is shorter; text line ends become
  CRLF. The per-recipient holes (SALUTATION, UNSUBSCRIBE) are filled as is in text and
  HTML-escaped in html: UNSUBSCRIBE is the one-click URL with the recipient's token when
  the sender has an unsubscribe_url, else the List-Unsubscribe mailto. Attachments, inline
  images and the attached invite.ics are base64; the inline text/calendar is 7bit when
  the .ics is ASCII with short lines (its line ends made CRLF), else quoted-printable.
  The calendar callable gets the recipient's name and address as passed to build(); its
  .ics says METHOD:REQUEST, or METHOD:CANCEL when it is the ``for_attendee`` of an
  InvitationTemplate whose method is CANCEL (the inline part's Content-Type says the
  same). Boundaries are fixed per factory and start with "=_", which quoted-printable
  and base64 never produce (a 7bit .ics containing "=_" goes QP).
* Header data is never trusted. Control characters (CR, LF, TAB, NUL, U+2028...) in names,
  subject and file names become spaces; names also lose doubled and outer spaces, the
  subject its outer spaces. A bad address raises ValueError, as do a malformed
  Message-ID, language tag, content type or unsubscribe URL. The unsubscribe token is
  percent-encoded and required when the sender has an unsubscribe_url.
* Names, the Subject, addresses and file names are encoded by pressctl.releases.headers
  (RFC 2047 encoded-words, IDNA domains, RFC 2231 parameters); its docstring gives the
  rules. A non-ASCII local part needs SMTPUTF8: check headers.needs_smtputf8 for the
  sender and each recipient and give the transport ``mail_options=["SMTPUTF8"]``.
* :func:`new_message_id` depends only on its seed: a retried message keeps its Message-ID.
  The factory's ``domain`` is the domain of :meth:`MessageFactory.message_id`.
"""

from __future__ import annotations

import binascii
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from urllib.parse import quote

from pressctl.releases.headers import (
    address_field,
    clean,
    commas,
    fold,
    header_address,
    header_domain,
    parameter,
    semicolons,
    unstructured,
)

SALUTATION = "\x00SALUTATION\x00"  # where the per-recipient salutation goes in text and html
UNSUBSCRIBE = "\x00UNSUBSCRIBE\x00"  # where the recipient's own unsubscribe link goes
_HOLES = re.compile("\x00(SALUTATION|UNSUBSCRIBE)\x00")

_MESSAGE_ID = re.compile(r"<[!-;=?A-~]+@[!-;=?A-~]+>\Z")  # printable ASCII but <, >, @
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*\Z")
_MIME_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+\Z")
_URL_OK = re.compile(r"https://[!-~]+\Z")
_TOKEN_OK = re.compile(r"[A-Za-z0-9._~-]*\Z")


@dataclass(frozen=True)
class Sender:
    name: str  # display name, sent exactly (parentheses, commas and accents included)
    address: str
    reply_to: str | None = None
    list_unsubscribe_mailto: str | None = None  # -> <mailto:ADDR?subject=unsubscribe>
    unsubscribe_url: str | None = None  # https URL with "{token}"; adds RFC 8058 one-click


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML shows as ``cid:`` + its Content-ID without the angle brackets."""

    content_id: str  # "<...@domain>", as new_content_id makes it
    filename: str
    content_type: str
    data: bytes

    @property
    def url(self) -> str:
        return "cid:" + self.content_id[1:-1]


@dataclass(frozen=True)
class Variant:
    subject: str  # complete, embargo prefix included
    text: str  # may contain SALUTATION and UNSUBSCRIBE
    html: str  # the same, HTML-escaped there
    language: str  # Content-Language
    attachments: tuple[Attachment, ...] = ()
    calendar: Callable[[str, str], bytes] | None = None  # (name, address) -> .ics bytes
    images: tuple[InlineImage, ...] = ()  # multipart/related beside the HTML


# -- ids ----------------------------------------------------------------------------------


def new_content_id(data: bytes, domain: str) -> str:
    """A Content-ID for an inline part: from its bytes, so one image used twice (or in
    each message of a variant) is one part with one id."""
    digest = hashlib.blake2b(data, digest_size=12).hexdigest()
    return f"<img.{digest}@{header_domain(domain)}>"


def new_message_id(seed: str, domain: str) -> str:
    """A Message-ID made only from ``seed`` (say mailout id + recipient id) and ``domain``:
    the same seed gives the same id, so a retried message keeps its id."""
    digest = hashlib.blake2b(seed.encode("utf-8"), digest_size=16).hexdigest()
    return f"<{digest}.pressctl@{header_domain(domain)}>"


# -- bodies -------------------------------------------------------------------------------


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _b64(data: bytes) -> bytes:
    enc = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([enc[i : i + 76] for i in range(0, len(enc), 76)])


def _qp(text: str) -> bytes:
    """Quoted-printable of ``text`` (LF line ends) with CRLF line ends."""
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")


def _qp_open(text: str) -> bytes:
    """Quoted-printable of ``text`` that more text will follow on the same line: it ends
    at the start of a line, with a soft line break ("=") if ``text`` does not end one."""
    enc = binascii.b2a_qp(text.encode("utf-8"), istext=True)
    if enc and not enc.endswith(b"\n"):
        start = enc.rfind(b"\n") + 1
        if len(enc) - start > 75:  # 76 with the "=": cut outside an "=XX" escape
            cut = next(p for p in (len(enc) - 1, len(enc) - 2, len(enc) - 3)
                       if b"=" not in enc[p - 2 : p])
            enc = enc[:cut] + b"=\n" + enc[cut:]
        enc += b"=\n"
    return enc.replace(b"\n", b"\r\n")


class _Body:
    """One text part: its headers and encoded body, with holes for the salutation and the
    unsubscribe link (pieces encoded once; a recipient's values are encoded as they come)."""

    def __init__(self, subtype: str, source: str, escape: bool) -> None:
        split = _HOLES.split(_lines(source))
        pieces, self.names = split[0::2], split[1::2]
        whole = "".join(pieces)
        self.escape = escape
        self.holes = len(self.names)
        qp = _qp(whole)
        self.qp = len(qp) <= len(whole.encode("utf-8")) * 4 // 3 * 78 // 76
        cte = "quoted-printable" if self.qp else "base64"
        self.head = (f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
                     f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode("ascii")
        self.pieces = pieces
        if not self.holes:
            self.static = qp if self.qp else _b64(whole.encode("utf-8"))
        elif self.qp:
            last = len(pieces) - 1
            self.encoded = [_qp(p) if i == last else _qp_open(p) for i, p in enumerate(pieces)]

    def body(self, values: dict[str, str]) -> bytes:
        if not self.holes:
            return self.static
        filled = [_lines(values[name]) for name in self.names]
        if self.escape:
            filled = [html.escape(value) for value in filled]
        if not self.qp:
            out = [self.pieces[0]]
            for value, piece in zip(filled, self.pieces[1:], strict=True):
                out += [value, piece]
            return _b64("".join(out).encode("utf-8"))
        parts = [self.encoded[0]]
        for value, piece in zip(filled, self.encoded[1:], strict=True):
            parts += [_qp_open(value), piece]
        return b"".join(parts)


def _attachment_head(filename: str, content_type: str, content_id: str | None = None) -> bytes:
    """The headers of a base64 part: an attachment, or an inline part with a Content-ID."""
    content_type = content_type.strip().lower()
    if not _MIME_TYPE.match(content_type):
        raise ValueError(f"not a MIME type: {content_type!r}")
    if content_id is not None and not _MESSAGE_ID.match(content_id):
        raise ValueError(f"not a Content-ID: {content_id!r}")
    ctype = fold("Content-Type", semicolons([content_type, *parameter("name", filename)]))
    disposition = "attachment" if content_id is None else "inline"
    disp = fold("Content-Disposition",
                semicolons([disposition, *parameter("filename", filename)]))
    cid = f"Content-ID: {content_id}\r\n" if content_id is not None else ""
    return (ctype + disp + cid + "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii")


# -- the factory --------------------------------------------------------------------------


class MessageFactory:
    """Everything one variant's messages share, encoded once; ``build`` per recipient."""

    def __init__(self, variant: Variant, sender: Sender, *, domain: str) -> None:
        self.domain = header_domain(domain)
        if not _LANGUAGE.match(variant.language):
            raise ValueError(f"not a language tag: {variant.language!r}")
        self._calendar = variant.calendar
        # The inline part's method must be the calendar's own (RFC 6047 2.4): an
        # InvitationTemplate's bound for_attendee says it; any other callable is a REQUEST.
        method = getattr(getattr(variant.calendar, "__self__", None), "method", "REQUEST")
        if method not in ("REQUEST", "CANCEL"):
            raise ValueError(f"not an iTIP method pressctl sends: {method!r}")
        self._ics_type = (f'Content-Type: text/calendar; charset="UTF-8"; method={method}\r\n'
                          ).encode("ascii")
        key = hashlib.blake2b(f"{domain}\0{variant.subject}\0{variant.language}".encode(),
                              digest_size=6).hexdigest()
        self._alt = f"=_alt_{key}"
        self._mixed = f"=_mix_{key}" if variant.attachments or variant.calendar else None

        self._from = address_field("From", sender.name, sender.address)
        middle = []
        if sender.reply_to:
            middle.append(f"Reply-To: {header_address(sender.reply_to)}\r\n")
        middle.append(fold("Subject", unstructured(clean(variant.subject).strip(" "))))
        middle.append("MIME-Version: 1.0\r\n")
        middle.append(f"Content-Language: {variant.language}\r\n")
        self._middle = "".join(middle)

        self._unsubscribe = []  # List-Unsubscribe entries before the per-recipient URL
        if sender.list_unsubscribe_mailto:
            mailto = header_address(sender.list_unsubscribe_mailto)
            self._unsubscribe.append(f"<mailto:{mailto}?subject=unsubscribe>")
        self._url = sender.unsubscribe_url
        if self._url is not None and (
            not _URL_OK.match(self._url) or "{token}" not in self._url or len(self._url) > 800
        ):
            raise ValueError(f"unsubscribe_url must be an https URL with {{token}}: {self._url!r}")
        tail = []
        if self._url is not None:
            tail.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n")
        top = self._mixed or self._alt
        kind = "mixed" if self._mixed else "alternative"
        tail.append(f'Content-Type: multipart/{kind}; boundary="{top}"\r\n\r\n')
        self._tail = "".join(tail)
        if self._unsubscribe and self._url is None:
            self._middle += fold("List-Unsubscribe", self._unsubscribe)  # one entry

        alt = self._alt.encode("ascii")
        self._text = _Body("plain", variant.text, escape=False)
        self._html = _Body("html", variant.html, escape=True)
        # The HTML and its images: multipart/related (RFC 2387), encoded once per variant.
        self._related_open = self._related_close = b""
        if variant.images:
            related = f"=_rel_{key}".encode("ascii")
            self._related_open = (b'Content-Type: multipart/related; type="text/html"; '
                                  b'boundary="' + related + b'"\r\n\r\n--' + related + b"\r\n")
            self._related_close = b"".join(
                b"\r\n--" + related + b"\r\n"
                + _attachment_head(image.filename, image.content_type, image.content_id)
                + _b64(image.data) for image in variant.images) + b"\r\n--" + related + b"--"
        self._sep_alt = b"\r\n--" + alt + b"\r\n"
        self._end_alt = b"\r\n--" + alt + b"--"
        if self._mixed:
            mixed = self._mixed.encode("ascii")
            self._sep_mixed = b"\r\n--" + mixed + b"\r\n"
            self._open = (b"--" + mixed + b"\r\nContent-Type: multipart/alternative; "
                          b'boundary="' + alt + b'"\r\n\r\n--' + alt + b"\r\n")
            files = [_attachment_head(a.filename, a.content_type) + _b64(a.data)
                     for a in variant.attachments]
            self._files = b"".join(self._sep_mixed + f for f in files)
            self._close = b"\r\n--" + mixed + b"--\r\n"
        else:
            self._open = b"--" + alt + b"\r\n"
            self._files = b""
            self._close = b"\r\n"
        self._ics_head = _attachment_head("invite.ics", "application/ics")
        self._dated: tuple[datetime | None, str] = (None, "")  # the last now, formatted

    def message_id(self, seed: str) -> str:
        """:func:`new_message_id` in this factory's domain."""
        return new_message_id(seed, self.domain)

    def build(self, *, name: str, address: str, salutation: str, now: datetime,
              message_id: str, unsubscribe_token: str = "") -> bytes:
        """The message to one recipient, as bytes (CRLF line ends)."""
        dated = self._dated
        if dated[0] is not now:
            if now.utcoffset() is None:
                raise ValueError("now must be timezone-aware")
            self._dated = dated = (now, format_datetime(now))
        if not _MESSAGE_ID.match(message_id):
            raise ValueError(f"not a Message-ID: {message_id!r}")
        head = [f"Date: {dated[1]}\r\nMessage-ID: {message_id}\r\n", self._from,
                address_field("To", name, address), self._middle]
        link = self._link(unsubscribe_token)
        if self._url is not None:
            if not unsubscribe_token:
                raise ValueError("unsubscribe_token is required: the sender has an unsubscribe_url")
            head.append(fold("List-Unsubscribe", commas([*self._unsubscribe, f"<{link}>"])))
        head.append(self._tail)
        values = {"SALUTATION": salutation, "UNSUBSCRIBE": link}
        out = ["".join(head).encode("utf-8"), self._open,
               self._text.head, self._text.body(values), self._sep_alt, self._related_open,
               self._html.head, self._html.body(values), self._related_close]
        if self._calendar is not None:
            ics = self._calendar(name, address)
            if not isinstance(ics, bytes):
                raise TypeError(f"the calendar callable returned {type(ics).__name__}, not bytes")
            out += [self._sep_alt, *self._inline_ics(ics), self._end_alt,
                    self._files, self._sep_mixed, self._ics_head, _b64(ics), self._close]
        else:
            out += [self._end_alt, self._files, self._close]
        return b"".join(out)

    def _link(self, token: str) -> str:
        """The recipient's unsubscribe link for the body: the one-click page (where its GET
        asks to confirm), else the List-Unsubscribe mailto, else nothing."""
        if self._url is not None and token:
            return self._url.replace("{token}", token if _TOKEN_OK.match(token)
                                     else quote(token, safe=""))
        if self._unsubscribe:
            return self._unsubscribe[0][1:-1]  # <mailto:...?subject=unsubscribe>
        return ""

    def _inline_ics(self, ics: bytes) -> tuple[bytes, bytes]:
        head = self._ics_type
        lines = ics.replace(b"\r\n", b"\n")
        if (ics.isascii() and b"\r" not in lines and b"\x00" not in lines
                and b"=_" not in ics and max(map(len, lines.split(b"\n"))) <= 998):
            body = lines.replace(b"\n", b"\r\n")
            return head + b"Content-Transfer-Encoding: 7bit\r\n\r\n", body
        text = _lines(ics.decode("utf-8"))
        return head + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n", _qp(text)
