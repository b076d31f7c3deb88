"""What a delivery run reports, and what asks it to stop: the :class:`RunReport` that
`outbox run` prints and logs (with the exit code of a stopped run), and the
:class:`StopRequest` a signal handler or a test sets."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from pressctl.errors import EXIT_INTERRUPTED, EXIT_TERMINATED


class StopReason(StrEnum):
    """Why a run was asked to stop (:attr:`StopRequest.reason`, the first one asked)."""

    SIGINT = "SIGINT"  # Ctrl-C
    SIGTERM = "SIGTERM"
    LEASE_LOST = "lease lost"  # another run took the outbox over (pressctl.delivery.lease)
    ERROR = "error"  # a connection failed: the others stop too
    INTERRUPTED = "interrupted"  # the run is ending with connections still at work


SIGNAL_EXIT = {StopReason.SIGINT: EXIT_INTERRUPTED,  # the shell's codes
               StopReason.SIGTERM: EXIT_TERMINATED}


class StopRequest:
    """Asked from outside (a signal handler, a test) to stop the run; the run registers
    what must hear of it at once (each connection's ``interrupt``)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: StopReason | None = None
        self._listeners: list[Callable[[], None]] = []
        # re-entrant: a signal handler may call request() while its own thread is in listen()
        self._lock = threading.RLock()

    def request(self, reason: StopReason) -> None:
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


@dataclass(slots=True)
class RunReport:
    """What one run did, filled in by its connections (pressctl.delivery.ledger counts)."""

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
    stopped_by: StopReason | None = None  # SIGINT or SIGTERM
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


def exit_code_for(report: RunReport) -> int | None:
    """130 for SIGINT, 143 for SIGTERM (the shell's convention), else None."""
    return SIGNAL_EXIT.get(report.stopped_by) if report.stopped_by else None
