"""Whether `outbox run` would find anything to do in a SQLite book, asked with the
standard library alone: the question cron asks every minute (pressctl.cli.idle).

A run (pressctl.delivery.run) does nothing but take and give back the outbox lease
unless one of these holds, and each sends the console script down the full path:

* a row of ``outbox_lease``: a run is delivering (the full path says so with --verbose)
  or died holding it (the next run takes it over and recovers its rows);
* a row in state 'sending': a dead run's row, to settle (pressctl.delivery.recovery);
* a scheduled mailout due by now: rows to send, retries to wait for (the run still
  writes its log line), rows past ``give_up_after`` (only ever rows of a due mailout)
  to fail, a mailout to mark done;
* a book the full path would change by opening it: not in WAL mode, or whose applied
  migrations are not exactly the ones this pressctl knows.

Paused and cancelled mailouts are never due: a run leaves them alone, and so does this.

It reads, never writes: the file is opened read-only (``mode=ro``). As any reader of a
WAL book, SQLite may leave its two side files beside it (an empty ``-wal`` and the
``-shm`` index); the next connection that writes removes them.

It imports nothing of pressctl, so that the console script can load it from its file
without running pressctl.store's ``__init__`` (which imports every query module).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

# The questions, in the order a run would meet them. Each is a few index lookups: the
# lease table holds a row at most per run; mailouts are few; rows are many (300,000 sent
# ones make a 10 ms scan even of the index), so 'sending' ones are looked up in the index
# mailout_rows_queue (mailout_id, state) once per mailout id found in that same index,
# stepping from one id to the next (a skip-scan by hand): every row is seen, whether or
# not its mailout still exists, as the run's own `state = 'sending'` sees them.
_LEASED = "SELECT EXISTS (SELECT 1 FROM outbox_lease)"
_SENDING = (
    "WITH RECURSIVE ids(id) AS (SELECT min(mailout_id) FROM mailout_rows UNION ALL "
    "SELECT (SELECT min(mailout_id) FROM mailout_rows WHERE mailout_id > ids.id) "
    "FROM ids WHERE ids.id IS NOT NULL) "
    "SELECT EXISTS (SELECT 1 FROM ids JOIN mailout_rows r ON r.mailout_id = ids.id "
    "AND r.state = 'sending')")
_DUE = ("SELECT EXISTS (SELECT 1 FROM mailouts WHERE state = 'scheduled' "
        "AND due_at <= ?)")
_MIGRATIONS = "SELECT name FROM schema_migrations"


def read_only_uri(path: str) -> str:
    """The ``file:`` URI that opens ``path`` (absolute) read-only: the characters a URI
    gives a meaning to are escaped (%, ? and #)."""
    escaped = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return f"file:{escaped}?mode=ro"


def pending_work(path: str, now: str, migrations: Collection[str], *,
                 timeout: float = 1.0) -> str | None:
    """None when a run started at ``now`` (UTC, as the store writes times:
    "2026-11-22T09:30:00Z") would find nothing to do in the SQLite book at ``path``
    (absolute), whose schema should hold exactly ``migrations``; otherwise why a run has
    work, or why this cannot tell (then the full path decides)."""
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=timeout,
                                     isolation_level=None)
    except (sqlite3.Error, ValueError) as err:  # ValueError: a NUL in the path
        return f"cannot open the book read-only ({err})"
    try:
        return _ask(connection, now, set(migrations))
    except sqlite3.Error as err:  # not a book, damaged, locked: the full path names it
        return f"cannot read the book ({err})"
    finally:
        connection.close()


def _ask(connection: sqlite3.Connection, now: str, migrations: set[str]) -> str | None:
    mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":  # the full path would switch it to WAL: a write
        return f"the book is in {mode} mode, not WAL"
    connection.execute("BEGIN")  # one snapshot for all the questions
    try:
        applied = {row[0] for row in connection.execute(_MIGRATIONS)}
        if applied != migrations:
            return "the book's migrations are not this pressctl's"
        if connection.execute(_LEASED).fetchone()[0]:
            return "a run holds the outbox lease, or died holding it"
        if connection.execute(_SENDING).fetchone()[0]:
            return "rows are in flight (a dead run's, to recover)"
        if connection.execute(_DUE, (now,)).fetchone()[0]:
            return "a scheduled mailout is due"
        return None
    finally:
        connection.execute("COMMIT")
