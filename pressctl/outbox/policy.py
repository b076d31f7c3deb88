"""The outbox's policy: is a row due, when to try again, which state changes are allowed.

Pure functions over plain values: no clock (``now`` is always a parameter, aware), no
database, no I/O. :mod:`pressctl.delivery.mailouts` reads the rows, asks here what to do, and writes
the answer back.

A row (one message to one recipient) moves like this::

    queued  -> sending                   a run claims it, one message at a time per connection
    sending -> sent | failed | unknown   after_attempt()
    sending -> queued                    after_attempt(): transient failure, attempts left;
                                         or never offered (relay unreachable, run stopped):
                                         no attempt is charged
    sending -> skipped                   not to be sent, with a reason: opted out, consent
                                         to the embargo withdrawn, ...
    queued  -> failed                    not delivered within give_up_after of its due time
    queued  -> cancelled                 by hand: cancel
    failed  -> queued                    by hand: retry
    unknown -> queued                    by hand: retry with force

``unknown`` means the message was fully transmitted but the server's final reply was not
recorded (no reply came, or the run died before writing it down): it may have been
delivered. Delivery is at-most-once, so such a row is never sent again automatically; a
person may retry it with ``force`` and accept a possible duplicate. A row claimed by a run
that died before transmitting it goes back to ``queued`` (see pressctl.delivery.inflight).

A mailout (one release to one audience) is ``scheduled``, ``paused``, ``cancelled`` or
``done`` (every row terminal).

``retryable`` in a :class:`Transition` says whether the failure was transient, i.e. whether
trying again later may succeed: true for a row re-queued for an automatic retry and for a
row that failed only because it ran out of attempts (a person may retry it later); false for
a row that was sent, refused for good, or lost in an unknown state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pressctl.errors import InvalidInput
from pressctl.releases.embargo import WHEN_FORMAT
from pressctl.releases.embargo import parse_when as _parse_local_when

QUEUED, SENDING, SENT, FAILED, SKIPPED, CANCELLED, UNKNOWN = (
    "queued", "sending", "sent", "failed", "skipped", "cancelled", "unknown")
ROW_STATES = frozenset({QUEUED, SENDING, SENT, FAILED, SKIPPED, CANCELLED, UNKNOWN})
TERMINAL = frozenset({SENT, FAILED, SKIPPED, CANCELLED, UNKNOWN})

SCHEDULED, PAUSED, DONE = "scheduled", "paused", "done"
MAILOUT_STATES = frozenset({SCHEDULED, PAUSED, CANCELLED, DONE})

# What a transport says of one attempt (pressctl.delivery.transport): the first four are attempts;
# "unreachable" and "interrupted" mean the message was never offered (no attempt charged).
TRANSPORT_STATUSES = frozenset({"sent", "transient", "permanent", "unknown"})
NOT_OFFERED = frozenset({"unreachable", "interrupted"})


def is_terminal(state: str) -> bool:
    """True when a row will not change again by itself (only a person can retry it)."""
    if state not in ROW_STATES:
        raise ValueError(f"not a row state: {state!r}")
    return state in TERMINAL


# --------------------------------------------------------------------------- retries


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a transient failure is tried again."""

    max_attempts: int = 5
    first_delay: timedelta = timedelta(minutes=2)
    factor: float = 2.0
    max_delay: timedelta = timedelta(hours=2)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidInput(f"retry policy: max_attempts is {self.max_attempts}",
                               hint="allow at least 1 attempt")
        if self.first_delay < timedelta(0):
            raise InvalidInput("retry policy: first_delay is negative")
        if not self.factor >= 1.0:  # also refuses NaN
            raise InvalidInput(f"retry policy: factor is {self.factor}",
                               hint="use 1 (constant delay) or more")
        if self.max_delay < self.first_delay:
            raise InvalidInput("retry policy: max_delay is shorter than first_delay")

    def delay(self, attempt: int) -> timedelta:
        """The wait after the ``attempt``-th failed attempt (1-based), capped at max_delay.

        first_delay, first_delay * factor, first_delay * factor², ... max_delay.
        """
        if attempt < 1:
            raise ValueError(f"attempt counts from 1, got {attempt}")
        try:
            seconds = self.first_delay.total_seconds() * self.factor ** (attempt - 1)
        except OverflowError:
            return self.max_delay
        if seconds >= self.max_delay.total_seconds():
            return self.max_delay
        return timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Transition:
    """What becomes of a row after one attempt to send it."""

    state: str
    next_attempt_at: datetime | None  # set only when the row goes back to queued
    retryable: bool  # the failure was transient: trying again later may succeed


