"""The SQL of a whole book: its tables, their counts and checksum, copying every row to
another database, and the online backup of a SQLite file.

Tables are read from the database's own catalogue (sqlite_master and PRAGMAs on SQLite,
information_schema on PostgreSQL), not listed here: a table a later migration adds (a
history, an audit trail) is counted, checksummed and copied without a change here. Two
tables are never copied (:data:`NOT_COPIED`): ``schema_migrations`` (each side has its
own, and they must be equal), and the state of the delivery workers running on the
source, which means nothing elsewhere: ``outbox_lease`` (a lease belongs to a running
worker; the target's first run takes its own) and ``outbox_rate`` (the next free send
slot, on the source server's clock). A table of running workers added later belongs
there too. The search index (pressctl.store.search) is not copied either: its FTS5 tables
and its queue of changes are derived from the contacts, and the target's triggers build
its own as they go in.

The checksum of a table is the sha256 of its rows' own sha256 digests, sorted: the order
the two engines return rows in (their collations differ) does not matter, and every
table has a primary key, so no two rows are alike. A row is hashed from its values in
one column order (the source's, selected by name on both sides), each normalised: an
int is an int on both engines, bytes, bytearray and memoryview are bytes, None is None.
The book's checksum is the sha256 of "table, rows, table checksum" lines in table name
order.

A copy reads the source inside one read-only snapshot and writes the target inside one
transaction (Database.transaction: BEGIN IMMEDIATE, or BEGIN and the write lock on
PostgreSQL), parents before children (by foreign keys), each table's rows in primary
key order, ids as they are. Each table is read back from the target and compared with
the source before the next: a difference, or any failure, rolls the whole copy back.
On PostgreSQL the identity sequences are then set to the largest id copied, so that the
next row inserted gets a fresh id.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pressctl.errors import ConfigError, InvalidInput, PressctlError, StorageError, StorageKind
from pressctl.store.database import Database, Location, PostgresDatabase
from pressctl.store.dialect import POSTGRES
from pressctl.store.postgres import connect
from pressctl.store.search import QUEUE as SEARCH_QUEUE

NOT_COPIED = frozenset({"schema_migrations", "outbox_lease", "outbox_rate"})
DERIVED = frozenset({SEARCH_QUEUE})  # the search index's own: the target makes its own
BATCH = 1000  # rows read and written at a time: memory stays flat on big books


# --- what a book holds -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableSum:
    """One table: how many rows, and the checksum of their contents (hex sha256)."""

    name: str
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BookSum:
    """Every copied table of a book, in table name order, and the book's checksum."""

    tables: tuple[TableSum, ...]

    @property
    def checksum(self) -> str:
        digest = hashlib.sha256()
        for table in sorted(self.tables, key=lambda t: t.name):
            digest.update(f"{table.name}\t{table.rows}\t{table.sha256}\n".encode())
        return digest.hexdigest()

    @property
    def rows(self) -> dict[str, int]:
        return {t.name: t.rows for t in sorted(self.tables, key=lambda t: t.name)}


@dataclass(frozen=True, slots=True)
class BookCounts:
    """What `db status` counts. ``queued``: rows waiting in scheduled or paused mailouts;
    ``sending``: rows a delivery worker has claimed and not yet settled."""

    contacts: int
    organizations: int
    audiences: int
    mailouts: int
    queued: int
    sending: int


def counts(database: Database) -> BookCounts:
    row = database.db.execute(
        "SELECT (SELECT count(*) FROM contacts), (SELECT count(*) FROM organizations), "
        "(SELECT count(*) FROM audiences), (SELECT count(*) FROM mailouts), "
        "(SELECT count(*) FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id "
        " WHERE r.state = 'queued' AND m.state IN ('scheduled', 'paused')), "
        "(SELECT count(*) FROM mailout_rows WHERE state = 'sending')").fetchone()
    return BookCounts(*(int(n) for n in row))


def server_size(database: Database) -> int | None:
    """The size of a PostgreSQL database on its server, in bytes (None on SQLite: its
    file says it)."""
    if database.dialect != POSTGRES:
        return None
    return int(database.db.execute(
        "SELECT pg_database_size(current_database())").fetchone()[0])


def schema_names(database: Database) -> list[str]:
    """The migrations applied, by name."""
    return sorted(r[0] for r in database.db.execute("SELECT name FROM schema_migrations"))


