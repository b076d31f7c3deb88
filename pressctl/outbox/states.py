"""The names of the outbox's states: a row's, a mailout's, and what a transport says of one
send. The store writes their values as they are ("queued", "sent"...); the rules that move
between them are in :mod:`pressctl.outbox.policy`.

Each is a ``StrEnum``: a value read back from the database compares equal to its member,
and a member prints, binds in SQL and serialises (JSON) as its value.
"""

from __future__ import annotations

from enum import StrEnum


class RowState(StrEnum):
    """One message to one recipient (see the diagram in pressctl.outbox.policy)."""

    QUEUED = "queued"
    SENDING = "sending"  # claimed by a run
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # not to be sent, with a reason (opted out, consent withdrawn)
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"  # transmitted, the final reply not recorded: may have been delivered


class MailoutState(StrEnum):
    """One release to one audience. CANCELLED has the same value as RowState.CANCELLED."""

    SCHEDULED = "scheduled"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"  # every row is terminal


class SendStatus(StrEnum):
    """What a transport says of one send (pressctl.delivery.transport)."""

    SENT = "sent"  # the server's 2xx to the end of DATA
    TRANSIENT = "transient"  # refused for now (4xx) or dropped during the transaction
    PERMANENT = "permanent"  # refused for good (5xx)
    UNKNOWN = "unknown"  # the whole message went out, no reply came
    UNREACHABLE = "unreachable"  # no usable connection: never offered
    INTERRUPTED = "interrupted"  # stopped before the final dot: never offered


ROW_STATES = frozenset(RowState)
# A terminal row does not change again by itself (only a person can retry it); a mailout
# is done when all its rows are.
TERMINAL = frozenset({RowState.SENT, RowState.FAILED, RowState.SKIPPED, RowState.CANCELLED,
                      RowState.UNKNOWN})
MAILOUT_STATES = frozenset(MailoutState)

# An attempt was made (and is charged); the other two mean the message was never offered.
ATTEMPTED = frozenset({SendStatus.SENT, SendStatus.TRANSIENT, SendStatus.PERMANENT,
                       SendStatus.UNKNOWN})
NOT_OFFERED = frozenset({SendStatus.UNREACHABLE, SendStatus.INTERRUPTED})
