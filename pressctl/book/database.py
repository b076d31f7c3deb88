"""The book's database as a whole: what `pressctl db status`, `db copy` and `db backup` do.

* :func:`book_status`: the backend, where the book is (a URL masked: never a password),
  its schema version, what it holds, the rows waiting to be sent, its size, and on
  request the checksum of its contents.
* :func:`copy_book`: a personal SQLite book to a team's PostgreSQL database and back
  (or any book into an empty one), all or nothing, verified table by table by counts and
  checksums (pressctl.store.transfer). Both books are opened by the store, which migrates
  an older book when it opens it: the source is brought to this pressctl's schema
  version first, as any command would. The target must be empty: a file or an empty
  database gets pressctl's schema (as `pressctl init` gives it); a book that holds rows
  is refused (exit 3), naming what it holds, and left unchanged. A SQLite target file
  the copy created is removed again when the copy fails; an empty PostgreSQL database
  keeps the (empty) schema it was given.
* :func:`backup_book`: a SQLite book copied with SQLite's online backup API, while other
  commands keep working; a PostgreSQL book is refused (exit 4) with the pg_dump command
  to use instead.

May import: pressctl.store (all SQL is there), pressctl.config, pressctl.errors.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from pressctl.book.session import Book
from pressctl.config import DatabaseLocation, Settings, parse_database
from pressctl.errors import ConfigError, InvalidInput
from pressctl.store import Store
from pressctl.store.transfer import (
    BookCounts,
    BookSum,
    backup_sqlite,
    checksum,
    counts,
    file_checksum,
    inspect_target,
    server_size,
)
from pressctl.store.transfer import copy_book as copy_rows

PG_DUMP = "pg_dump -Fc -f press.dump"


@dataclass(frozen=True, slots=True)
class BookStatus:
    """What `db status` shows. ``due``: of the queued rows, those a run started now would
    send; ``size_bytes``: the SQLite file, or the database on its server."""

    backend: str  # "sqlite" or "postgresql"
    location: str  # the file, or the URL without its password
    schema_version: str | None  # the last migration applied
    counts: BookCounts
    due: int
    size_bytes: int | None
    sums: BookSum | None  # with_checksum only


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: str  # masked
    target: str  # masked
    schema_version: str | None
    sums: BookSum  # rows and checksum of every table copied, equal on both sides
    target_created: bool  # a new SQLite file, or an empty database given pressctl's schema
    sending: int  # rows a worker on the source was sending: the copy's first run settles them


@dataclass(frozen=True, slots=True)
class BackupReport:
    source: str
    path: Path
    size_bytes: int
    schema_version: str | None
    sums: BookSum  # read back from the backup file


def book_status(book: Book, *, with_checksum: bool = False) -> BookStatus:
    store = book.store
    database = store.database
    size = store.path.stat().st_size if store.path is not None else server_size(database)
    return BookStatus(
        backend=store.dialect, location=database.where,
        schema_version=database.schema_version(), counts=counts(database),
        due=store.mailouts.due_row_count(book.now), size_bytes=size,
        sums=checksum(database) if with_checksum else None)


def copy_book(source: str, target: str, *, settings: Settings, env: Mapping[str, str],
              base: Path) -> CopyReport:
    """Copy the book at ``source`` into the empty book or database at ``target`` (each a
    file path, sqlite:///... or postgresql://...; relative paths from ``base``). The
    URL of config.toml's [database] keeps its password_env / password_command."""
    origin = _locate(source, settings, base, "SOURCE")
    destination = _locate(target, settings, base, "TARGET")
    if _same(origin, destination):
        raise InvalidInput(f"SOURCE and TARGET are the same database ({origin.masked})",
                           hint="name another, empty database or a new file as TARGET")
    reader = Store.open(origin, create=False, env=env)
    new_file = destination.path is not None and not destination.path.exists()
    try:
        state = inspect_target(destination, env)
        if state.other_tables:
            shown = ", ".join(state.other_tables[:5]) + \
                (", ..." if len(state.other_tables) > 5 else "")
            raise InvalidInput(f"{destination.masked} is not a pressctl book: it holds other "
                               f"tables ({shown}); nothing was changed",
                               hint="copy into a new, empty database (createdb) or a new file")
        writer = Store.open(destination, create=True, env=env)
        try:
            sums = copy_rows(reader.database, writer.database)
            sending = counts(writer.database).sending
        finally:
            writer.close()
    except BaseException:
        if new_file:
            assert destination.path is not None
            _remove_sqlite_file(destination.path)
        raise
    finally:
        version = _version(reader)
        reader.close()
    return CopyReport(origin.masked, destination.masked, version, sums,
                      target_created=new_file or not state.book, sending=sending)


def backup_book(location: DatabaseLocation, destination: Path, *,
                force: bool = False) -> BackupReport:
    """Back the SQLite book at ``location`` up into the new file ``destination`` (0600,
    written beside it, then moved into place); an existing file only with ``force``."""
    if location.path is None:
        raise ConfigError(
            f"{location.masked} is a PostgreSQL database: `pressctl db backup` copies a "
            "SQLite book's file only",
            hint=f"back it up with PostgreSQL's own tool: {PG_DUMP} '{location.masked}' "
                 "(the password from PGPASSWORD or ~/.pgpass)")
    destination = destination.expanduser().absolute()
    book_file = location.path.absolute()
    if destination.resolve() in {Path(f"{book_file}{end}").resolve()
                                 for end in ("", "-wal", "-shm", "-journal")}:
        raise InvalidInput(f"{destination} is the book itself: nothing was written",
                           hint="name a new file for the backup")
    if destination.is_dir():
        raise InvalidInput(f"{destination} is a folder: nothing was written",
                           hint=f"name a file in it, e.g. {destination / 'press-backup.db'}")
    if destination.exists() and not force:
        raise InvalidInput(f"{destination} already exists: nothing was written",
                           hint="choose another name, or --force to replace it")
    store = Store.open(location.path, create=False)
    try:
        version = store.database.schema_version()
        backup_sqlite(store.database, destination, overwrite=force)
    finally:
        store.close()
    return BackupReport(str(book_file), destination, destination.stat().st_size, version,
                        file_checksum(destination))


def _locate(text: str, settings: Settings, base: Path, name: str) -> DatabaseLocation:
    configured = settings.database
    if configured is not None and configured.url is not None and configured.url == text:
        return configured  # with its password_env / password_command
    return parse_database(text, base=base, where=name)


def _same(one: DatabaseLocation, other: DatabaseLocation) -> bool:
    if one.path is not None and other.path is not None:
        return one.path.resolve() == other.path.resolve()
    return one.url is not None and one.url == other.url


def _version(store: Store) -> str | None:
    with suppress(Exception):  # reported already by the failure being raised, if any
        return store.database.schema_version()
    return None


def _remove_sqlite_file(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        with suppress(FileNotFoundError):
            os.unlink(leftover)
