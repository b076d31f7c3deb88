"""Delivery into a Maildir or a folder of .eml files (no relay configured, or tests)."""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

from pressctl.delivery.transport.base import (
    INTERRUPTED,
    Commit,
    Outcome,
    _Closing,
    _envelope,
    set_last_mark,
)
from pressctl.outbox.states import SendStatus

_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9@._+-]")


class FileTransport(_Closing):
    """Writes each message to ``folder``: a Maildir (tmp/ -> new/) or plain .eml files."""

    def __init__(self, folder: Path, *, maildir: bool = True, fsync: bool = True) -> None:
        self.folder = Path(folder)
        self.maildir = maildir
        self.fsync = fsync
        self._counter = 0
        self._ready = False
        host = socket.gethostname() or "localhost"  # the kernel's node name: no DNS
        self._host = host.replace("/", "\\057").replace(":", "\\072")

    def __repr__(self) -> str:
        return f"<FileTransport {self.folder} {'maildir' if self.maildir else 'eml'}>"

    def send(self, sender: str, recipient: str, data: bytes, *, crlf: bool = False,
             commit: Commit | None = None) -> Outcome:
        mail_from, rcpt_to = _envelope(sender, recipient)
        if isinstance(rcpt_to, Outcome):
            return rcpt_to
        if self._stopping:
            return INTERRUPTED
        body = f"Return-Path: <{mail_from}>\r\nDelivered-To: {rcpt_to}\r\n".encode() + data
        if self.maildir:
            body = body.replace(b"\r\n", b"\n")
        try:
            path = self._write(body, rcpt_to, commit)
            if path is None:
                return INTERRUPTED
        except OSError as err:
            return Outcome(SendStatus.TRANSIENT, None,
                           f"cannot write to {self.folder}: {err.strerror or err}")
        return Outcome(SendStatus.SENT, 250, str(path))

    def _name(self, recipient: str) -> str:
        self._counter += 1
        now = time.time()
        name = f"{int(now)}.M{int(now % 1 * 1e6)}P{os.getpid()}Q{self._counter}"
        if self.maildir:
            return f"{name}.{self._host}"
        return f"{name}-{_NAME_UNSAFE.sub('_', recipient)[:64]}.eml"

    def _write(self, body: bytes, recipient: str, commit: Commit | None) -> Path | None:
        folder = self.folder
        tmp_dir, final_dir = (folder / "tmp", folder / "new") if self.maildir else (folder,) * 2
        if not self._ready:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            for sub in ("tmp", "new", "cur") if self.maildir else ():
                (folder / sub).mkdir(mode=0o700, exist_ok=True)
            self._ready = True
        while True:
            name = self._name(recipient)
            tmp = tmp_dir / (name if self.maildir else f".{name}.tmp")
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                break
            except FileExistsError:
                continue
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                if self.fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            if commit is not None:
                committed = commit()
                if committed is False:
                    return None  # withheld: the file never reaches new/
                set_last_mark(committed)
            # (the link into new/ is this transport's final dot)
            while True:
                final = final_dir / name
                try:
                    os.link(tmp, final)  # unlike rename, never replaces an existing file
                    return final
                except FileExistsError:
                    name = self._name(recipient)
        finally:
            tmp.unlink(missing_ok=True)
