"""A bouncing address is skipped at send time, with the reason and how to clear it, and
the others are sent (issue 10). Real parts: the invitation delivered to aiosmtpd on
loopback, its bounce read by `inbox import` from a Maildir, then the next release
delivered by the real outbox run; what the SERVER received is checked. Both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from mailing import Clock, deliver
from returned_mail import (
    ANTOINE,
    JEAN,
    KEY,
    LUCIE,
    NINA,
    book_with_journalists,
    hard_bounce,
    maildir,
    release_file,
    send,
    soft_bounce,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.bounces import unbounce
from pressctl.book.contacts import edit_contact
from pressctl.book.inbox import import_inbox
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import SmtpTransport
from pressctl.releases.templating import Templates

NEXT = datetime(2030, 6, 2, 8, 0, tzinfo=UTC)  # the next release, after the bounces came in
JEAN_BOUNCING = (
    "bouncing since 2030-03-25 (550 5.1.1 <j.martin@lemonde.example>: Recipient address "
    "rejected: User unknown in virtual mailbox table): fix the address or `pressctl "
    "contacts unbounce j.martin@lemonde.example`")


@pytest.fixture
def bounced(book, tmp_path, smtp_server):  # noqa: F811
    """The invitation sent to four journalists; Jean's came back (550 5.1.1), Nina's
    twice (452 4.2.2: not bouncing yet)."""
    first = send(book_with_journalists(book, tmp_path), tmp_path, smtp_server)
    nina = first.rows[NINA]
    report = import_inbox(book, maildir(
        tmp_path / "in", hard_bounce(first.rows[JEAN], "hard-1"),
        soft_bounce(nina, "s1", date="Mon, 4 Mar 2030 09:00:00 +0000"),
        soft_bounce(nina, "s2", date="Mon, 11 Mar 2030 09:00:00 +0000")))
    assert [b.address for b in report.bouncing] == [JEAN]
    return first


def _received_since(server, count: int) -> set[str]:
    return {m.rcpt_tos[0] for m in server.messages[count:]}


def test_a_bouncing_address_is_skipped_at_the_next_send_with_its_reason_and_the_others_go(
        book, bounced, tmp_path, smtp_server):  # noqa: F811
    count = len(smtp_server.messages)
    second = send(book, tmp_path, smtp_server, "PR302-2030", event=False, at=NEXT)
    assert _received_since(smtp_server, count) == {NINA, ANTOINE, LUCIE}
    jean = second.rows[JEAN]
    assert (jean.state, jean.reply, jean.attempts) == ("skipped", JEAN_BOUNCING, 0)
    assert {second.rows[a].state for a in (NINA, ANTOINE, LUCIE)} == {"sent"}


def test_after_contacts_unbounce_the_address_is_sent_again(book, bounced, tmp_path,
                                                           smtp_server):  # noqa: F811
    unbounce(book, JEAN)
    count = len(smtp_server.messages)
    second = send(book, tmp_path, smtp_server, "PR302-2030", event=False, at=NEXT)
    assert JEAN in _received_since(smtp_server, count)
    assert second.rows[JEAN].state == "sent"


def test_after_an_edit_fixes_the_address_the_contact_is_sent_again(book, bounced, tmp_path,
                                                                   smtp_server):  # noqa: F811
    fixed = "jean.martin@lemonde.example"
    edit_contact(book, JEAN, {}, remove_emails=[JEAN], add_emails=[fixed])
    count = len(smtp_server.messages)
    second = send(book, tmp_path, smtp_server, "PR302-2030", event=False, at=NEXT)
    assert _received_since(smtp_server, count) == {fixed, NINA, ANTOINE, LUCIE}
    assert second.rows[fixed].state == "sent"


def test_a_row_frozen_before_the_bounce_is_skipped_too(book, tmp_path, smtp_server):  # noqa: F811
    """The check is made when the row is claimed, not when the mailout was approved."""
    first = send(book_with_journalists(book, tmp_path), tmp_path, smtp_server)
    path = release_file(tmp_path, "PR303-2030", event=False)
    plans = plan_mailouts(book, path, at=None, audience=None, now=NEXT)
    [queued] = store_mailouts(book, plans, Templates(), path=path, token_key=KEY)
    import_inbox(book, maildir(tmp_path / "in", hard_bounce(first.rows[JEAN], "hard-1")))
    deliver(book, Clock(NEXT), SmtpTransport(smtp_server.settings(), {}))
    rows = {row.address: row for row in book.store.mailouts.rows(queued)}
    assert (rows[JEAN].state, rows[JEAN].reply) == ("skipped", JEAN_BOUNCING)
