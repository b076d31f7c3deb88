"""The SQL of the outbox lease: on SQLite one row of ``outbox_lease`` per database names
the run that may claim rows (see pressctl.delivery.lease for when it may be taken over);
on PostgreSQL every run (worker) holds a row of its own, named ``run:<run id>``."""

from __future__ import annotations

from dataclasses import dataclass

from pressctl.store.database import Database

LEASE_NAME = "outbox"
WORKER_PREFIX = "run:"  # a worker's own lease on PostgreSQL: "run:<run id>"


def worker_lease(run_id: str) -> str:
    return WORKER_PREFIX + run_id


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

    def current(self, name: str = LEASE_NAME) -> Lease | None:
        row = self.db.execute(
            "SELECT run_id, host, pid, pid_started, acquired_at, heartbeat_at, expires_at "
            "FROM outbox_lease WHERE name = ?", (name,)).fetchone()
        return Lease(*row) if row else None

    def workers(self) -> list[Lease]:
        """The leases of the runs (workers) sharing a PostgreSQL outbox."""
        return [Lease(*row) for row in self.db.execute(
            "SELECT run_id, host, pid, pid_started, acquired_at, heartbeat_at, expires_at "
            "FROM outbox_lease WHERE name LIKE ? ORDER BY acquired_at, run_id",
            (WORKER_PREFIX + "%",))]

    def take(self, lease: Lease, replacing: str | None, name: str = LEASE_NAME) -> bool:
        """Hold the lease when it is free, or still held by ``replacing`` (a holder found
        dead); False when someone else holds it."""
        current = self.current(name)
        if current is not None and current.run_id != replacing:
            return False
        self.db.execute(
            "INSERT INTO outbox_lease (name, run_id, host, pid, pid_started, "
            "acquired_at, heartbeat_at, expires_at) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, host = excluded.host, "
            "pid = excluded.pid, pid_started = excluded.pid_started, "
            "acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at, "
            "expires_at = excluded.expires_at",
            (name, lease.run_id, lease.host, lease.pid, lease.pid_started,
             lease.acquired_at, lease.heartbeat_at, lease.expires_at))
        return True

    def renew(self, run_id: str, heartbeat_at: str, expires_at: str,
              name: str = LEASE_NAME) -> bool:
        """False when this run no longer holds the lease (another run took it over, or
        found it dead)."""
        return self.db.execute(
            "UPDATE outbox_lease SET heartbeat_at = ?, expires_at = ? "
            "WHERE name = ? AND run_id = ?",
            (heartbeat_at, expires_at, name, run_id)).rowcount == 1

    def release(self, run_id: str, name: str = LEASE_NAME) -> None:
        self.db.execute("DELETE FROM outbox_lease WHERE name = ? AND run_id = ?",
                        (name, run_id))

    # -- recovery ----------------------------------------------------------------------
