"""Tests for pressctl.outbox.ratelimit: the limit is never exceeded, and it is reached.

No real sleeping: time is a fake clock whose ``sleep`` moves it on. Random scenarios use
fixed seeds (the run is reproducible) and times on a grid of 1/1024 s, so that sums and
differences of times are exact floats and the tests can compare them with ``==``.

"Never exceeded" is checked by brute force on the sends handed out: for a window W with
limit N, the largest number of sends in any interval [t, t + W) is attained with t at a
send, so counting from every send is exact.
"""

from __future__ import annotations

import bisect
import math
import random
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from pressctl.errors import InvalidInput
from pressctl.outbox.ratelimit import SlidingWindowLimiter, format_limits, parse_limits, unlimited

TICK = 1 / 1024  # seconds; every simulated time is a multiple of it


class FakeClock:
    """A monotonic clock for one thread: ``sleep`` moves it on by what was asked (+ overshoot)."""

    def __init__(self, overshoot: Callable[[], float] = lambda: 0.0) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self._overshoot = overshoot

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, "the limiter asked to sleep for nothing"
        self.slept.append(seconds)
        self.now += seconds + self._overshoot()


def most_in_any_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max((bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)),
               default=0)


def assert_never_exceeded(times: list[float], limits: dict[float, int]) -> None:
    for window, limit in limits.items():
        assert most_in_any_window(times, window) <= limit, (window, limit)


def allowed_by_brute_force(sent: list[float], at: float, limits: dict[float, int]) -> bool:
    """Would one more send at ``at`` keep every window within its limit? (sent <= at)"""
    return all(len(sent) - bisect.bisect_right(sent, at - window) < limit
               for window, limit in limits.items())


def random_limits(rng: random.Random) -> dict[float, int]:
    windows = rng.sample([0.5, 1.0, 2.0, 5.0, 60.0], rng.randint(1, 3))
    return {w: rng.randint(1, 4) * max(1, int(w * rng.randint(1, 5))) for w in windows}


def random_steps(rng: random.Random, count: int) -> Iterator[float]:
    """Gaps between candidate sends: bursts at one instant, near ones, pauses."""
    for _ in range(count):
        kind = rng.random()
        if kind < 0.4:
            yield 0.0
        elif kind < 0.7:
            yield rng.randint(1, 64) * TICK
        elif kind < 0.95:
            yield rng.randint(64, 4096) * TICK
        else:
            yield rng.randint(4096, 80_000) * TICK


# --------------------------------------------------------------------------- parse_limits


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("50/s, 600/min, 10000/h", {1.0: 50, 60.0: 600, 3600.0: 10000}),
        ("50/s,600/min,10000/h", {1.0: 50, 60.0: 600, 3600.0: 10000}),
        ("50/s; 600/min", {1.0: 50, 60.0: 600}),
        ("14/sec", {1.0: 14}),
        ("30/second", {1.0: 30}),
        ("100 / minute", {60.0: 100}),
        ("100/m", {60.0: 100}),
        ("300/hour", {3600.0: 300}),
        ("2000/day", {86400.0: 2000}),
        ("500/24h", {86400.0: 500}),
        ("100/5min", {300.0: 100}),
        ("100/5 mins", {300.0: 100}),
        ("10/30s", {30.0: 10}),
        ("3/0.5s", {0.5: 3}),
        ("50/S, 600/MIN", {1.0: 50, 60.0: 600}),
        ("", {}),
        ("  ", {}),
        ("none", {}),
        ("Unlimited", {}),
    ],
)
def test_parse_limits(text, expected):
    assert parse_limits(text) == expected


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        ("50", 'rate limit "50": not COUNT/UNIT', "50/s, 600/min"),
        ("fast", 'rate limit "fast": not COUNT/UNIT', "50/s, 600/min"),
        ("50/", 'rate limit "50/": not COUNT/UNIT', "50/s, 600/min"),
        ("-5/s", "not COUNT/UNIT", None),
        ("50/ms", 'rate limit "50/ms": unknown unit "ms"', "s, min, h or day"),
        ("50/week", 'unknown unit "week"', "s, min, h or day"),
        ("0/s", 'rate limit "0/s": a limit of 0 would never send', "at least 1"),
        ("10/0s", "a window of 0 seconds", "100/5min"),
        ("50/s,, 600/min", "an empty part", "commas"),
        ("50/s, 600/min, 60/1s",
         'rate limit "60/1s": a second limit for the same window (50/s already)',
         "one limit per window"),
        ("100/60s, 10/min", "a second limit for the same window (100/min already)", None),
    ],
)
def test_parse_limits_refusals_say_why(text, message, hint):
    with pytest.raises(InvalidInput) as caught:
        parse_limits(text)
    assert message in caught.value.message
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint


@pytest.mark.parametrize(
    ("limits", "text"),
    [
        ({1.0: 50, 60.0: 600, 3600.0: 10000}, "50/s, 600/min, 10000/h"),
        ({300.0: 100, 0.5: 3, 86400.0: 2000}, "3/0.5s, 100/5min, 2000/day"),
        ({90.0: 7, 7200.0: 9}, "7/90s, 9/2h"),
        ({}, ""),
    ],
)
def test_format_limits_is_the_inverse_of_parse_limits(limits, text):
    assert format_limits(limits) == text
    assert parse_limits(text) == limits


# --------------------------------------------------------------------------- the limiter


@pytest.mark.parametrize(
    "limits",
    [{0: 5}, {-1: 5}, {math.inf: 5}, {math.nan: 5}, {1: 0}, {1: -3}, {1: 2.5}, {1: True},
     {"1": 5}],
)
def test_nonsense_limits_are_refused(limits):
    with pytest.raises(ValueError):
        SlidingWindowLimiter(limits)


@pytest.mark.parametrize(
    ("limits", "sends", "now", "expected"),
    [
        ({1: 2}, [], 0.0, 0.0),
        ({1: 2}, [0.0], 0.0, 0.0),
        ({1: 2}, [0.0, 0.25], 0.5, 0.5),  # the 3rd send waits for the 1st to be 1 s old
        ({1: 2}, [0.0, 0.25], 0.75, 0.25),
        ({1: 2}, [0.0, 0.25], 1.0, 0.0),  # [0, 1) holds two; 1.0 starts a new interval
        ({1: 2}, [0.0, 0.25], 1.5, 0.0),
        ({1: 2}, [0.0, 0.25, 1.0], 1.0, 0.25),  # now the 0.25 send is the oldest of two
        ({1: 50, 60: 3}, [0.0, 0.5, 1.0], 2.0, 58.0),  # the minute is the bottleneck
        ({1: 2, 60: 600}, [10.0, 10.0], 10.0, 1.0),
        ({0.5: 1, 2: 2}, [0.0, 0.5], 0.75, 1.25),  # the 2 s window waits longer
    ],
)
def test_delay_examples(limits, sends, now, expected):
    limiter = SlidingWindowLimiter(limits)
    for at in sends:
        limiter.record(at)
    assert limiter.delay(now) == expected


def test_delay_does_not_change_the_limiter():
    limiter = SlidingWindowLimiter({1: 1})
    limiter.record(0.0)
    assert [limiter.delay(0.5) for _ in range(3)] == [0.5, 0.5, 0.5]


def test_a_send_recorded_out_of_order_counts_as_the_latest():
    # Two threads read the clock at 3 and 5 and record in the other order: the limiter
    # keeps 5, the safe side (keeping 3 would allow the next send 2 s too early).
    limiter = SlidingWindowLimiter({10: 1})
    limiter.record(5.0)
    limiter.record(3.0)
    assert limiter.delay(13.0) == 2.0
    assert limiter.delay(15.0) == 0.0


def test_no_limits_never_waits():
    limiter = unlimited()
    clock = FakeClock()
    for _ in range(10_000):
        assert limiter.delay(clock()) == 0.0
        assert limiter.acquire(clock, clock.sleep) == 0.0
    assert clock.slept == []
    assert repr(limiter) == "SlidingWindowLimiter(unlimited)"


