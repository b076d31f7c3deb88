"""One delivery run's connections spread over several sender processes.

One process drives at most about one core, and less with several connection threads:
they pass the GIL a few times per message (1, 2 or 4 connections took the same time).
With ``processes`` > 1 (pressctl.delivery.run decides how many), the run forks that many
children once everything before the sending is done (lease, recovery, give-up, the due
mailouts), and each child delivers with its share of the connections exactly as a
one-process run does (pressctl.delivery.sending). For the rest of pressctl the children
are one run with that many connections:

* one run id: rows are claimed, marked and settled under the run's id, the one the
  outbox lease (pressctl.delivery.lease) names; recovery after a crash, other workers
  on PostgreSQL and ``outbox run`` reports see a single run;
* one in-flight file (pressctl.delivery.inflight), made by the parent before the fork
  with a ring per connection and mapped shared: each child writes only the rings of its
  own connections, so the exactly-once rules of sending and inflight hold as they do for
  one process; once every child is done, the parent settles what is left over from that
  file and removes it (a child never does: a sibling may still be sending);
* each child has its own connection to the book, and the queue is split
  (:meth:`pressctl.delivery.ledger.DueQueue.split`): on SQLite each child takes first
  the rows of its part, then what is left of the others'; a row is only ever claimed by
  one of them, because claims are atomic in the store (a row is taken only while
  'queued', in the writer's transaction). On PostgreSQL they claim with SKIP LOCKED, as
  workers do;
* children die with the parent: PR_SET_PDEATHSIG (SIGKILL) on Linux, set before they
  touch anything, so a killed ``outbox run`` leaves no child sending behind a lease
  that looks dead: the next run settles the rows from the file, at most one row per
  connection unknown, as after any crash;
* SIGINT and SIGTERM reach the parent, which forwards them (and a lost lease or a
  child's error, as SIGTERM); each child stops as a one-process run stops;
* a child that dies on its own (killed, out of memory) leaves its rows to the parent's
  settling from the file (in flight: unknown; claimed: back in the queue); the others
  carry on, and the run ends with an error naming it;
* each child sends back its report (and its progress as it goes) through a pipe; the
  parent adds them up into the run's one report and log line.

Only on Linux (fork and prctl); elsewhere a run keeps one process.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.delivery import inflight
from pressctl.delivery.recovery import settle_from_journal
from pressctl.delivery.report import SIGNAL_EXIT, RunReport, StopReason, StopRequest
from pressctl.errors import PressctlError
from pressctl.store import Store
from pressctl.times import Now, iso

if TYPE_CHECKING:
    from pressctl.delivery.ledger import Progress
    from pressctl.delivery.sending import Connections

_PR_SET_PDEATHSIG = 1
_HEAD = struct.Struct("<cI")  # tag, length (progress: the count itself)
POLL = 0.05  # seconds between two looks at the stop request while children work


def supported() -> bool:
    """Whether this system can run several sender processes (fork and prctl)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def split_connections(connections: int, processes: int) -> list[int]:
    """``connections`` spread over at most ``processes`` children, none with zero."""
    processes = max(1, min(processes, connections))
    base, extra = divmod(connections, processes)
    return [base + (1 if i < extra else 0) for i in range(processes)]


# Builds a child's connections: (its store, its report, its connections, its index, the
# number of children, the run's in-flight file and the first of its rings there, its
# progress).
Build = Callable[[Store, RunReport, int, int, int, "tuple[inflight.InflightJournal, int]",
                  "Progress | None"], "Connections"]


# What every sender process imports when it makes and sends its first message: its
# connections and ledger, the frozen variants' classes, the wire form, smtplib, the bounce
# rules, ctypes for prctl, strptime and the IDNA codec (a host name's).
PRELOAD = ("_strptime", "ctypes", "encodings.idna", "smtplib", "pressctl.book.bounces",
           "pressctl.delivery.frozen", "pressctl.delivery.ledger", "pressctl.delivery.sending",
           "pressctl.delivery.wire", "pressctl.outbox.ratelimit", "pressctl.releases.messages")


