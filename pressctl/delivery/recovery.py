"""What runs that died left behind, settled: rows still 'sending' under a dead run's id.

A row is settled from what is known of its last moments, never by guessing in the
direction of a second send:

* from the dead run's in-flight file (pressctl.delivery.inflight) when this home can read
  it: marked in flight or no reply -> ``unknown``; an outcome -> that outcome; no entry
  -> queued again, no attempt charged. This is exact: the file's mark is written after
  the database's and just before the final dot.
* on PostgreSQL, for a worker whose file is elsewhere (another machine or home), from
  the database's marks (pressctl.delivery.marks): marked ``transmitting_at`` ->
  ``unknown``, only claimed -> queued again;
* with neither (a run that left no file and held no worker lease): ``unknown``.

On SQLite one run holds the outbox at a time, so every other run's rows are a dead run's
(:func:`recover_dead_run`, when a run starts). On PostgreSQL a worker is dead when its
lease says so (pressctl.delivery.lease): :func:`recover_workers` runs when a worker starts,
when its queue runs dry and at each heartbeat, so that a live worker takes over a dead
one's rows during its own run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from pressctl.delivery import inflight
from pressctl.delivery.inflight import Entry, Status
from pressctl.delivery.lease import forget_workers, live_workers
from pressctl.outbox.states import RowState
from pressctl.store import Store
from pressctl.store.runs import Settlement
from pressctl.times import iso

UNKNOWN_AFTER_CRASH = ("the run sending it stopped after transmitting it, before recording the "
                       "reply: it may have been delivered")


class Counts(Protocol):
    """Where recovered rows are counted (a RunReport)."""

    recovered_unknown: int
    recovered_queued: int


@dataclass(slots=True)
class Recovered:
    """What :func:`recover_workers` found: the workers alive, and the mailouts whose rows
    went back to the queue."""

    alive: set[str] = field(default_factory=set)
    requeued_mailouts: set[int] = field(default_factory=set)


def recover_dead_run(store: Store, journal_dir: Path, run_id: str, now: datetime,
                     counts: Counts) -> None:
    """SQLite: rows left 'sending' by runs other than ``run_id`` (which holds the
    outbox, so they died), settled; then the dead runs' files go."""
    with store.transaction():
        for dead, rows in store.runs.claimed_rows().items():
            if dead != run_id:
                _settle_dead(store, journal_dir, dead, rows, None, now, counts)
    forget_journals(journal_dir, lambda dead: dead == run_id)


def recover_workers(store: Store, journal_dir: Path, run_id: str, now: datetime,
                    counts: Counts) -> Recovered:
    """PostgreSQL, inside a transaction: the rows of the workers found dead, settled;
    their leases go. The caller removes their in-flight files afterwards
    (:func:`forget_journals`, keeping ``alive``)."""
    alive, dead_workers = live_workers(store, now)
    alive.add(run_id)
    found = Recovered(alive)
    for dead, rows in store.runs.claimed_rows().items():
        if dead in alive:
            continue
        marked = store.runs.transmitting(rows) if dead in dead_workers else None
        if _settle_dead(store, journal_dir, dead, rows, marked, now, counts):
            found.requeued_mailouts |= store.runs.mailouts_of(rows)
    forget_workers(store, dead_workers)
    return found


def forget_journals(journal_dir: Path, alive: Callable[[str], bool]) -> None:
    """Remove the in-flight files of runs that are not alive (their rows are settled)."""
    for dead in inflight.leftovers(journal_dir):
        if not alive(dead):
            inflight.remove(journal_dir, dead)


def _settle_dead(store: Store, journal_dir: Path, dead: str | None, rows: list[int],
                 marked: set[int] | None, now: datetime, counts: Counts) -> int:
    """One dead run's rows, by the best evidence there is (module docstring); returns
    how many went back to the queue."""
    entries = inflight.read_entries(journal_dir, dead) if dead else None
    if dead is not None and entries is not None:
        unknown, queued = settle_from_journal(store, dead, rows, entries, iso(now))
    else:
        sent = set(rows) if marked is None else marked
        unknown = store.runs.mark_unknown(sorted(sent), UNKNOWN_AFTER_CRASH, iso(now))
        queued = store.runs.requeue([row for row in rows if row not in sent], iso(now))
    counts.recovered_unknown += unknown
    counts.recovered_queued += queued
    return queued


def settle_from_journal(store: Store, run_id: str, row_ids: Iterable[int],
                        entries: dict[int, Entry], now: str) -> tuple[int, int]:
    """Inside a transaction: settle rows a run left 'sending' from what its in-flight file
    says (see pressctl.delivery.inflight). Returns (rows now unknown, rows back in the
    queue)."""
    unknown, queued, settled = [], [], []
    for row_id in row_ids:
        entry = entries.get(row_id)
        if entry is None:
            queued.append(row_id)
        elif entry.status in (Status.IN_FLIGHT, Status.UNKNOWN):
            unknown.append(row_id)
        else:
            at = iso(datetime.fromtimestamp(entry.at_ms / 1000, UTC))
            state, said = _FROM_JOURNAL[entry.status]
            settled.append(Settlement(row_id, state, None, f"{entry.code or ''} {said} (the "
                                      "run stopped before recording the reply's text)".strip(),
                                      at, True))
    store.runs.settle_rows(run_id, settled)
    return (store.runs.mark_unknown(unknown, UNKNOWN_AFTER_CRASH, now),
            store.runs.requeue(queued, now))


_FROM_JOURNAL = {Status.SENT: (RowState.SENT, "accepted"),
                 Status.TRANSIENT: (RowState.QUEUED, "refused for now"),
                 Status.PERMANENT: (RowState.FAILED, "refused")}
