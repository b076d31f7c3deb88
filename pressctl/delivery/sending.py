"""One delivery run's connections at work (pressctl.delivery.run starts them), what asks
them to stop, and the report they fill in.

Each connection works one message at a time, in its own thread: one transaction settles
its previous message and claims the next row, checking at that moment that the mailout
is still scheduled (a `mailout pause` from another terminal takes effect between two
messages), that the address has not opted out and, for an embargoed phase, that the
contact still accepts embargoes. Then it builds the message, waits for the rate limit
and sends it. Just before the final dot, the row is marked in flight (pressctl.delivery.inflight).
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
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pressctl.book.contacts import Book
from pressctl.contacts.emails import email_key
from pressctl.delivery.inflight import Entry, InflightJournal, Status, read_entries
from pressctl.delivery.transport import Outcome, Transport
from pressctl.errors import EXIT_INTERRUPTED, EXIT_TERMINATED
from pressctl.outbox.policy import NOT_OFFERED, RetryPolicy, after_attempt, from_iso, iso
from pressctl.store.mailouts import MailoutRecord, RowRecord
from pressctl.store.runs import Settlement

STOP_GRACE = 1.5  # seconds a stopping run waits for connections that have nothing in flight
REPLY_WAIT = 120.0  # seconds it waits for the reply to a final dot that went out
PAGE = 256  # queued row ids fetched at a time
BATCH = 32  # rows a connection claims at a time
FLUSH_COUNT = 32  # results a connection keeps in memory (and in its ring) at most
FLUSH_SECONDS = 0.25  # ... or for at most this long
RECHECK_AFTER = 1.0  # a row claimed longer ago is checked again (opt-out, consent) first
WATCH_EVERY = 0.5  # seconds between two looks for mailouts paused from elsewhere
UNKNOWN_AFTER_CRASH = ("the run sending it stopped after transmitting it, before recording the "
                       "reply: it may have been delivered")
SIGNAL_EXIT = {"SIGINT": EXIT_INTERRUPTED, "SIGTERM": EXIT_TERMINATED}  # the shell's codes


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

    def take(self, store, now: str, count: int,
             sharers: int) -> tuple[MailoutRecord, list[int]] | None:
        """Up to ``count`` row ids of the current mailout, and no more than a fair share
        of what is left of its page among ``sharers`` connections, so that a small mailout
        still goes out over every connection (inside a transaction)."""
        while True:
            if self._ids and self._current is not None:
                share = min(count, -(-len(self._ids) // sharers))
                taken, self._ids = self._ids[:share], self._ids[share:]
                return self._current, taken
            if self._current is None:
                if not self._mailouts:
                    return None
                self._current, self._after = self._mailouts.pop(0), 0
            page = store.runs.queued_ids(self._current.id, self._after, now, PAGE)
            if not page:
                self._current = None
                continue
            self._after, self._ids = page[-1], page

    def drop(self, mailout_ids: set[int]) -> None:
        """Those mailouts were paused or cancelled: none of their rows any more."""
        if self._current is not None and self._current.id in mailout_ids:
            self._current, self._ids = None, []
        self._mailouts = [m for m in self._mailouts if m.id not in mailout_ids]


@dataclass(slots=True)
class _Claimed:
    row: RowRecord
    prepared: _Prepared
    at: float  # when it was claimed (monotonic)


_JOURNAL_STATUS = {"sent": Status.SENT, "transient": Status.TRANSIENT,
                   "permanent": Status.PERMANENT, "unknown": Status.UNKNOWN}


class Connections:
    """One run's connections at work; see the module docstring."""

    def __init__(self, book: Book, report: RunReport, due: list[MailoutRecord],
                 make: Callable[[], Transport], connections: int, *, run_id: str,
                 journal_dir: Path, now: Callable[[], datetime], clock: Callable[[], float],
                 stop: StopRequest, progress: Callable[[int], None] | None,
                 limiter=None) -> None:
        delivery = book.settings.delivery
        self.store, self.report = book.store, report
        self.make, self.connections = make, max(1, connections)
        self.run_id, self.journal_dir = run_id, journal_dir
        self.now, self.clock, self.stop, self.progress = now, clock, stop, progress
        self.policy = RetryPolicy(max_attempts=delivery.max_attempts)
        self.give_up_after = delivery.give_up_after
        self.queue = _Queue(due)
        self.mailout_ids = {m.id for m in due}
        self.halted: set[int] = set()  # mailouts paused or cancelled during the run
        self.prepared: dict[int, _Prepared] = {}
        self.limiter = limiter  # shared by the connections (thread-safe)
        self.batch = _batch_size(delivery.limits, self.connections)
        # slot -> the row whose final dot went out and whose reply has not come yet;
        # each connection writes only its own slot
        self.in_flight: list[int | None] = [None] * self.connections
        self.error: BaseException | None = None  # stops every connection; raised at the end
        self.journal: InflightJournal | None = None
        self._counting = threading.Lock()

    def run(self) -> None:
        # Transports are made before any row is claimed: a missing password or a bad CA
        # file stops the run with nothing touched.
        transports = [self.make() for _ in range(self.connections)]
        threads = []
        try:
            self.journal = InflightJournal(self.journal_dir, self.run_id, self.connections)
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
                    self._settle_leftovers()
                    self.journal.close()
            except Exception as err:
                self.error = self.error or err
            for transport in transports:
                with contextlib.suppress(Exception):  # closing politely is best effort
                    transport.close()
        if self.stop.reason == "lease lost":
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
                with self.store.transaction():
                    halted = self.store.runs.halted_mailouts(self.mailout_ids)
                self.halted = halted  # the connections look before each message
                next_look = self.clock() + WATCH_EVERY
            if self.stop.is_set() and stopping_since is None:
                stopping_since = self.clock()
            if stopping_since is not None and self.clock() - stopping_since > STOP_GRACE:
                busy = [slot for slot, t in enumerate(threads) if t.is_alive()
                        and self.in_flight[slot] is not None]
                if not busy:
                    return  # the rest only wait on a dead relay: their rows go back
                if self.clock() - stopping_since > STOP_GRACE + REPLY_WAIT:
                    return  # no reply: those rows become unknown below

    def _settle_leftovers(self) -> None:
        """Rows this run still holds after its connections stopped (none, unless one was
        abandoned): settled from the in-flight file, like a dead run's."""
        with self.store.transaction():
            mine = self.store.runs.claimed_rows().get(self.run_id, [])
            if mine:
                entries = read_entries(self.journal_dir, self.run_id) or {}
                unknown, _ = settle_from_journal(self.store, self.run_id, mine, entries,
                                                 iso(self.now()))
                self.report.unknown += unknown

    # -- one connection -------------------------------------------------------------------

    def _work(self, slot: int, transport: Transport) -> None:
        claimed: deque[_Claimed] = deque()
        done: list[Settlement] = []  # results not yet in the database (they are in the file)
        oldest = 0.0
        try:
            while True:
                if not claimed:
                    claimed = self._record_and_claim(done)
                    if not claimed:
                        return
                item = claimed.popleft()
                settlement, reachable = self._send(slot, transport, item)
                if settlement is not None:
                    if not done:
                        oldest = self.clock()
                    done.append(settlement)
                if not reachable:
                    return  # this connection stops at its first failure to connect
                if len(done) >= FLUSH_COUNT or self.clock() - oldest >= FLUSH_SECONDS:
                    self._record_and_claim(done, claim=False)
        except BaseException as err:
            if self.error is None:
                self.error = err
            self.stop.request("error")
        finally:
            try:  # what was claimed and not sent goes back, untried
                done += [self._untried(item.row) for item in claimed]
                self._record_and_claim(done, claim=False)
            except BaseException as err:
                if self.error is None:
                    self.error = err

    def _send(self, slot: int, transport: Transport,
              item: _Claimed) -> tuple[Settlement | None, bool]:
        """Send one claimed row: (its result to record, None when already recorded;
        whether the relay could be reached)."""
        row, prepared = item.row, item.prepared
        if self.stop.is_set() or row.mailout_id in self.halted:
            return self._untried(row), True
        if self.clock() - item.at > RECHECK_AFTER and self._recheck(row):
            return None, True  # opted out or consent withdrawn since it was claimed
        data = prepared.factories[row.variant].build(
            name=row.name, address=row.address, salutation=row.salutation,
            now=prepared.date, message_id=row.message_id, unsubscribe_token=row.token)
        if self.limiter is not None:
            with contextlib.suppress(_Stopped):
                self.limiter.acquire(self.clock, self._sleep)
        if self.stop.is_set():
            return self._untried(row), True
        assert self.journal is not None
        journal, entry = self.journal, self.journal.begin(slot, row.id)

        def commit() -> None:  # just before the final dot: see pressctl.delivery.inflight
            journal.mark(entry)
            self.in_flight[slot] = row.id

        outcome = transport.send(prepared.senders[row.variant], row.address, data, crlf=True,
                                 commit=commit)
        moment = self.now()
        if outcome.status in _JOURNAL_STATUS:
            journal.finish(entry, _JOURNAL_STATUS[outcome.status], outcome.code,
                           int(moment.timestamp() * 1000))
        self.in_flight[slot] = None
        return (self._settlement(row, outcome, prepared, moment),
                outcome.status != "unreachable")

    def _sleep(self, seconds: float) -> None:
        """The rate limit's wait, cut short by a stop."""
        if self.stop.wait(seconds):
            raise _Stopped

    def _untried(self, row: RowRecord) -> Settlement:
        return Settlement(row.id, "queued", row.next_attempt_at, None, iso(self.now()), False)

    def _record_and_claim(self, done: list[Settlement], *, claim: bool = True) -> deque:
        """One transaction: record the results held in memory, then (``claim``) take the
        next rows that may still go, skipping opted-out addresses and withdrawn embargo
        consent. Returns the rows taken."""
        taken: deque[_Claimed] = deque()
        skipped = 0
        with self.store.transaction():
            if done:
                self.store.runs.settle_rows(self.run_id, done)
                done.clear()
            if not claim or self.stop.is_set():
                return taken
            now = iso(self.now())
            while not taken:
                found = self.queue.take(self.store, now, self.batch, self.connections)
                if found is None:
                    return taken
                record, ids = found
                rows = self.store.runs.claim_rows(ids, self.run_id, now)
                if not rows and self.store.runs.halted_mailouts([record.id]):
                    self.queue.drop({record.id})  # paused or cancelled meanwhile
                    continue
                withheld = self._withheld(rows, now)
                skipped += len(withheld)
                prepared = self._prepared(record)
                at = self.clock()
                taken.extend(_Claimed(row, prepared, at) for row in rows
                             if row.id not in withheld)
        if skipped and self.progress is not None:
            self.progress(skipped)
        return taken

    def _withheld(self, rows: list[RowRecord], now: str) -> set[int]:
        """Inside a transaction: the rows that must not go now, settled as skipped: an
        opted-out address; an embargoed copy to a contact who no longer accepts embargoes
        (who gets the public version instead: pressctl.store.consent)."""
        store = self.store
        blocked = store.suppressions.opted_out_keys(email_key(row.address) for row in rows)
        withdrawn = store.consent.withdrawn_consent(row.id for row in rows)
        withheld: set[int] = set()
        for row in rows:
            if email_key(row.address) in blocked:
                store.runs.settle_rows(self.run_id, [
                    Settlement(row.id, "skipped", None, "opted out", now, False)])
            elif row.id in withdrawn:
                store.consent.fall_back_to_public(row.id, now)
            else:
                continue
            withheld.add(row.id)
        with self._counting:
            self.report.skipped += len(withheld)
        return withheld

    def _recheck(self, row: RowRecord) -> bool:
        """A row claimed a while ago (slow relay, rate limit): True when it must not go
        any more (opted out or consent withdrawn since); it is then settled as skipped."""
        with self.store.transaction():
            withheld = self._withheld([row], iso(self.now()))
        if withheld and self.progress is not None:
            self.progress(1)
        return bool(withheld)

    def _settlement(self, row: RowRecord, outcome: Outcome, prepared: _Prepared,
                    moment: datetime) -> Settlement:
        """The row's next state (counted in the report and the progress bar)."""
        report = self.report
        if outcome.status in NOT_OFFERED:
            reply = outcome.reply if outcome.status == "unreachable" else None
            if outcome.status == "unreachable":
                with self._counting:
                    report.unreachable = report.unreachable or outcome.reply
            return Settlement(row.id, "queued", row.next_attempt_at, reply, iso(moment), False)
        step = after_attempt(outcome.status, row.attempts + 1, moment, self.policy,
                             give_up_at=prepared.give_up_at)
        text = f"{outcome.code} {outcome.reply}".strip() if outcome.code else outcome.reply
        next_at = iso(step.next_attempt_at) if step.next_attempt_at else None
        with self._counting:
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
        if self.progress is not None:
            self.progress(1)
        return Settlement(row.id, step.state, next_at, text or None, iso(moment), True)

    def _prepared(self, record: MailoutRecord) -> _Prepared:
        """Inside a transaction: the mailout's frozen variants, thawed once per run."""
        found = self.prepared.get(record.id)
        if found is None:
            from pressctl.delivery.frozen import thaw
            from pressctl.releases.messages import MessageFactory

            factories, senders = [], []
            for blob in self.store.mailouts.variants(record.id):
                variant, sender = thaw(blob)
                factories.append(MessageFactory(variant, sender, domain=record.domain))
                senders.append(sender.address)
            due = from_iso(record.due_at)  # also the Date of the approved messages
            found = _Prepared(factories, senders, due, due + self.give_up_after)
            self.prepared[record.id] = found
        return found