def is_due(due_at: datetime, now: datetime) -> bool:
    """True when something due at ``due_at`` should happen at ``now`` (both aware)."""
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    return due_at <= now


def after_attempt(status: str, attempts: int, now: datetime, policy: RetryPolicy,
                  give_up_at: datetime | None = None) -> Transition:
    """The row's next state after an attempt whose outcome was ``status``.

    ``status`` is the transport's verdict ("sent", "transient", "permanent", "unknown");
    ``attempts`` counts the attempts made so far, this one included. A transient failure
    whose next try would come after ``give_up_at`` fails now (retryable by hand).
    """
    if status not in TRANSPORT_STATUSES:
        raise ValueError(f"not a transport status: {status!r}")
    if attempts < 1:
        raise ValueError(f"attempts counts this attempt too, got {attempts}")
    _require_aware(now, "now")
    if status == "sent":
        return Transition(SENT, None, retryable=False)
    if status == "permanent":
        return Transition(FAILED, None, retryable=False)
    if status == "unknown":
        return Transition(UNKNOWN, None, retryable=False)
    if attempts < policy.max_attempts:
        next_at = now + policy.delay(attempts)
        if give_up_at is None or next_at <= give_up_at:
            return Transition(QUEUED, next_at, retryable=True)
    return Transition(FAILED, None, retryable=True)


# --------------------------------------------------------------------------- when