def test_memory_is_bounded_by_the_limits():
    limiter = SlidingWindowLimiter({1: 50, 60: 600})
    clock = FakeClock()
    for _ in range(20_000):
        limiter.acquire(clock, clock.sleep)
    assert {w: len(sent) for w, sent in limiter._sent.items()} == {1.0: 50, 60.0: 600}


@pytest.mark.parametrize("seed", range(40))
def test_delay_is_exact_against_brute_force(seed):
    """delay() is 0 exactly when a send keeps every window within its limit, and otherwise
    the shortest wait after which it does."""
    rng = random.Random(seed)
    limits = random_limits(rng)
    limiter = SlidingWindowLimiter(limits)
    sent: list[float] = []
    now = 0.0
    for step in random_steps(rng, 600):
        now += step
        wait = limiter.delay(now)
        assert (wait == 0.0) == allowed_by_brute_force(sent, now, limits)
        if wait > 0.0:
            assert allowed_by_brute_force(sent, now + wait, limits)
            assert not allowed_by_brute_force(sent, now + wait - TICK, limits)  # shortest
            if rng.random() < 0.5:
                continue  # give up on this one, as a caller with a deadline would
            now += wait
        if rng.random() < 0.9:
            limiter.record(now)
            sent.append(now)
    assert len(sent) > 100
    assert_never_exceeded(sent, limits)


@pytest.mark.parametrize("seed", range(20))
def test_acquire_never_exceeds_any_window(seed):
    rng = random.Random(1000 + seed)
    limits = random_limits(rng)
    limiter = SlidingWindowLimiter(limits)
    clock = FakeClock(overshoot=lambda: rng.randint(0, 8) * TICK)  # sleep() may run late
    times = []
    for step in random_steps(rng, 800):
        clock.now += step  # the caller's own work between sends
        at = limiter.acquire(clock, clock.sleep)
        assert at == clock()  # the send time is the clock's time when it was allowed
        times.append(at)
    assert_never_exceeded(times, limits)


def test_the_limit_is_never_exceeded_at_the_real_configuration():
    limits = parse_limits("50/s, 600/min, 10000/h")
    limiter = SlidingWindowLimiter(limits)
    clock = FakeClock()
    times = [limiter.acquire(clock, clock.sleep) for _ in range(25_000)]
    assert_never_exceeded(times, limits)
    assert most_in_any_window(times, 3600.0) == 10_000  # and the hourly limit is reached


def test_acquire_sleeps_outside_the_lock():
    limiter = SlidingWindowLimiter({1: 1})
    clock = FakeClock()
    seen = []

    def sleep(seconds: float) -> None:
        seen.append(limiter._lock.locked())
        clock.sleep(seconds)

    for _ in range(3):
        limiter.acquire(clock, sleep)
    assert seen == [False, False]
    assert clock.slept == [1.0, 1.0]


# --------------------------------------------------------------------------- achieved rate


RATE_CASES = [
    ("600/min", 600.0, 6000),  # 10 simulated minutes
    ("50/s", 60.0, 3000),
    ("50/s, 600/min, 10000/h", 600.0, 6000),  # the minute binds
    ("50/s, 600/min, 10000/h", 3600.0, 10_000),  # the hour binds
    ("50/s, 2000/min", 600.0, 20_000),  # the minute binds, the second shapes the bursts
    ("20/s", 3600.0, 72_000),
]


@pytest.mark.parametrize(("limits", "duration", "expected"), RATE_CASES)
def test_sending_as_fast_as_allowed_reaches_the_limit_exactly(limits, duration, expected):
    limiter = SlidingWindowLimiter(parse_limits(limits))
    clock = FakeClock()
    assert _sends_before(duration, limiter, clock, cost=lambda: 0.0) == expected


