"""Ledger.settlement's shortcuts (pressctl.delivery.ledger): the time of a settlement
formatted once per second, and "sent" without asking the retry policy each time, give
exactly what the slow way gives."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from pressctl.delivery.ledger import Ledger, Prepared
from pressctl.delivery.report import RunReport, StopRequest
from pressctl.delivery.transport import Outcome
from pressctl.outbox.policy import RetryPolicy, after_attempt
from pressctl.outbox.states import SendStatus
from pressctl.store.mailouts import RowRecord
from pressctl.times import iso

START = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)


def _ledger(book, tmp_path) -> Ledger:
    return Ledger(book.store, "run-1", [], report=RunReport("run-1"),
                  policy=RetryPolicy(max_attempts=3), give_up_after=timedelta(days=1),
                  limits={}, connections=1, now=lambda: START, clock=time.monotonic,
                  stop=StopRequest(), progress=None, journal_dir=tmp_path)


def _row(attempts: int = 0) -> RowRecord:
    return RowRecord(7, 1, 0, None, "Jane", "jane@example.net", "Dear Jane,", "<m@x.org>",
                     "tok", "sending", attempts, None, None, iso(START), None)


PREPARED = Prepared([], [], START, START + timedelta(days=1))


@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
def test_the_settlement_time_is_the_moment_to_the_second_across_seconds(book, tmp_path):
    ledger = _ledger(book, tmp_path)
    sent = Outcome(SendStatus.SENT, 250, "ok")
    moments = [START + timedelta(milliseconds=ms) for ms in (0, 999, 1000, 1001, 61_500)]
    moments += [START - timedelta(seconds=5), START.astimezone(UTC) + timedelta(hours=30)]
    for moment in moments:  # forwards, and back (an injected clock may go back)
        assert ledger.settlement(_row(), sent, PREPARED, moment).at == iso(moment)


@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
@pytest.mark.parametrize("status", [SendStatus.SENT, SendStatus.TRANSIENT,
                                    SendStatus.PERMANENT, SendStatus.UNKNOWN])
@pytest.mark.parametrize("attempts", [0, 2])
def test_each_outcome_settles_as_the_retry_policy_says(book, tmp_path, status, attempts):
    ledger = _ledger(book, tmp_path)
    settled = ledger.settlement(_row(attempts), Outcome(status, 250, "reply"), PREPARED, START)
    step = after_attempt(status, attempts + 1, START, RetryPolicy(max_attempts=3),
                         give_up_at=PREPARED.give_up_at)
    assert (settled.state, settled.next_attempt_at) == (
        step.state, iso(step.next_attempt_at) if step.next_attempt_at else None)
    assert settled.charged and settled.reply == "250 reply"
