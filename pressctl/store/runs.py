"""The SQL of a delivery run: the outbox lease, claiming and settling one row at a time,
recovering what a dead run left, and giving up on rows that are too old.

The lease is a row of ``outbox_lease`` (one per database): the run that holds it is the
only one that claims rows, so any row still 'sending' under another run's id was left by
a run that died. Everything here runs inside :meth:`Store.transaction`, except the
single-statement writes of :func:`autocommit` below.

On PostgreSQL several runs (workers) share the queue, each under a lease of its own:
:meth:`RunQueries.claim_next` claims with ``FOR UPDATE SKIP LOCKED`` (two workers never
take one row, nor wait on each other's rows); a worker marks a row ``transmitting_at``
just before its final dot and settles it soon after the relay answered
(:meth:`RunQueries.mark_and_settle`, pressctl.delivery.marks), so that whoever recovers a
dead worker's rows sees in the database what its in-flight file would say.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from pressctl.outbox.states import RowState
from pressctl.store.database import Database
from pressctl.store.mailouts import ROW_COLUMNS, RowRecord


class StaleClaim(Exception):
    """A worker was about to transmit a row it no longer holds (internal to delivery)."""


class Settlement(NamedTuple):
    """What becomes of one claimed row: its new state, and whether an attempt is charged
    (not for a row given back untried). A tuple: one is made per message, and a frozen
    dataclass took three times as long to make."""

    row_id: int
    state: RowState
    next_attempt_at: str | None
    reply: str | None
    at: str
    charged: bool


def autocommit(database: Database, sql: str, params: Sequence[Any] = ()) -> Any:
    """One statement outside any transaction (its own, on either engine), under the
    connection's lock so that no thread's transaction is open on it meanwhile. Returns
    the first row, or the row count when the statement returns none."""
    with database.lock:
        try:
            cursor = database.db.execute(sql, params)
            row = cursor.fetchone() if cursor.description else None
        except Exception as err:
            database.raise_storage_error(err)
            raise
        return row if row is not None else cursor.rowcount


_SETTLE = ("UPDATE mailout_rows SET state = ?, next_attempt_at = ?, reply = coalesce(?, reply), "
           "updated = ?, attempts = attempts + ?, "
           "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, claimed_by = NULL, "
           "transmitting_at = NULL "
           "WHERE id = ? AND claimed_by = ? AND state IN ('sending', 'unknown')")


# The PostgreSQL statement of RunQueries.mark_and_settle: arrays, so that its text (and
# the server's plan) is the same whatever the number of rows.
_MARK_AND_SETTLE = (
    "WITH s AS (SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], "
    "?::text[], ?::int[]) AS s(id, state, next_at, reply, at, charged)), "
    "settled AS (UPDATE mailout_rows r SET state = s.state, next_attempt_at = s.next_at, "
    "reply = coalesce(s.reply, r.reply), updated = s.at, attempts = r.attempts + s.charged, "
    "sent_at = CASE WHEN s.state = 'sent' THEN s.at ELSE r.sent_at END, claimed_by = NULL, "
    "transmitting_at = NULL FROM s WHERE r.id = s.id AND r.claimed_by = ? "
    "AND r.state IN ('sending', 'unknown') RETURNING r.id), "
    "marked AS (UPDATE mailout_rows SET transmitting_at = ? WHERE id = ANY(?::bigint[]) "
    "AND claimed_by = ? AND state = 'sending' RETURNING id) "
    "SELECT array_agg(id), (SELECT count(*) FROM settled) FROM marked")


# _SETTLE for several rows given the same result at once (one statement, not one a row).
_SETTLE_SAME = ("UPDATE mailout_rows SET state = ?, next_attempt_at = ?, "
                "reply = coalesce(?, reply), updated = ?, attempts = attempts + ?, "
                "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, claimed_by = NULL, "
                "transmitting_at = NULL "
                "WHERE id IN ({marks}) AND claimed_by = ? AND state IN ('sending', 'unknown')")
SETTLE_CHUNK = 500  # rows per statement of _SETTLE_SAME


def _settle_params(run_id: str, s: Settlement) -> tuple[Any, ...]:
    return (s.state, s.next_attempt_at, s.reply, s.at, int(s.charged), s.state, s.at,
            s.row_id, run_id)


class RunQueries:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    def claimed_rows(self) -> dict[str | None, list[int]]:
        """Rows in state 'sending', by the run that claimed them."""
        found: dict[str | None, list[int]] = defaultdict(list)
        for row_id, run in self.db.execute(
                "SELECT id, claimed_by FROM mailout_rows WHERE state = 'sending'"):
            found[run].append(row_id)
        return dict(found)

    def mark_unknown(self, row_ids: Iterable[int], reply: str, now: str) -> int:
        """Rows whose message went out completely but whose reply was never recorded (an
        attempt). ``claimed_by`` is kept: the run itself may still record the reply."""
        row_ids = list(row_ids)
        if not row_ids:
            return 0
        return self.db.executemany(
            "UPDATE mailout_rows SET state = 'unknown', reply = ?, updated = ?, "
            "attempts = attempts + 1 WHERE id = ? AND state = 'sending'",
            [(reply, now, row_id) for row_id in row_ids]).rowcount

    def requeue(self, row_ids: Iterable[int], now: str) -> int:
        """Rows claimed but never transmitted: back in the queue, no attempt charged."""
        row_ids = list(row_ids)
        if not row_ids:
            return 0
        return self.db.executemany(
            "UPDATE mailout_rows SET state = 'queued', claimed_by = NULL, updated = ?, "
            "transmitting_at = NULL WHERE id = ? AND state = 'sending'",
            [(now, row_id) for row_id in row_ids]).rowcount

    def give_up(self, due_before: str, reason: str, now: str) -> list[RowRecord]:
        """Queued rows of scheduled mailouts due before ``due_before`` fail, with
        ``reason`` before their last reply. Returns them as they were."""
        rows = [RowRecord(*r) for r in self.db.execute(
            f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE state = 'queued' AND mailout_id IN "
            "(SELECT id FROM mailouts WHERE state = 'scheduled' AND due_at < ?)",
            (due_before,))]
        self.db.executemany(
            "UPDATE mailout_rows SET state = 'failed', next_attempt_at = NULL, updated = ?, "
            "reply = ? || coalesce(' (last: ' || reply || ')', '') "
            "WHERE id = ? AND state = 'queued'",
            [(now, reason, row.id) for row in rows])
        return rows

    # -- the queue ---------------------------------------------------------------------

    def queued_ids(self, mailout_id: int, after_id: int, now: str, limit: int) -> list[int]:
        """The next due queued rows of a mailout after ``after_id``, in id order (the
        index on (mailout_id, state) keeps this cheap on 100,000-row mailouts)."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM mailout_rows WHERE mailout_id = ? AND state = 'queued' AND id > ? "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            (mailout_id, after_id, now, limit))]

    def claim_rows(self, row_ids: list[int], run_id: str, now: str) -> list[RowRecord]:
        """Take these rows for this run, those still queued, due, and of a mailout still
        scheduled (not paused or cancelled meanwhile); returns those taken, in id order:
        only the rows this statement took (RETURNING), never one that the same run id
        already held - the sender processes of one run (pressctl.delivery.processes)
        claim under one id, and each must get only its own."""
        if not row_ids:
            return []
        marks = ",".join("?" * len(row_ids))
        taken = self.db.execute(
            "UPDATE mailout_rows SET state = 'sending', claimed_by = ?, updated = ? "
            f"WHERE id IN ({marks}) AND state = 'queued' AND (next_attempt_at IS NULL OR "
            "next_attempt_at <= ?) AND mailout_id IN "
            f"(SELECT id FROM mailouts WHERE state = 'scheduled') RETURNING {ROW_COLUMNS}",
            (run_id, now, *row_ids, now)).fetchall()
        return sorted((RowRecord(*r) for r in taken), key=lambda row: row.id)

    def halted_mailouts(self, mailout_ids: Iterable[int]) -> set[int]:
        """Of these mailouts, those no longer scheduled (paused or cancelled meanwhile)."""
        ids = list(mailout_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        return {r[0] for r in self.db.execute(
            f"SELECT id FROM mailouts WHERE id IN ({marks}) AND state != 'scheduled'", ids)}

    def settle_rows(self, run_id: str, settlements: Iterable[Settlement]) -> None:
        """Record attempts' results (or, uncharged, give rows back untried). Only the run
        that claimed a row may settle it; a row its own run's recovery marked 'unknown'
        may still get its real result. Rows given the same result (a batch sent within
        one second, with the same reply) are settled by one statement: the same updates,
        a third of the database's work."""
        settlements = list(settlements)
        same: dict[tuple[Any, ...], list[int]] = {}
        for s in settlements:
            same.setdefault((s.state, s.next_attempt_at, s.reply, s.at, s.charged),
                            []).append(s.row_id)
        if len(same) * 4 > len(settlements) or \
                sum(map(len, same.values())) != len({s.row_id for s in settlements}):
            # mostly different results, or a row twice (settled in order): one by one
            self.db.executemany(_SETTLE, [_settle_params(run_id, s) for s in settlements])
            return
        for (state, next_at, reply, at, charged), ids in same.items():
            for start in range(0, len(ids), SETTLE_CHUNK):
                chunk = ids[start:start + SETTLE_CHUNK]
                self.db.execute(_SETTLE_SAME.format(marks=",".join("?" * len(chunk))),
                                (state, next_at, reply, at, int(charged), state, at, *chunk,
                                 run_id))

    # -- several workers (PostgreSQL) ----------------------------------------------------

    def claim_next(self, mailout_id: int, after_id: int, run_id: str, now: str,
                   limit: int) -> list[RowRecord]:
        """Inside a transaction, on PostgreSQL: take up to ``limit`` due queued rows of a
        still scheduled mailout after ``after_id``, skipping rows another worker is
        claiming at this moment (FOR UPDATE SKIP LOCKED); returns them in id order."""
        columns = ", ".join(f"r.{c.strip()}" for c in ROW_COLUMNS.split(","))
        found = self.db.execute(
            "UPDATE mailout_rows r SET state = 'sending', claimed_by = ?, updated = ?, "
            "transmitting_at = NULL WHERE r.id IN (SELECT q.id FROM mailout_rows q "
            "WHERE q.mailout_id = ? AND q.state = 'queued' AND q.id > ? "
            "AND (q.next_attempt_at IS NULL OR q.next_attempt_at <= ?) "
            "AND q.mailout_id IN (SELECT id FROM mailouts WHERE state = 'scheduled') "
            "ORDER BY q.id LIMIT ? FOR UPDATE SKIP LOCKED) "
            f"RETURNING {columns}",
            (run_id, now, mailout_id, after_id, now, limit)).fetchall()
        return sorted((RowRecord(*r) for r in found), key=lambda row: row.id)

    def due_count(self, mailout_id: int, now: str) -> int:
        """How many due queued rows a mailout has."""
        return int(self.db.execute(
            "SELECT count(*) FROM mailout_rows WHERE mailout_id = ? AND state = 'queued' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?)",
            (mailout_id, now)).fetchone()[0])

    def mark_and_settle(self, run_id: str, row_ids: list[int],
                        settlements: list[Settlement], now: str) -> set[int]:
        """On PostgreSQL, one statement (one round trip, its own transaction, not
        serialised with the other workers' writes): record these results and mark these
        rows as about to be transmitted (their final dot goes out once this returns).
        Returns the rows marked: a row no longer claimed by this run (its lease was taken
        as dead) is not, and must not go. The two sets of rows never meet: a row is
        settled after its mark."""
        row = autocommit(self.database, _MARK_AND_SETTLE, (
            [s.row_id for s in settlements], [str(s.state) for s in settlements],
            [s.next_attempt_at for s in settlements], [s.reply for s in settlements],
            [s.at for s in settlements], [int(s.charged) for s in settlements],
            run_id, now, list(row_ids), run_id))
        return set(row[0] or []) if isinstance(row, tuple) else set()

    def mailouts_of(self, row_ids: Iterable[int]) -> set[int]:
        """The mailouts these rows belong to."""
        ids = list(row_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        return {r[0] for r in self.db.execute(
            f"SELECT DISTINCT mailout_id FROM mailout_rows WHERE id IN ({marks})", ids)}

    def transmitting(self, row_ids: Iterable[int]) -> set[int]:
        """Of these rows, those marked as about to be (or being) transmitted."""
        ids = list(row_ids)
        marks = ",".join("?" * len(ids)) or "NULL"
        return {r[0] for r in self.db.execute(
            f"SELECT id FROM mailout_rows WHERE id IN ({marks}) AND state = 'sending' "
            "AND transmitting_at IS NOT NULL", ids)}

    def finish_mailouts(self, now: str) -> list[int]:
        """Due scheduled mailouts with nothing left to send become 'done'."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM mailouts m WHERE state = 'scheduled' AND due_at <= ? AND NOT "
            "EXISTS (SELECT 1 FROM mailout_rows r WHERE r.mailout_id = m.id "
            "AND r.state IN ('queued', 'sending'))", (now,))]
        self.db.executemany("UPDATE mailouts SET state = 'done', updated = ? WHERE id = ?",
                            [(now, i) for i in ids])
        return ids
