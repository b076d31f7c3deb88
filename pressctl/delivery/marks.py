"""What a worker of a PostgreSQL outbox tells the database while it sends: each row's mark
just before its final dot, and each result once the relay answered, written together by
one thread (a group commit).

Why the marks: a worker on another machine cannot read this one's in-flight file
(pressctl.delivery.inflight), so when it recovers this one's rows after a crash it goes
by the database alone: a row marked ``transmitting_at`` may have reached the relay
(``unknown``), a row only claimed did not (queued again). A mark must therefore be
committed before its final dot goes out, and :meth:`MarkWriter.mark` waits for that.

Why one writer: a run's connections share one database connection. Each writing its
own mark and its own result, as two statements, kept them waiting on each other at every
message (a profile showed a third of a worker's time waiting for that connection). The
writer takes every mark and result waiting when it starts a transaction and writes them
in one: four connections cost about one round trip per few messages instead of two per
message. Results ride along with the marks (no connection waits for a result to be
written) and never lag far behind: a row's result is queued before its connection asks
for its next mark, so once that mark returns, the result is in the database. This is
also what lets the in-flight file's ring reuse its entries safely on PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pressctl.store import Store
from pressctl.store.runs import Settlement, StaleClaim


@dataclass(slots=True)
class _Ticket:
    row_id: int
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class MarkWriter:
    """One run's marks and results on a PostgreSQL outbox; see the module docstring.
    :meth:`close` writes what is left and stops the thread."""

    def __init__(self, store: Store, run_id: str, now: Callable[[], str]) -> None:
        self.store, self.run_id, self._now = store, run_id, now
        self._wake = threading.Condition()
        self._marks: list[_Ticket] = []
        self._results: list[Settlement] = []
        self._busy = False  # a transaction is being written
        self._closing = False
        self.error: BaseException | None = None  # a failed write of results alone
        self.transactions = 0  # how many were written (for tests and benchmarks)
        self._thread = threading.Thread(target=self._write_loop, name="outbox-marks",
                                        daemon=True)
        self._thread.start()

    def mark(self, row_id: int) -> None:
        """Just before a row's final dot: returns once the mark is committed. StaleClaim
        when this run no longer holds the row (its lease was taken as dead); a storage
        error as it was raised."""
        ticket = _Ticket(row_id)
        with self._wake:
            if self._closing:
                raise RuntimeError("the mark writer is closed")
            self._marks.append(ticket)
            self._wake.notify_all()
        ticket.done.wait()
        if ticket.error is not None:
            raise ticket.error

    def settle(self, settlement: Settlement) -> None:
        """One row's result, written with the next transaction (no wait)."""
        with self._wake:
            self._results.append(settlement)
            self._wake.notify_all()

    def flush(self) -> None:
        """Wait until everything queued so far is written; raise what failed."""
        with self._wake:
            self._wake.wait_for(lambda: not (self._busy or self._marks or self._results))
            error, self.error = self.error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Write what is left, stop the thread; raise what failed."""
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join()
        error, self.error = self.error, None
        if error is not None:
            raise error

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._marks or self._results or self._closing)
                if not (self._marks or self._results):
                    return  # closing, and nothing is left
                marks, results = self._marks, self._results
                self._marks, self._results, self._busy = [], [], True
            try:
                marked = self.store.runs.mark_and_settle(
                    self.run_id, [t.row_id for t in marks], results, self._now())
                self.transactions += 1
                for ticket in marks:
                    if ticket.row_id not in marked:
                        ticket.error = StaleClaim(
                            f"row {ticket.row_id} is no longer claimed by run {self.run_id}")
            except BaseException as err:  # each waiting connection gets it; results too
                for ticket in marks:
                    ticket.error = err
                if not marks:
                    self.error = self.error or err
            with self._wake:
                self._busy = False
                for ticket in marks:
                    ticket.done.set()
                self._wake.notify_all()
