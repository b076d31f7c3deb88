"""A sliding-window rate limiter that is never exceeded, for SMTP relays with quotas.

Relays state their limits per window ("50 per second, 600 per minute, 10,000 per hour"),
and some refuse or throttle an account that exceeds one even briefly. The limiter keeps,
for each window length W with limit N, the times of the last N sends (a deque: memory is
bounded by the limits, whatever the run's length). A send at ``now`` is allowed when the
oldest of those N is at least W seconds old, so that no interval [t, t + W) ever holds
more than N sends - an exact sliding window, not a token bucket that lets a burst through
at every refill.

Time is a number of seconds on a monotonic clock the caller provides; nothing here reads
a clock or sleeps on its own. :meth:`SlidingWindowLimiter.delay` says how long to wait,
and :meth:`SlidingWindowLimiter.acquire` waits with an injected ``sleep``. The guarantee is
on the times the limiter hands out: the caller should send right after ``acquire``.
"""

from __future__ import annotations

import math
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping

from pressctl.errors import InvalidInput

LIMITS_FORMAT = '"50/s, 600/min, 10000/h"'

_UNITS = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1.0),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60.0),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600.0),
    **dict.fromkeys(("d", "day", "days"), 86400.0),
}
_LIMIT = re.compile(r"(?P<count>\d+)\s*/\s*(?P<size>\d+(?:\.\d+)?)?\s*(?P<unit>[a-z]+)")
_NAMES = {1.0: "s", 60.0: "min", 3600.0: "h", 86400.0: "day"}


# How much later one message may reach the relay than the next one sent after it (several
# connections, thread scheduling): even spacing leaves this much room in every window, so
# that the relay's own count stays within the limit (50/s: 1 % slower).
ARRIVAL_JITTER = 0.010


class SlidingWindowLimiter:
    """At most ``limits[W]`` sends in any interval of ``W`` seconds, for every W at once.

    Thread-safe: several connections of one run may share a limiter.

    With ``even=True`` sends are also spaced by the strictest W/N (20 ms for 50/s): no
    burst at the start of each window. A relay counts messages when they arrive, and a
    burst handed to several connections arrives spread out, so its tail would meet the
    next burst in the relay's window; evenly spaced sends arrive evenly spaced, and the
    average rate is still the limit.
    """

    def __init__(self, limits: Mapping[float, int], *, even: bool = False) -> None:
        for window, count in limits.items():
            if not (isinstance(window, (int, float)) and math.isfinite(window) and window > 0):
                raise ValueError(f"a window must be a positive number of seconds, got {window!r}")
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"a limit must be a whole number >= 1, got {count!r}")
        self._limits = {float(w): n for w, n in sorted(limits.items())}
        self._sent: dict[float, deque[float]] = {
            w: deque(maxlen=n) for w, n in self._limits.items()}
        self._last = -math.inf
        self._spacing = max(((w + ARRIVAL_JITTER) / n for w, n in self._limits.items()),
                            default=0.0) if even else 0.0
        self._lock = threading.Lock()

    @property
    def limits(self) -> dict[float, int]:
        """Window length in seconds -> most sends allowed in any window of that length."""
        return dict(self._limits)

    def __repr__(self) -> str:
        return f"SlidingWindowLimiter({format_limits(self._limits) or 'unlimited'})"

    def delay(self, now: float) -> float:
        """Seconds to wait from ``now`` before the next send is allowed; 0.0 when allowed now."""
        with self._lock:
            return self._delay(now)

    def record(self, now: float) -> None:
        """A send happened at ``now``.

        A time earlier than one already recorded (threads that read the clock in one order
        and record in another) counts as that later time: the limiter only errs on the safe
        side.
        """
        with self._lock:
            self._record(now)

    def acquire(self, clock: Callable[[], float], sleep: Callable[[float], None]) -> float:
        """Wait (with ``sleep``) until a send is allowed, record it, return its time.

        The clock is read and the send recorded under the lock, so two threads never take
        the same slot; the sleeping happens outside it, so waiting threads do not block
        :meth:`delay` or each other.
        """
        while True:
            with self._lock:
                now = clock()
                wait = self._delay(now)
                if wait <= 0.0:
                    return self._record(now)
            sleep(wait)

    def _delay(self, now: float) -> float:
        wait = self._last + self._spacing - now if self._spacing else 0.0
        for window, sent in self._sent.items():
            if len(sent) == sent.maxlen:  # N sends known: the next waits until the
                wait = max(wait, sent[0] + window - now)  # oldest of them is W old
        return wait

    def _record(self, now: float) -> float:
        at = max(now, self._last)
        self._last = at
        for sent in self._sent.values():
            sent.append(at)  # a full deque drops its oldest, no longer needed
        return at


def unlimited() -> SlidingWindowLimiter:
    """A limiter that never waits (no limits configured)."""
    return SlidingWindowLimiter({})


def parse_limits(text: str) -> dict[float, int]:
    """``"50/s, 600/min, 10000/h"`` -> ``{1.0: 50, 60.0: 600, 3600.0: 10000}``.

    Units: s, min (or m), h, day, singular or plural, with an optional size ("100/5min",
    "10/30s"). Parts are separated by commas or semicolons. An empty text, "none" or
    "unlimited" means no limit. Raises InvalidInput naming the part that is wrong.
    """
    stripped = text.strip()
    if stripped.lower() in ("", "none", "unlimited"):
        return {}
    limits: dict[float, int] = {}
    for part in re.split(r"[,;]", stripped):
        part = part.strip()
        if not part:
            raise InvalidInput(f'rate limit "{text}": an empty part',
                               hint=f"separate the limits with commas: {LIMITS_FORMAT}")
        window, count = _parse_one(part)
        if window in limits:
            raise InvalidInput(f'rate limit "{part}": a second limit for the same window '
                               f"({format_limits({window: limits[window]})} already)",
                               hint="keep one limit per window")
        limits[window] = count
    return limits


def _parse_one(part: str) -> tuple[float, int]:
    match = _LIMIT.fullmatch(part.lower())
    if not match:
        raise InvalidInput(f'rate limit "{part}": not COUNT/UNIT',
                           hint=f"write e.g. {LIMITS_FORMAT}")
    unit = _UNITS.get(match.group("unit"))
    if unit is None:
        raise InvalidInput(f'rate limit "{part}": unknown unit "{match.group("unit")}"',
                           hint="use s, min, h or day")
    count = int(match.group("count"))
    if count < 1:
        raise InvalidInput(f'rate limit "{part}": a limit of 0 would never send',
                           hint="remove the limit, or allow at least 1")
    size = float(match.group("size") or 1)
    if size <= 0:
        raise InvalidInput(f'rate limit "{part}": a window of 0 seconds',
                           hint="give the window a length, e.g. 100/5min")
    return size * unit, count


def format_limits(limits: Mapping[float, int]) -> str:
    """The inverse of :func:`parse_limits`, for messages: ``"50/s, 600/min"``."""
    parts = []
    for window, count in sorted(limits.items()):
        for seconds in (86400.0, 3600.0, 60.0, 1.0):
            if window % seconds == 0:
                size = int(window // seconds)
                parts.append(f"{count}/{'' if size == 1 else size}{_NAMES[seconds]}")
                break
        else:
            parts.append(f"{count}/{window:g}s")
    return ", ".join(parts)
