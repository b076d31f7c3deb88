"""Which message each connection of a delivery run is finishing, written where a SIGKILL
cannot lose it, so that after a crash "unknown" means "transmitted, reply not recorded".

A run claims one row at a time per connection. Just before a message's final dot goes
out, the row's id is written into that connection's slot of a small file mapped into
memory (``<database>-inflight/<run id>``). A memory write neither makes a system call nor
lets another thread run, so the gap between the mark and the final dot is a few
microseconds, where a database commit would leave milliseconds; and what was written
to a shared mapping stays in the kernel's page cache when the process is killed.

After a crash, a row the dead run left in 'sending' is:

* in a slot: its whole message was (or was about to be) sent, the reply was not recorded:
  ``unknown``, never re-sent automatically;
* in no slot: it was claimed but its final dot never went out, so the relay discarded
  whatever it got: back to ``queued``, no attempt charged.

A row's result is recorded before its connection marks the next row, so a connection's
slot never hides a row whose reply was lost. The file is tied to the database, not to a
home: homes sharing one database find the same files.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

from pressctl.errors import StorageError

_SLOT = struct.Struct("<q")


def folder_for(database: Path) -> Path:
    return database.with_name(database.name + "-inflight")


class InflightJournal:
    """One run's slots, one per connection; closing removes the file."""

    def __init__(self, folder: Path, run_id: str, slots: int) -> None:
        self.path = folder / run_id
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as err:
            raise StorageError(f"cannot create {self.path} ({err.strerror or err}): nothing "
                               "was sent", hint="the folder of the database must be "
                               "writable; free space or fix its permissions") from None
        try:
            os.ftruncate(fd, _SLOT.size * max(1, slots))
            self._map = mmap.mmap(fd, _SLOT.size * max(1, slots))
        except OSError as err:
            self.path.unlink(missing_ok=True)
            raise StorageError(f"cannot size {self.path} ({err.strerror or err}): nothing "
                               "was sent", hint="free space on that disk") from None
        finally:
            os.close(fd)  # the mapping keeps the file open

    def mark(self, slot: int, row_id: int) -> None:
        _SLOT.pack_into(self._map, slot * _SLOT.size, row_id)

    def close(self) -> None:
        self._map.close()
        self.path.unlink(missing_ok=True)


def read_marks(folder: Path, run_id: str) -> set[int] | None:
    """The row ids a run marked, or None when its file is not here (a run on another
    machine, or one from before this file existed): then nothing can be told apart."""
    try:
        data = (folder / run_id).read_bytes()
    except FileNotFoundError:
        return None
    usable = len(data) - len(data) % _SLOT.size
    return {value for (value,) in _SLOT.iter_unpack(data[:usable]) if value > 0}


def remove(folder: Path, run_id: str) -> None:
    (folder / run_id).unlink(missing_ok=True)


def leftovers(folder: Path) -> list[str]:
    """Run ids that still have a file (runs that died)."""
    try:
        return sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    except FileNotFoundError:
        return []
