"""The SQL of opt-outs: suppressions are kept by normalised address (the e-mail key),
independent of any contact row, so that an opt-out outlives `contacts remove`, re-adding
and imports. Lifting one is recorded in ``optins`` (when, why, and what it lifted)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressctl.store.database import Connection, Database, in_chunks

# A row of optins as read: id, key, address, lifted_at, note, suppressed_reason, _at.
_OptInRow = tuple[int, str, str, str, str, str | None, str | None]


@dataclass(frozen=True, slots=True)
class Suppression:
    """One address that must never be mailed: since when, why, and an optional note."""

    key: str  # pressctl.contacts.emails.email_key of the address
    address: str
    reason: str
    since: str  # UTC, ISO 8601
    note: str | None = None


@dataclass(frozen=True, slots=True)
class OptIn:
    """One lifted opt-out: when and why it was lifted, and what the suppression had said
    (``suppressed_*`` are None when only the contact's flag was set)."""

    key: str
    address: str
    lifted_at: str
    note: str
    suppressed_reason: str | None
    suppressed_at: str | None




class SuppressionQueries:
    """The suppression list (by e-mail key) and the record of lifted opt-outs."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db

    def suppress(self, key: str, address: str, reason: str, now: str,
                 note: str | None = None) -> bool:
        """Add a suppression; an address already suppressed keeps its first date and
        reason. True when it was added."""
        cursor = self.db.execute(
            "INSERT INTO suppressions (key, address, reason, created, note) VALUES (?,?,?,?,?) "
            "ON CONFLICT (key) DO NOTHING", (key, address, reason, now, note))
        return cursor.rowcount == 1

    def suppressions_of(self, keys: Iterable[str]) -> dict[str, Suppression]:
        """The suppressions of these e-mail keys (keys not suppressed are left out)."""
        found: dict[str, Suppression] = {}
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            for key, address, reason, created, note in self.db.execute(
                "SELECT key, address, reason, created, note FROM suppressions "
                f"WHERE key IN ({marks})", chunk,
            ):
                found[key] = Suppression(key, address, reason, created, note)
        return found

    def lift(self, key: str, address: str, lifted: Suppression | None,
             note: str, now: str) -> OptIn:
        """Delete the suppression of ``key`` and record the lift (inside a transaction).
        ``lifted`` is the suppression as it was (None when there was none, only a flag)."""
        self.db.execute("DELETE FROM suppressions WHERE key = ?", (key,))
        optin = OptIn(key, address, now, note, lifted.reason if lifted else None,
                      lifted.since if lifted else None)
        self.db.execute(
            "INSERT INTO optins (key, address, suppressed_reason, suppressed_at, lifted_at, "
            "note) VALUES (?,?,?,?,?,?)",
            (key, address, optin.suppressed_reason, optin.suppressed_at, now, note))
        return optin

    def optins_of(self, keys: Iterable[str]) -> list[OptIn]:
        """The recorded lifts of these e-mail keys, oldest first."""
        rows: list[_OptInRow] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT id, key, address, lifted_at, note, suppressed_reason, suppressed_at "
                f"FROM optins WHERE key IN ({marks})", chunk).fetchall()
        rows.sort(key=lambda r: (r[3], r[0]))
        return [OptIn(r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]

    def opted_out_keys(self, keys: Iterable[str]) -> set[str]:
        """Which of these e-mail keys must not be mailed: a suppression, or a contact who
        owns the address and has opted out."""
        found: set[str] = set()
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT key FROM suppressions WHERE key IN ({marks}) UNION "
                f"SELECT e.key FROM contact_emails e JOIN contacts c ON c.id = e.contact_id "
                f"WHERE c.opted_out = 1 AND e.key IN ({marks})", (*chunk, *chunk)))
        return found