def book_tables(database: Database) -> list[str]:
    """The tables a copy carries, parents before children (by their foreign keys), then
    by name."""
    names = set(_all_tables(database)) - NOT_COPIED - DERIVED
    parents: dict[str, set[str]] = {name: set() for name in names}
    for child, parent in _foreign_keys(database):
        if child in names and parent in names and child != parent:
            parents[child].add(parent)
    ordered: list[str] = []
    while parents:
        ready = sorted(n for n, before in parents.items() if not before - set(ordered))
        if not ready:  # a cycle between tables: no order inserts them all (not in ours)
            ready = sorted(parents)
        ordered += ready
        for name in ready:
            del parents[name]
    return ordered


def table_rows(database: Database, table: str) -> int:
    return int(database.db.execute(f"SELECT count(*) FROM {_quote(table)}").fetchone()[0])


def checksum(database: Database) -> BookSum:
    """Counts and checksums of every copied table, read in one consistent snapshot."""
    with read_snapshot(database):
        sums = []
        for table in book_tables(database):
            columns = table_columns(database, table)
            key = primary_key(database, table) or columns
            sums.append(_summed(table, _read(database, table, columns, key), _nothing))
        return BookSum(tuple(sums))


def file_checksum(path: Path) -> BookSum:
    """The checksum of the SQLite book in ``path``, read without changing the file (a
    backup is checked this way, and keeps its journal mode)."""
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        return checksum(Database(connection, path))
    finally:
        connection.close()


# --- copying -----------------------------------------------------------------------------


def copy_book(source: Database, target: Database) -> BookSum:
    """Copy every row of ``source`` into ``target``, an empty book at the same schema
    version, all or nothing (see the module's docstring). Raises InvalidInput when the
    target holds rows (nothing changed), ConfigError when the two schemas differ, and
    StorageError naming the table when a table fails to copy or differs once copied."""
    with read_snapshot(source), target.transaction():
        _same_schema(source, target)
        tables = book_tables(source)
        held = {t: n for t in tables if (n := table_rows(target, t))}
        if held:
            raise InvalidInput(
                f"{target.where} is not an empty book: it holds "
                + ", ".join(f"{n} {t}" for t, n in held.items() if n),
                hint="copy into a new database (createdb) or a new file; nothing was changed")
        sums = []
        for table in tables:
            columns = table_columns(source, table)
            key = primary_key(source, table) or columns
            written = _copy_table(source, target, table, columns, key)
            found = _summed(table, _read(target, table, columns, key), _nothing)
            if found != written:
                raise StorageError(
                    f"{target.where}: table {table} differs from the source once copied "
                    f"({written.rows} rows, sha256 {written.sha256[:12]} in the source; "
                    f"{found.rows} rows, sha256 {found.sha256[:12]} in the target): the copy "
                    "was rolled back, nothing was changed", kind=StorageKind.UNUSABLE,
                    cause=f"table {table} differs")
            sums.append(written)
        if target.dialect == POSTGRES:
            _reset_sequences(target, tables)
    return BookSum(tuple(sums))


def insert_rows(target: Database, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]]) -> None:
    """Write one batch of a table's rows, ids as they are."""
    names = ", ".join(_quote(c) for c in columns)
    marks = ", ".join("?" * len(columns))
    target.db.executemany(f"INSERT INTO {_quote(table)} ({names}) VALUES ({marks})", rows)


def _copy_table(source: Database, target: Database, table: str, columns: list[str],
                key: list[str]) -> TableSum:
    def write(batch: list[Sequence[Any]]) -> None:
        try:
            insert_rows(target, table, columns, batch)
        except PressctlError:
            raise
        except Exception as err:
            first = (str(err).strip().splitlines() or [type(err).__name__])[0]
            raise StorageError(
                f"{target.where}: copying table {table} failed ({first}): the copy was "
                "rolled back, nothing was changed", kind=StorageKind.UNUSABLE,
                cause=first) from err

    return _summed(table, _read(source, table, columns, key), write)


def _same_schema(source: Database, target: Database) -> None:
    mine, theirs = schema_names(source), schema_names(target)
    if mine != theirs:
        raise ConfigError(
            f"{source.where} is at schema version {mine[-1] if mine else 'none'} and "
            f"{target.where} at {theirs[-1] if theirs else 'none'}: a copy needs both at "
            "the same version", hint="open both with the same pressctl (the newer one "
                                     "migrates an older book when it opens it)")
    for table in book_tables(source):
        if set(table_columns(source, table)) != set(table_columns(target, table)):
            raise ConfigError(f"{source.where} and {target.where} have different columns in "
                              f"table {table} at the same schema version",
                              hint="was one of them changed by hand?")
    missing = set(book_tables(target)) - set(book_tables(source))
    if missing:
        raise ConfigError(f"{target.where} has tables {', '.join(sorted(missing))} that "
                          f"{source.where} has not", hint="was one of them changed by hand?")