def preload() -> None:
    """Import PRELOAD once, before the fork: each child would otherwise import it again,
    a few hundredths of a second of CPU apiece."""
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


class ChildDied(PressctlError):
    """A sender process ended without a report (killed, or a crash of the interpreter)."""


@dataclass(slots=True)
class _Child:
    pid: int
    fd: int
    buffer: bytearray
    report: RunReport | None = None
    error: BaseException | None = None


class SenderProcesses:
    """The children of one run; :meth:`run` returns once they are all done, with their
    reports added into ``report``."""

    def __init__(self, store: Store, report: RunReport, *, shares: list[int], build: Build,
                 open_store: Callable[[], Store], journal_dir: Path, now: Now,
                 stop: StopRequest, progress: Progress | None) -> None:
        self.store, self.report, self.shares = store, report, shares
        self.build, self.open_store = build, open_store
        self.journal_dir, self.now, self.stop, self.progress = journal_dir, now, stop, progress
        self.children: list[_Child] = []
        self.journal: inflight.InflightJournal | None = None

    def run(self) -> None:
        parent = os.getpid()
        failed: BaseException | None = None
        preload()
        self.journal = inflight.InflightJournal(self.journal_dir, self.report.run_id,
                                                sum(self.shares))
        try:
            try:
                for index, connections in enumerate(self.shares):
                    read, write = os.pipe()
                    pid = os.fork()
                    if pid == 0:  # the child: never returns
                        os.close(read)
                        self._child(parent, write, connections, index)
                    os.close(write)
                    self.children.append(_Child(pid, read, bytearray()))
            except BaseException as err:  # no more children: those forked stop
                failed = err
                self.stop.request(StopReason.ERROR)
            self._wait()
        finally:
            self._settle_leftovers()
        self._merge()
        if failed is not None:
            raise failed

    # -- the parent -----------------------------------------------------------------------

    def _wait(self) -> None:
        """Read every child's pipe until it closes, forwarding a stop; then reap them."""
        selector = selectors.DefaultSelector()
        for child in self.children:
            selector.register(child.fd, selectors.EVENT_READ, child)
        forwarded = False
        try:
            while selector.get_map():
                if self.stop.is_set() and not forwarded:
                    forwarded = True
                    self._forward()
                for key, _ in selector.select(POLL):
                    child = key.data
                    chunk = os.read(child.fd, 65536)
                    if chunk:
                        child.buffer += chunk
                        self._messages(child)
                        if child.error is not None and not self.stop.is_set():
                            self.stop.request(StopReason.ERROR)  # the others stop too
                    else:
                        selector.unregister(child.fd)
                        os.close(child.fd)
        except BaseException:
            self.stop.request(StopReason.ERROR)
            self._forward()
            raise
        finally:
            selector.close()
            for child in self.children:
                _, status = os.waitpid(child.pid, 0)
                if child.report is None:
                    self._died(child, status)

    def _forward(self) -> None:
        """The parent's stop, to every child still at work (Ctrl-C on a terminal reaches
        them by itself; SIGTERM, a lost lease or an error does not)."""
        sig = signal.SIGINT if self.stop.reason == StopReason.SIGINT else signal.SIGTERM
        for child in self.children:
            if child.report is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child.pid, sig)

    def _messages(self, child: _Child) -> None:
        buffer = child.buffer
        while len(buffer) >= _HEAD.size:
            tag, length = _HEAD.unpack_from(buffer)
            if tag == b"p":
                del buffer[:_HEAD.size]
                if self.progress is not None:
                    self.progress(length)
                continue
            if len(buffer) < _HEAD.size + length:
                return
            report, error = pickle.loads(bytes(buffer[_HEAD.size:_HEAD.size + length]))
            del buffer[:_HEAD.size + length]
            child.report, child.error = report, error

    def _died(self, child: _Child, status: int) -> None:
        """A child that ended without a report: its rows are settled with the run's
        leftovers (:meth:`_settle_leftovers`); the run ends with an error."""
        how = (f"killed by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"exit status {os.waitstatus_to_exitcode(status)}")
        child.error = ChildDied(f"sender process {child.pid} died ({how}): the messages "
                                "it had in flight are unknown, the rest back in the queue")

    def _settle_leftovers(self) -> None:
        """Once every child is done: the rows the run still holds (a child's abandoned at
        a stop, or a dead child's), settled from the in-flight file; then the file goes."""
        journal, run_id = self.journal, self.report.run_id
        if journal is None:
            return
        with self.store.transaction():
            mine = self.store.runs.claimed_rows().get(run_id, [])
            if mine:
                entries = inflight.read_entries(self.journal_dir, run_id) or {}
                unknown, _ = settle_from_journal(self.store, run_id, mine, entries,
                                                 iso(self.now()))
                self.report.unknown += unknown
        journal.close()
        self.journal = None

    def _merge(self) -> None:
        """The children's reports added into the run's; the first error raised."""
        report, error = self.report, None
        for child in self.children:
            if child.error is not None and error is None:
                error = child.error
            part = child.report
            if part is None:
                continue
            report.sent += part.sent
            report.failed += part.failed
            report.retrying += part.retrying
            report.skipped += part.skipped
            report.unknown += part.unknown
            report.recovered_unknown += part.recovered_unknown
            report.recovered_queued += part.recovered_queued
            report.unreachable = report.unreachable or part.unreachable
            report.lease_lost = report.lease_lost or part.lease_lost
            report.failures += part.failures
            report.causes.update(part.causes)
        reason = self.stop.reason
        if reason == StopReason.LEASE_LOST:
            report.lease_lost = True
        elif reason in SIGNAL_EXIT:
            report.stopped_by = reason
        if error is not None:
            raise error

    # -- a child --------------------------------------------------------------------------

    def _child(self, parent: int, fd: int, connections: int, index: int) -> None:
        """Deliver this child's share, send the report, and exit (never returns)."""
        code = 0
        report = RunReport(self.report.run_id, via=self.report.via)
        error: BaseException | None = None
        try:
            _die_with(parent)
            # The parent forwards its stop as a signal; whatever the parent's handlers
            # were (a test's, none), here a signal asks the child's run to stop.
            signal.signal(signal.SIGINT, self._on_signal)
            signal.signal(signal.SIGTERM, self._on_signal)
            for sibling in self.children:  # the pipes of the children forked before
                with contextlib.suppress(OSError):
                    os.close(sibling.fd)

            def progress(count: int) -> None:
                os.write(fd, _HEAD.pack(b"p", count))

            assert self.journal is not None
            store = self.open_store()
            try:
                working = self.build(store, report, connections, index, len(self.shares),
                                     (self.journal, sum(self.shares[:index])),
                                     progress if self.progress is not None else None)
                working.run()
            finally:
                store.close()
        except BaseException as err:
            error = _portable(err)
        try:
            payload = pickle.dumps((report, error))
            _write_all(fd, _HEAD.pack(b"r", len(payload)) + payload)
        except BaseException:
            code = 1
        os._exit(code)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.stop.request(StopReason.SIGINT if signum == signal.SIGINT
                          else StopReason.SIGTERM)


def _die_with(parent: int) -> None:
    """SIGKILL when the parent dies (set first; a parent already gone: exit now)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:
        os._exit(1)


def _portable(err: BaseException) -> BaseException:
    """``err`` as it can cross the pipe: itself when it pickles back, else a
    PressctlError with its text (and its exit code)."""
    try:
        copy = pickle.loads(pickle.dumps(err))
        if isinstance(copy, BaseException):
            return copy
    except Exception:
        pass
    portable = PressctlError(str(err) or type(err).__name__)
    portable.exit_code = getattr(err, "exit_code", portable.exit_code)
    return portable


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
