"""A list that keeps its first items in memory and the rest in a temporary file.

An import reports every rejected row, every cleaned value and every opt-out it met: on
a 300,000-row file that is tens of thousands of items, which held as objects grew the
import's memory with the file. :class:`Spool` holds the first :data:`KEPT` items (what a
terminal shows first, and all of them for an ordinary file) and pickles the others, in
batches, to an unnamed temporary file that is read back, in order, whenever the whole
list is walked. It is a read-only Sequence with ``append`` and ``extend``; equality with
a list compares the items.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Generic, TypeVar, overload

T = TypeVar("T")

KEPT = 1_000  # items held in memory
BATCH = 500  # items pickled to the file at a time


class Spool(Sequence[T], Generic[T]):
    def __init__(self, items: Iterable[T] = (), *, kept: int | None = None) -> None:
        self._kept = KEPT if kept is None else kept
        self._head: list[T] = []  # the first ``kept`` items
        self._pending: list[T] = []  # items past the head, not written yet
        self._file: IO[bytes] | None = None
        self._written = 0  # items in the file
        self.extend(items)

    @property
    def in_memory(self) -> int:
        """How many items are held as objects (the rest are in the file)."""
        return len(self._head) + len(self._pending)

    def append(self, item: T) -> None:
        if len(self._head) < self._kept:
            self._head.append(item)
            return
        self._pending.append(item)
        if len(self._pending) >= BATCH:
            self._write()

    def extend(self, items: Iterable[T]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[T]) -> Spool[T]:
        self.extend(items)
        return self

    def _write(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the spool
        self._file.seek(0, 2)
        pickle.dump(self._pending, self._file, pickle.HIGHEST_PROTOCOL)
        self._written += len(self._pending)
        self._pending = []

    def __len__(self) -> int:
        return len(self._head) + self._written + len(self._pending)

    def __iter__(self) -> Iterator[T]:
        yield from self._head
        if self._file is not None:
            read, offset = 0, 0
            while read < self._written:  # one batch in memory at a time
                self._file.seek(offset)
                batch: list[T] = pickle.load(self._file)
                offset = self._file.tell()
                read += len(batch)
                yield from batch
        yield from list(self._pending)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1 and stop <= len(self._head):
                return self._head[start:stop]
            return list(self)[index]
        if 0 <= index < len(self._head):
            return self._head[index]
        return list(self)[index]

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Spool | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"Spool({len(self)} items, {len(self._head)} in memory)"

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
