"""The delivery run: what `pressctl outbox run` (cron) and `pressctl demo` do.

:func:`run_outbox` holds the database's outbox lease (pressctl.delivery.lease), recovers
what a dead run left (pressctl.delivery.inflight), fails rows not delivered within
``give_up_after`` of their due time, has the configured transport's connections deliver
every due row (pressctl.delivery.sending, over the rows of pressctl.delivery.ledger),
writes the log line and returns a :class:`RunReport` (pressctl.delivery.report). The CLI
only parses, calls and prints.

On PostgreSQL several runs deliver at once, each under a lease of its own: a run recovers
only the rows of workers found dead (pressctl.delivery.lease.live_workers), when it
starts and again during its run (pressctl.delivery.recovery), and the relay's rate limit
is shared through the database (pressctl.delivery.sharedlimit).

Over SMTP with two connections or more, the connections are spread over sender processes
(:func:`sender_processes`, pressctl.delivery.processes): one run id, one lease, one
in-flight file and one report, as for one process.

Most cron runs find nothing due: the connections, the ledger and the transports are
imported only when there is something to send (or a dead run's rows to settle).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pressctl.book.session import Book
from pressctl.config import DeliverySettings, Settings
from pressctl.delivery import inflight
from pressctl.delivery.lease import OutboxLease, shared_outbox
from pressctl.delivery.recovery import forget_journals, recover_dead_run, recover_workers
from pressctl.delivery.report import RunReport, StopReason, StopRequest, exit_code_for
from pressctl.errors import ConfigError, PressctlError
from pressctl.store import Store
from pressctl.store.mailouts import MailoutRecord
from pressctl.times import Now, from_iso, iso

if TYPE_CHECKING:
    from pressctl.delivery.inflight import InflightJournal
    from pressctl.delivery.ledger import Progress
    from pressctl.delivery.processes import SenderProcesses
    from pressctl.delivery.sending import Connections, Limiter
    from pressctl.delivery.transport import TransportFactory

__all__ = ["RunReport", "StopRequest", "Transports", "exit_code_for", "run_outbox"]


def new_run_id() -> str:
    return f"{os.getpid()}-{uuid.uuid4().hex[:12]}"


# -- transports and the rate limit ----------------------------------------------------------


def describe_transport(settings: Settings, home: Path) -> str:
    smtp = settings.smtp
    if smtp is not None:
        return f"smtp {smtp.where} ({smtp.security})"
    return f"Maildir {home / settings.delivery.maildir}"


class Transports(NamedTuple):
    """How a run delivers: a new transport per connection, how many, what to call it, and
    the DKIM signature every message gets on its way out (None: not signed)."""

    make: TransportFactory
    connections: int
    via: str
    sign: Callable[[bytes], bytes] | None = None


def transport_for(settings: Settings, home: Path, env: Mapping[str, str]) -> Transports:
    """SMTP from [smtp], else the Maildir of the home (the embedded default); signed when
    [dkim] is set (its key is loaded here, once: a bad key stops the run before any row
    is claimed)."""
    from pressctl.delivery.transport import FileTransport, SmtpTransport

    sign = None
    if settings.dkim is not None:
        from pressctl.delivery.dkim import DkimSigner

        sign = DkimSigner(settings.dkim, env=env).sign
    smtp, where = settings.smtp, describe_transport(settings, home)
    if smtp is not None:
        return Transports(lambda: SmtpTransport(smtp, env), smtp.connections, where, sign)
    folder = home / settings.delivery.maildir
    return Transports(lambda: FileTransport(folder, maildir=True), 1, where, sign)


def seeded_limiter(book: Book, delivery: DeliverySettings, wall: datetime,
                   mono: float) -> Limiter | None:
    """The relay's limits, counting the sends of earlier runs: a cron run must not start a
    fresh window. Stored times have one-second resolution: each is taken as the end of its
    second, which can only make the limiter stricter. On PostgreSQL, the window every
    worker shares (it carries over from earlier runs by itself)."""
    from pressctl.outbox.ratelimit import SlidingWindowLimiter

    if not delivery.limits:
        return None
    if shared_outbox(book.store):
        from pressctl.delivery.sharedlimit import SharedLimiter

        return SharedLimiter(book.store, delivery.limits)
    limiter = SlidingWindowLimiter(delivery.limits, even=True)  # no bursts: see ratelimit
    longest = max(delivery.limits)
    with book.store.transaction():
        stamps = book.store.mailouts.sent_since(iso(wall - timedelta(seconds=longest)))
    for stamp in stamps:
        age = (wall - from_iso(stamp)).total_seconds() - 1.0
        limiter.record(mono - max(age, 0.0))
    return limiter


def append_log(path: Path, lines: list[str]) -> None:
    """One line per run (and its failures), 0600: it names recipients."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line.replace("\n", " ") + "\n")


