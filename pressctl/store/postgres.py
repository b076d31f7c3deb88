"""A team's book on a PostgreSQL server, through psycopg 3 (the `postgres` extra).

psycopg is imported here and only here, when a PostgreSQL URL is opened: SQLite users pay
nothing for it at start-up. :class:`PostgresConnection` gives the query modules the same
small interface as sqlite3's connection (``execute``, ``executemany``,
``in_transaction``), rewriting each statement once through pressctl.store.dialect.

Writes are serialised as SQLite serialises them: every transaction first takes one
transaction-level advisory lock, so the read-then-write steps of the store (the next
contact id, a claim of rows) keep the meaning they have on SQLite. Migrations run under
a session-level advisory lock, so that two first runs against an empty database cannot
both create the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pressctl.errors import ConfigError, StorageError, StorageKind
from pressctl.store.dialect import postgres_ddl, postgres_query

if TYPE_CHECKING:
    import psycopg

INSTALL_HINT = "install the PostgreSQL driver: pip install 'pressctl[postgres]'"
# Two numbers in pg_advisory_*lock's (int, int) space: "pressctl", then what is locked.
_LOCKS = 0x70726573
WRITE_LOCK = 1
MIGRATION_LOCK = 2
# Case-insensitive comparisons (SQLite's COLLATE NOCASE), ICU's level-2 strength: case
# is ignored, accents are not.
NOCASE = ("CREATE COLLATION IF NOT EXISTS nocase "
          "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)")


class PostgresConnection:
    """sqlite3.Connection's interface over one psycopg connection in autocommit mode
    (transactions are explicit, as with sqlite3's ``isolation_level=None``)."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.raw = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        if not params:  # no placeholders: the text goes as it is (a % stays a %)
            return self.raw.execute(postgres_query(sql).replace("%%", "%"))
        return self.raw.execute(postgres_query(sql), tuple(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        rows = [tuple(row) for row in rows]
        if rows:
            cursor.executemany(postgres_query(sql), rows)
        return cursor

    def execute_ddl(self, sql: str) -> None:
        self.raw.execute(postgres_ddl(sql).replace("%", "%%"))

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def begin(self, serialised: bool = True) -> None:
        self.raw.execute("BEGIN")
        if serialised:
            self.raw.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCKS, WRITE_LOCK))

    def lock_migrations(self) -> None:
        """Taken before anything changes the schema: the collation below, then the
        migrations (two first runs at once would both create them)."""
        self.raw.execute("SELECT pg_advisory_lock(%s, %s)", (_LOCKS, MIGRATION_LOCK))

    def create_collations(self) -> None:
        """The collation, when it is missing (under the migration lock): CREATE COLLATION
        IF NOT EXISTS still takes ~5 ms of catalog work, and needs the right to create."""
        if not self.has_collations():
            self.raw.execute(NOCASE)

    def has_collations(self) -> bool:
        row = self.raw.execute("SELECT to_regcollation('nocase') IS NOT NULL").fetchone()
        return bool(row and row[0])

    def migrated(self, names: Iterable[str]) -> bool:
        """Whether the schema, its collation and every migration of ``names`` are there:
        then opening the book changes nothing, and needs no lock and no DDL (two reads,
        where the migration path takes seven statements)."""
        row = self.raw.execute("SELECT to_regclass('schema_migrations') IS NOT NULL "
                               "AND to_regcollation('nocase') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return False
        done = {found for (found,) in self.raw.execute("SELECT name FROM schema_migrations")}
        return all(name in done for name in names)

    def unlock_migrations(self) -> None:
        self.raw.execute("SELECT pg_advisory_unlock(%s, %s)", (_LOCKS, MIGRATION_LOCK))

    def has_schema(self) -> bool:
        row = self.raw.execute("SELECT to_regclass('schema_migrations')").fetchone()
        return row is not None and row[0] is not None

    def close(self) -> None:
        self.raw.close()


def connect(conninfo: str, where: str) -> PostgresConnection:
    """Connect (libpq reads PG* variables, .pgpass and sslmode itself). ``where`` is the
    masked URL: the only form of it that may appear in a message."""
    try:
        import psycopg
    except ImportError:
        raise ConfigError(f"{where}: PostgreSQL needs the psycopg driver, which is not "
                          "installed", hint=INSTALL_HINT) from None
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=10,
                                     application_name="pressctl")
    except psycopg.OperationalError as err:
        raise ConfigError(f"{where}: cannot connect ({_first_line(err)})",
                          hint="check the URL, that the server runs, and the password "
                               "(PGPASSWORD, ~/.pgpass or [database] password_env)") from None
    return PostgresConnection(connection)


def storage_error(err: BaseException, where: str) -> StorageError | None:
    """The StorageError of a server-side fault (connection lost, disk full, read-only
    server), or None for anything else, which the caller re-raises."""
    try:
        import psycopg
        from psycopg import errors
    except ImportError:  # pragma: no cover - we got here through psycopg
        return None
    if isinstance(err, errors.DiskFull):
        return StorageError(f"{where}: the database server is out of space "
                            f"({_first_line(err)}): the failed change was not written",
                            kind=StorageKind.FULL, cause=_first_line(err))
    if isinstance(err, errors.ReadOnlySqlTransaction):
        return StorageError(f"{where}: the database server accepts no writes (a read-only "
                            f"replica?): the failed change was not written",
                            kind=StorageKind.READ_ONLY, cause=_first_line(err))
    if isinstance(err, psycopg.OperationalError):
        return StorageError(f"{where}: the connection to the database server failed "
                            f"({_first_line(err)}): the failed change was not written; "
                            "run the command again", kind=StorageKind.IO,
                            cause=_first_line(err))
    return None


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]
