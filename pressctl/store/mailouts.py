"""The SQL of mailouts: frozen variants, one row per recipient, and their states.

Rows are claimed for sending in a transaction (queued -> sending) and settled in another
(sending -> sent/failed/queued/unknown), so overlapping runs never take the same row and
a crash leaves the rows it had in flight as 'sending', which the next run marks unknown.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

ROW_COLUMNS = ("id, mailout_id, variant, contact_id, name, address, salutation, message_id, "
               "token, state, attempts, next_attempt_at, reply, updated, sent_at")


@dataclass(frozen=True, slots=True)
class MailoutRecord:
    id: int
    reference: str
    release_path: str
    phase: str
    linked_to: int | None
    due_at: str
    state: str
    domain: str
    created: str
    updated: str


@dataclass(frozen=True, slots=True)
class RowRecord:
    id: int
    mailout_id: int
    variant: int
    contact_id: int | None
    name: str
    address: str
    salutation: str
    message_id: str
    token: str
    state: str
    attempts: int
    next_attempt_at: str | None
    reply: str | None
    updated: str
    sent_at: str | None


class MailoutQueries:
    """Mixed into Store: ``self.db`` is its connection."""

    db: sqlite3.Connection

    def insert_mailout(self, *, reference: str, release_path: str, phase: str,
                       linked_to: int | None, due_at: str, domain: str, now: str,
                       variants: list[bytes], rows: Iterable[tuple]) -> int:
        """rows: (variant, contact_id, name, address, salutation, message_id, token)."""
        cursor = self.db.execute(
            "INSERT INTO mailouts (reference, release_path, phase, linked_to, due_at, state, "
            "domain, created, updated) VALUES (?,?,?,?,?, 'scheduled', ?,?,?)",
            (reference, release_path, phase, linked_to, due_at, domain, now, now),
        )
        mailout_id = cursor.lastrowid
        self.db.executemany(
            "INSERT INTO mailout_variants (mailout_id, number, frozen) VALUES (?,?,?)",
            [(mailout_id, number, blob) for number, blob in enumerate(variants)],
        )
        self.db.executemany(
            "INSERT INTO mailout_rows (mailout_id, variant, contact_id, name, address, "
            "salutation, message_id, token, updated) VALUES (?,?,?,?,?,?,?,?,?)",
            [(mailout_id, *row, now) for row in rows],
        )
        return mailout_id

    def mailout(self, mailout_id: int) -> MailoutRecord | None:
        row = self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts WHERE id = ?", (mailout_id,)).fetchone()
        return MailoutRecord(*row) if row else None

    def mailouts(self) -> list[MailoutRecord]:
        return [MailoutRecord(*r) for r in self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts ORDER BY id")]

    def mailout_counts(self, mailout_id: int) -> dict[str, int]:
        return dict(self.db.execute(
            "SELECT state, count(*) FROM mailout_rows WHERE mailout_id = ? GROUP BY state",
            (mailout_id,)))

    def set_mailout_state(self, mailout_id: int, state: str, now: str) -> None:
        self.db.execute("UPDATE mailouts SET state = ?, updated = ? WHERE id = ?",
                        (state, now, mailout_id))

    def frozen_variants(self, mailout_id: int) -> list[bytes]:
        return [r[0] for r in self.db.execute(
            "SELECT frozen FROM mailout_variants WHERE mailout_id = ? ORDER BY number",
            (mailout_id,))]

    def rows(self, mailout_id: int, states: Iterable[str] | None = None) -> list[RowRecord]:
        sql = f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE mailout_id = ?"
        params: list = [mailout_id]
        if states is not None:
            states = list(states)
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params += states
        return [RowRecord(*r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def due_mailouts(self, now: str) -> list[MailoutRecord]:
        return [MailoutRecord(*r) for r in self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts WHERE state = 'scheduled' AND due_at <= ? "
            "ORDER BY due_at, id", (now,))]

    def claim_rows(self, mailout_id: int, now: str, run: str, limit: int) -> list[RowRecord]:
        """Take up to ``limit`` due queued rows for this run (inside a transaction)."""
        ids = [r[0] for r in self.db.execute(
            "SELECT id FROM mailout_rows WHERE mailout_id = ? AND state = 'queued' "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
            (mailout_id, now, limit))]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        self.db.execute(
            f"UPDATE mailout_rows SET state = 'sending', claimed_by = ?, attempts = attempts + 1, "
            f"updated = ? WHERE id IN ({marks}) AND state = 'queued'", (run, now, *ids))
        return [RowRecord(*r) for r in self.db.execute(
            f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE id IN ({marks}) "
            "AND claimed_by = ? AND state = 'sending' ORDER BY id", (*ids, run))]

    def settle_rows(self, outcomes: Iterable[tuple[int, str, str | None, str | None, str]]) -> None:
        """outcomes: (row id, new state, next_attempt_at, reply, now)."""
        self.db.executemany(
            "UPDATE mailout_rows SET state = ?, next_attempt_at = ?, reply = ?, updated = ?, "
            "sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END, claimed_by = NULL "
            "WHERE id = ? AND state = 'sending'",
            [(state, next_at, reply, now, state, now, row_id)
             for row_id, state, next_at, reply, now in outcomes],
        )

    def due_row_count(self, now: str) -> int:
        """Rows a run started now would try (for a progress bar's total)."""
        return self.db.execute(
            "SELECT count(*) FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id "
            "WHERE m.state = 'scheduled' AND m.due_at <= ? AND r.state = 'queued' "
            "AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= ?)", (now, now)).fetchone()[0]

    def sent_since(self, since: str) -> list[str]:
        """When messages were sent since ``since`` (UTC ISO, to the second), oldest first:
        a new run's rate limiter starts from them."""
        return [r[0] for r in self.db.execute(
            "SELECT sent_at FROM mailout_rows WHERE state = 'sent' AND sent_at >= ? "
            "ORDER BY sent_at", (since,))]

    def uncount_attempts(self, row_ids: list[int]) -> None:
        """Rows given back untried (the run stopped on a configuration error)."""
        self.db.executemany(
            "UPDATE mailout_rows SET attempts = max(attempts - 1, 0) WHERE id = ?",
            [(i,) for i in row_ids])

    def abandoned_rows(self) -> int:
        """Rows left 'sending' by a run that died: their fate is unknown (never re-sent
        automatically). Call only while holding the outbox lock."""
        return self.db.execute(
            "UPDATE mailout_rows SET state = 'unknown', claimed_by = NULL, "
            "reply = coalesce(reply, 'the sending run stopped before recording the result') "
            "WHERE state = 'sending'").rowcount

    def set_rows_state(self, mailout_id: int, from_states: Iterable[str], state: str,
                       now: str, reply: str | None = None) -> int:
        from_states = list(from_states)
        marks = ",".join("?" * len(from_states))
        return self.db.execute(
            f"UPDATE mailout_rows SET state = ?, next_attempt_at = NULL, updated = ?, "
            f"reply = coalesce(?, reply) WHERE mailout_id = ? AND state IN ({marks})",
            (state, now, reply, mailout_id, *from_states)).rowcount

    def remaining_rows(self, mailout_id: int) -> int:
        return self.db.execute(
            "SELECT count(*) FROM mailout_rows WHERE mailout_id = ? "
            "AND state IN ('queued', 'sending')", (mailout_id,)).fetchone()[0]
