"""The demo's returned mail (pressctl.demo_returns) is what real relays and calendar
programs send: the inbox reader, and Python's email parser, read it as such."""

from __future__ import annotations

import email
import email.policy
import mailbox
from datetime import UTC, datetime

from pressctl.demo_returns import write_returns
from pressctl.inbox.classify import Kind, classify
from pressctl.outbox.states import RowState
from pressctl.store.mailouts import RowRecord

NOW = datetime(2030, 3, 2, 9, 30, tzinfo=UTC)


def _row(number: int, address: str) -> RowRecord:
    return RowRecord(id=number, mailout_id=1, variant=0, contact_id=number,
                     name=f"Journalist {number}", address=address, salutation="",
                     message_id=f"<m{number}.1@cnes.fr>", token="t" * 32,
                     state=RowState.SENT, attempts=1, next_attempt_at=None, reply="250 ok",
                     updated="2030-03-02T08:00:00Z", sent_at="2030-03-02T08:00:00Z")


def test_the_demo_returns_a_bounce_and_two_answers_the_inbox_reader_recognises(tmp_path):
    rows = [_row(1, "a@lemonde.example"), _row(2, "b@figaro.example"),
            _row(3, "c@ouest.example")]
    back = write_returns(tmp_path / "replies", rows, "event-uid@cnes.fr", "presse@cnes.fr",
                         NOW)
    found = [classify(raw) for raw in (message.as_bytes() for message in
                                       mailbox.Maildir(back.folder, create=False))]
    kinds = sorted(item.kind for item in found)
    assert kinds == sorted([Kind.BOUNCE, Kind.RSVP, Kind.RSVP])
    [bounce] = [item for item in found if item.kind == Kind.BOUNCE]
    [failed] = bounce.bounces
    assert (failed.address, failed.status_code, failed.original_message_id) == (
        "a@lemonde.example", "5.1.1", "<m1.1@cnes.fr>")
    answers = {r.attendee: (r.uid, str(r.partstat)) for item in found for r in item.rsvps}
    assert answers == {"b@figaro.example": ("event-uid@cnes.fr", "ACCEPTED"),
                       "c@ouest.example": ("event-uid@cnes.fr", "DECLINED")}
    for message in mailbox.Maildir(back.folder, create=False):  # well-formed for Python too
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        assert not parsed.defects
