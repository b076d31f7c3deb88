"""Searching a whole book for a person's texts, for the tests of `contacts forget` (core
and CLI): every value of every table through SQL (frozen messages decoded), on both
backends, and on SQLite the raw bytes of the file and of its -wal and -shm files."""

from __future__ import annotations

from pathlib import Path

from pressctl.store import Store


def everything(store: Store) -> str:
    """Every value of every table, as one text."""
    if store.dialect == "sqlite":
        # Stored tables only: the search index's virtual table holds nothing of its own
        # (contentless; its shadow tables, searched here, hold the trigrams) and refuses
        # to be scanned without document sizes.
        tables = [r[0] for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%'")]
    else:
        tables = [r[0] for r in store.db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")]
    values = []
    for table in tables:
        for row in store.db.execute(f'SELECT * FROM "{table}"').fetchall():
            for value in row:
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                values.append(f"{table}: {value}")
    return "\n".join(values)


def raw_files(database: Path) -> bytes:
    """The bytes of a SQLite file and of its -wal and -shm files, as they are on disk."""
    files = [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def assert_absent(store: Store, texts) -> None:
    """None of ``texts`` (whatever their case) in the book, nor in its files."""
    dumped = everything(store).casefold()
    for text in texts:
        assert text.casefold() not in dumped, text
    if store.path is not None:
        data = raw_files(store.path).lower()
        for text in texts:
            assert text.lower().encode("utf-8") not in data, text