# -- the run ----------------------------------------------------------------------------------


def journal_folder(store: Store, home: Path) -> Path:
    """Where a run's in-flight files are: beside a SQLite book (so that any home sharing
    the file finds them), or in the worker's home for a book on a database server."""
    if store.path is not None:
        return inflight.folder_for(store.path)
    return home / "inflight"



def run_outbox(book: Book, *, home: Path, env: Mapping[str, str],
               now: Now = lambda: datetime.now(UTC),
               stop: StopRequest | None = None,
               progress: Progress | None = None,
               transports: Transports | None = None,
               clock: Callable[[], float] = time.monotonic,
               run_id: str | None = None, log: bool = True) -> RunReport:
    """Deliver everything due. ``transports`` replaces the configured ones (tests);
    ``progress(n)`` hears of every message settled; ``now`` and ``clock`` are the wall
    and monotonic clocks (injected in tests)."""
    stop = stop or StopRequest()
    run_id = run_id or new_run_id()
    report = RunReport(run_id, via=transports.via if transports else
                       describe_transport(book.settings, home))
    started = clock()
    log_file = home / "outbox.log"
    lines: list[str] = []
    error: PressctlError | None = None
    lease = OutboxLease(book.store, run_id, now)
    taken = lease.acquire()
    if not taken.held:
        holder = taken.holder
        report.busy = (f"run {holder.run_id} (pid {holder.pid} on {holder.host}, since "
                       f"{holder.acquired_at})") if holder else "another run"
        return report
    try:
        journal_dir = journal_folder(book.store, home)
        if lease.shared:
            with book.store.transaction():
                found = recover_workers(book.store, journal_dir, run_id, now(), report)
            forget_journals(journal_dir, lambda run: run in found.alive)
        else:
            recover_dead_run(book.store, journal_dir, run_id, now(), report)
        if report.recovered_unknown and log:  # logged at once: this run may die too
            line = (f"{iso(now())} run {run_id}: {report.recovered_unknown} unknown: rows an "
                    "interrupted run left in flight (see `pressctl mailout show ID`)")
            append_log(log_file, [line])
        _give_up(book, now, report)
        with book.store.transaction():
            due = book.store.mailouts.due(iso(now()))
        report.mailouts = [m.id for m in due]
        if due:
            chosen = transports or transport_for(book.settings, home, env)
            count = sender_processes(book, chosen, env) if transports is None else 1
            from pressctl.delivery.processes import SenderProcesses

            working: Connections | SenderProcesses
            if count > 1:
                working = _processes(book, due, report, chosen, count, journal_dir=journal_dir,
                                     now=now, clock=clock, stop=stop, progress=progress)
            else:
                working = _connections(book, due, report, chosen, journal_dir=journal_dir,
                                       now=now, clock=clock, stop=stop, progress=progress)
            beat = (working.ledger.take_over_dead if lease.shared
                    and not isinstance(working, SenderProcesses) else None)
            lease.start_heartbeat(on_lost=lambda: stop.request(StopReason.LEASE_LOST),
                                  on_beat=beat)
            try:
                working.run()
            except PressctlError as err:  # logged below, then raised to the edge
                error = err
        with book.store.transaction():
            book.store.runs.finish_mailouts(iso(now()))
            report.waiting = book.store.mailouts.due_row_count(iso(now()))
    finally:
        report.seconds = clock() - started
        lease.release()
    if log and (report.mailouts or not report.ok or error):
        lines.append(f"{iso(now())} run {run_id}: {report.summary()}")
        problem = f"error: {error}" if error else report.problem()
        if problem:
            lines.append(f"  {problem}")
        lines += [f"  {line}" for line in report.failures]
        append_log(log_file, lines)
    if error is not None:
        raise error
    return report


