"""The relay's rate limit shared by every worker of a PostgreSQL outbox.

A relay's limit is the account's, so with several `outbox run` processes (on any number
of machines) it must hold across all of them together. Each send takes the next slot
from the database (pressctl.store.ratewindow): slots are spaced evenly by the strictest
``(W + ARRIVAL_JITTER) / N`` of the limits, as the in-process limiter's ``even`` mode
spaces them (pressctl.outbox.ratelimit), which keeps every window of every limit at or
under its count; a worker sleeps until its slot, then sends. The spacing leaves
SHARED_JITTER of room in each window for messages that reach the relay a little later
than the next one sent after them (other processes, other machines), and the achieved
rate stays within that fraction of the limit when the limit is the bottleneck.

A worker waits for its slot just before its message's final dot (pressctl.delivery.sending):
the relay counts a message when it is complete. A slot taken and not used (a worker that
woke more than LATE after it) is lost: the limiter only errs on the safe side. The last
slot lives on in the database, so a cron run does not start a fresh window after the
previous one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pressctl.store import Store

SHARED_JITTER = 0.015  # seconds of room per window: 50/s -> 20.3 ms apart, 1.5 % under
LATE = 0.005  # a worker that wakes later than this after its slot takes another one


def spacing(limits: Mapping[float, int], jitter: float = SHARED_JITTER) -> float:
    """Seconds between two sends that keep every limit (the strictest even spacing)."""
    return max(((window + jitter) / count for window, count in limits.items()), default=0.0)


class SharedLimiter:
    """:meth:`acquire` as SlidingWindowLimiter's, with the slots in the database."""

    def __init__(self, store: Store, limits: Mapping[float, int]) -> None:
        self.store = store
        self.limits = dict(limits)
        self._spacing_us = max(1, round(spacing(limits) * 1_000_000))

    def __repr__(self) -> str:
        return f"SharedLimiter({self.limits})"

    def acquire(self, clock: Callable[[], float], sleep: Callable[[float], None], *,
                before: Callable[[], object] | None = None, lead: float = 0.0) -> float:
        """Take the next slot and wait (with ``sleep``) until it comes; returns that time
        on ``clock``. ``before`` (a worker's database mark, a round trip) runs once, about
        ``lead`` seconds before the slot rather than after it: what lies between a slot
        and the final dot is what makes the relay see two messages closer than their
        slots, and the mark's round trip varies most (a loaded server)."""
        pending = before
        while True:
            wait = self.store.ratewindow.take_slot(self._spacing_us)
            due = clock() + max(wait, 0.0)
            if pending is not None:
                if wait - lead > 0:
                    sleep(wait - lead)
                pending()
                pending = None
                wait = due - clock()
            if wait > 0:
                sleep(wait)
            # Woken late (a busy process): sending now would crowd the next worker's slot;
            # the slot is given up (the safe side) for a new one.
            if clock() - due <= LATE:
                return clock()
