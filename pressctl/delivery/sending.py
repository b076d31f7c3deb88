"""One delivery run's connections at work (pressctl.delivery.run starts them).

Each connection works one message at a time, in its own thread, over its own transport:
it takes rows from the run's :class:`~pressctl.delivery.ledger.Ledger` (which claims them,
checking the mailout, opt-outs and embargo consent), builds each message, waits for the
rate limit and sends it. Just before the final dot, the row is marked in flight
(pressctl.delivery.inflight). A row is settled before its connection marks the next one,
so a crash leaves at most one row per connection whose outcome is unknown.

Over SMTP nothing waits that need not (no barrier between claiming, building and
sending): messages go in their wire form, spliced from the variant's parts stuffed once
(pressctl.delivery.wire); a connection makes its next message while the current final
dot goes out, and with PIPELINING that message's envelope goes with the dot (one round
trip per message; not under a rate limit, whose slot each message takes when it starts);
while the relay works on the dot, the connection records its earlier results and claims
its next rows. The next message's data goes only after the dot's reply is read, so the
rule above holds: an envelope sent ahead and never followed by data is discarded by the
relay, and its row, never marked, goes back to the queue after a crash.

On PostgreSQL (several workers, pressctl.delivery.lease) the mark is also committed to
the row (``transmitting_at``) before the final dot, and each result rides with the next
mark of its connection (pressctl.delivery.marks): a worker on another machine, which
cannot read this one's file, recovers this one's rows after a crash from the database
alone.

Stopping (:class:`~pressctl.delivery.report.StopRequest`, from SIGINT or SIGTERM at the
edge): no new message is started; a message whose final dot has not gone out is abandoned
(its connection is cut, the relay discards it) and its row goes back to the queue; one
whose final dot went out waits for its reply. Rows are never left 'sending'.

An unreachable relay (refused, DNS, timeout, TLS handshake) ends a connection at its
first failure and charges no attempt; only a server's answer after MAIL FROM, or a drop
during a transaction, costs one.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

from pressctl.delivery.inflight import InFlightFlag, InflightJournal
from pressctl.delivery.ledger import FIRST_BATCH, JOURNAL_STATUS, Claimed, Ledger, Prepared
from pressctl.delivery.marks import MarkWriter
from pressctl.delivery.report import SIGNAL_EXIT, StopReason
from pressctl.delivery.sharedlimit import SharedLimiter
from pressctl.delivery.transport import Transport, TransportFactory
from pressctl.delivery.transport.base import Wire
from pressctl.delivery.wire import stuff
from pressctl.errors import InvalidInput
from pressctl.inbox.verp import verp_sender
from pressctl.outbox.states import SendStatus
from pressctl.store.mailouts import RowRecord
from pressctl.store.runs import Settlement, StaleClaim


class Limiter(Protocol):
    """The relay's rate limit: pressctl.outbox.ratelimit.SlidingWindowLimiter in one run,
    pressctl.delivery.sharedlimit.SharedLimiter across the workers of a PostgreSQL
    outbox."""

    def acquire(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> float:
        ...


STOP_GRACE = 1.5  # seconds a stopping run waits for connections that have nothing in flight
REPLY_WAIT = 120.0  # seconds it waits for the reply to a final dot that went out
FLUSH_COUNT = 144  # results a connection keeps in memory (and in its ring) at most: more than
# a batch (ledger.BATCH), so that they go with the claim of the next one, in one transaction
FLUSH_SECONDS = 0.25  # ... or for at most this long
RECHECK_AFTER = 1.0  # a row claimed longer ago is checked again (opt-out, consent) first
WATCH_EVERY = 0.5  # seconds between two looks for mailouts paused from elsewhere


class _Stopped(Exception):
    """A stop came while a connection waited for the rate limit (internal)."""


@dataclass(slots=True)
class _Ready:
    """A claimed row whose message is built (and signed), its in-flight entry taken."""

    item: Claimed
    sender: str  # the envelope sender
    data: bytes | Wire
    entry: int  # its in-flight entry (InflightJournal.begin)


class _Pace:
    """How many rows a connection claims next: FIRST_BATCH at first; twice its last
    batch (up to the ledger's) when that one went out within a quarter of RECHECK_AFTER,
    half of it (down to FIRST_BATCH) when it took more than half: a fast relay gets
    large batches (fewer transactions and lookups a message), while a slow one's rows
    are still sent well within RECHECK_AFTER of their claim (no recheck a message)."""

    __slots__ = ("most", "size", "since")

    def __init__(self, most: int) -> None:
        self.most = most
        self.size = min(FIRST_BATCH, most)
        self.since: float | None = None  # when the last batch was claimed

    def next(self, now: float) -> int:
        """The size of the claim made ``now`` (the last batch is gone, or nearly)."""
        if self.since is not None:
            took = now - self.since
            if took < RECHECK_AFTER / 4:
                self.size = min(self.size * 2, self.most)
            elif took > RECHECK_AFTER / 2:
                self.size = max(min(FIRST_BATCH, self.most), self.size // 2)
        self.since = now
        return self.size


class Connections:
    """One run's connections at work; see the module docstring."""

    def __init__(self, ledger: Ledger, make: TransportFactory, *, journal_dir: Path,
                 limiter: Limiter | None,
                 sign: Callable[[bytes], bytes] | None = None, verp: bool = False,
                 shared_journal: tuple[InflightJournal, int] | None = None) -> None:
        self.ledger, self.report = ledger, ledger.report
        self.make, self.connections = make, max(1, ledger.connections)
        self.journal_dir, self.limiter = journal_dir, limiter  # one limiter for all (locked)
        self.sign = sign  # DKIM (pressctl.delivery.dkim): one signer for all, stateless
        self.verp = verp  # a bounce address per recipient (pressctl.inbox.verp)
        self.clock, self.stop = ledger.clock, ledger.stop
        self.halted: set[int] = set()  # mailouts paused or cancelled during the run
        # slot -> the row whose final dot went out and whose reply has not come yet;
        # each connection writes only its own slot
        self.in_flight: list[int | None] = [None] * self.connections
        self.error: BaseException | None = None  # stops every connection; raised at the end
        self.journal: InflightJournal | None = None
        # One of several sender processes (pressctl.delivery.processes): the run's file,
        # made by the parent, whose rings from ``slot_base`` on are this process's; the
        # parent settles what is left over once every process is done, and removes it.
        self.shared_journal = shared_journal
        self.slot_base = shared_journal[1] if shared_journal else 0

    def run(self) -> None:
        # Transports are made before any row is claimed: a missing password or a bad CA
        # file stops the run with nothing touched.
        transports = [self.make() for _ in range(self.connections)]
        threads = []
        try:
            self.journal = (self.shared_journal[0] if self.shared_journal else
                            InflightJournal(self.journal_dir, self.ledger.run_id,
                                            self.connections))
            for slot, transport in enumerate(transports):
                self.stop.listen(transport.interrupt)
                thread = threading.Thread(target=self._work, args=(slot, transport),
                                          name=f"outbox-connection-{slot}", daemon=True)
                threads.append(thread)
                thread.start()
            self._wait(threads)
        finally:
            if any(thread.is_alive() for thread in threads):
                # Rows are given back below: first make sure no connection can still
                # commit a message (after a stop, none does).
                self.stop.request(StopReason.INTERRUPTED)
            try:
                if self.journal is not None and self.shared_journal is None:
                    self.ledger.settle_leftovers(self.journal_dir)
                    self.journal.close()
            except Exception as err:
                self.error = self.error or err
            for transport in transports:
                with contextlib.suppress(Exception):  # closing politely is best effort
                    transport.close()
        if self.stop.reason == StopReason.LEASE_LOST:
            self.report.lease_lost = True
        elif self.stop.reason in SIGNAL_EXIT:
            self.report.stopped_by = self.stop.reason
        if self.error is not None:
            raise self.error

    def _wait(self, threads: list[threading.Thread]) -> None:
        """Until every connection is done, watching for mailouts paused or cancelled from
        elsewhere. Once a stop is asked, connections with nothing in flight get STOP_GRACE
        seconds (a relay slow to answer MAIL FROM must not hold the stop), and one waiting
        for the reply to its final dot gets up to REPLY_WAIT."""
        stopping_since = None
        next_look = self.clock() + WATCH_EVERY
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.05)
            if self.clock() >= next_look and not self.stop.is_set():
                self.halted = self.ledger.halted()  # the connections look before each message
                next_look = self.clock() + WATCH_EVERY
            if self.stop.is_set() and stopping_since is None:
                stopping_since = self.clock()
            if stopping_since is not None and self.clock() - stopping_since > STOP_GRACE:
                busy = [slot for slot, t in enumerate(threads) if t.is_alive()
                        and self.in_flight[slot] is not None]
                if not busy:
                    return  # the rest only wait on a dead relay: their rows go back
                if self.clock() - stopping_since > STOP_GRACE + REPLY_WAIT:
                    return  # no reply: those rows become unknown (Ledger.settle_leftovers)

    # -- one connection -------------------------------------------------------------------

    def _work(self, slot: int, transport: Transport) -> None:
        ledger = self.ledger
        claimed: deque[Claimed] = deque()
        done: list[Settlement] = []  # results not yet in the database (they are in the file)
        upcoming: list[_Ready] = []  # the next message, made while this one's dot went out
        oldest = 0.0
        marks: MarkWriter | None = None
        # With PIPELINING, a message's envelope goes out with the final dot of the one
        # before it (pressctl.delivery.transport.smtp). Not under a rate limit: its slot
        # is taken for each message on its own, when that message starts.
        wire = getattr(transport, "takes_wire", False)
        ahead = wire and self.limiter is None
        trouble: list[BaseException] = []  # what went wrong in _meanwhile, raised after
        pace = _Pace(ledger.batch)
        try:
            marks = ledger.mark_writer() if ledger.shared else None
            following = partial(self._following, slot, transport, claimed,
                                upcoming) if ahead else None
            meanwhile = partial(self._meanwhile, claimed, done, marks, pace,
                                trouble) if wire else None
            while True:
                if upcoming:
                    ready: _Ready | None = upcoming.pop()
                    settlement = None
                else:
                    if not claimed:
                        if marks is not None:
                            marks.flush()
                        claimed.extend(ledger.record_and_claim(
                            done, count=pace.next(self.clock())))
                        if not claimed:
                            return
                    ready, settlement = self._prepare(slot, transport, claimed.popleft())
                reachable = True
                if ready is not None:
                    settlement, reachable = self._deliver(slot, transport, ready, marks,
                                                          following, meanwhile)
                if settlement is not None:
                    if not done:
                        oldest = self.clock()
                    done.append(settlement)
                if trouble:
                    raise trouble.pop()
                if not reachable:
                    return  # this connection stops at its first failure to connect
                if done and (len(done) >= FLUSH_COUNT or self.clock() - oldest >= FLUSH_SECONDS):
                    ledger.record_and_claim(done, claim=False)
        except BaseException as err:
            if self.error is None:
                self.error = err
            self.stop.request(StopReason.ERROR)
        finally:
            try:  # results first, then what was claimed and not sent goes back, untried
                if marks is not None:
                    marks.close()
                done += [ledger.untried(ready.item.row) for ready in upcoming]
                done += [ledger.untried(item.row) for item in claimed]
                ledger.record_and_claim(done, claim=False)
            except BaseException as err:
                if self.error is None:
                    self.error = err

    def _prepare(self, slot: int, transport: Transport,
                 item: Claimed) -> tuple[_Ready | None, Settlement | None]:
        """A claimed row made ready to send: (it, None), or (None, its result to record;
        None when already recorded) when it must not go now."""
        ledger, row, prepared = self.ledger, item.row, item.prepared
        if self.stop.is_set() or row.mailout_id in self.halted:
            return None, ledger.untried(row)
        if self.clock() - item.at > RECHECK_AFTER and ledger.recheck(row):
            return None, None  # opted out or consent withdrawn since it was claimed
        data = self._message(transport, row, prepared)
        # Workers sharing a server's outbox wait for their slot just before the final dot
        # (in commit): what the relay counts is when a message is complete, and the SMTP
        # exchange before it takes each connection a different time.
        if self.limiter is not None and not isinstance(self.limiter, SharedLimiter):
            with contextlib.suppress(_Stopped):
                self.limiter.acquire(self.clock, self._sleep)
        if self.stop.is_set():
            return None, ledger.untried(row)
        assert self.journal is not None
        sender = self._envelope_sender(prepared.senders[row.variant], row)
        return _Ready(item, sender, data, self.journal.begin(self.slot_base + slot, row.id)), None

    def _message(self, transport: Transport, row: RowRecord, prepared: Prepared) -> bytes | Wire:
        """The row's message: in wire form for a transport that takes it (spliced from
        the variant's, pressctl.delivery.wire, unless DKIM signs the whole)."""
        wire = getattr(transport, "takes_wire", False)
        factory = (prepared.wire(row.variant) if wire and self.sign is None
                   else prepared.factories[row.variant])
        data = factory.build(name=row.name, address=row.address, salutation=row.salutation,
                             now=prepared.date, message_id=row.message_id,
                             unsubscribe_token=row.token)
        if factory is not prepared.factories[row.variant]:
            return Wire(data)
        if self.sign is not None:
            data = self.sign(data)
        return Wire(stuff(data)) if wire else data

    def _following(self, slot: int, transport: Transport, claimed: deque[Claimed],
                   upcoming: list[_Ready]) -> tuple[str, str, Wire] | None:
        """Asked just before a final dot: the connection's next message, made ready now
        so that its envelope goes with that dot; None when it should go the usual way
        (none claimed, a stop, a halted mailout, a row due for its recheck)."""
        if not claimed or self.stop.is_set():
            return None
        item = claimed[0]
        if item.row.mailout_id in self.halted or self.clock() - item.at > RECHECK_AFTER:
            return None
        claimed.popleft()
        ready, _ = self._prepare(slot, transport, item)
        if ready is None or not isinstance(ready.data, Wire):
            claimed.appendleft(item)  # a stop just came: the loop gives it back
            return None
        upcoming.append(ready)
        return ready.sender, item.row.address, ready.data

    def _meanwhile(self, claimed: deque[Claimed], done: list[Settlement],
                   marks: MarkWriter | None, pace: _Pace,
                   trouble: list[BaseException]) -> None:
        """While the relay works on a final dot, the database work that would otherwise
        wait for its reply: the next rows are claimed when this connection has at most one
        left, and the results held are recorded in the same transaction (or on their own
        once there are FLUSH_COUNT of them: one transaction per batch, not two). What
        goes wrong is kept in ``trouble`` and raised once the reply is recorded."""
        low = len(claimed) <= 1
        if self.stop.is_set() or (not low and len(done) < FLUSH_COUNT):
            return
        try:
            if low and marks is not None:
                marks.flush()
            claimed.extend(self.ledger.record_and_claim(
                done, claim=low, count=pace.next(self.clock()) if low else None))
        except BaseException as err:
            trouble.append(err)

    def _deliver(self, slot: int, transport: Transport, ready: _Ready,
                 marks: MarkWriter | None,
                 following: Callable[[], tuple[str, str, Wire] | None] | None,
                 meanwhile: Callable[[], None] | None = None
                 ) -> tuple[Settlement | None, bool]:
        """Send one message: (its result to record, None when already recorded; whether
        the relay could be reached)."""
        ledger, row, prepared = self.ledger, ready.item.row, ready.item.prepared
        late_limit = self.limiter if isinstance(self.limiter, SharedLimiter) else None
        assert self.journal is not None
        journal, entry = self.journal, ready.entry
        in_flight, row_id = self.in_flight, row.id

        steps: Callable[[], bool | InFlightFlag]
        if late_limit is None and marks is None:
            def mark() -> InFlightFlag:  # the commit of one run on its own (no marks, no slot)
                in_flight[slot] = row_id
                return journal.flag(entry)  # set by the transport just before the dot
            steps = mark
        else:
            def commit() -> bool | InFlightFlag:  # before the final dot: pressctl.delivery.inflight
                try:
                    if late_limit is not None and marks is not None:
                        marks.flush()  # results are not held back while this waits
                        # The mark goes just before the slot (see SharedLimiter.acquire); a
                        # stop after it withholds the dot, and the row goes back untried.
                        late_limit.acquire(self.clock, self._sleep, lead=marks.lead,
                                           before=lambda: marks.mark(row.id))
                    elif late_limit is not None:
                        late_limit.acquire(self.clock, self._sleep)
                    elif marks is not None:
                        marks.mark(row.id)
                except _Stopped:
                    return False  # a stop while waiting for the slot: the dot never goes
                except StaleClaim:  # another worker took this run's rows as a dead run's
                    self.stop.request(StopReason.LEASE_LOST)
                    return False
                self.in_flight[slot] = row.id
                return journal.flag(entry)  # set by the transport just before the dot
            steps = commit
        if following is not None or meanwhile is not None:
            outcome = transport.send(ready.sender, row.address, ready.data,  # type: ignore[call-arg,arg-type]
                                     crlf=True, commit=steps, following=following,
                                     meanwhile=meanwhile)
        else:
            outcome = transport.send(ready.sender, row.address, ready.data,  # type: ignore[arg-type]
                                     crlf=True, commit=steps)
        moment = ledger.now()
        if outcome.status in JOURNAL_STATUS:
            journal.finish(entry, JOURNAL_STATUS[outcome.status], outcome.code,
                           int(moment.timestamp() * 1000))
        self.in_flight[slot] = None
        settlement = ledger.settlement(row, outcome, prepared, moment)
        reachable = outcome.status != SendStatus.UNREACHABLE
        if marks is not None and settlement.charged:  # see the module doc
            marks.settle(settlement)
            return None, reachable
        return settlement, reachable

    def _envelope_sender(self, sender: str, row: RowRecord) -> str:
        """The sender, or with ``verp`` its bounce address for this row. A row whose token
        or a sender that cannot carry one (an old token, a non-ASCII local part) keeps
        the plain sender: its bounces are still matched by the Message-ID."""
        if not self.verp:
            return sender
        try:
            return verp_sender(sender, row.token)
        except InvalidInput:
            return sender

    def _sleep(self, seconds: float) -> None:
        """The rate limit's wait, cut short by a stop."""
        if self.stop.wait(seconds):
            raise _Stopped