def _reset_sequences(target: Database, tables: Sequence[str]) -> None:
    """The next id of each identity column: one past the largest copied."""
    for table, column in target.db.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall():
        if table not in tables:
            continue
        target.db.execute(
            f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max({_quote(column)}), 1), "
            f"max({_quote(column)}) IS NOT NULL) FROM {_quote(table)}",
            (_quote(table), column))


# --- reading and hashing -----------------------------------------------------------------


@contextmanager
def read_snapshot(database: Database) -> Iterator[None]:
    """One consistent view of the book for reading, without blocking its writers: a
    deferred transaction on SQLite (WAL), REPEATABLE READ on PostgreSQL."""
    with database.lock:
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" \
            if database.dialect == POSTGRES else "BEGIN"
        try:
            database.db.execute(begin)
        except Exception as err:
            database.raise_storage_error(err)
            raise
        try:
            yield
        finally:
            with suppress(Exception):
                database.db.execute("ROLLBACK")


def _read(database: Database, table: str, columns: Sequence[str],
          key: Sequence[str]) -> Generator[list[Sequence[Any]], None, None]:
    """The rows of ``table`` in primary key order, BATCH at a time (a server-side cursor
    on PostgreSQL, so that a big table is never held whole)."""
    sql = (f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table)} "
           f"ORDER BY {', '.join(_quote(c) for c in key)}")
    try:
        if isinstance(database, PostgresDatabase):
            with database.pg.raw.cursor(name=f"pressctl_read_{table}") as cursor:
                cursor.itersize = BATCH
                cursor.execute(sql)
                while batch := cursor.fetchmany(BATCH):
                    yield batch
            return
        cursor = database.db.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    except Exception as err:  # a fault of this database (not of the one written to)
        database.raise_storage_error(err)
        raise


def _summed(table: str, batches: Generator[list[Sequence[Any]], None, None],
            each: Callable[[list[Sequence[Any]]], None]) -> TableSum:
    """Count and checksum the rows ``batches`` gives, handing each batch to ``each``."""
    digests: list[bytes] = []
    with closing(batches):  # its cursor is closed now, inside the transaction, on failure too
        for batch in batches:
            digests += (row_digest(row) for row in batch)
            each(batch)
    digests.sort()
    total = hashlib.sha256()
    for digest in digests:
        total.update(digest)
    return TableSum(table, len(digests), total.hexdigest())


def _nothing(batch: list[Sequence[Any]]) -> None:
    """What a checksum alone does with a batch once hashed."""


def row_digest(row: Sequence[Any]) -> bytes:
    """The sha256 of one row's values, normalised so that both engines give the same."""
    digest = hashlib.sha256()
    for value in row:
        tag, data = _normalised(value)
        digest.update(tag + str(len(data)).encode() + b":" + data)
    return digest.digest()


def _normalised(value: Any) -> tuple[bytes, bytes]:
    if value is None:
        return b"N", b""
    if isinstance(value, bool | int):
        return b"I", str(int(value)).encode()
    if isinstance(value, str):
        return b"S", value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        return b"B", bytes(value)
    if isinstance(value, float):
        return b"F", repr(value).encode()
    return b"?", f"{type(value).__name__}:{value}".encode()


# --- the catalogue -----------------------------------------------------------------------


def _all_tables(database: Database) -> list[str]:
    if database.dialect == POSTGRES:
        sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
               "current_schema() AND table_type = 'BASE TABLE'")
    else:
        # Plain tables only: a virtual table (the search index) and its shadow tables are
        # derived, and the target's triggers build its own as the rows go in.
        sql = "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = " \
              "'table' AND substr(name, 1, 7) <> 'sqlite_'"
    return sorted(r[0] for r in database.db.execute(sql).fetchall())


