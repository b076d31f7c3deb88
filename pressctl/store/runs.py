"""The SQL of a delivery run: the outbox lease, claiming and settling one row at a time,
recovering what a dead run left, and giving up on rows that are too old.

The lease is a row of ``outbox_lease`` (one per database): the run that holds it is the
only one that claims rows, so any row still 'sending' under another run's id was left by
a run that died. Everything here runs inside :meth:`Store.transaction`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pressctl.store.mailouts import ROW_COLUMNS, RowRecord

LEASE_NAME = "outbox"


@dataclass(frozen=True, slots=True)
class Lease:
    run_id: str
    host: str
    pid: int
    pid_started: str | None  # the process's start time, to tell a reused pid
    acquired_at: str
    heartbeat_at: str
    expires_at: str


class RunQueries:
    """Mixed into Store: ``self.db`` is its connection."""

    db: sqlite3.Connection

    # -- the lease ---------------------------------------------------------------------

    def lease(self) -> Lease | None:
        row = self.db.execute(
            "SELECT run_id, host, pid, pid_started, acquired_at, heartbeat_at, expires_at "
            "FROM outbox_lease WHERE name = ?", (LEASE_NAME,)).fetchone()
        return Lease(*row) if row else None

    def take_lease(self, lease: Lease, replacing: str | None) -> bool:
        """Hold the lease when it is free, or still held by ``replacing`` (a holder found
        dead); False when someone else holds it."""
        current = self.lease()
        if current is not None and current.run_id != replacing:
            return False
        self.db.execute(
            "INSERT OR REPLACE INTO outbox_lease (name, run_id, host, pid, pid_started, "
            "acquired_at, heartbeat_at, expires_at) VALUES (?,?,?,?,?,?,?,?)",
            (LEASE_NAME, lease.run_id, lease.host, lease.pid, lease.pid_started,
             lease.acquired_at, lease.heartbeat_at, lease.expires_at))
        return True

    def renew_lease(self, run_id: str, heartbeat_at: str, expires_at: str) -> bool:
        """False when this run no longer holds the lease (another run took it over)."""
        return self.db.execute(
            "UPDATE outbox_lease SET heartbeat_at = ?, expires_at = ? "
            "WHERE name = ? AND run_id = ?",
            (heartbeat_at, expires_at, LEASE_NAME, run_id)).rowcount == 1

    def release_lease(self, run_id: str) -> None:
        self.db.execute("DELETE FROM outbox_lease WHERE name = ? AND run_id = ?",
                        (LEASE_NAME, run_id))

    # -- recovery ----------------------------------------------------------------------

    def claimed_rows(self) -> dict[str | None, list[int]]:
        """Rows in state 'sending', by the run that claimed them."""
        found: dict[str | None, list[int]] = defaultdict(list)
        for row_id, run in self.db.execute(
                "SELECT id, claimed_by FROM mailout_rows WHERE state = 'sending'"):
            found[run].append(row_id)
        return dict(found)

    def mark_unknown(self, row_ids: Iterable[int], reply: str, now: str) -> int:
        """Rows whose message went out completely but whose reply was never recorded.
        ``claimed_by`` is kept: the run itself may still record the real reply."""
        return self.db.executemany(
            "UPDATE mailout_rows SET state = 'unknown', reply = ?, updated = ? "
            "WHERE id = ? AND state = 'sending'",
            [(reply, now, row_id) for row_id in row_ids]).rowcount

    def requeue(self, row_ids: Iterable[int], now: str) -> int:
        """Rows claimed but never transmitted: back in the queue, no attempt charged."""
        return self.db.executemany(
            "UPDATE mailout_rows SET state = 'queued', claimed_by = NULL, updated = ? "
            "WHERE id = ? AND state = 'sending'",
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

    def claim_row(self, row_id: int, run_id: str, now: str) -> RowRecord | None:
        """Take one row for this run when it is still queued, due, and its mailout still
        scheduled (not paused or cancelled meanwhile); None otherwise."""
        claimed = self.db.execute(
            "UPDATE mailout_rows SET state = 'sending', claimed_by = ?, updated = ? "
            "WHERE id = ? AND state = 'queued' AND (next_attempt_at IS NULL OR "
            "next_attempt_at <= ?) AND mailout_id IN "
            "(SELECT id FROM mailouts WHERE state = 'scheduled')",
            (run_id, now, row_id, now)).rowcount
        if not claimed:
            return None
        row = self.db.execute(f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE id = ?",
                              (row_id,)).fetchone()
        return RowRecord(*row)

    def mailout_state(self, mailout_id: int) -> str | None:
        row = self.db.execute("SELECT state FROM mailouts WHERE id = ?",
                              (mailout_id,)).fetchone()
        return row[0] if row else None

    def settle_row(self, row_id: int, run_id: str, state: str, next_attempt_at: str | None,
                   reply: str | None, now: str, *, charged: bool) -> bool:
        """Record an attempt's result (or, with ``charged`` False, give the row back
        untried). Only the run that claimed the row may settle it; a row its own run's
        recovery marked 'unknown' may still get its real result."""
        return self.db.execute(
            "UPDATE mailout_rows SET state = ?, next_attempt_at = ?, reply = coalesce(?, reply), "
            "updated = ?, attempts = attempts + ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, claimed_by = NULL "
            "WHERE id = ? AND claimed_by = ? AND state IN ('sending', 'unknown')",
            (state, next_attempt_at, reply, now, int(charged), state, now, row_id, run_id),
        ).rowcount == 1

    def finish_mailouts(self, now: str) -> list[int]:
        """Due scheduled mailouts with nothing left to send become 'done'."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM mailouts m WHERE state = 'scheduled' AND due_at <= ? AND NOT "
            "EXISTS (SELECT 1 FROM mailout_rows r WHERE r.mailout_id = m.id "
            "AND r.state IN ('queued', 'sending'))", (now,))]
        self.db.executemany("UPDATE mailouts SET state = 'done', updated = ? WHERE id = ?",
                            [(now, i) for i in ids])
        return ids
