"""The SQL of the relay's rate limit when several workers share one outbox (PostgreSQL).

A relay counts an account's messages, whichever worker sends them, so the limit is kept
in the database: one row of ``outbox_rate`` holds the next free send slot, on the
database server's clock (one clock for workers on any number of machines). Taking a slot
is one atomic statement: the slot is the later of that row's value and the server's
"now", and the row moves on by the spacing. Slots are therefore never closer than the
spacing, whatever the number of workers, and nothing has to be pruned as the window
slides. See pressctl.delivery.sharedlimit for the spacing.
"""

from __future__ import annotations

from pressctl.store.database import Database
from pressctl.store.runs import autocommit

RELAY = "relay"
_NOW_US = "CAST(extract(epoch FROM clock_timestamp()) * 1000000 AS BIGINT)"


class RateWindowQueries:
    def __init__(self, database: Database) -> None:
        self.database = database

    def take_slot(self, spacing_us: int, name: str = RELAY) -> float:
        """Take the next send slot (its own statement, committed at once); returns the
        seconds until it comes (0.0: now)."""
        for _ in range(2):
            row = autocommit(
                self.database,
                f"UPDATE outbox_rate SET next_us = greatest(next_us, {_NOW_US}) + ? "
                f"WHERE name = ? RETURNING next_us - ? - {_NOW_US}",
                (spacing_us, name, spacing_us))
            if not isinstance(row, int):
                return max(0.0, int(row[0]) / 1_000_000)
            autocommit(self.database, "INSERT OR IGNORE INTO outbox_rate (name, next_us) "
                       "VALUES (?, 0)", (name,))  # the first send ever
        raise AssertionError("outbox_rate has no row after inserting it")
