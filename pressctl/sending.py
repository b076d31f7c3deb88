"""One delivery run's connections at work (pressctl.delivery starts them), what asks
them to stop, and the report they fill in.

Each connection works one message at a time, in its own thread: one transaction settles
its previous message and claims the next row, checking at that moment that the mailout
is still scheduled (a `mailout pause` from another terminal takes effect between two
messages), that the address has not opted out and, for an embargoed phase, that the
contact still accepts embargoes. Then it builds the message, waits for the rate limit
and sends it. Just before the final dot, the row is marked in flight (pressctl.inflight).
A row is settled before its connection marks the next one, so a crash leaves at most one
row per connection whose outcome is unknown.

Stopping (:class:`StopRequest`, from SIGINT or SIGTERM at the edge): no new message is
started; a message whose final dot has not gone out is abandoned (its connection is cut,
the relay discards it) and its row goes back to the queue; one whose final dot went out
waits for its reply. Rows are never left 'sending'.

An unreachable relay (refused, DNS, timeout, TLS handshake) ends a connection at its
first failure and charges no attempt; only a server's answer after MAIL FROM, or a drop
during a transaction, costs one.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pressctl import inflight
from pressctl.book import Book
from pressctl.emails import email_key
from pressctl.outbox import NOT_OFFERED, RetryPolicy, after_attempt, from_iso, iso
from pressctl.store.mailouts import MailoutRecord, RowRecord
from pressctl.transport import INTERRUPTED, Outcome, Transport

STOP_GRACE = 1.5  # seconds a stopping run waits for connections that have nothing in flight
REPLY_WAIT = 120.0  # seconds it waits for the reply to a final dot that went out
PAGE = 256  # queued row ids fetched at a time
UNKNOWN_AFTER_CRASH = ("the run sending it stopped after transmitting it, before recording the "
                       "reply: it may have been delivered")
SIGNAL_EXIT = {"SIGINT": 130, "SIGTERM": 143}


class StopRequest:
    """Asked from outside (a signal handler, a test) to stop the run; the run registers
    what must hear of it at once (each connection's ``interrupt``)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None
        self._listeners: list[Callable[[], None]] = []
        # re-entrant: a signal handler may call request() while its own thread is in listen()
        self._lock = threading.RLock()

    def request(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            self._event.set()
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True at once when a stop is requested."""
        return self._event.wait(max(0.0, seconds))

    def listen(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)
            stopped = self._event.is_set()
        if stopped:
            listener()


# -- the report ---------------------------------------------------------------------------


@dataclass(slots=True)
class RunReport:
    run_id: str
    via: str = ""
    busy: str | None = None  # another run holds the outbox: who
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    unknown: int = 0
    gave_up: int = 0
    recovered_unknown: int = 0  # left in flight by a run that died: transmitted, no reply
    recovered_queued: int = 0  # claimed by a run that died before transmitting them
    waiting: int = 0  # due rows this run did not get to (an outage, a stop)
    unreachable: str | None = None  # "cannot reach host:port (cause)"
    stopped_by: str | None = None  # "SIGINT", "SIGTERM"
    lease_lost: bool = False
    mailouts: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "address: reply", for the log
    causes: Counter[str] = field(default_factory=Counter)  # reply -> rows, for the error line
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.recovered_unknown or self.gave_up
                    or self.lease_lost or (self.unreachable and self.waiting))

    def summary(self) -> str:
        parts = [f"{self.sent} sent", f"{self.failed} failed", f"{self.retrying} to retry",
                 f"{self.skipped} skipped", f"{self.unknown} unknown"]
        if self.gave_up:
            parts.append(f"{self.gave_up} given up")
        text = ", ".join(parts)
        if self.recovered_unknown or self.recovered_queued:
            text += (f" (+{self.recovered_unknown} left unknown and {self.recovered_queued} "
                     "put back in the queue by an interrupted run)")
        return text + (f" via {self.via}" if self.via else "") + f" in {self.seconds:.1f} s"

    def problem(self) -> str | None:
        """The one line cron mails, naming the cause; None when all went well."""
        if self.stopped_by:
            return (f"stopped by {self.stopped_by} after {self.sent} sent; {_waiting(self.waiting)}"
                    " for the next run (none was left half-sent)")
        if self.lease_lost:
            return ("another run took over the outbox (this one looked dead to it): stopped; "
                    f"{self.sent} sent")
        if self.unreachable and self.waiting:
            return f"{self.unreachable}; {_waiting(self.waiting)} for the next run"
        if self.ok:
            return None
        named = []
        if self.failed:
            named.append(f"{self.failed} failed ({self._top_causes()})")
        if self.gave_up:
            named.append(f"{self.gave_up} not delivered in time (given up)")
        if self.unknown:
            named.append(f"{self.unknown} unknown (no reply to the end of the message: "
                         "it may have been delivered)")
        if self.recovered_unknown:
            named.append(f"{self.recovered_unknown} left unknown by an interrupted run "
                         "(transmitted, reply not recorded)")
        return f"delivery finished with failures: {self.sent} sent, " + ", ".join(named)

    def _top_causes(self) -> str:
        common = self.causes.most_common(3)
        text = "; ".join(f"{cause} x{count}" if count > 1 else cause for cause, count in common)
        more = len(self.causes) - len(common)
        return text + (f"; {more} other cause(s)" if more > 0 else "")


def _waiting(count: int) -> str:
    return "1 message waits" if count == 1 else f"{count} messages wait"


@dataclass(slots=True)
class _Prepared:
    """What the messages of one mailout need, thawed once."""

    record: MailoutRecord
    factories: list
    senders: list[str]
    date: datetime
    give_up_at: datetime


class _Stopped(Exception):
    """A stop came while a connection waited for the rate limit (internal)."""


class _Queue:
    """Due rows, mailout by mailout in due order, fetched a page at a time; each row is
    offered at most once per run (a transient failure waits for a later run)."""

    def __init__(self, due: list[MailoutRecord]) -> None:
        self._mailouts = list(due)
        self._current: MailoutRecord | None = None
        self._ids: list[int] = []
        self._after = 0

    def next(self, store, now: str) -> tuple[MailoutRecord, int] | None:
        """Called inside a transaction (it reads the store)."""
        while True:
            if self._ids and self._current is not None:
                return self._current, self._ids.pop()
            if self._current is None:
                if not self._mailouts:
                    return None
                self._current, self._after = self._mailouts.pop(0), 0
            page = store.queued_ids(self._current.id, self._after, now, PAGE)
            if not page:
                self._current = None
                continue
            self._after = page[-1]
            self._ids = page[::-1]  # pop() from the end gives id order

    def drop(self, mailout_id: int) -> None:
        """The mailout was paused or cancelled: none of its rows any more."""
        if self._current is not None and self._current.id == mailout_id:
            self._current, self._ids = None, []


class Connections:
    """One run's connections at work; see the module docstring."""

    def __init__(self, book: Book, report: RunReport, due: list[MailoutRecord],
                 make: Callable[[], Transport], connections: int, *, run_id: str,
                 journal_dir: Path, now: Callable[[], datetime], clock: Callable[[], float],
                 stop: StopRequest, progress: Callable[[int], None] | None,
                 limiter=None) -> None:
        delivery = book.settings.delivery
        self.book, self.store, self.report = book, book.store, report
        self.make, self.connections = make, max(1, connections)
        self.run_id, self.journal_dir = run_id, journal_dir
        self.now, self.clock, self.stop, self.progress = now, clock, stop, progress
        self.policy = RetryPolicy(max_attempts=delivery.max_attempts)
        self.give_up_after = delivery.give_up_after
        self.queue = _Queue(due)
        self.prepared: dict[int, _Prepared] = {}
        self.limiter = limiter  # shared by the connections (thread-safe)
        # slot -> the row whose final dot went out and whose result is not recorded yet;
        # each connection writes only its own slot
        self.in_flight: list[int | None] = [None] * self.connections
        self.error: BaseException | None = None  # stops every connection; raised at the end
        self.journal: inflight.InflightJournal | None = None

    def run(self) -> None:
        report = self.report
        # Transports are made before any row is claimed: a missing password or a bad CA
        # file stops the run with nothing touched.
        transports = [self.make() for _ in range(self.connections)]
        threads = []
        try:
            self.journal = inflight.InflightJournal(self.journal_dir, self.run_id,
                                                    self.connections)
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
                self.stop.request("interrupted")
            try:
                if self.journal is not None:
                    self._abandon_claims()
                    self.journal.close()
            except Exception as err:  # noqa: BLE001 - the first error is the one to tell
                self.error = self.error or err
            for transport in transports:
                with contextlib.suppress(Exception):  # closing politely is best effort
                    transport.close()
        if self.stop.reason == "lease lost":
            report.lease_lost = True
        elif self.stop.reason in SIGNAL_EXIT:
            report.stopped_by = self.stop.reason
        if self.error is not None:
            raise self.error

    def _wait(self, threads: list[threading.Thread]) -> None:
        """Until every connection is done; once a stop is asked, connections with nothing
        in flight get STOP_GRACE seconds (a relay slow to answer MAIL FROM must not hold
        the stop), and one waiting for the reply to its final dot gets its full timeout."""
        stopping_since = None
        while any(t.is_alive() for t in threads):
            for thread in threads:
                thread.join(timeout=0.05)
            if self.stop.is_set() and stopping_since is None:
                stopping_since = self.clock()
            if stopping_since is not None and self.clock() - stopping_since > STOP_GRACE:
                busy = [slot for slot, t in enumerate(threads) if t.is_alive()
                        and self.in_flight[slot] is not None]
                if not busy:
                    return  # the rest only wait on a dead relay: their rows go back
                if self.clock() - stopping_since > STOP_GRACE + REPLY_WAIT:
                    return  # no reply: those rows become unknown below

    def _abandon_claims(self) -> None:
        """Rows still claimed by this run after its connections stopped: unknown when
        their final dot went out, else back to the queue."""
        with self.store.transaction():
            mine = self.store.claimed_rows().get(self.run_id, [])
            flying = {row_id for row_id in self.in_flight if row_id is not None}
            self.report.unknown += self.store.mark_unknown(
                [r for r in mine if r in flying], UNKNOWN_AFTER_CRASH, iso(self.now()))
            self.store.requeue([r for r in mine if r not in flying], iso(self.now()))

    # -- one connection -------------------------------------------------------------------

    def _work(self, slot: int, transport: Transport) -> None:
        pending: tuple[RowRecord, Outcome] | None = None
        try:
            while True:
                row, prepared = self._settle_and_claim(slot, pending)
                pending = None
                if row is None:
                    return
                assert prepared is not None
                data = prepared.factories[row.variant].build(
                    name=row.name, address=row.address, salutation=row.salutation,
                    now=prepared.date, message_id=row.message_id, unsubscribe_token=row.token)
                if self.limiter is not None:
                    try:
                        self.limiter.acquire(self.clock, self._sleep)
                    except _Stopped:
                        pass
                if self.stop.is_set():
                    pending = (row, INTERRUPTED)
                    continue

                def commit(row_id: int = row.id) -> None:
                    assert self.journal is not None
                    self.journal.mark(slot, row_id)  # before the final dot: see inflight
                    self.in_flight[slot] = row_id

                outcome = transport.send(prepared.senders[row.variant], row.address, data,
                                         crlf=True, commit=commit)
                pending = (row, outcome)
                if outcome.status == "unreachable":
                    self._settle_and_claim(slot, pending, claim=False)
                    pending = None
                    return  # this connection stops at its first failure to connect
        except BaseException as err:  # noqa: BLE001 - recorded, every connection stops
            if self.error is None:
                self.error = err
            self.stop.request("error")
        finally:
            if pending is not None:
                try:
                    self._settle_and_claim(slot, pending, claim=False)
                except BaseException as err:  # noqa: BLE001
                    if self.error is None:
                        self.error = err

    def _sleep(self, seconds: float) -> None:
        """The rate limit's wait, cut short by a stop."""
        if self.stop.wait(seconds):
            raise _Stopped

    def _settle_and_claim(self, slot: int, pending, *, claim: bool = True):
        """One transaction: record the previous message's result, then take the next row
        that may still go (skipping opted-out addresses and withdrawn embargo consent)."""
        settled = skipped = 0
        try:
            with self.store.transaction():
                if pending is not None:
                    self._settle(*pending)
                    settled = 1
                    if self.in_flight[slot] == pending[0].id:
                        self.in_flight[slot] = None
                if not claim or self.stop.is_set():
                    return None, None
                while True:
                    now = iso(self.now())
                    candidate = self.queue.next(self.store, now)
                    if candidate is None:
                        return None, None
                    record, row_id = candidate
                    row = self.store.claim_row(row_id, self.run_id, now)
                    if row is None:
                        if self.store.mailout_state(record.id) != "scheduled":
                            self.queue.drop(record.id)  # paused or cancelled meanwhile
                        continue
                    reason = self._withheld(row)
                    if reason is not None:
                        skipped += 1
                        continue
                    return row, self._prepared(record)
        finally:
            if self.progress is not None and settled + skipped:
                self.progress(settled + skipped)

    def _withheld(self, row: RowRecord) -> str | None:
        """Why a claimed row must not go now (and it is settled as skipped), else None."""
        store, now = self.store, iso(self.now())
        if store.opted_out_keys([email_key(row.address)]):
            reason = "opted out"
            store.settle_row(row.id, self.run_id, "skipped", None, reason, now, charged=False)
        elif store.withdrawn_consent([row.id]):  # skipped there, with the public fallback
            reason = store.fall_back_to_public(row.id, now)
        else:
            return None
        self.report.skipped += 1
        return reason

    def _settle(self, row: RowRecord, outcome: Outcome) -> None:
        report, moment = self.report, self.now()
        if outcome.status in NOT_OFFERED:
            reply = outcome.reply if outcome.status == "unreachable" else None
            self.store.settle_row(row.id, self.run_id, "queued", row.next_attempt_at, reply,
                                  iso(moment), charged=False)
            if outcome.status == "unreachable" and report.unreachable is None:
                report.unreachable = outcome.reply
            return
        prepared = self.prepared[row.mailout_id]
        step = after_attempt(outcome.status, row.attempts + 1, moment, self.policy,
                             give_up_at=prepared.give_up_at)
        text = f"{outcome.code} {outcome.reply}".strip() if outcome.code else outcome.reply
        next_at = iso(step.next_attempt_at) if step.next_attempt_at else None
        self.store.settle_row(row.id, self.run_id, step.state, next_at, text or None,
                              iso(moment), charged=True)
        if step.state == "sent":
            report.sent += 1
        elif step.state == "failed":
            report.failed += 1
            report.failures.append(f"{row.address}: {text}")
            report.causes[text] += 1
        elif step.state == "unknown":
            report.unknown += 1
            report.failures.append(f"{row.address}: outcome unknown ({text})")
        else:
            report.retrying += 1

    def _prepared(self, record: MailoutRecord) -> _Prepared:
        """Inside a transaction: the mailout's frozen variants, thawed once per run."""
        found = self.prepared.get(record.id)
        if found is None:
            from pressctl.frozen import thaw
            from pressctl.messages import MessageFactory

            factories, senders = [], []
            for blob in self.store.frozen_variants(record.id):
                variant, sender = thaw(blob)
                factories.append(MessageFactory(variant, sender, domain=record.domain))
                senders.append(sender.address)
            due = from_iso(record.due_at)  # also the Date of the approved messages
            found = _Prepared(record, factories, senders, due, due + self.give_up_after)
            self.prepared[record.id] = found
        return found


def exit_code_for(report: RunReport) -> int | None:
    """130 for SIGINT, 143 for SIGTERM (the shell's convention), else None."""
    return SIGNAL_EXIT.get(report.stopped_by or "")


