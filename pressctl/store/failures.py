"""What a sqlite3 error means for the person at the keyboard.

SQLite reports a full disk, a read-only mount and a busy lock in its own terms ("database
or disk is full", "attempt to write a readonly database", "database is locked"). The store
turns them into a :class:`~pressctl.errors.StorageError` that keeps SQLite's words as the
cause, names the database, and gives advice that cannot lose data: only a damaged file is
ever to be moved away, and then the advice is to keep a copy first. The CLI's error
handler sends any sqlite3 error that escapes elsewhere (a plain read) through the same
function, so every command says the same thing about the same fault.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from pathlib import Path

from pressctl.errors import StorageError, StorageKind

# SQLite's primary result codes (the low byte of the extended code).
_PERM, _BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT = 3, 5, 6, 8, 10, 11
_FULL, _CANTOPEN, _PROTOCOL, _NOLFS, _NOTADB = 13, 14, 15, 22, 26

BUSY_TIMEOUT_MS = 10_000  # how long a write waits for another process holding the file

_LATER = "the failed change was not written"
_LOW_SPACE = 1 << 20  # below this, an I/O error on the database is taken for a full disk


def storage_error(err: BaseException, path: Path) -> StorageError | None:
    """The StorageError for ``err`` met on the database at ``path``, or None when ``err``
    is not a storage fault (not sqlite3's, or a bug of ours such as a constraint or an SQL
    mistake: those stay unexpected errors)."""
    if not isinstance(err, sqlite3.Error):
        return None
    code = getattr(err, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    cause = str(err)
    # A full disk met while SQLite sizes its shared-memory file is a "disk I/O error".
    if primary in (_FULL, _NOLFS) or (primary == _IOERR and _nearly_full(path)):
        return StorageError(
            f"{path}: no space left for the database ({cause}{_free_space(path)}): "
            f"{_LATER}; free some space, then run the command again",
            kind=StorageKind.FULL, cause=cause)
    if primary in (_READONLY, _PERM) or (primary == _CANTOPEN and _why_read_only(path)):
        why = _why_read_only(path) or "the file is read-only"
        return StorageError(
            f"{path}: cannot write the database: {why} ({cause}): {_LATER}; make it "
            "writable (remount the file system read-write or fix the permissions), then run "
            "the command again", kind=StorageKind.READ_ONLY, cause=cause)
    if primary == _CANTOPEN:
        return StorageError(
            f"{path}: cannot open the database ({cause}): check that the file and its folder "
            "exist and that you may read and write both", kind=StorageKind.READ_ONLY,
            cause=cause)
    if primary in (_BUSY, _LOCKED, _PROTOCOL):
        return StorageError(
            f"{path}: the database is locked by another program ({cause}, after waiting "
            f"{_busy_seconds()}): {_LATER}; run the command again when the other one "
            "(another pressctl command, a backup, sqlite3) has finished",
            kind=StorageKind.LOCKED, cause=cause)
    if primary in (_CORRUPT, _NOTADB):
        what = ("the database is damaged" if primary == _CORRUPT else
                "not a usable pressctl database: the file is damaged or not a SQLite database")
        check = "" if primary == _CORRUPT else "check --db / PRESSCTL_DB; if it is your book, "
        return StorageError(
            f"{path}: {what} ({cause}): {check}keep the file (and {path.name}-wal beside it, "
            "if any): copy them somewhere safe first (`sqlite3 "
            f"{shlex.quote(str(path))} .recover` may save their contents), only then move them "
            "away and run `pressctl init` for a new book",
            kind=StorageKind.DAMAGED, cause=cause)
    if primary == _IOERR:
        return StorageError(
            f"{path}: the disk reported an error ({cause}): {_LATER}; check that the disk "
            "is mounted, healthy and not full, then run the command again",
            kind=StorageKind.IO, cause=cause)
    return None


def _why_read_only(path: Path) -> str:
    """Why the database cannot be written, as far as the system tells; "" when it cannot."""
    folder = path.parent
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return f"the file system holding {folder} is mounted read-only"
    except OSError:
        return f"its folder {folder} does not exist or cannot be read"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only for you"
    if not os.access(folder, os.W_OK | os.X_OK):
        return (f"its folder {folder} is not writable for you (SQLite writes {path.name}-wal "
                f"and {path.name}-shm beside the database)")
    return ""


def _free_bytes(path: Path) -> int | None:
    import shutil  # only when a write failed: every command imports this module (1.5 ms)

    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return None


def _nearly_full(path: Path) -> bool:
    free = _free_bytes(path)
    return free is not None and free < _LOW_SPACE


def _free_space(path: Path) -> str:
    free = _free_bytes(path)
    if free is None:
        return ""
    for unit in ("bytes", "kB", "MB", "GB", "TB"):
        if free < 1024 or unit == "TB":
            break
        free //= 1024
    return f"; {free} {unit} free on its file system"


def _busy_seconds() -> str:
    return f"{BUSY_TIMEOUT_MS / 1000:g} s"  # read at the time of the error: tests lower it