@pytest.mark.parametrize(("limits", "duration", "expected"), RATE_CASES)
def test_with_slow_sends_and_late_wake_ups_the_rate_stays_within_two_percent(
        limits, duration, expected):
    rng = random.Random(duration)
    limiter = SlidingWindowLimiter(parse_limits(limits))
    clock = FakeClock(overshoot=lambda: rng.uniform(0.0, 0.005))  # wakes up to 5 ms late
    count = _sends_before(duration, limiter, clock, cost=lambda: rng.uniform(0.0, 0.002))
    assert abs(count - expected) <= 0.02 * expected
    assert count <= expected  # late never means more


def _sends_before(duration: float, limiter: SlidingWindowLimiter, clock: FakeClock,
                  cost: Callable[[], float]) -> int:
    count = 0
    while limiter.acquire(clock, clock.sleep) < duration:
        count += 1
        clock.now += cost()  # the send itself takes time (the limiter is still the bottleneck)
    return count


# --------------------------------------------------------------------------- threads


class SharedClock:
    """A fake monotonic clock shared by threads, behind its own lock.

    Every read moves time on a little (work happens between reads); ``sleep`` moves it to
    the sleeping thread's wake-up time, unless another thread already moved it further.
    """

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._now = 0.0
        self._last_read = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._now += self._rng.randint(0, 3) * TICK / 64
            self._last_read.at = self._now
            return self._now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        with self._lock:
            self._now = max(self._now, self._last_read.at + seconds)


@pytest.fixture
def frequent_thread_switches() -> Iterator[None]:
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # interleave the threads as much as the interpreter allows
    yield
    sys.setswitchinterval(previous)


@pytest.mark.parametrize(
    ("limits", "seed"),
    [("20/s, 150/10s", 1), ("5/s", 2), ("50/s, 600/min", 3), ("3/0.5s, 10/2s", 4)],
)
def test_threads_sharing_a_limiter_never_exceed_it(limits, seed, frequent_thread_switches):
    parsed = parse_limits(limits)
    limiter = SlidingWindowLimiter(parsed)
    clock = SharedClock(seed)
    threads_count, per_thread = 8, 300
    results: list[list[float]] = [[] for _ in range(threads_count)]

    def connection(mine: list[float]) -> None:
        for _ in range(per_thread):
            mine.append(limiter.acquire(clock, clock.sleep))

    threads = [threading.Thread(target=connection, args=(r,)) for r in results]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    times = sorted(t for mine in results for t in mine)
    assert len(times) == threads_count * per_thread
    assert all(mine == sorted(mine) for mine in results)
    assert_never_exceeded(times, parsed)
    # ... and the threads together still go as fast as one sender would (within 2 %).
    alone = SlidingWindowLimiter(parsed)
    one = FakeClock()
    ideal = [alone.acquire(one, one.sleep) for _ in range(len(times))][-1]
    assert ideal <= times[-1] <= ideal * 1.02 + 0.1


def test_the_limiter_never_reads_the_clock_nor_sleeps_by_itself():
    import ast
    from pathlib import Path

    import pressctl.outbox.ratelimit

    tree = ast.parse(Path(pressctl.outbox.ratelimit.__file__).read_text(encoding="utf-8"))
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules & {"time", "datetime", "asyncio", "os", "sys", "pathlib"} == set()


def test_even_spacing_keeps_the_average_and_never_bursts():
    limiter = SlidingWindowLimiter({1.0: 50, 60.0: 600}, even=True)
    clock = {"now": 0.0}

    def sleep(seconds):
        clock["now"] += seconds

    times = [limiter.acquire(lambda: clock["now"], sleep) for _ in range(1200)]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]  # pairs: one shorter
    # 600/min is the strictest: one send every (60 s + jitter room) / 600, about 0.1 s
    assert min(gaps) >= (60 + 0.010) / 600 - 1e-9
    assert abs((len(times) - 1) / (times[-1] - times[0]) - 10.0) < 0.2
    for window, limit in ((1.0, 50), (60.0, 600)):
        assert max(sum(1 for t in times if s <= t < s + window) for s in times) <= limit