def _batch_size(limits: dict[float, int], connections: int) -> int:
    """Rows a connection claims at a time: BATCH, or what it sends in about half a second
    under the rate limit (claimed rows are checked again before they go: RECHECK_AFTER)."""
    if not limits:
        return BATCH
    per_second = min(count / window for window, count in limits.items())
    return max(1, min(BATCH, int(per_second / connections / 2)))


def settle_from_journal(store, run_id: str, row_ids: list[int], entries: dict[int, Entry],
                        now: str) -> tuple[int, int]:
    """Inside a transaction: settle rows a run left 'sending' from what its in-flight file
    says (see pressctl.delivery.inflight). Returns (rows now unknown, rows back in the queue)."""
    unknown, queued, settled = [], [], []
    for row_id in row_ids:
        entry = entries.get(row_id)
        if entry is None:
            queued.append(row_id)
        elif entry.status in (Status.IN_FLIGHT, Status.UNKNOWN):
            unknown.append(row_id)
        else:
            at = iso(datetime.fromtimestamp(entry.at_ms / 1000, UTC))
            state, said = {Status.SENT: ("sent", "accepted"),
                           Status.TRANSIENT: ("queued", "refused for now"),
                           Status.PERMANENT: ("failed", "refused")}[entry.status]
            settled.append(Settlement(row_id, state, None, f"{entry.code or ''} {said} (the "
                                      "run stopped before recording the reply's text)".strip(),
                                      at, True))
    store.runs.settle_rows(run_id, settled)
    return (store.runs.mark_unknown(unknown, UNKNOWN_AFTER_CRASH, now),
            store.runs.requeue(queued, now))


def exit_code_for(report: RunReport) -> int | None:
    """130 for SIGINT, 143 for SIGTERM (the shell's convention), else None."""
    return SIGNAL_EXIT.get(report.stopped_by or "")