def table_columns(database: Database, table: str) -> list[str]:
    if database.dialect == POSTGRES:
        return [r[0] for r in database.db.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = ? ORDER BY ordinal_position", (table,))]
    return [r[1] for r in database.db.execute(f"PRAGMA table_info({_quote(table)})")]


def primary_key(database: Database, table: str) -> list[str]:
    if database.dialect == POSTGRES:
        return [r[0] for r in database.db.execute(
            "SELECT k.column_name FROM information_schema.table_constraints t "
            "JOIN information_schema.key_column_usage k ON k.constraint_name = "
            "t.constraint_name AND k.table_schema = t.table_schema AND k.table_name = "
            "t.table_name WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = "
            "current_schema() AND t.table_name = ? ORDER BY k.ordinal_position", (table,))]
    found = [(r[5], r[1]) for r in database.db.execute(f"PRAGMA table_info({_quote(table)})")
             if r[5]]
    return [name for _, name in sorted(found)]


def _foreign_keys(database: Database) -> list[tuple[str, str]]:
    """(child table, parent table) of every foreign key."""
    if database.dialect == POSTGRES:
        return [(r[0], r[1]) for r in database.db.execute(
            "SELECT c.relname, p.relname FROM pg_constraint f "
            "JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class p ON p.oid = f.confrelid "
            "WHERE f.contype = 'f' AND f.connamespace = current_schema()::regnamespace")]
    found = []
    for table in _all_tables(database):
        found += [(table, r[2]) for r in database.db.execute(
            f"PRAGMA foreign_key_list({_quote(table)})")]
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class TargetState:
    """What a copy's target holds before the copy: a pressctl book (``book``), other
    tables only (``other_tables``: a copy must not spread a book among another program's
    tables), or nothing yet (neither)."""

    book: bool
    other_tables: list[str]


def inspect_target(location: Location, env: Mapping[str, str]) -> TargetState:
    """Look at a copy's target without changing it. A file that does not exist, or that
    is not SQLite, is left for the store's own open to create or to refuse."""
    if location.url is not None:
        connection = connect(location.conninfo(env), location.masked)
        try:
            names = [r[0] for r in connection.raw.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema()").fetchall()]
        finally:
            connection.close()
    else:
        assert location.path is not None
        if not location.path.is_file() or location.path.stat().st_size == 0:
            return TargetState(False, [])
        try:
            reader = sqlite3.connect(f"{location.path.as_uri()}?mode=ro", uri=True)
            try:
                names = [r[0] for r in reader.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
            finally:
                reader.close()
        except sqlite3.Error:
            return TargetState(False, [])
    if "schema_migrations" in names:
        return TargetState(True, [])
    return TargetState(False, sorted(names))


# --- the online backup of a SQLite file --------------------------------------------------


def backup_sqlite(database: Database, destination: Path, *, overwrite: bool) -> None:
    """Copy the SQLite book into ``destination`` with SQLite's online backup API: one
    consistent copy while other connections keep writing (WAL). Written to a private
    (0600) temporary file beside it, checked (PRAGMA quick_check), then moved into place:
    an existing file is replaced only with ``overwrite``, else refused (exit 3)."""
    connection = database.db
    if not isinstance(connection, sqlite3.Connection):
        raise ConfigError(f"{database.where}: only a SQLite book has a file to back up")
    try:
        handle, name = tempfile.mkstemp(dir=destination.parent,
                                        prefix=f".{destination.name}.", suffix=".part")
    except OSError as err:
        raise _file_error(destination, err) from err
    temporary = Path(name)
    try:
        os.close(handle)
        copy = sqlite3.connect(temporary)
        try:
            with database.lock:
                connection.backup(copy)
            verdict = copy.execute("PRAGMA quick_check").fetchone()[0]
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        if verdict != "ok":
            raise StorageError(f"{destination}: the backup does not check out ({verdict}): "
                               "nothing was written", kind=StorageKind.DAMAGED, cause=verdict)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        if overwrite:
            os.replace(temporary, destination)
        else:
            try:
                os.link(temporary, destination)  # fails if the file appeared meanwhile
            except FileExistsError:
                raise InvalidInput(f"{destination} already exists: nothing was written",
                                   hint="choose another name, or --force to replace it") \
                    from None
            except OSError as err:
                if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                    raise
                if destination.exists():
                    raise InvalidInput(f"{destination} already exists: nothing was written",
                                       hint="choose another name, or --force to replace it") \
                        from None
                os.replace(temporary, destination)
        _sync_folder(destination.parent)
    except sqlite3.Error as err:
        raise StorageError(f"{destination}: the backup failed ({err}): nothing was written",
                           kind=StorageKind.IO, cause=str(err)) from err
    except OSError as err:
        raise _file_error(destination, err) from err
    finally:
        for leftover in (temporary, Path(f"{temporary}-journal"), Path(f"{temporary}-wal")):
            with suppress(FileNotFoundError):
                leftover.unlink()


def _file_error(destination: Path, err: OSError) -> PressctlError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"{destination}: no space left for the backup: nothing was "
                            "written", kind=StorageKind.FULL, cause=err.strerror or str(err))
    return InvalidInput(f"{destination}: cannot write the backup ({err.strerror or err}): "
                        "nothing was written",
                        hint="name a file in a folder that exists and you may write to")


def _sync_folder(folder: Path) -> None:
    with suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
