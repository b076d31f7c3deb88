"""A transport that keeps what it is given: for unit tests and dry runs, never the only
test of delivery."""

from __future__ import annotations

from collections.abc import Mapping

from pressctl.delivery.transport.base import INTERRUPTED, Commit, Outcome, _Closing, set_last_mark
from pressctl.outbox.states import SendStatus


class RecordingTransport(_Closing):
    """Keeps what it is given: ``sent`` holds (sender, recipient, data) of each delivered
    message, ``attempts`` every call with its outcome. ``fail(recipient, outcome)`` (or
    ``failures`` at creation) makes sends to that exact address return that outcome."""

    def __init__(self, failures: Mapping[str, Outcome] | None = None) -> None:
        self.sent: list[tuple[str, str, bytes]] = []
        self.attempts: list[tuple[str, str, Outcome]] = []
        self.failures: dict[str, Outcome] = dict(failures or {})
        self.closed = False

    def __repr__(self) -> str:
        return f"<RecordingTransport {len(self.sent)} sent, {len(self.attempts)} attempts>"

    def fail(self, recipient: str, outcome: Outcome) -> None:
        self.failures[recipient] = outcome

    def send(self, sender: str, recipient: str, data: bytes, *, crlf: bool = False,
             commit: Commit | None = None) -> Outcome:
        if self._stopping:
            return INTERRUPTED
        outcome = self.failures.get(recipient)
        if commit is not None and (outcome is None or outcome.status == SendStatus.UNKNOWN):
            committed = commit()
            if committed is False:  # the whole message went out, unless withheld
                return INTERRUPTED
            set_last_mark(committed)
        if outcome is None:
            self.sent.append((sender, recipient, data))
            outcome = Outcome(SendStatus.SENT, 250, "recorded")
        self.attempts.append((sender, recipient, outcome))
        return outcome

    def close(self) -> None:
        self.closed = True
