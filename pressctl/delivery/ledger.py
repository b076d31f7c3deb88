"""The rows of one delivery run: which are due, claiming them, withholding those that may
not go any more, and settling each with what became of it.

The connections (pressctl.delivery.sending) send; everything they read or write in the
database goes through their shared :class:`Ledger`. One transaction settles the results a
connection holds and claims its next rows, checking at that moment that the mailout is
still scheduled (a `mailout pause` from another terminal takes effect between two
messages), that the address has not opted out and, for an embargoed phase, that the
contact still accepts embargoes (else the public copy replaces it: pressctl.store.consent).

:meth:`Ledger.settle_leftovers` settles the rows a connection abandoned at a stop from
the in-flight file (pressctl.delivery.recovery). On PostgreSQL a worker also takes over
the rows of workers that die during its run (:meth:`Ledger.take_over_dead`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.contacts.emails import email_key
from pressctl.delivery.inflight import Status, read_entries
from pressctl.delivery.recovery import forget_journals, recover_workers, settle_from_journal
from pressctl.delivery.report import RunReport, StopRequest
from pressctl.delivery.transport import Outcome
from pressctl.outbox.policy import RetryPolicy, after_attempt
from pressctl.outbox.states import NOT_OFFERED, RowState, SendStatus
from pressctl.store import Store
from pressctl.store.mailouts import MailoutRecord, RowRecord
from pressctl.store.runs import Settlement
from pressctl.times import Now, from_iso, iso

if TYPE_CHECKING:
    from pressctl.delivery.marks import MarkWriter
    from pressctl.delivery.wire import WireFactory
    from pressctl.releases.messages import MessageFactory

PAGE = 256  # queued row ids fetched at a time
LOOK_EVERY = 1.0  # seconds between two looks for dead workers when the queue runs dry
BATCH = 128  # rows a connection claims at a time, at most (see sending._Pace)
FIRST_BATCH = 32  # ... at first, and while its batches take a while to go out

Progress = Callable[[int], None]  # hears of every n rows settled (a progress bar)


@dataclass(slots=True)
class Prepared:
    """What the messages of one mailout need, thawed once."""

    factories: list[MessageFactory]
    senders: list[str]
    date: datetime
    give_up_at: datetime
    wires: dict[int, WireFactory] = field(default_factory=dict)

    def wire(self, variant: int) -> WireFactory:
        """The variant's messages in wire form (pressctl.delivery.wire), made when first
        asked: two connections making it at once make the same."""
        found = self.wires.get(variant)
        if found is None:
            from pressctl.delivery.wire import WireFactory

            found = self.wires[variant] = WireFactory(self.factories[variant])
        return found


@dataclass(slots=True)
class Claimed:
    row: RowRecord
    prepared: Prepared
    at: float  # when it was claimed (monotonic)


class DueQueue:
    """Due rows, mailout by mailout in due order, fetched a page at a time; each row is
    offered at most once per run (a transient failure waits for a later run)."""

    def __init__(self, due: list[MailoutRecord]) -> None:
        self._due = list(due)
        self._mailouts = list(due)
        self._current: MailoutRecord | None = None
        self._ids: list[int] = []
        self._after = 0
        self._left = 0  # due rows the current mailout had left (an estimate: PostgreSQL)
        self._more = False  # the current mailout's last page was full: it may have more
        self._part: tuple[int, int] | None = None  # (index, processes): see split()
        self._ours = True  # the pass over this process's own part (else the others')

    def split(self, index: int, processes: int) -> None:
        """One of several sender processes on SQLite (pressctl.delivery.processes): take
        first the rows whose id is ``index`` modulo ``processes``, then, once those are
        gone, the others' that are still queued (a process that finishes early helps the
        rest). Claims stay atomic in the store: two processes never both get a row;
        this only keeps them from asking for the same rows."""
        self._part = (index, processes) if processes > 1 else None

    def take(self, store: Store, now: str, count: int,
             sharers: int) -> tuple[MailoutRecord, list[int]] | None:
        """Up to ``count`` row ids of the current mailout, and no more than a fair share
        of what is left of it among ``sharers`` connections, so that a small mailout still
        goes out over every connection (inside a transaction). What is left is told from
        its page, topped up first while the mailout may have more: the shares shrink at
        the end of the mailout, not at the end of every page."""
        while True:
            if self._more and self._current is not None and len(self._ids) < count * sharers:
                self._fetch(store, now)
            if self._ids and self._current is not None:
                share = min(count, -(-len(self._ids) // sharers))
                taken, self._ids = self._ids[:share], self._ids[share:]
                return self._current, taken
            if self._current is None:
                if not self._mailouts and self._part is not None and self._ours:
                    self._ours, self._mailouts = False, list(self._due)  # the others' now
                if not self._mailouts:
                    return None
                self._current, self._after = self._mailouts.pop(0), 0
            if not self._fetch(store, now):
                self._current = None

    def _fetch(self, store: Store, now: str) -> bool:
        """The current mailout's next page of ids after those fetched, added to those left
        (only this process's part of them, or only the others'); False when none came."""
        assert self._current is not None
        page = store.runs.queued_ids(self._current.id, self._after, now, PAGE)
        self._more = len(page) == PAGE
        if not page:
            return False
        self._after = page[-1]
        if self._part is not None:
            index, processes = self._part
            page = [i for i in page if (i % processes == index) == self._ours]
        self._ids += page
        return True

    def claim(self, store: Store, run_id: str, now: str, count: int,
              sharers: int) -> tuple[MailoutRecord, list[RowRecord]] | None:
        """On PostgreSQL (several workers): claim up to ``count`` rows of the current
        mailout at once (no more than a fair share among ``sharers`` connections of what
        it had left when this run came to it, as :meth:`take`), skipping those another
        worker is claiming (inside a transaction); None when no mailout has any left for
        this run."""
        while True:
            if self._current is None:
                if not self._mailouts:
                    return None
                self._current, self._after = self._mailouts.pop(0), 0
                self._left = store.runs.due_count(self._current.id, now)
            share = max(1, min(count, -(-self._left // sharers)))
            rows = store.runs.claim_next(self._current.id, self._after, run_id, now, share)
            if rows:
                self._after = rows[-1].id
                self._left = max(0, self._left - len(rows))
                return self._current, rows
            self._current = None

    def revisit(self, mailouts: list[MailoutRecord]) -> None:
        """Rows of these mailouts went back to the queue (a dead worker's, taken over):
        claim from their first row again (inside a transaction)."""
        for record in mailouts:
            if self._current is not None and self._current.id == record.id:
                self._after = 0
                self._left = max(self._left, 1)
            elif all(m.id != record.id for m in self._mailouts):
                self._mailouts.append(record)

    def drop(self, mailout_ids: set[int]) -> None:
        """Those mailouts were paused or cancelled: none of their rows any more."""
        if self._current is not None and self._current.id in mailout_ids:
            self._current, self._ids = None, []
        self._mailouts = [m for m in self._mailouts if m.id not in mailout_ids]
        self._due = [m for m in self._due if m.id not in mailout_ids]


EMBARGOED = "embargoed"  # the phase whose consent pressctl.store.consent looks at


# What the in-flight file keeps of an outcome (one byte; NOT_OFFERED is never written).
JOURNAL_STATUS = {SendStatus.SENT: Status.SENT, SendStatus.TRANSIENT: Status.TRANSIENT,
                  SendStatus.PERMANENT: Status.PERMANENT, SendStatus.UNKNOWN: Status.UNKNOWN}


class Ledger:
    """One run's rows, shared by its connections (thread-safe where they meet: the
    report's counts; each transaction is the database's)."""

    def __init__(self, store: Store, run_id: str, due: list[MailoutRecord], *,
                 report: RunReport, policy: RetryPolicy, give_up_after: timedelta,
                 limits: Mapping[float, int], connections: int, now: Now,
                 clock: Callable[[], float], stop: StopRequest,
                 progress: Progress | None, journal_dir: Path) -> None:
        self.store, self.run_id, self.report = store, run_id, report
        self.shared = store.dialect == "postgresql"  # other workers share the queue
        self.policy, self.give_up_after = policy, give_up_after
        self.connections = connections
        self.now, self.clock, self.stop, self.progress = now, clock, stop, progress
        self.queue = DueQueue(due)
        self.mailout_ids = {m.id for m in due}
        self._records = {m.id: m for m in due}
        self.journal_dir = journal_dir
        self._taking_over = threading.Lock()
        self._looked_at = float("-inf")  # when dead workers were last looked for
        self.batch = batch_size(limits, connections)
        self._prepared: dict[int, Prepared] = {}
        self._counting = threading.Lock()
        self._iso_last = (0, "")  # (a second since the epoch, how iso() writes it)
        self._last_text: tuple[Outcome | None, str] = (None, "")  # an outcome's reply text
        self._sent = after_attempt(SendStatus.SENT, 1, datetime.now(UTC), policy)

    def halted(self) -> set[int]:
        """The run's mailouts paused or cancelled from elsewhere since it started."""
        with self.store.transaction():
            return self.store.runs.halted_mailouts(self.mailout_ids)

    def record_and_claim(self, done: list[Settlement], *, claim: bool = True,
                         count: int | None = None) -> deque[Claimed]:
        """One transaction: record the results held in memory (``done`` is emptied), then
        (``claim``, and no stop asked) take the next rows that may still go (up to
        ``count``, else :attr:`batch`), skipping opted-out addresses and withdrawn embargo
        consent. Returns the rows taken."""
        count = min(count or self.batch, self.batch)
        taken: deque[Claimed] = deque()
        skipped = 0
        # Workers sharing a server's outbox claim with SKIP LOCKED: they need not wait for
        # each other (on SQLite, one run at a time, this changes nothing).
        with self.store.transaction(serialised=not self.shared):
            if done:
                self.store.runs.settle_rows(self.run_id, done)
                done.clear()
            if not claim or self.stop.is_set():
                return taken
            now = iso(self.now())
            while not taken:
                if self.shared:
                    claimed = self.queue.claim(self.store, self.run_id, now, count,
                                               self.connections)
                    if claimed is None:
                        break
                    record, rows = claimed
                else:
                    found = self.queue.take(self.store, now, count, self.connections)
                    if found is None:
                        break
                    record, ids = found
                    rows = self.store.runs.claim_rows(ids, self.run_id, now)
                if not rows and self.store.runs.halted_mailouts([record.id]):
                    self.queue.drop({record.id})  # paused or cancelled meanwhile
                    continue
                withheld = self._withheld(rows, now, record.phase)
                skipped += len(withheld)
                prepared = self._prepare(record)
                at = self.clock()
                taken.extend(Claimed(row, prepared, at) for row in rows
                             if row.id not in withheld)
        if skipped and self.progress is not None:
            self.progress(skipped)
        if not taken and claim and self.shared and not self.stop.is_set() \
                and self.take_over_dead(at_most_every=LOOK_EVERY):
            return self.record_and_claim(done, count=count)
        return taken

    def take_over_dead(self, *, at_most_every: float = 0.0) -> bool:
        """On PostgreSQL: settle the rows of workers that died meanwhile
        (pressctl.delivery.recovery) and claim their queued rows in this run. True when
        rows went back to this run's queue. Called when the queue runs dry (looking at
        most every ``at_most_every`` seconds, whichever connection asks) and at each
        heartbeat."""
        with self._taking_over:
            if self.clock() - self._looked_at < at_most_every:
                return False
            self._looked_at = self.clock()
            with self.store.transaction():
                with self._counting:
                    found = recover_workers(self.store, self.journal_dir, self.run_id,
                                            self.now(), self.report)
                mine = [self._records[m] for m in sorted(found.requeued_mailouts)
                        if m in self._records]
                self.queue.revisit(mine)
            forget_journals(self.journal_dir, lambda run: run in found.alive)
        return bool(mine)

    def recheck(self, row: RowRecord) -> bool:
        """A row claimed a while ago (slow relay, rate limit): True when it must not go
        any more (opted out or consent withdrawn since); it is then settled as skipped."""
        with self.store.transaction():
            record = self._records.get(row.mailout_id)
            withheld = self._withheld([row], iso(self.now()),
                                      record.phase if record is not None else None)
        if withheld and self.progress is not None:
            self.progress(1)
        return bool(withheld)

    def mark_writer(self) -> MarkWriter:
        """On PostgreSQL: a writer of one connection's marks and results."""
        from pressctl.delivery.marks import MarkWriter

        return MarkWriter(self.store, self.run_id, lambda: iso(self.now()))

    def untried(self, row: RowRecord) -> Settlement:
        """A claimed row given back to the queue, no attempt charged."""
        return Settlement(row.id, RowState.QUEUED, row.next_attempt_at, None, iso(self.now()),
                          False)

    def settlement(self, row: RowRecord, outcome: Outcome, prepared: Prepared,
                   moment: datetime) -> Settlement:
        """The row's next state after ``outcome`` (counted in the report and the progress
        bar)."""
        report = self.report
        if outcome.status in NOT_OFFERED:
            unreachable = outcome.status == SendStatus.UNREACHABLE
            if unreachable:
                with self._counting:
                    report.unreachable = report.unreachable or outcome.reply
            return Settlement(row.id, RowState.QUEUED, row.next_attempt_at,
                              outcome.reply if unreachable else None, self._iso(moment), False)
        if outcome.status == SendStatus.SENT:  # what after_attempt says of every "sent"
            step = self._sent
        else:
            step = after_attempt(outcome.status, row.attempts + 1, moment, self.policy,
                                 give_up_at=prepared.give_up_at)
        last = self._last_text  # a relay that answers alike gives the same Outcome
        if last[0] is outcome:
            text = last[1]
        else:
            text = f"{outcome.code} {outcome.reply}".strip() if outcome.code else outcome.reply
            self._last_text = (outcome, text)
        next_at = iso(step.next_attempt_at) if step.next_attempt_at else None
        with self._counting:
            if step.state == RowState.SENT:
                report.sent += 1
            elif step.state == RowState.FAILED:
                report.failed += 1
                report.failures.append(f"{row.address}: {text}")
                report.causes[text] += 1
            elif step.state == RowState.UNKNOWN:
                report.unknown += 1
                report.failures.append(f"{row.address}: outcome unknown ({text})")
            else:
                report.retrying += 1
        if self.progress is not None:
            self.progress(1)
        return Settlement(row.id, step.state, next_at, text or None, self._iso(moment), True)

    def _iso(self, moment: datetime) -> str:
        """iso(moment), formatted once per second (the store's resolution): a settlement
        per message made it a tenth of a run's CPU."""
        second = int(moment.timestamp())
        last = self._iso_last
        if last[0] != second:
            self._iso_last = last = (second, iso(moment))
        return last[1]

    def settle_leftovers(self, journal_dir: Path) -> None:
        """Rows this run still holds after its connections stopped (none, unless one was
        abandoned): settled from the in-flight file, like a dead run's."""
        with self.store.transaction():
            mine = self.store.runs.claimed_rows().get(self.run_id, [])
            if mine:
                entries = read_entries(journal_dir, self.run_id) or {}
                unknown, _ = settle_from_journal(self.store, self.run_id, mine, entries,
                                                 iso(self.now()))
                self.report.unknown += unknown

    def _withheld(self, rows: list[RowRecord], now: str, phase: str | None) -> set[int]:
        """Inside a transaction: the rows that must not go now, settled as skipped: an
        opted-out address; a bouncing address (with since when and why, and how to clear
        it: pressctl.book.bounces); an embargoed copy to a contact who no longer accepts
        embargoes (who gets the public version instead: pressctl.store.consent). The rows
        are of one mailout, of ``phase`` (None: not known here); only an embargoed one's
        consent is looked up (a mailout's phase never changes)."""
        from pressctl.book.bounces import skip_reason

        store = self.store
        keys = [email_key(row.address) for row in rows]
        blocked = store.suppressions.opted_out_keys(keys)
        bouncing = store.inbox.bouncing_of(keys)
        withdrawn = (store.consent.withdrawn_consent(row.id for row in rows)
                     if phase is None or phase == EMBARGOED else set())
        withheld: set[int] = set()
        if not blocked and not bouncing and not withdrawn:
            return withheld  # the usual case: every row may go
        for row, key in zip(rows, keys, strict=True):
            if key in blocked:
                store.runs.settle_rows(self.run_id, [
                    Settlement(row.id, RowState.SKIPPED, None, "opted out", now, False)])
            elif key in bouncing:
                store.runs.settle_rows(self.run_id, [Settlement(
                    row.id, RowState.SKIPPED, None, skip_reason(bouncing[key]), now, False)])
            elif row.id in withdrawn:
                store.consent.fall_back_to_public(row.id, now)
            else:
                continue
            withheld.add(row.id)
        with self._counting:
            self.report.skipped += len(withheld)
        return withheld

    def _prepare(self, record: MailoutRecord) -> Prepared:
        """Inside a transaction: the mailout's frozen variants, thawed once per run."""
        found = self._prepared.get(record.id)
        if found is None:
            from pressctl.delivery.frozen import thaw
            from pressctl.releases.messages import MessageFactory

            factories, senders = [], []
            for blob in self.store.mailouts.variants(record.id):
                variant, sender = thaw(blob)
                factories.append(MessageFactory(variant, sender, domain=record.domain))
                senders.append(sender.address)
            due = from_iso(record.due_at)  # also the Date of the approved messages
            found = Prepared(factories, senders, due, due + self.give_up_after)
            self._prepared[record.id] = found
        return found


def batch_size(limits: Mapping[float, int], connections: int) -> int:
    """Rows a connection claims at a time at most: BATCH, or what it sends in about half
    a second under the rate limit (claimed rows are checked again before they go:
    RECHECK_AFTER in pressctl.delivery.sending, whose _Pace starts below this)."""
    if not limits:
        return BATCH
    per_second = min(count / window for window, count in limits.items())
    return max(1, min(BATCH, int(per_second / connections / 2)))
