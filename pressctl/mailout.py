"""Mailout use cases: freeze an approved release into mailouts, deliver what is due,
and the manual actions (cancel, pause, resume, retry).

Delivery is at most once: a row is claimed ('sending') in one transaction before its
message goes out and settled in another after the server's answer. A run that dies in
between leaves 'sending' rows, which the next run marks 'unknown' and never re-sends by
itself. Opt-outs are checked again just before sending, whatever was approved.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pressctl.book import Book
from pressctl.emails import email_key
from pressctl.errors import InvalidInput, NotFound, PressctlError
from pressctl.outbox import RetryPolicy, after_attempt, manual_transition
from pressctl.releases import (
    ReleaseSet,
    load_release_set,
    plan_messages,
    select_recipients,
)
from pressctl.store.mailouts import MailoutRecord, RowRecord

BATCH_PER_CONNECTION = 10  # rows in flight per connection: at most this many 'unknown' on a crash


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


# -- creating -----------------------------------------------------------------------------------


@dataclass(slots=True)
class PlannedMailout:
    phase: str  # single | embargoed | public
    due_at: datetime
    releases: ReleaseSet
    recipients: list
    id: int | None = None


def _public(releases: ReleaseSet) -> ReleaseSet:
    """The same release set once the embargo has lifted: no notice, no embargo."""
    versions = {lang: dataclasses.replace(r, embargo=None, embargo_only=False)
                for lang, r in releases.versions.items()}
    return ReleaseSet(versions[releases.main.language], versions, releases.warnings)


def plan_mailouts(book: Book, path: Path, *, at: str | None, audience: str | None,
                  public_at_lift: bool, now: datetime) -> list[PlannedMailout]:
    """Who gets which version when.

    Embargoed releases: the embargoed version goes out at WHEN (default now), only to
    embargo_ok contacts when the release says embargo_only; with ``public_at_lift`` the
    rest of the audience gets the public version at the lift, as a linked mailout.
    WHEN "lift" (or any time after it) sends the public version to everyone.
    """
    from pressctl.outbox import parse_when

    releases = load_release_set(path, now.date())
    lift = releases.main.embargo.utc if releases.main.embargo else None
    if at == "lift":
        if lift is None:
            raise InvalidInput(f"{path}: --at lift, but the release has no embargo")
        due = lift
    else:
        due = parse_when(at, now) if at else now
    if lift is not None and lift <= now and at != "lift":
        lift = None  # an embargo already lifted is no embargo
    everyone = select_recipients(book, _public(releases), audience)
    if lift is None or due >= lift:
        return [PlannedMailout("single", max(due, lift or due), _public(releases), everyone)]
    embargoed = [r for r in select_recipients(book, releases, audience)]
    plans = [PlannedMailout("embargoed", due, releases, embargoed)]
    if public_at_lift:
        first = {r.address for r in embargoed}
        rest = [r for r in everyone if r.address not in first]
        if rest:
            plans.append(PlannedMailout("public", lift, _public(releases), rest))
    elif len(embargoed) < len(everyone):
        plans[0].releases.warnings.append(_left_out(path, len(everyone) - len(embargoed)))
    return plans


def _left_out(path: Path, count: int):
    from pressctl.errors import Problem

    return Problem(str(path), f"{count} contact(s) of the audience do not accept embargoes "
                   "and get nothing: add --public-at-lift to send them the public version")


def store_mailouts(book: Book, plans: list[PlannedMailout], templates, *, path: Path) -> list[int]:
    """Freeze the planned mailouts in one transaction; returns their ids."""
    from pressctl.frozen import freeze

    ids: list[int] = []
    with book.store.transaction():
        for plan in plans:
            stamp = iso(plan.due_at)
            seed = f"{plan.releases.main.reference}/{plan.phase}/{stamp}/{book.now}"
            built = plan_messages(book, plan.releases, plan.recipients, templates,
                                  now=plan.due_at, seed=seed)
            plan.id = book.store.insert_mailout(
                reference=plan.releases.main.reference, release_path=str(path.resolve()),
                phase=plan.phase, linked_to=ids[0] if ids else None, due_at=stamp,
                domain=built.domain, now=book.now,
                variants=[freeze(variant, sender) for variant, sender in built.variants],
                rows=((m.variant, m.recipient.contact.id, m.recipient.contact.name,
                       m.recipient.address, m.salutation, m.message_id, m.token)
                      for m in built.messages),
            )
            ids.append(plan.id)
    return ids


# -- reading and manual actions ----------------------------------------------------------------


def get_mailout(book: Book, mailout_id: int) -> MailoutRecord:
    record = book.store.mailout(mailout_id)
    if record is None:
        raise NotFound(f"no mailout #{mailout_id}", hint="see `pressctl mailout list`")
    return record


def cancel(book: Book, mailout_id: int) -> int:
    with book.store.transaction():
        record = get_mailout(book, mailout_id)
        book.store.set_mailout_state(mailout_id, manual_transition("cancel", record.state),
                                     book.now)
        return book.store.set_rows_state(mailout_id, ["queued"], "cancelled", book.now,
                                         "cancelled by the user")


def pause(book: Book, mailout_id: int, *, resume: bool = False) -> None:
    with book.store.transaction():
        record = get_mailout(book, mailout_id)
        action = "resume" if resume else "pause"
        book.store.set_mailout_state(mailout_id, manual_transition(action, record.state),
                                     book.now)


def retry(book: Book, mailout_id: int, *, include_unknown: bool = False) -> int:
    """Queue the failed rows again (and the unknown ones, only when asked)."""
    with book.store.transaction():
        record = get_mailout(book, mailout_id)
        if record.state == "cancelled":
            raise InvalidInput(f"mailout #{mailout_id} is cancelled: nothing to retry")
        states = ["failed", "unknown"] if include_unknown else ["failed"]
        count = book.store.set_rows_state(mailout_id, states, "queued", book.now)
        if count and record.state == "done":
            book.store.set_mailout_state(mailout_id, "scheduled", book.now)
        return count


# -- delivering ------------------------------------------------------------------------------------


@dataclass(slots=True)
class RunReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: int = 0
    unknown: int = 0
    recovered_unknown: int = 0  # rows a previous run left in flight
    mailouts: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # "address: reply", for the log

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unknown or self.recovered_unknown)


@dataclass(slots=True)
class _Job:
    row: RowRecord
    sender: str
    data: bytes


Outcome = tuple[str, int | None, str]  # status, code, reply


def deliver_due(book: Book, transports: Callable[[], object], *, now: Callable[[], datetime],
                run_id: str, policy: RetryPolicy = RetryPolicy(), connections: int = 1,
                limiter=None, clock=None, sleep=None,
                progress: Callable[[int], None] | None = None,
                recovered: Callable[[int], None] | None = None) -> RunReport:
    """Deliver every due row of every due mailout. The caller holds the outbox lock.

    ``transports()`` makes one transport per connection (SMTP, file, recording);
    ``now()`` is the clock (injected in tests); ``limiter`` bounds the send rate;
    ``recovered(n)`` hears at once of rows an interrupted run left in flight (so that the
    log has them even if this run is interrupted too).
    """
    report = RunReport()
    with book.store.transaction():
        report.recovered_unknown = book.store.abandoned_rows()
    if report.recovered_unknown and recovered is not None:
        recovered(report.recovered_unknown)
    pool = _Senders(transports, connections, limiter, clock, sleep)
    try:
        due = book.store.due_mailouts(iso(now()))
        if due:
            pool.start()  # configuration errors (no password...) before any row is claimed
        for record in due:
            report.mailouts.append(record.id)
            _deliver_mailout(book, record, pool, report, now, run_id, policy, progress)
    finally:
        pool.close()
    return report


def _deliver_mailout(book, record, pool, report, now, run_id, policy, progress) -> None:
    from pressctl.frozen import thaw
    from pressctl.messages import MessageFactory

    factories, senders = [], []
    for blob in book.store.frozen_variants(record.id):
        variant, sender = thaw(blob)
        factories.append(MessageFactory(variant, sender, domain=record.domain))
        senders.append(sender.address)
    date = from_iso(record.due_at)  # the Date of the approved messages
    while True:
        current = book.store.mailout(record.id)
        if current is None or current.state != "scheduled":
            return  # paused or cancelled meanwhile
        with book.store.transaction():
            rows = book.store.claim_rows(record.id, iso(now()), run_id,
                                         BATCH_PER_CONNECTION * pool.size)
        if not rows:
            break
        blocked = book.store.opted_out_keys(email_key(r.address) for r in rows)
        jobs, settled = [], []
        for row in rows:
            if email_key(row.address) in blocked:
                settled.append((row.id, "skipped", None, "opted out", iso(now())))
                report.skipped += 1
                continue
            data = factories[row.variant].build(
                name=row.name, address=row.address, salutation=row.salutation, now=date,
                message_id=row.message_id, unsubscribe_token=row.token)
            jobs.append(_Job(row, senders[row.variant], data))
        aborted, untried = None, []
        for job, (status, code, reply) in pool.send_all(jobs):
            if status == "abort":  # configuration or credentials: nothing was sent
                aborted = aborted or pool.error
                untried.append(job.row.id)
                settled.append((job.row.id, "queued", job.row.next_attempt_at, None,
                                iso(now())))
                continue
            moment = now()
            step = after_attempt(status, job.row.attempts, moment, policy)
            next_at = iso(step.next_attempt_at) if step.next_attempt_at else None
            text = f"{code} {reply}".strip() if code else reply
            settled.append((job.row.id, step.state, next_at, text or None, iso(moment)))
            _count(report, step.state, job.row, text)
        with book.store.transaction():
            book.store.settle_rows(settled)
            book.store.uncount_attempts(untried)
        if aborted is not None:
            raise aborted
        if progress:
            progress(len(rows))
    with book.store.transaction():
        if book.store.remaining_rows(record.id) == 0:
            book.store.set_mailout_state(record.id, "done", iso(now()))


def _count(report: RunReport, state: str, row: RowRecord, reply: str) -> None:
    if state == "sent":
        report.sent += 1
    elif state == "failed":
        report.failed += 1
        report.failures.append(f"{row.address}: {reply}")
    elif state == "unknown":
        report.unknown += 1
        report.failures.append(f"{row.address}: outcome unknown ({reply})")
    else:
        report.retrying += 1


class _Senders:
    """``size`` connections, each in its own thread with its own transport, sharing one
    rate limiter; results come back in the order of the jobs."""

    def __init__(self, transports, size: int, limiter, clock, sleep) -> None:
        self.size = max(1, size)
        self._make = transports
        self._limiter = limiter
        self._clock = clock
        self._sleep = sleep
        self._jobs: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._transports: list = []
        self.error: Exception | None = None  # the first configuration error of a thread

    def send_all(self, jobs: list[_Job]) -> Iterator[tuple[_Job, Outcome]]:
        if not jobs:
            return iter(())
        self.start()
        results: list[Outcome | None] = [None] * len(jobs)
        done = threading.Semaphore(0)
        for index, job in enumerate(jobs):
            self._jobs.put((index, job, results, done))
        for _ in jobs:
            done.acquire()
        return zip(jobs, results)  # type: ignore[arg-type]

    def start(self) -> None:
        while len(self._threads) < self.size:
            transport = self._make()
            self._transports.append(transport)
            thread = threading.Thread(target=self._work, args=(transport,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _work(self, transport) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            index, job, results, done = item
            try:
                if self._limiter is not None:
                    self._limiter.acquire(self._clock, self._sleep)
                outcome = transport.send(job.sender, job.row.address, job.data, crlf=True)
                results[index] = (outcome.status, outcome.code, outcome.reply)
            except PressctlError as err:  # configuration, credentials: before any sending
                self.error = self.error or err
                results[index] = ("abort", None, str(err))
            except Exception as err:  # a bug in a transport must not lose the row's fate
                results[index] = ("unknown", None, f"{type(err).__name__}: {err}")
            finally:
                done.release()

    def close(self) -> None:
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=60)
        for transport in self._transports:
            try:
                transport.close()
            except Exception:  # closing politely is best effort
                pass
