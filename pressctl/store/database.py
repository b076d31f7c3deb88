"""The database itself: opening (and creating) it, migrating it, and transactions. It
knows connections, not contacts or mailouts: the SQL of each aggregate is in its own
module beside this one, over the :class:`Database` they share.

SQLite (the default): one file, created 0600 (it holds personal data), WAL mode and a
busy timeout so that a cron run and an interactive command can work at the same time.
PostgreSQL (a team's book): :class:`PostgresDatabase`, see pressctl.store.postgres. On
both, every change of several rows runs inside :meth:`Database.transaction`, so a failure
leaves the book as it was, and the same named migrations make the same schema.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pressctl.errors import ConfigError, StorageError, StorageKind
from pressctl.store import failures
from pressctl.store.failures import storage_error
from pressctl.store.migrations import MIGRATIONS
from pressctl.store.postgres import PostgresConnection, connect
from pressctl.store.postgres import storage_error as postgres_storage_error


class Cursor(Protocol):
    """What the query modules use of a cursor (sqlite3's and psycopg's have it)."""

    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ...) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the query modules use of a connection: sqlite3's, or PostgresConnection."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...

    @property
    def in_transaction(self) -> bool: ...

    def close(self) -> None: ...


class Location(Protocol):
    """Where the book is (pressctl.config.DatabaseLocation): a SQLite file, or a
    PostgreSQL URL, its masked form for messages, and how to connect to it."""

    @property
    def path(self) -> Path | None: ...

    @property
    def url(self) -> str | None: ...

    @property
    def masked(self) -> str: ...

    def conninfo(self, env: Mapping[str, str]) -> str: ...



T = TypeVar("T")
IN_CHUNK = 400  # values per IN (...) list: SQLite allows 999 parameters in a statement


def in_chunks(values: Iterable[T]) -> Iterator[list[T]]:
    """``values`` without repeats, in lists short enough for one ``IN (...)`` each."""
    unique = list(dict.fromkeys(values))
    for start in range(0, len(unique), IN_CHUNK):
        yield unique[start:start + IN_CHUNK]


class Database:
    """One connection to the book, shared by the query modules and, during a delivery run,
    by its threads (under :attr:`lock`). This class is SQLite's; PostgresDatabase below
    changes how it opens, begins a transaction and names its faults."""

    dialect = "sqlite"

    def __init__(self, connection: Connection, path: Path | None, where: str = "") -> None:
        self.db: Connection = connection
        self.path: Path | None = path  # the SQLite file; None on a database server
        self.where: str = where or str(path)  # how messages name it (a URL is masked)
        # One connection shared by a delivery run's threads: a transaction is theirs alone.
        self.lock: threading.Lock = threading.Lock()

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Database:
        """Open (and, with ``create``, create and migrate) the database at ``path``.

        A fault of the file (full disk, read-only, locked, damaged) is a StorageError
        saying so; only `pressctl init` should pass ``create``."""
        if not path.exists():
            if not create:
                raise ConfigError(
                    f"no contact book at {path}", hint="run `pressctl init` to create it"
                )
            _create_private(path)
        connection = None
        try:
            connection = sqlite3.connect(
                path, timeout=failures.BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {failures.BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            connection.execute("PRAGMA foreign_keys = ON")
            database = cls(connection, path)
            database.migrate()
        except (sqlite3.Error, StorageError) as err:
            if connection is not None:
                connection.close()
            if isinstance(err, StorageError):  # from a migration's transaction
                raise
            translated = storage_error(err, path)
            if translated is not None:
                raise translated from err
            # Readable SQLite, but not a book we can migrate (another program's file, or a
            # newer pressctl's): nothing here is damaged, so nothing is to be moved away.
            raise StorageError(
                f"{path}: not a usable pressctl database ({err}): check --db / PRESSCTL_DB",
                kind=StorageKind.UNUSABLE, cause=str(err),
            ) from err
        return database

    def close(self) -> None:
        """Close once no transaction is open: a delivery run gives up on a connection
        thread still waiting on a dead relay, and that thread may yet be recording its
        results; closing the connection under its statement crashed the process
        (SIGSEGV in sqlite3). A thread that comes later finds the book closed (an error
        of its own, its results already in the in-flight file)."""
        with self.lock:
            self.db.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns their names."""
        self._ddl("CREATE TABLE IF NOT EXISTS schema_migrations "
                  "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)")
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        applied: list[str] = []
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            with self.transaction():
                for statement in filter(str.strip, migration.sql.split(";")):
                    self._ddl(statement)
                if migration.python_step is not None:
                    migration.python_step(self.db, self.dialect)
                self.db.execute("INSERT INTO schema_migrations (name) VALUES (?)",
                                (migration.name,))
            applied.append(migration.name)
        return applied

    def schema_version(self) -> str | None:
        """The name of the last migration applied."""
        row = self.db.execute("SELECT max(name) FROM schema_migrations").fetchone()
        return row[0] if row else None

    def _ddl(self, statement: str) -> None:
        self.db.execute(statement)

    def _begin(self, serialised: bool) -> None:
        self.db.execute("BEGIN IMMEDIATE")  # SQLite has one writer at a time anyway

    @contextmanager
    def transaction(self, *, serialised: bool = True) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Not re-entrant.

        Holds :attr:`lock` throughout, so threads sharing the store (a delivery run's
        connections) never interleave statements in one transaction. A storage fault
        (at BEGIN, in a statement or at COMMIT) leaves as a StorageError naming it.

        ``serialised=False`` (PostgreSQL): this transaction does not wait for the other
        writers' - for statements whose rows no other writer may take at the same time
        (a delivery worker's claims with SKIP LOCKED, and the settling of its own rows)."""
        with self.lock:
            try:
                self._begin(serialised)
            except Exception as err:
                self.raise_storage_error(err)
                raise
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException as err:
                if self.db.in_transaction:  # SQLite may have rolled back by itself (disk full)
                    # A failed ROLLBACK is not reported: the error that brought us here is.
                    with suppress(Exception):
                        self.db.execute("ROLLBACK")
                self.raise_storage_error(err)
                raise

    def raise_storage_error(self, err: BaseException) -> None:
        """Raise the StorageError of a storage fault; return for anything else (a bug, an
        error of the caller's), which the caller re-raises as it is."""
        translated = storage_error(err, self.path) if self.path is not None else None
        if translated is not None:
            raise translated from err


class PostgresDatabase(Database):
    """The book on a PostgreSQL server (pressctl.store.postgres)."""

    dialect = "postgresql"

    def __init__(self, connection: PostgresConnection, where: str, conninfo: str) -> None:
        super().__init__(connection, None, where)
        self.pg = connection
        self._conninfo = conninfo  # for sibling(); never shown (it may hold a password)

    def sibling(self) -> PostgresDatabase:
        """A second connection to the same (migrated) database, for a thread whose
        statements must not wait for this connection's transactions (a delivery worker's
        marks: pressctl.delivery.marks)."""
        return PostgresDatabase(connect(self._conninfo, self.where), self.where,
                                self._conninfo)

    @classmethod
    def connect(cls, conninfo: str, where: str, *, create: bool) -> PostgresDatabase:
        """Connect, then create or migrate the schema (``create``: `pressctl init`; else a
        database without pressctl's schema is refused, as a missing file is)."""
        database = cls(connect(conninfo, where), where, conninfo)
        try:
            if database.pg.migrated(m.name for m in MIGRATIONS):
                return database  # nothing to create or migrate: no lock, no DDL
            database.pg.lock_migrations()  # two first runs cannot both create the schema
            try:
                if not create and not database.pg.has_schema():
                    raise ConfigError(f"no contact book in {where}",
                                      hint="run `pressctl init` to create it")
                database.pg.create_collations()
                database.migrate()
            finally:
                database.pg.unlock_migrations()
        except BaseException as err:
            database.close()
            if not isinstance(err, Exception) or isinstance(err, ConfigError):
                raise
            translated = postgres_storage_error(err, where)
            raise (translated or StorageError(
                f"{where}: not a usable pressctl database ({err}): check --db / PRESSCTL_DB",
                kind=StorageKind.UNUSABLE, cause=str(err))) from err
        return database

    def _ddl(self, statement: str) -> None:
        self.pg.execute_ddl(statement)

    def _begin(self, serialised: bool) -> None:
        self.pg.begin(serialised)

    def raise_storage_error(self, err: BaseException) -> None:
        translated = postgres_storage_error(err, self.where)
        if translated is not None:
            raise translated from err


def open_database(location: Path | Location, *, create: bool,
                  env: Mapping[str, str] | None = None) -> Database:
    """A SQLite file (a Path, or a location naming one) or a PostgreSQL database (a
    location with a URL)."""
    if isinstance(location, Path):
        return Database.open(location, create=create)
    if location.url is None:
        assert location.path is not None  # a location is a file or a URL
        return Database.open(location.path, create=create)
    return PostgresDatabase.connect(location.conninfo(env or {}), location.masked,
                                    create=create)


_CREATE_FAULTS = {errno.ENOSPC: StorageKind.FULL, errno.EDQUOT: StorageKind.FULL,
                  errno.EROFS: StorageKind.READ_ONLY}


def _create_private(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with suppress(FileExistsError):  # another process created it first: fine
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as err:
        kind = _CREATE_FAULTS.get(err.errno or 0)
        if kind is None:
            raise ConfigError(f"{path}: cannot create the database ({err.strerror})") from err
        raise StorageError(f"{path}: cannot create the database ({err.strerror})",
                           kind=kind, cause=err.strerror or str(err)) from err
