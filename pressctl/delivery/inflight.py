"""What each connection of a delivery run has sent and heard back, written where a
SIGKILL cannot lose it, so that after a crash "unknown" means "transmitted, reply not
recorded" and nothing the relay answered is forgotten.

Every connection of a run owns a ring of entries in a small file mapped into memory
(``<database>-inflight/<run id>``, 0600). Just before a message's final dot goes out, its
row is marked *in flight*; when the relay answers, the same entry gets the outcome (sent,
refused for now, refused for good, no reply) and its time. A memory write makes no system
call, and the transport makes it as the last step before the write of the final dot
(:class:`InFlightFlag`), with no call into Python code between the two and a write that
keeps the interpreter's lock (pressctl.delivery.transport.smtp._dot_writer), so no other
thread of the process can take the interpreter in between: the gap is a few instructions,
where a database commit would leave milliseconds. What was written to a shared mapping stays in
the kernel's page cache when the process is killed. Outcomes reach
the database in batches (pressctl.delivery.sending), and a ring is never reused before its
entries are in the database.

After a crash, a row the dead run left in 'sending' is settled from its entry:

* marked in flight, or no reply: its whole message was (or was about to be) sent and the
  reply was not recorded: ``unknown``, never re-sent automatically (at most one per
  connection, the one whose final dot was going out);
* an outcome: that outcome (the reply text itself is not kept, only its code);
* no entry: it was claimed but its final dot never went out, so the relay discarded
  whatever it got: back to ``queued``, no attempt charged.

An entry is written field by field with its status last, so an entry half-written by a
kill is read as the state before it (the status is one byte). The file is tied to the
database, not to a home: homes sharing one database find the same files.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from pressctl.errors import StorageError, StorageKind

RING = 160  # entries per connection: more than a connection ever has unrecorded
_ENTRY = 24  # row id (q, 0), time in ms (q, 8), SMTP code (h, 16), status (B, 18), padding
_ROW, _AT, _CODE, _STATUS = struct.Struct("<q"), struct.Struct("<q"), struct.Struct("<h"), 18


class Status(IntEnum):
    EMPTY = 0
    IN_FLIGHT = 1  # the final dot is going out now
    SENT = 2
    TRANSIENT = 3  # refused for now (4xx): try again later
    PERMANENT = 4  # refused for good (5xx)
    UNKNOWN = 5  # the whole message went out, no reply came


_IN_FLIGHT = int(Status.IN_FLIGHT)


@dataclass(frozen=True, slots=True)
class Entry:
    row_id: int
    status: Status
    code: int | None  # the SMTP reply code, when there was one
    at_ms: int  # when the outcome came (ms since the epoch)


class InFlightFlag:
    """One entry's status byte, handed by a commit to the transport, which sets it as the
    very last step before the final dot's write. The set is one store into the mapping
    and returns straight to the caller; the interpreter hands its lock to another thread
    only on entering Python code, in a loop, or in a C call that gives it up, as
    socket.sendall does before its system call (and a thread giving it up while another
    asks for it waits for that one to take it). So on a plain connection the dot goes out
    through send(2) called with the lock kept (pressctl.delivery.transport.smtp.
    _dot_writer), and no other thread runs between the mark and the bytes reaching the
    kernel (a SIGKILL there is a matter of instructions, not milliseconds). A TLS
    connection's dot goes through its SSL layer, which gives the lock up."""

    __slots__ = ("_map", "_at")

    def __init__(self, mapping: mmap.mmap, at: int) -> None:
        self._map, self._at = mapping, at

    def set(self) -> None:
        self._map[self._at] = _IN_FLIGHT


def _kind(err: OSError) -> StorageKind:
    if err.errno == errno.ENOSPC:
        return StorageKind.FULL
    if err.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StorageKind.READ_ONLY
    return StorageKind.IO


def folder_for(database: Path) -> Path:
    return database.with_name(database.name + "-inflight")


class InflightJournal:
    """One run's rings, one per connection; closing removes the file."""

    def __init__(self, folder: Path, run_id: str, connections: int) -> None:
        self.path = folder / run_id
        size = _ENTRY * RING * max(1, connections)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as err:
            raise StorageError(f"cannot create {self.path} ({err.strerror or err}): nothing "
                               "was sent; the database's folder must be writable",
                               kind=_kind(err), cause=err.strerror or str(err)) from None
        try:
            os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        except OSError as err:
            self.path.unlink(missing_ok=True)
            raise StorageError(f"cannot size {self.path} ({err.strerror or err}): nothing "
                               "was sent; free some space on that disk", kind=_kind(err),
                               cause=err.strerror or str(err)) from None
        finally:
            os.close(fd)  # the mapping keeps the file open
        self._next = [0] * max(1, connections)

    def begin(self, connection: int, row_id: int) -> int:
        """Take the connection's next entry for a row; returns its offset. The entry is
        empty (ignored after a crash) until :meth:`mark` or :meth:`finish`."""
        position = self._next[connection]
        self._next[connection] = (position + 1) % RING
        offset = (connection * RING + position) * _ENTRY
        self._map[offset + _STATUS] = Status.EMPTY
        _ROW.pack_into(self._map, offset, row_id)
        return offset

    def mark(self, offset: int) -> None:
        """The final dot goes out next."""
        self._map[offset + _STATUS] = Status.IN_FLIGHT

    def flag(self, offset: int) -> InFlightFlag:
        """The entry's in-flight byte, for the transport to set just before the dot."""
        return InFlightFlag(self._map, offset + _STATUS)

    def finish(self, offset: int, status: Status, code: int | None, at_ms: int) -> None:
        """The relay's answer (status written last: see the module docstring)."""
        _AT.pack_into(self._map, offset + 8, at_ms)
        _CODE.pack_into(self._map, offset + 16, code or 0)
        self._map[offset + _STATUS] = status

    def close(self) -> None:
        self._map.close()
        self.path.unlink(missing_ok=True)


def read_entries(folder: Path, run_id: str) -> dict[int, Entry] | None:
    """The entries a run wrote, by row id; None when its file is not here (a run on
    another machine, or one from before this file existed): then nothing can be told."""
    try:
        data = (folder / run_id).read_bytes()
    except FileNotFoundError:
        return None
    found: dict[int, Entry] = {}
    for offset in range(0, len(data) - _ENTRY + 1, _ENTRY):
        status = data[offset + _STATUS]
        if status == Status.EMPTY or status > max(Status):
            continue
        (row_id,) = _ROW.unpack_from(data, offset)
        (at_ms,) = _AT.unpack_from(data, offset + 8)
        (code,) = _CODE.unpack_from(data, offset + 16)
        found[row_id] = Entry(row_id, Status(status), code or None, at_ms)
    return found


def remove(folder: Path, run_id: str) -> None:
    (folder / run_id).unlink(missing_ok=True)


def leftovers(folder: Path) -> list[str]:
    """Run ids that still have a file (runs that died)."""
    try:
        return sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    except FileNotFoundError:
        return []
