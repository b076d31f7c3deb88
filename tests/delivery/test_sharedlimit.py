"""The relay's limit shared through the database (pressctl.delivery.sharedlimit), with a
clock of the test's own: slots spaced evenly, and a worker's mark made just before its
slot rather than after it (what lies between a slot and the final dot is what lets the
relay see two messages closer than their slots)."""

from __future__ import annotations

import pytest

from pressctl.delivery.sharedlimit import SharedLimiter, spacing


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.events: list[tuple[str, float]] = []  # what happened, when

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class SlotsFromList:
    """The database's answer, made deterministic: seconds until each next slot."""

    def __init__(self, waits: list[float]) -> None:
        self.waits = waits

    def take_slot(self, spacing_us: int) -> float:
        return self.waits.pop(0)


class FakeStore:
    def __init__(self, waits: list[float]) -> None:
        self.ratewindow = SlotsFromList(waits)


def _limiter(waits: list[float]) -> SharedLimiter:
    return SharedLimiter(FakeStore(waits), {1.0: 50})  # type: ignore[arg-type]


def test_spacing_keeps_every_window_under_its_count_with_room_to_spare():
    assert spacing({1.0: 50}) == pytest.approx(1.015 / 50)  # 20.3 ms: 1.5 % under
    assert spacing({1.0: 50, 60.0: 600}) == pytest.approx(60.015 / 600)  # the strictest


def test_a_mark_is_made_its_lead_before_the_slot_and_the_dot_waits_for_the_slot():
    time = FakeTime()
    limiter = _limiter([0.100])  # the slot comes in 100 ms

    def mark() -> None:
        time.events.append(("mark", time.now))
        time.now += 0.004  # the mark's round trip

    returned = limiter.acquire(time.clock, time.sleep, before=mark, lead=0.010)
    assert time.events == [("mark", pytest.approx(1000.090))]  # 10 ms before the slot
    assert returned == pytest.approx(1000.100)  # and the dot at the slot, not later


def test_a_mark_slower_than_its_lead_gives_the_slot_up_and_is_not_made_twice():
    time = FakeTime()
    limiter = _limiter([0.050, 0.020])
    marks: list[float] = []

    def slow_mark() -> None:
        marks.append(time.now)
        time.now += 0.030  # far longer than the 5 ms lead: the slot passed meanwhile

    returned = limiter.acquire(time.clock, time.sleep, before=slow_mark, lead=0.005)
    assert len(marks) == 1  # once, whatever happens to the slot
    assert returned == pytest.approx(1000.045 + 0.030 + 0.020)  # the next slot, on time
