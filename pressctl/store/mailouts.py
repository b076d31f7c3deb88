"""The SQL of mailouts: frozen variants, one row per recipient, and their states
(pressctl.outbox.states: the records carry them as members, the SQL as text). Claiming and
settling rows during a delivery run is in pressctl.store.runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice

from pressctl.outbox.states import MailoutState, RowState
from pressctl.store.database import Database

ROWS_CHUNK = 1000  # mailout rows per executemany (insert_rows)
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
    state: MailoutState
    domain: str
    created: str
    updated: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", MailoutState(self.state))  # the text read back


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
    state: RowState
    attempts: int
    next_attempt_at: str | None
    reply: str | None
    updated: str
    sent_at: str | None

    def __post_init__(self) -> None:  # the text read back, as its member
        object.__setattr__(self, "state", _ROW_STATES.get(self.state) or RowState(self.state))


_ROW_STATES = {str(state): state for state in RowState}  # RowState(text), without its call


class MailoutQueries:
    def __init__(self, database: Database) -> None:
        self.db = database.db

    def insert(self, *, reference: str, release_path: str, phase: str,
               linked_to: int | None, due_at: str, domain: str, now: str,
               variants: list[bytes]) -> int:
        """The mailout and its frozen variants, without rows: a row's unsubscribe token
        names the mailout, so the rows come after (:meth:`insert_rows`), in the same
        transaction."""
        cursor = self.db.execute(
            "INSERT INTO mailouts (reference, release_path, phase, linked_to, due_at, state, "
            "domain, created, updated) VALUES (?,?,?,?,?,?,?,?,?) RETURNING id",
            (reference, release_path, phase, linked_to, due_at, MailoutState.SCHEDULED, domain,
             now, now),
        )
        mailout_id = cursor.fetchone()[0]
        assert mailout_id is not None
        self.db.executemany(
            "INSERT INTO mailout_variants (mailout_id, number, frozen) VALUES (?,?,?)",
            [(mailout_id, number, blob) for number, blob in enumerate(variants)],
        )
        return mailout_id

    def insert_rows(self, mailout_id: int, rows: Iterable[tuple], now: str) -> None:
        """rows: (variant, contact_id, name, address, salutation, message_id, token,
        fallback_variant, fallback_message_id, fallback_token); the fallback is the row's
        place in the linked public mailout (None outside an embargoed phase). Inserted
        ROWS_CHUNK at a time, as ``rows`` comes: a mailout of any size holds one chunk."""
        remaining = iter(rows)
        while chunk := [(mailout_id, *row, now) for row in islice(remaining, ROWS_CHUNK)]:
            self.db.executemany(
                "INSERT INTO mailout_rows (mailout_id, variant, contact_id, name, address, "
                "salutation, message_id, token, fallback_variant, fallback_message_id, "
                "fallback_token, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", chunk)

    def get(self, mailout_id: int) -> MailoutRecord | None:
        row = self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts WHERE id = ?", (mailout_id,)).fetchone()
        return MailoutRecord(*row) if row else None

    def all(self) -> list[MailoutRecord]:
        return [MailoutRecord(*r) for r in self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts ORDER BY id")]

    def counts(self, mailout_id: int) -> dict[RowState, int]:
        return {RowState(state): count for state, count in self.db.execute(
            "SELECT state, count(*) FROM mailout_rows WHERE mailout_id = ? GROUP BY state",
            (mailout_id,))}

    def set_state(self, mailout_id: int, state: MailoutState, now: str) -> None:
        self.db.execute("UPDATE mailouts SET state = ?, updated = ? WHERE id = ?",
                        (state, now, mailout_id))

    def variants(self, mailout_id: int) -> list[bytes]:
        return [r[0] for r in self.db.execute(
            "SELECT frozen FROM mailout_variants WHERE mailout_id = ? ORDER BY number",
            (mailout_id,))]

    def rows(self, mailout_id: int,
             states: Iterable[RowState] | None = None) -> list[RowRecord]:
        sql = f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE mailout_id = ?"
        params: list = [mailout_id]
        if states is not None:
            states = list(states)
            sql += f" AND state IN ({','.join('?' * len(states))})"
            params += states
        return [RowRecord(*r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def due(self, now: str) -> list[MailoutRecord]:
        return [MailoutRecord(*r) for r in self.db.execute(
            "SELECT id, reference, release_path, phase, linked_to, due_at, state, domain, "
            "created, updated FROM mailouts WHERE state = 'scheduled' AND due_at <= ? "
            "ORDER BY due_at, id", (now,))]

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

    def set_rows_state(self, mailout_id: int, from_states: Iterable[RowState], state: RowState,
                       now: str, reply: str | None = None) -> int:
        from_states = list(from_states)
        marks = ",".join("?" * len(from_states))
        return self.db.execute(
            f"UPDATE mailout_rows SET state = ?, next_attempt_at = NULL, updated = ?, "
            f"reply = coalesce(?, reply) WHERE mailout_id = ? AND state IN ({marks})",
            (state, now, reply, mailout_id, *from_states)).rowcount
