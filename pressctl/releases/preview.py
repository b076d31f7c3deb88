"""Previews: the real pipeline's messages (pressctl.releases.rendering), shown or written as
files instead of sent.

`release preview --out` and `demo` write each message as .eml, with its HTML part as
.html and its invitation as .ics, privately (folder 0700, files 0600, each written
atomically: they carry the recipients' names and addresses). :func:`read_back` gives what
a reader sees of a message, for the terminal. Nothing here prints.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from pressctl.book.session import Book
from pressctl.config import write_private_file
from pressctl.errors import InvalidInput
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.recipients import Recipient, select_recipients
from pressctl.releases.rendering import BuiltMessage

SHOWN_HEADERS = ("From", "To", "Subject", "Date")


def preview_recipients(book: Book, path: Path, releases: ReleaseSet, audience: str | None = None,
                       only: list[str] | None = None) -> list[Recipient]:
    """The recipients of the release at ``path`` (see select_recipients); a preview for
    nobody is refused (exit 3)."""
    recipients = select_recipients(book, releases, audience, only=only)
    if not recipients:
        raise InvalidInput(f"{path}: nobody to send to", hint="check the audience and opt-outs")
    return recipients


@dataclass(frozen=True, slots=True)
class PreviewFiles:
    """What :func:`write_previews` wrote for one message."""

    message: BuiltMessage
    eml: Path
    html: Path | None
    ics: Path | None


def write_previews(messages: Iterable[BuiltMessage], folder: Path) -> Iterator[PreviewFiles]:
    """Write each message into ``folder`` as it passes (a 10,000-message preview is never
    held at once), numbered in order and named after the recipient's address."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for number, message in enumerate(messages, 1):
        slug = re.sub(r"[^a-z0-9]+", "-", message.recipient.address.lower()).strip("-")
        stem = folder / f"{number:05d}-{slug}"
        eml = stem.with_suffix(".eml")
        write_private_file(eml, message.raw)
        html = ics = None
        parsed = _parsed(message.raw)
        for part in parsed.walk():
            if part.get_content_type() == "text/html":
                html = stem.with_suffix(".html")
                write_private_file(html, _with_images(_lf(part.get_content()), parsed))
            elif part.get_content_type() == "text/calendar":
                ics = stem.with_suffix(".ics")
                write_private_file(ics, cast(bytes, part.get_payload(decode=True)))
        yield PreviewFiles(message, eml, html, ics)


@dataclass(frozen=True, slots=True)
class ReadBack:
    """What a reader sees of a message: its main headers and its bodies."""

    headers: list[tuple[str, str]]  # those of SHOWN_HEADERS the message has, in that order
    text: str  # the text/plain body ("" when there is none)
    html: str  # the text/html body ("" when there is none)


def read_back(raw: bytes) -> ReadBack:
    parsed = _parsed(raw)
    return ReadBack(
        [(name, str(parsed[name])) for name in SHOWN_HEADERS if parsed[name] is not None],
        _body(parsed, "text/plain"), _body(parsed, "text/html"))


def _parsed(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _body(parsed: EmailMessage, content_type: str) -> str:
    return _lf(next((p.get_content() for p in parsed.walk()
                     if p.get_content_type() == content_type), ""))


def _with_images(html: str, parsed: EmailMessage) -> str:
    """The HTML with its inline images (cid:) written in as data: URLs, so that the .html
    file alone shows what a mail client shows."""
    found = {}
    for part in parsed.walk():
        content_id = str(part["Content-ID"] or "").strip()
        if content_id.startswith("<") and part.get_content_maintype() == "image":
            data = base64.b64encode(cast(bytes, part.get_payload(decode=True))).decode("ascii")
            found["cid:" + content_id[1:-1]] = f"data:{part.get_content_type()};base64,{data}"
    if not found:
        return html
    return re.sub(r"cid:[^\"'\s)>]+", lambda m: found.get(m.group(), m.group()), html)


def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")  # the wire's CRLF, not a file's or a terminal's