def iso(moment: datetime) -> str:
    """How the store writes a moment: UTC, to the second ("2026-11-22T09:30:00Z")."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)



_RELATIVE = re.compile(
    r"in\s+"
    r"(?:(?P<days>\d+)\s*(?:d|days?)\s*)?"
    r"(?:(?P<hours>\d+)\s*(?:h|hrs?|hours?)\s*)?"
    r"(?:(?P<minutes>\d+)\s*(?P<unit>m|mins?|minutes?)?)?"
)
RELATIVE_FORMAT = '"in 2h", "in 90m", "in 1h30", "in 2 days"'


def parse_when(text: str, now: datetime) -> datetime:
    """When a mailout should start, as an aware datetime in UTC.

    Accepts "now", a delay ("in 2h", "in 90m", "in 1h30", "in 2 days", "in 1d 6h") or a
    local time with an IANA zone ("2026-11-23 09:00 Europe/Paris", read by
    :func:`pressctl.releases.embargo.parse_when`: abbreviations, offsets and times the clocks skip
    or pass twice are refused). A time before ``now`` is refused. A delay is elapsed time:
    "in 2 days" is 48 hours later, even across a change of summer time.
    """
    _require_aware(now, "now")
    cleaned = " ".join(text.split())
    if cleaned.lower() == "now":
        return now.astimezone(UTC)
    if cleaned.lower().startswith("in "):
        try:
            return now.astimezone(UTC) + _relative(cleaned)  # elapsed time, DST or not
        except OverflowError:
            raise InvalidInput(f'"{text}" is too far in the future') from None
    try:
        when = _parse_local_when(cleaned)
    except InvalidInput as err:
        hint = err.hint
        if err.message == "not a date and time":
            hint = f'write "now", a delay ({RELATIVE_FORMAT}) or {WHEN_FORMAT}'
        raise InvalidInput(f'"{text}": {err.message}', hint=hint) from None
    if when < now:
        zone = getattr(when.tzinfo, "key", "UTC")
        shown = now.astimezone(when.tzinfo)
        raise InvalidInput(f'"{text}" is in the past (it is now {shown:%Y-%m-%d %H:%M} {zone})',
                           hint='give a later time, or "now" to start at once')
    return when.astimezone(UTC)


def _relative(text: str) -> timedelta:
    match = _RELATIVE.fullmatch(text.lower())
    if not match or not any(match.group(k) for k in ("days", "hours", "minutes")):
        raise InvalidInput(f'"{text}" is not a delay', hint=f"write e.g. {RELATIVE_FORMAT}")
    days, hours, minutes = (int(match.group(k) or 0) for k in ("days", "hours", "minutes"))
    if match.group("minutes") and not match.group("unit"):
        if not match.group("hours"):  # "in 5": five what?
            raise InvalidInput(f'"{text}": a number without a unit',
                               hint=f"write e.g. {RELATIVE_FORMAT}")
        if minutes >= 60:  # "in 1h90" is most likely a typo
            raise InvalidInput(f'"{text}": {minutes} minutes after the hours',
                               hint='write minutes below 60, or "in 90m"')
    return timedelta(days=days, hours=hours, minutes=minutes)  # OverflowError: caller


def _require_aware(dt: datetime, name: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {dt.isoformat()}")


# --------------------------------------------------------------------------- by hand


# (action, state) -> new state: what a person may change with `outbox cancel|retry` and
# `mailout pause|resume|cancel`. Row and mailout states share only "cancelled", which is
# terminal for both, so one table serves both.
ALLOWED: dict[tuple[str, str], str] = {
    ("cancel", QUEUED): CANCELLED,
    ("cancel", SCHEDULED): CANCELLED,
    ("cancel", PAUSED): CANCELLED,
    ("pause", SCHEDULED): PAUSED,
    ("resume", PAUSED): SCHEDULED,
    ("retry", FAILED): QUEUED,
    ("retry", UNKNOWN): QUEUED,  # only with force: see FORCE_REQUIRED
}
FORCE_REQUIRED = frozenset({("retry", UNKNOWN)})
ACTIONS = frozenset(action for action, _ in ALLOWED)

_ONLY = {
    "cancel": "only a queued row, or a scheduled or paused mailout, can be cancelled",
    "pause": "only a scheduled mailout can be paused",
    "resume": "only a paused mailout can be resumed",
    "retry": "only a failed row, or an unknown one with --force, can be retried",
}
_WHY_NOT = {  # (action, state) -> what to tell the person; the default is below
    ("cancel", SENDING): "a run is sending it now; pause or cancel the mailout instead",
    ("cancel", SENT): "it was delivered",
    ("cancel", DONE): "every message was already handled",
    ("cancel", CANCELLED): "it is already cancelled",
    ("retry", SENT): "it was delivered; to send it again, create a new mailout",
    ("retry", SKIPPED): "it was skipped on purpose; fix the reason (e.g. the opt-out) first",
    ("retry", QUEUED): "it is already waiting to be sent",
    ("retry", SENDING): "a run is sending it now",
    ("retry", UNKNOWN): ("the server may have received it; retry with --force to accept "
                         "a possible duplicate"),
    ("pause", PAUSED): "it is already paused",
    ("resume", SCHEDULED): "it is not paused",
}


def manual_transition(action: str, state: str, *, force: bool = False,
                      what: str | None = None) -> str:
    """The state after a person's ``action`` on a row or mailout in ``state``.

    ``what`` names the thing in the message ("row 12", "mailout 3"). Raises InvalidInput
    ("row 12 is sent: cannot retry (it was delivered; ...)") when the change is not allowed.
    """
    if action not in ACTIONS:
        raise ValueError(f"not an action: {action!r}")
    if state not in ROW_STATES | MAILOUT_STATES:
        raise ValueError(f"not a row or mailout state: {state!r}")
    target = ALLOWED.get((action, state))
    if target is not None and (force or (action, state) not in FORCE_REQUIRED):
        return target
    if what is None:
        row, mailout = state in ROW_STATES, state in MAILOUT_STATES
        what = "it" if row and mailout else "the row" if row else "the mailout"
    suffix = " without --force" if target is not None else ""
    reason = _WHY_NOT.get((action, state), _ONLY[action])
    raise InvalidInput(f"{what} is {state}: cannot {action}{suffix}", hint=reason)
