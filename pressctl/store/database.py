"""The database itself: opening (and creating) the SQLite file, migrating it, and
transactions. It knows connections, not contacts or mailouts: the SQL of each aggregate is
in its own module beside this one, over the :class:`Database` they share.

One SQLite file, created 0600 (it holds personal data), WAL mode and a busy timeout so
that a cron run and an interactive command can work at the same time. Every change of
several rows runs inside :meth:`Database.transaction`, so a failure leaves the file as it
was.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from pressctl.errors import ConfigError, StorageError, StorageKind
from pressctl.store import failures
from pressctl.store.failures import storage_error
from pressctl.store.migrations import MIGRATIONS


class Database:
    """One connection to the book's file, shared by the query modules and, during a
    delivery run, by its threads (under :attr:`lock`)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.db: sqlite3.Connection = connection
        self.path: Path = path
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
        self.db.close()

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; returns their names."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(name TEXT PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        done = {row[0] for row in self.db.execute("SELECT name FROM schema_migrations")}
        applied: list[str] = []
        for migration in MIGRATIONS:
            if migration.name in done:
                continue
            with self.transaction():
                for statement in filter(str.strip, migration.sql.split(";")):
                    self.db.execute(statement)
                if migration.python_step is not None:
                    migration.python_step(self.db)
                self.db.execute("INSERT INTO schema_migrations (name) VALUES (?)",
                                (migration.name,))
            applied.append(migration.name)
        return applied

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception. Not re-entrant.

        Holds :attr:`lock` throughout, so threads sharing the store (a delivery run's
        connections) never interleave statements in one transaction. A storage fault
        (at BEGIN, in a statement or at COMMIT) leaves as a StorageError naming it."""
        with self.lock:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                self._raise_storage_error(err)
                raise
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException as err:
                if self.db.in_transaction:  # SQLite may have rolled back by itself (disk full)
                    # A failed ROLLBACK is not reported: the error that brought us here is.
                    with suppress(sqlite3.Error):
                        self.db.execute("ROLLBACK")
                self._raise_storage_error(err)
                raise

    def _raise_storage_error(self, err: BaseException) -> None:
        """Raise the StorageError of a storage fault; return for anything else (a bug, an
        error of the caller's), which the caller re-raises as it is."""
        translated = storage_error(err, self.path)
        if translated is not None:
            raise translated from err


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
