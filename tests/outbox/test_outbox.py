"""Tests for pressctl.outbox.policy: retry delays, the state after an attempt, manual
changes; and WHEN (pressctl.times.parse_start), as `mailout create --at` reads it.

``now`` is Sunday 22 November 2026, 10:00 UTC (11:00 in Paris, winter time) throughout,
the same instant as conftest's NOW.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pressctl.errors import InvalidInput
from pressctl.outbox.policy import (
    ALLOWED,
    RetryPolicy,
    Transition,
    after_attempt,
    manual_transition,
)
from pressctl.outbox.states import MAILOUT_STATES, ROW_STATES, TERMINAL
from pressctl.times import parse_start

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# --------------------------------------------------------------------------- RetryPolicy.delay


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [
        (1, minutes(2)),
        (2, minutes(4)),
        (3, minutes(8)),
        (4, minutes(16)),
        (5, minutes(32)),
        (6, minutes(64)),
        (7, timedelta(hours=2)),  # 128 min, capped at max_delay
        (8, timedelta(hours=2)),
        (1_000, timedelta(hours=2)),
        (10**6, timedelta(hours=2)),  # 2.0 ** 999999 overflows a float: still the cap
    ],
)
def test_default_delay_doubles_from_two_minutes_up_to_two_hours(attempt, expected):
    assert RetryPolicy().delay(attempt) == expected


@pytest.mark.parametrize(
    ("policy", "attempt", "expected"),
    [
        (RetryPolicy(factor=1.0), 1, minutes(2)),  # constant
        (RetryPolicy(factor=1.0), 50, minutes(2)),
        (RetryPolicy(first_delay=timedelta(seconds=10), factor=1.5), 1, timedelta(seconds=10)),
        (RetryPolicy(first_delay=timedelta(seconds=10), factor=1.5), 2, timedelta(seconds=15)),
        (RetryPolicy(first_delay=timedelta(seconds=10), factor=1.5), 3,
         timedelta(seconds=22.5)),
        (RetryPolicy(first_delay=timedelta(0)), 9, timedelta(0)),
        (RetryPolicy(first_delay=minutes(5), max_delay=minutes(5)), 1, minutes(5)),
        (RetryPolicy(first_delay=minutes(5), max_delay=minutes(5)), 4, minutes(5)),
        (RetryPolicy(max_delay=minutes(30)), 4, minutes(16)),
        (RetryPolicy(max_delay=minutes(30)), 5, minutes(30)),
    ],
)
def test_delay_of_other_policies(policy, attempt, expected):
    assert policy.delay(attempt) == expected


def test_delays_never_shrink_and_never_pass_the_cap():
    policy = RetryPolicy(first_delay=timedelta(seconds=7), factor=1.3, max_delay=minutes(45))
    delays = [policy.delay(n) for n in range(1, 60)]
    assert delays == sorted(delays)
    assert max(delays) == minutes(45)


@pytest.mark.parametrize("attempt", [0, -1])
def test_delay_counts_attempts_from_one(attempt):
    with pytest.raises(ValueError, match="from 1"):
        RetryPolicy().delay(attempt)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts is 0"),
        ({"first_delay": timedelta(seconds=-1)}, "first_delay is negative"),
        ({"factor": 0.5}, "factor is 0.5"),
        ({"factor": float("nan")}, "factor is nan"),
        ({"first_delay": minutes(10), "max_delay": minutes(5)}, "max_delay is shorter"),
    ],
)
def test_nonsense_policies_are_refused(kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        RetryPolicy(**kwargs)


# is_due is gone: when a row is due is the store's query (due_at <= now), and the rule
# "due from its time on, the minute itself included, whatever the zone it was given in" is
# tests/delivery/test_mailout.py::test_nothing_goes_before_its_time.


# --------------------------------------------------------------------------- after_attempt


DEFAULT = RetryPolicy()  # 5 attempts


@pytest.mark.parametrize(
    ("status", "attempts", "expected"),
    [
        ("sent", 1, Transition("sent", None, retryable=False)),
        ("sent", 4, Transition("sent", None, retryable=False)),
        ("sent", 5, Transition("sent", None, retryable=False)),
        ("sent", 6, Transition("sent", None, retryable=False)),
        ("permanent", 1, Transition("failed", None, retryable=False)),
        ("permanent", 4, Transition("failed", None, retryable=False)),
        ("permanent", 5, Transition("failed", None, retryable=False)),
        ("permanent", 6, Transition("failed", None, retryable=False)),
        # at-most-once: fully transmitted, no final reply -> never re-sent by itself
        ("unknown", 1, Transition("unknown", None, retryable=False)),
        ("unknown", 4, Transition("unknown", None, retryable=False)),
        ("unknown", 5, Transition("unknown", None, retryable=False)),
        ("unknown", 6, Transition("unknown", None, retryable=False)),
        ("transient", 1, Transition("queued", NOW + minutes(2), retryable=True)),
        ("transient", 2, Transition("queued", NOW + minutes(4), retryable=True)),
        ("transient", 4, Transition("queued", NOW + minutes(16), retryable=True)),
        ("transient", 5, Transition("failed", None, retryable=True)),  # the 5th was the last
        ("transient", 6, Transition("failed", None, retryable=True)),
    ],
)
def test_after_attempt(status, attempts, expected):
    assert after_attempt(status, attempts, NOW, DEFAULT) == expected


@pytest.mark.parametrize(
    ("attempts", "state"),
    [(1, "failed"), (2, "failed")],
)
def test_a_single_attempt_policy_never_requeues(attempts, state):
    result = after_attempt("transient", attempts, NOW, RetryPolicy(max_attempts=1))
    assert (result.state, result.next_attempt_at) == (state, None)


def test_the_retry_time_is_aware_and_in_the_zone_of_now():
    paris_now = NOW.astimezone(PARIS)
    result = after_attempt("transient", 3, paris_now, DEFAULT)
    assert result.next_attempt_at == NOW + minutes(8)
    assert result.next_attempt_at is not None and result.next_attempt_at.tzinfo is not None


def test_a_row_is_tried_exactly_max_attempts_times():
    states, at, attempts = [], NOW, 0
    while True:
        attempts += 1
        result = after_attempt("transient", attempts, at, DEFAULT)
        states.append(result.state)
        if result.next_attempt_at is None:
            break
        at = result.next_attempt_at
    assert states == ["queued"] * 4 + ["failed"]
    assert at == NOW + minutes(2 + 4 + 8 + 16)  # the 5th attempt's time


@pytest.mark.parametrize(
    ("status", "attempts", "now", "message"),
    [
        ("bounced", 1, NOW, "not a transport status"),
        ("sent", 0, NOW, "attempts counts this attempt"),
        ("transient", 1, datetime(2026, 11, 22, 10, 0), "aware"),
    ],
)
def test_after_attempt_refuses_programming_errors(status, attempts, now, message):
    with pytest.raises(ValueError, match=message):
        after_attempt(status, attempts, now, DEFAULT)


# --------------------------------------------------------------------------- parse_when


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # winter time: Paris is UTC+1, London UTC, New York UTC-5
        ("2026-11-23 09:00 Europe/Paris", utc(2026, 11, 23, 8, 0)),
        ("2026-11-23 09:00 Europe/London", utc(2026, 11, 23, 9, 0)),
        ("2026-11-23 09:00 America/New_York", utc(2026, 11, 23, 14, 0)),
        ("2026-11-23 09:00 Asia/Tokyo", utc(2026, 11, 23, 0, 0)),
        ("2026-11-23 09:00 UTC", utc(2026, 11, 23, 9, 0)),
        ("2026-11-23T09:00 Europe/Paris", utc(2026, 11, 23, 8, 0)),
        ("  2026-11-23   09:00   Europe/Paris ", utc(2026, 11, 23, 8, 0)),
        # summer time: Paris UTC+2, New York UTC-4; Sydney's summer is in December
        ("2027-07-01 09:00 Europe/Paris", utc(2027, 7, 1, 7, 0)),
        ("2027-07-01 09:00 America/New_York", utc(2027, 7, 1, 13, 0)),
        ("2026-12-01 09:00 Australia/Sydney", utc(2026, 11, 30, 22, 0)),
        # either side of Paris's spring change (2027-03-28, 02:00 -> 03:00)
        ("2027-03-28 01:59 Europe/Paris", utc(2027, 3, 28, 0, 59)),
        ("2027-03-28 03:00 Europe/Paris", utc(2027, 3, 28, 1, 0)),
        # exactly now is not the past
        ("2026-11-22 11:00 Europe/Paris", NOW),
        ("2026-11-22 10:00 UTC", NOW),
    ],
)
def test_parse_when_local_times(text, expected):
    result = parse_start(text, NOW)
    assert result == expected
    assert result.utcoffset() == timedelta(0) and result.tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "later_by"),
    [
        ("now", timedelta(0)),
        ("NOW", timedelta(0)),
        (" now ", timedelta(0)),
        ("in 2h", timedelta(hours=2)),
        ("in 90m", minutes(90)),
        ("in 1h30", minutes(90)),
        ("in 1h 30", minutes(90)),
        ("in 1h30m", minutes(90)),
        ("in 2 days", timedelta(days=2)),
        ("in 1 day", timedelta(days=1)),
        ("in 1d 6h", timedelta(days=1, hours=6)),
        ("in 45 min", minutes(45)),
        ("in 2 hours 15 minutes", timedelta(hours=2, minutes=15)),
        ("In 3H", timedelta(hours=3)),
        ("in  10m", minutes(10)),
        ("in 0m", timedelta(0)),
    ],
)
def test_parse_when_relative(text, later_by):
    result = parse_start(text, NOW)
    assert result == NOW + later_by
    assert result.tzinfo is UTC


def test_a_delay_is_elapsed_time_even_across_a_summer_time_change():
    # Saturday 27 March 2027 10:00 in Paris; the clocks go forward on the Sunday night.
    paris_now = datetime(2027, 3, 27, 10, 0, tzinfo=PARIS)
    result = parse_start("in 2 days", paris_now)
    assert result - paris_now == timedelta(hours=48)
    assert result == utc(2027, 3, 29, 9, 0)  # 11:00 in Paris: 48 hours, not "same time"


def test_now_given_in_another_zone_comes_back_in_utc():
    assert parse_start("now", NOW.astimezone(PARIS)) == NOW
    assert parse_start("now", NOW.astimezone(PARIS)).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message", "hint"),
    [
        # abbreviations and offsets: CST is three zones, an offset ignores summer time
        ("2026-11-23 09:00 CET", '"2026-11-23 09:00 CET": "CET" is an ambiguous abbreviation',
         "Europe/Paris"),
        ("2026-11-23 09:00 BST", '"BST" is an ambiguous abbreviation', "Europe/London"),
        ("2026-11-23 09:00 EST", '"EST" is an ambiguous abbreviation', "America/New_York"),
        ("2026-11-23 09:00 UTC+1", "is a fixed offset", "Europe/Paris"),
        ("2026-11-23 09:00 Paris", '"Paris" is not a zone name', "Europe/Paris"),
        ("2026-11-23 09:00 Europe/Pariss", "not a known time zone", "Europe/Paris"),
        ("2026-11-23 09:00", "no time zone", "Zone/City"),
        # the clocks skip 02:00-03:00 in spring and pass 02:00-03:00 twice in autumn
        ("2027-03-28 02:30 Europe/Paris", "does not exist in Europe/Paris", "another time"),
        ("2027-10-31 02:30 Europe/Paris", "happens twice in Europe/Paris", "UTC"),
        ("2026-02-30 09:00 Europe/Paris", "not a real date and time", None),
        # the past
        ("2026-11-21 09:00 Europe/Paris",
         ('"2026-11-21 09:00 Europe/Paris" is in the past (it is now 2026-11-22 11:00 '
          "Europe/Paris)"), '"now"'),
        ("2026-11-22 10:59 Europe/Paris", "is in the past", '"now"'),
        ("2026-11-22 09:59 UTC", "is in the past (it is now 2026-11-22 10:00 UTC)", '"now"'),
        # not a time at all
        ("tomorrow", '"tomorrow": not a date and time', "in 2h"),
        ("", "not a date and time", "in 90m"),
        ("in", "not a date and time", "in 2 days"),
        ("in 5", '"in 5": a number without a unit', "in 90m"),
        ("in 1h90", '"in 1h90": 90 minutes after the hours', "in 90m"),
        ("in 2 weeks", '"in 2 weeks" is not a delay', "in 2 days"),
        ("in -2h", "is not a delay", None),
        ("in 2h ago", "is not a delay", None),
        ("in 99999999999 days", "too far in the future", None),
        ("in 9999999 days", "too far in the future", None),  # past the year 9999
    ],
)
def test_parse_when_refusals_say_why(text, message, hint):
    with pytest.raises(InvalidInput) as caught:
        parse_start(text, NOW)
    assert message in caught.value.message
    if hint is not None:
        assert caught.value.hint is not None and hint in caught.value.hint


def test_parse_when_needs_an_aware_now():
    with pytest.raises(ValueError, match="aware"):
        parse_start("now", datetime(2026, 11, 22, 10, 0))


# --------------------------------------------------------------------------- manual_transition


# Written out independently of outbox.ALLOWED: every change a person may make.
EXPECTED_ALLOWED = {
    ("cancel", "queued"): "cancelled",
    ("cancel", "scheduled"): "cancelled",
    ("cancel", "paused"): "cancelled",
    ("pause", "scheduled"): "paused",
    ("resume", "paused"): "scheduled",
    ("retry", "failed"): "queued",
}
FORCE_ONLY = {("retry", "unknown"): "queued"}
ACTIONS = ("cancel", "pause", "resume", "retry")
STATES = sorted(ROW_STATES | MAILOUT_STATES)
ALL_PAIRS = [(a, s) for a in ACTIONS for s in STATES]


def test_the_state_sets():
    assert {"queued", "sending", "sent", "failed", "skipped", "cancelled",
                          "unknown"} == ROW_STATES
    assert {"sent", "failed", "skipped", "cancelled", "unknown"} == TERMINAL
    assert {"scheduled", "paused", "cancelled", "done"} == MAILOUT_STATES


# is_terminal is gone: what TERMINAL means (a mailout is done once all its rows are) is
# tests/delivery/test_mailout.py::test_a_mailout_is_done_once_every_row_is_terminal.


def test_the_published_table_is_the_expected_one():
    assert ALLOWED == EXPECTED_ALLOWED | FORCE_ONLY


@pytest.mark.parametrize(("action", "state"), ALL_PAIRS)
@pytest.mark.parametrize("force", [False, True])
def test_every_action_on_every_state(action, state, force):
    expected = EXPECTED_ALLOWED.get((action, state))
    if expected is None and force:
        expected = FORCE_ONLY.get((action, state))
    if expected is not None:
        assert manual_transition(action, state, force=force) == expected
        return
    with pytest.raises(InvalidInput) as caught:
        manual_transition(action, state, force=force, what="row 12")
    assert caught.value.message.startswith(f"row 12 is {state}: cannot {action}")
    assert caught.value.hint  # a reason is always given


@pytest.mark.parametrize(
    ("action", "state", "what", "message", "hint"),
    [
        ("retry", "sent", "row 12", "row 12 is sent: cannot retry", "create a new mailout"),
        ("retry", "unknown", "row 12", "row 12 is unknown: cannot retry without --force",
         "possible duplicate"),
        ("retry", "skipped", "row 7", "row 7 is skipped: cannot retry", "opt-out"),
        ("retry", "queued", "row 7", "row 7 is queued: cannot retry", "already waiting"),
        ("retry", "sending", "row 7", "row 7 is sending: cannot retry", "sending it now"),
        ("retry", "cancelled", "row 7", "row 7 is cancelled: cannot retry",
         "only a failed row"),
        ("cancel", "sending", "row 3", "row 3 is sending: cannot cancel", "pause or cancel"),
        ("cancel", "sent", "row 3", "row 3 is sent: cannot cancel", "delivered"),
        ("cancel", "failed", "row 3", "row 3 is failed: cannot cancel", "only a queued row"),
        ("cancel", "done", "mailout 4", "mailout 4 is done: cannot cancel", "already handled"),
        ("cancel", "cancelled", "mailout 4", "mailout 4 is cancelled: cannot cancel",
         "already cancelled"),
        ("pause", "paused", "mailout 4", "mailout 4 is paused: cannot pause", "already paused"),
        ("pause", "done", "mailout 4", "mailout 4 is done: cannot pause",
         "only a scheduled mailout"),
        ("resume", "scheduled", "mailout 4", "mailout 4 is scheduled: cannot resume",
         "not paused"),
        ("resume", "cancelled", "mailout 4", "mailout 4 is cancelled: cannot resume",
         "only a paused mailout"),
        ("pause", "queued", "row 1", "row 1 is queued: cannot pause", "only a scheduled mailout"),
    ],
)
def test_refusals_say_why(action, state, what, message, hint):
    with pytest.raises(InvalidInput) as caught:
        manual_transition(action, state, what=what)
    assert caught.value.message == message
    assert caught.value.hint is not None and hint in caught.value.hint
    assert str(caught.value) == f"{message} ({caught.value.hint})"


@pytest.mark.parametrize(
    ("state", "label"),
    [("sent", "the row"), ("done", "the mailout"), ("cancelled", "it")],
)
def test_without_a_name_the_message_says_row_or_mailout(state, label):
    with pytest.raises(InvalidInput, match=f"^{label} is {state}: cannot resume"):
        manual_transition("resume", state)


def test_force_opens_only_the_unknown_retry():
    forced = {pair for pair in ALL_PAIRS if _allowed(*pair, force=True)}
    unforced = {pair for pair in ALL_PAIRS if _allowed(*pair, force=False)}
    assert forced - unforced == {("retry", "unknown")}


def test_nothing_leaves_sent_skipped_or_done():
    for action in ACTIONS:
        for state in ("sent", "skipped", "done", "cancelled", "sending"):
            assert not _allowed(action, state, force=True), (action, state)


@pytest.mark.parametrize(
    ("action", "state", "message"),
    [("delete", "queued", "not an action"), ("cancel", "bounced", "not a row or mailout")],
)
def test_unknown_actions_and_states_are_programming_errors(action, state, message):
    with pytest.raises(ValueError, match=message):
        manual_transition(action, state)


def _allowed(action: str, state: str, *, force: bool) -> bool:
    try:
        manual_transition(action, state, force=force)
    except InvalidInput:
        return False
    return True


def test_the_policy_never_reads_the_clock_nor_does_io():
    import ast
    from pathlib import Path

    import pressctl.outbox.policy

    tree = ast.parse(Path(pressctl.outbox.policy.__file__).read_text(encoding="utf-8"))
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules & {"time", "os", "sys", "pathlib", "sqlite3", "smtplib", "socket"} == set()
    calls = {n.func.attr for n in ast.walk(tree)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    assert calls & {"now", "utcnow", "today", "time", "monotonic", "sleep"} == set()
