"""A mailbox on disk -> its messages as raw bytes: a Maildir folder or an mbox file.

The one module of the inbox that touches files; what the messages say is read by the
pure modules beside it. Nothing is changed on disk: a Maildir message stays in new/ or
cur/ as it was (flags untouched), an mbox is read without its lock (it is only read;
a message being appended at that moment is read next time).

A Maildir is a folder with cur/ and new/ (tmp/ holds deliveries in progress and is not
read); either alone is accepted, as some tools create only the one they use. Its keys
are the messages' unique names (the file name before ``:2,`` and the flags), stable
across flag changes. An mbox is a file starting with a ``From `` line (an empty file is
an empty mbox); its keys are the messages' positions, "0", "1"... Anything else is
refused with InvalidInput naming the path and what is expected.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from pressctl.errors import InvalidInput

_EXPECTED = "give a Maildir folder (with cur/ and new/) or an mbox file"


class MailboxMessage(NamedTuple):
    """One stored message: where it is in its mailbox, and its bytes as stored."""

    key: str
    raw: bytes


def read_mailbox(path: Path) -> Iterator[MailboxMessage]:
    """Every message of the Maildir or mbox at ``path``, in a stable order."""
    if path.is_dir():
        if not ((path / "cur").is_dir() or (path / "new").is_dir()):
            raise InvalidInput(f"{path}: a folder, but not a Maildir (no cur/ or new/ in it)",
                               hint=_EXPECTED)
        return _maildir(path)
    if path.is_file():
        _check_mbox(path)
        return _mbox(path)
    if path.exists():
        raise InvalidInput(f"{path}: neither a folder nor a file", hint=_EXPECTED)
    raise InvalidInput(f"{path}: no such file or folder", hint=_EXPECTED)


def _maildir(path: Path) -> Iterator[MailboxMessage]:
    # Read by hand rather than with mailbox.Maildir, which needs both subfolders.
    files: list[tuple[str, Path]] = []
    for sub in ("new", "cur"):
        folder = path / sub
        if not folder.is_dir():
            continue
        try:
            entries = list(folder.iterdir())
        except OSError as err:
            raise InvalidInput(f"{folder}: cannot list the messages ({err.strerror})") from None
        files += [(entry.name.split(":", 1)[0], entry) for entry in entries
                  if not entry.name.startswith(".") and entry.is_file()]
    seen: set[str] = set()
    for key, file in sorted(files, key=lambda item: item[0]):
        if key in seen:
            continue  # in new/ and cur/ at once: moved while we listed
        seen.add(key)
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            continue  # moved by a mail program (new/ -> cur/) while we read: seen there
        except OSError as err:
            raise InvalidInput(f"{file}: cannot read the message ({err.strerror})") from None
        yield MailboxMessage(key, raw)


def _check_mbox(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            start = handle.read(4096).lstrip(b"\r\n")
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read the mailbox ({err.strerror})") from None
    if start and not start.startswith(b"From "):
        raise InvalidInput(f'{path}: not an mbox file (its first line is not a "From " line)',
                           hint=_EXPECTED)


def _mbox(path: Path) -> Iterator[MailboxMessage]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = list(box.iterkeys())
        for key in keys:
            yield MailboxMessage(str(key), box.get_bytes(key))
    except OSError as err:
        raise InvalidInput(f"{path}: cannot read the mailbox ({err.strerror})") from None
