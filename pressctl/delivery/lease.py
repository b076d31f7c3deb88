"""One delivery run per database at a time: the outbox lease, held in the database.

The lease names its holder (run id, host, process id and the process's start time) and
is renewed by a heartbeat. Another run may take it over only when the holder is dead:

* on the same host, when that process no longer exists, is a zombie, or is another
  process that got the same id (its start time differs): at once, so that the cron run
  after a crash does not wait;
* on another host, when the heartbeat has been silent past the lease's expiry.

Because the lease lives in the database (never in a home folder), any number of homes,
processes or machines that share the database agree on who is delivering, and none marks
another's live rows abandoned.

On PostgreSQL any number of runs (workers) deliver at once: each holds a lease of its
own (a row named after its run id, same heartbeat and expiry), and :func:`live_workers`
tells, by the same rules, which of them still live; the rows of the others are theirs to
recover (pressctl.delivery.run).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from pressctl.errors import PressctlError
from pressctl.store import Store
from pressctl.store.leases import LEASE_NAME, Lease, worker_lease
from pressctl.times import Now, iso

TTL = timedelta(seconds=60)  # a silent holder on another host is presumed dead after this
HEARTBEAT_SECONDS = 10.0


def this_host() -> str:
    return socket.gethostname() or "localhost"


_PROC = Path("/proc/self/stat").exists()  # Linux: a process's state and start time


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None when no such process.
    A file that exists but cannot be read counts as a live process (the safe side)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return None
    except OSError:
        return []
    return stat.rpartition(")")[2].split()


def process_started(pid: int) -> str | None:
    """The start time of process ``pid`` (clock ticks since boot), or None where /proc
    cannot tell."""
    fields = _stat_fields(pid) if _PROC else None
    return fields[19] if fields and len(fields) > 19 else None


def process_alive(pid: int, started: str | None) -> bool:
    """Whether the process that took the lease still runs on this host."""
    if not _PROC:  # no /proc here: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    fields = _stat_fields(pid)
    if fields is None or fields[:1] in (["Z"], ["X"]):  # zombies and the dead hold nothing
        return False
    return started is None or len(fields) <= 19 or fields[19] == started


def holder_alive(lease: Lease, now: datetime) -> bool:
    if lease.host != this_host():
        return lease.expires_at > iso(now)
    return process_alive(lease.pid, lease.pid_started)


@dataclass(frozen=True, slots=True)
class Taken:
    """What acquiring found: ``held`` by us, else ``holder`` is who has it; ``replaced``
    is the dead run we took it from (its rows need recovering)."""

    held: bool
    holder: Lease | None = None
    replaced: str | None = None


class OutboxLease:
    """Acquire, renew (a heartbeat thread) and release this run's lease."""

    def __init__(self, store: Store, run_id: str, now: Now) -> None:
        self.store = store
        self.run_id = run_id
        self.shared = shared_outbox(store)  # a lease of its own among several workers
        self.name = worker_lease(run_id) if self.shared else LEASE_NAME
        self._now = now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lost = threading.Event()  # another run took the lease over: stop at once

    def acquire(self) -> Taken:
        now = self._now()
        pid = os.getpid()
        mine = Lease(self.run_id, this_host(), pid, process_started(pid), iso(now), iso(now),
                     iso(now + TTL))
        with self.store.transaction():
            if self.shared:
                self.store.leases.take(mine, None, self.name)
                return Taken(True)
            current = self.store.leases.current()
            if current is not None and holder_alive(current, now):
                return Taken(False, holder=current)
            replaced = current.run_id if current is not None else None
            self.store.leases.take(mine, replaced)
        return Taken(True, replaced=replaced)

    def start_heartbeat(self, on_lost: Callable[[], None],
                        on_beat: Callable[[], object] | None = None) -> None:
        """Renew the lease every HEARTBEAT_SECONDS; ``on_lost`` when another run took it;
        ``on_beat`` after each renewal (a worker looks for dead workers then)."""
        def beat() -> None:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                now = self._now()
                try:
                    with self.store.transaction():
                        kept = self.store.leases.renew(self.run_id, iso(now), iso(now + TTL),
                                                       self.name)
                    if kept and on_beat is not None:
                        on_beat()
                except PressctlError:  # a busy or full disk: try again at the next beat
                    kept = True
                if not kept:
                    self.lost.set()
                    on_lost()
                    return

        self._thread = threading.Thread(target=beat, name="outbox-heartbeat", daemon=True)
        self._thread.start()

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.store.transaction():
            self.store.leases.release(self.run_id, self.name)


def shared_outbox(store: Store) -> bool:
    """Whether several runs may deliver at once: on a database server (PostgreSQL)."""
    return store.dialect == "postgresql"


def live_workers(store: Store, now: datetime) -> tuple[set[str], set[str]]:
    """Inside a transaction, on PostgreSQL: the run ids of the workers (alive, found
    dead). A dead worker's lease stays until its rows are recovered
    (:func:`forget_workers`)."""
    alive: set[str] = set()
    dead: set[str] = set()
    for lease in store.leases.workers():
        (alive if holder_alive(lease, now) else dead).add(lease.run_id)
    return alive, dead


def forget_workers(store: Store, run_ids: set[str]) -> None:
    """Inside a transaction: remove the leases of dead workers whose rows are recovered."""
    for run_id in run_ids:
        store.leases.release(run_id, worker_lease(run_id))
