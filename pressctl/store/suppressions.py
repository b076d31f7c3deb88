"""The SQL of opt-outs: suppressions are kept by normalised address (the e-mail key),
independent of any contact row, so that an opt-out outlives `contacts remove`, re-adding
and imports. Lifting one is recorded in ``optins``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable


class SuppressionQueries:
    """Mixed into Store: ``self.db`` is its connection."""

    db: sqlite3.Connection

    def suppress(self, key: str, address: str, reason: str, now: str) -> None:
        self.db.execute(
            "INSERT INTO suppressions (key, address, reason, created) VALUES (?,?,?,?) "
            "ON CONFLICT (key) DO NOTHING", (key, address, reason, now))

    def unsuppress(self, keys: list[str]) -> None:
        self.db.executemany("DELETE FROM suppressions WHERE key = ?", [(k,) for k in keys])

    def opted_out_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these e-mail keys must not be mailed: a suppression, or a contact who
        owns the address and has opted out."""
        keys = list(keys)
        found: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT key FROM suppressions WHERE key IN ({marks}) UNION "
                f"SELECT e.key FROM contact_emails e JOIN contacts c ON c.id = e.contact_id "
                f"WHERE c.opted_out = 1 AND e.key IN ({marks})", (*chunk, *chunk)))
        return found
