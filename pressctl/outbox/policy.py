"""The outbox's policy: when to try a row again, and which state changes are allowed.

Pure functions over plain values: no clock (``now`` is always a parameter, aware), no
database, no I/O. The delivery run (pressctl.delivery) reads the rows, asks here what to
do, and writes the answer back. The states are named in :mod:`pressctl.outbox.states`.

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

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pressctl.errors import InvalidInput
from pressctl.outbox.states import (
    ATTEMPTED,
    MAILOUT_STATES,
    ROW_STATES,
    MailoutState,
    RowState,
    SendStatus,
)
from pressctl.times import require_aware

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

    state: RowState
    next_attempt_at: datetime | None  # set only when the row goes back to queued
    retryable: bool  # the failure was transient: trying again later may succeed


def after_attempt(status: SendStatus, attempts: int, now: datetime, policy: RetryPolicy,
                  give_up_at: datetime | None = None) -> Transition:
    """The row's next state after an attempt whose outcome was ``status``.

    ``status`` is the transport's verdict on an attempt (sent, transient, permanent,
    unknown: not one of NOT_OFFERED); ``attempts`` counts the attempts made so far, this
    one included. A transient failure whose next try would come after ``give_up_at``
    fails now (retryable by hand).
    """
    if status not in ATTEMPTED:
        raise ValueError(f"not a transport status: {status!r}")
    if attempts < 1:
        raise ValueError(f"attempts counts this attempt too, got {attempts}")
    require_aware(now, "now")
    if status == SendStatus.SENT:
        return Transition(RowState.SENT, None, retryable=False)
    if status == SendStatus.PERMANENT:
        return Transition(RowState.FAILED, None, retryable=False)
    if status == SendStatus.UNKNOWN:
        return Transition(RowState.UNKNOWN, None, retryable=False)
    if attempts < policy.max_attempts:
        next_at = now + policy.delay(attempts)
        if give_up_at is None or next_at <= give_up_at:
            return Transition(RowState.QUEUED, next_at, retryable=True)
    return Transition(RowState.FAILED, None, retryable=True)


# --------------------------------------------------------------------------- by hand


class Action(StrEnum):
    """What a person may do to a row or a mailout (`mailout cancel|pause|resume|retry`)."""

    CANCEL = "cancel"
    PAUSE = "pause"
    RESUME = "resume"
    RETRY = "retry"


State = RowState | MailoutState

# (action, state) -> new state. Row and mailout states share only "cancelled", which is
# terminal for both, so one table serves both.
ALLOWED: dict[tuple[Action, State], State] = {
    (Action.CANCEL, RowState.QUEUED): RowState.CANCELLED,
    (Action.CANCEL, MailoutState.SCHEDULED): MailoutState.CANCELLED,
    (Action.CANCEL, MailoutState.PAUSED): MailoutState.CANCELLED,
    (Action.PAUSE, MailoutState.SCHEDULED): MailoutState.PAUSED,
    (Action.RESUME, MailoutState.PAUSED): MailoutState.SCHEDULED,
    (Action.RETRY, RowState.FAILED): RowState.QUEUED,
    (Action.RETRY, RowState.UNKNOWN): RowState.QUEUED,  # only with force: FORCE_REQUIRED
}
FORCE_REQUIRED = frozenset({(Action.RETRY, RowState.UNKNOWN)})
ACTIONS = frozenset(Action)

_ONLY = {
    Action.CANCEL: "only a queued row, or a scheduled or paused mailout, can be cancelled",
    Action.PAUSE: "only a scheduled mailout can be paused",
    Action.RESUME: "only a paused mailout can be resumed",
    Action.RETRY: "only a failed row, or an unknown one with --force, can be retried",
}
_WHY_NOT: dict[tuple[Action, State], str] = {  # what to tell the person; default: _ONLY
    (Action.CANCEL, RowState.SENDING): ("a run is sending it now; pause or cancel the "
                                        "mailout instead"),
    (Action.CANCEL, RowState.SENT): "it was delivered",
    (Action.CANCEL, MailoutState.DONE): "every message was already handled",
    (Action.CANCEL, RowState.CANCELLED): "it is already cancelled",
    (Action.RETRY, RowState.SENT): "it was delivered; to send it again, create a new mailout",
    (Action.RETRY, RowState.SKIPPED): ("it was skipped on purpose; fix the reason (e.g. the "
                                       "opt-out) first"),
    (Action.RETRY, RowState.QUEUED): "it is already waiting to be sent",
    (Action.RETRY, RowState.SENDING): "a run is sending it now",
    (Action.RETRY, RowState.UNKNOWN): ("the server may have received it; retry with --force "
                                       "to accept a possible duplicate"),
    (Action.PAUSE, MailoutState.PAUSED): "it is already paused",
    (Action.RESUME, MailoutState.SCHEDULED): "it is not paused",
}


def manual_transition(action: str, state: str, *, force: bool = False,
                      what: str | None = None) -> State:
    """The state after a person's ``action`` on a row or mailout in ``state``.

    ``what`` names the thing in the message ("row 12", "mailout 3"). Raises InvalidInput
    ("row 12 is sent: cannot retry (it was delivered; ...)") when the change is not allowed.
    """
    if action not in ACTIONS:
        raise ValueError(f"not an action: {action!r}")
    if state not in ROW_STATES | MAILOUT_STATES:
        raise ValueError(f"not a row or mailout state: {state!r}")
    current: State = RowState(state) if state in ROW_STATES else MailoutState(state)
    key = (Action(action), current)
    target = ALLOWED.get(key)
    if target is not None and (force or key not in FORCE_REQUIRED):
        return target
    if what is None:
        row, mailout = state in ROW_STATES, state in MAILOUT_STATES
        what = "it" if row and mailout else "the row" if row else "the mailout"
    suffix = " without --force" if target is not None else ""
    reason = _WHY_NOT.get(key, _ONLY[key[0]])
    raise InvalidInput(f"{what} is {state}: cannot {action}{suffix}", hint=reason)