def _connections(book: Book, due: list[MailoutRecord], report: RunReport,
                 transports: Transports, *, journal_dir: Path, now: Now,
                 clock: Callable[[], float], stop: StopRequest,
                 progress: Progress | None,
                 shared_journal: tuple[InflightJournal, int] | None = None) -> Connections:
    """The connections that will deliver ``due``, over one ledger of their rows."""
    from pressctl.delivery.ledger import Ledger
    from pressctl.delivery.sending import Connections
    from pressctl.outbox.policy import RetryPolicy

    delivery = book.settings.delivery
    ledger = Ledger(book.store, report.run_id, due, report=report,
                    policy=RetryPolicy(max_attempts=delivery.max_attempts),
                    give_up_after=delivery.give_up_after, limits=delivery.limits,
                    connections=max(1, transports.connections), now=now, clock=clock,
                    stop=stop, progress=progress, journal_dir=journal_dir)
    return Connections(ledger, transports.make, journal_dir=journal_dir,
                       limiter=seeded_limiter(book, delivery, now(), clock()),
                       sign=transports.sign, verp=delivery.verp,
                       shared_journal=shared_journal)


PROCESSES_ENV = "PRESSCTL_DELIVERY_PROCESSES"


def sender_processes(book: Book, transports: Transports, env: Mapping[str, str]) -> int:
    """How many sender processes a run uses (pressctl.delivery.processes): over SMTP with
    two connections or more, ``[delivery] processes``, by default min(2, cores);
    ``PRESSCTL_DELIVERY_PROCESSES`` overrides it for one run (1: one process, as before);
    never more than connections. One process under a rate limit on SQLite (the limiter
    lives in the process; on PostgreSQL it is the database's), or where the system
    cannot fork."""
    from pressctl.delivery import processes

    wanted = env.get(PROCESSES_ENV, "").strip()
    if wanted:
        try:
            count = int(wanted)
        except ValueError:
            count = 0
        if not 1 <= count <= 16:
            raise ConfigError(f"{PROCESSES_ENV}={wanted!r}: not a number of processes "
                              "from 1 to 16", hint="1 keeps every connection in one process")
    else:
        count = book.settings.delivery.processes or min(2, os.cpu_count() or 1)
    if book.settings.smtp is None or transports.connections < 2 or not processes.supported():
        return 1
    if book.settings.delivery.limits and not shared_outbox(book.store):
        return 1
    return max(1, min(count, transports.connections))


def _processes(book: Book, due: list[MailoutRecord], report: RunReport,
               transports: Transports, count: int, *, journal_dir: Path, now: Now,
               clock: Callable[[], float], stop: StopRequest,
               progress: Progress | None) -> SenderProcesses:
    """The run's connections spread over ``count`` sender processes, each over a ledger of
    its own (its own run id and connection to the book)."""
    from pressctl.delivery.processes import SenderProcesses, split_connections

    location = book.store.path

    def open_store() -> Store:
        if location is not None:
            return Store.open(location, create=False)
        return book.store.sibling()  # a new connection to the same database server

    def build(store: Store, part: RunReport, connections: int, index: int, of: int,
              journal: tuple[InflightJournal, int], heard: Progress | None) -> Connections:
        child = Book(store, book.settings, book.now, actor=book.actor, zone=book.zone)
        working = _connections(child, due, part, transports._replace(connections=connections),
                               journal_dir=journal_dir, now=now, clock=clock, stop=stop,
                               progress=heard, shared_journal=journal)
        if not shared_outbox(store):
            working.ledger.queue.split(index, of)
        return working

    return SenderProcesses(book.store, report,
                           shares=split_connections(transports.connections, count),
                           build=build, open_store=open_store, journal_dir=journal_dir,
                           now=now, stop=stop, progress=progress)


def _give_up(book: Book, now: Now, report: RunReport) -> None:
    age = book.settings.delivery.give_up_after
    reason = f"not delivered within {_duration(age)} of its due time: given up"
    with book.store.transaction():
        rows = book.store.runs.give_up(iso(now() - age), reason, iso(now()))
    report.gave_up += len(rows)
    for row in rows:
        report.failures.append(f"{row.address}: {reason}"
                               + (f" (last: {row.reply})" if row.reply else ""))


def _duration(age: timedelta) -> str:
    hours, rest = divmod(int(age.total_seconds()), 3600)
    if rest == 0:
        return f"{hours} h"
    return f"{int(age.total_seconds()) // 60} min"


