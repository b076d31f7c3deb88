"""The SQL of the outbox lease: one row of ``outbox_lease`` per database names the run
that may claim rows (see pressctl.delivery.lease for when it may be taken over)."""

from __future__ import annotations

from dataclasses import dataclass

from pressctl.store.database import Database

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


class LeaseQueries:
    def __init__(self, database: Database) -> None:
        self.db = database.db

    def current(self) -> Lease | None:
        row = self.db.execute(
            "SELECT run_id, host, pid, pid_started, acquired_at, heartbeat_at, expires_at "
            "FROM outbox_lease WHERE name = ?", (LEASE_NAME,)).fetchone()
        return Lease(*row) if row else None

    def take(self, lease: Lease, replacing: str | None) -> bool:
        """Hold the lease when it is free, or still held by ``replacing`` (a holder found
        dead); False when someone else holds it."""
        current = self.current()
        if current is not None and current.run_id != replacing:
            return False
        self.db.execute(
            "INSERT INTO outbox_lease (name, run_id, host, pid, pid_started, "
            "acquired_at, heartbeat_at, expires_at) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, "
            "pid = excluded.pid, pid_started = excluded.pid_started, "
            "acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, "
            "expires_at = excluded.expires_at",
            (LEASE_NAME, lease.run_id, lease.host, lease.pid, lease.pid_started,
             lease.acquired_at, lease.heartbeat_at, lease.expires_at))
        return True

    def renew(self, run_id: str, heartbeat_at: str, expires_at: str) -> bool:
        """False when this run no longer holds the lease (another run took it over)."""
        return self.db.execute(
            "UPDATE outbox_lease SET heartbeat_at = ?, expires_at = ? "
            "WHERE name = ? AND run_id = ?",
            (heartbeat_at, expires_at, LEASE_NAME, run_id)).rowcount == 1

    def release(self, run_id: str) -> None:
        self.db.execute("DELETE FROM outbox_lease WHERE name = ? AND run_id = ?",
                        (LEASE_NAME, run_id))

    # -- recovery ----------------------------------------------------------------------
