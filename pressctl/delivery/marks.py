"""What one connection of a worker on a PostgreSQL outbox tells the database while it
sends: each row's mark just before its final dot, and each result after the relay
answered, in one statement per message over a database connection of its own.

Why the marks: a worker on another machine cannot read this one's in-flight file
(pressctl.delivery.inflight), so when it recovers this one's rows after a crash it goes
by the database alone (pressctl.delivery.recovery): a row marked ``transmitting_at`` may
have reached the relay (``unknown``), a row only claimed did not (queued again). A mark
must therefore be committed before its final dot goes out: :meth:`MarkWriter.mark`
returns once it is.

Why one statement per message: a result rides with the next mark of its connection
(pressctl.store.runs.mark_and_settle), so a message costs one round trip instead of two,
and once a mark returns, every earlier result of that connection is in the database: at
most one answered row per connection is not (the in-flight file's ring relies on this
too). Results are also written before the connection claims more rows or waits for the
rate limit (:meth:`MarkWriter.flush`), and when it stops.

Why a connection of its own: a run's SMTP connections share one database connection for
their claims; marks written over it made each message wait for the others' claims and
marks (a profile showed a third of a worker's time spent waiting there). With its own,
a connection's round trips overlap the others' (psycopg releases the GIL while it waits).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from pressctl.store import Store
from pressctl.store.runs import Settlement, StaleClaim


class MarkWriter:
    """One SMTP connection's marks and results; see the module docstring. Not shared
    between threads. :meth:`close` writes what is left."""

    def __init__(self, store: Store, run_id: str, now: Callable[[], str]) -> None:
        self.store, self.run_id, self._now = store.sibling(), run_id, now
        self._results: list[Settlement] = []
        self.statements = 0  # how many were written (for tests and benchmarks)
        self._took = 0.002  # a statement's usual round trip (seconds), smoothed

    def mark(self, row_id: int) -> None:
        """Just before a row's final dot: returns once the mark (and every result held)
        is committed. StaleClaim when this run no longer holds the row (its lease was
        taken as dead): its dot must not go."""
        marked = self._write([row_id])
        if row_id not in marked:
            raise StaleClaim(f"row {row_id} is no longer claimed by run {self.run_id}")

    def settle(self, settlement: Settlement) -> None:
        """One row's result, written with the next mark (or flush)."""
        self._results.append(settlement)

    def flush(self) -> None:
        """Write the results held, if any."""
        if self._results:
            self._write([])

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.store.close()

    @property
    def lead(self) -> float:
        """How long before its rate slot a mark should start, to be committed by then:
        twice the usual round trip, within 2 to 50 ms."""
        return min(0.05, max(0.002, 2 * self._took))

    def _write(self, row_ids: list[int]) -> set[int]:
        results, self._results = self._results, []
        self.statements += 1
        started = time.monotonic()
        marked = self.store.runs.mark_and_settle(self.run_id, row_ids, results, self._now())
        self._took = 0.8 * self._took + 0.2 * (time.monotonic() - started)
        return marked
