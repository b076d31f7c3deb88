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
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from itertools import chain
from pathlib import Path
from typing import cast

from pressctl.book.session import Book
from pressctl.config import write_private_file
from pressctl.errors import InvalidInput
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.recipients import Recipient, stream_recipients
from pressctl.releases.rendering import BuiltMessage

SHOWN_HEADERS = ("From", "To", "Subject", "Date")


def preview_recipients(book: Book, path: Path, releases: ReleaseSet, audience: str | None = None,
                       only: list[str] | None = None) -> Iterator[Recipient]:
    """The recipients of the release at ``path`` (see select_recipients), as the book is
    read (:func:`stream_recipients`); a preview for nobody is refused (exit 3) before the
    first is given."""
    recipients = stream_recipients(book, releases, audience, only=only)
    first = next(recipients, None)
    if first is None:
        raise InvalidInput(f"{path}: nobody to send to", hint="check the audience and opt-outs")
    return chain((first,), recipients)


@dataclass(frozen=True, slots=True)
class PreviewFiles:
    """What :func:`write_previews` wrote for one message."""

    message: BuiltMessage
    eml: Path
    html: Path | None
    ics: Path | None


def write_previews(messages: Iterable[BuiltMessage], folder: Path) -> Iterator[PreviewFiles]:
    """Write each message as it passes (a 100,000-message preview is never held at once),
    numbered in order and named after the recipient's address. The files go to a hidden
    staging folder beside ``folder`` and move in only once the last message is written:
    a preview that fails half-way (a template error in one language) leaves ``folder`` as
    it was, like every other failed command."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder", hint="give --out a folder to write into")
    folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.partial-", dir=folder.parent))
    finished = False
    try:
        for number, message in enumerate(messages, 1):
            yield _write_one(message, staging, folder, number)
        finished = True
    finally:
        if finished:
            folder.mkdir(exist_ok=True, mode=0o700)
            for written in sorted(staging.iterdir()):
                os.replace(written, folder / written.name)
        shutil.rmtree(staging, ignore_errors=True)


def _write_one(message: BuiltMessage, staging: Path, folder: Path, number: int) -> PreviewFiles:
    """Write one message's files into ``staging``; the paths returned are where they will
    be once the preview is complete."""
    slug = re.sub(r"[^a-z0-9]+", "-", message.recipient.address.lower()).strip("-")
    stem = f"{number:05d}-{slug}"
    write_private_file(staging / f"{stem}.eml", message.raw)
    html = ics = None
    parsed = _parsed(message.raw)
    for part in parsed.walk():
        if part.get_content_type() == "text/html":
            html = folder / f"{stem}.html"
            write_private_file(staging / html.name, _with_images(_lf(part.get_content()), parsed))
        elif part.get_content_type() == "text/calendar":
            ics = folder / f"{stem}.ics"
            write_private_file(staging / ics.name, cast(bytes, part.get_payload(decode=True)))
    return PreviewFiles(message, folder / f"{stem}.eml", html, ics)


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
