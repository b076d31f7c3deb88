"""Mailouts in the core: plans and phases, frozen messages, delivery with an injected
clock, retries, opt-outs at send time, crash recovery, manual actions.

Every delivery goes through the one ``deliver`` helper below, so that a new delivery API
changes one place."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES
from mailing import APPROVED, KEY, LIFT, Clock, deliver, release  # noqa: F401

from pressctl.book.importer import import_file
from pressctl.book.optouts import opt_out
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery import mailouts as mailout
from pressctl.delivery.transport import Outcome, RecordingTransport
from pressctl.errors import InvalidInput
from pressctl.outbox.policy import RetryPolicy
from pressctl.outbox.states import ROW_STATES, TERMINAL, RowState
from pressctl.releases.templating import Templates
from pressctl.times import iso


@pytest.fixture
def sample(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def create(book: Book, path: Path, **options) -> list[int]:
    options.setdefault("at", None)
    options.setdefault("audience", None)
    plans = mailout.plan_mailouts(book, path, now=APPROVED, **options)
    return mailout.store_mailouts(book, plans, Templates(), path=path, token_key=KEY)


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


def recipients(transport: RecordingTransport) -> list[str]:
    return [recipient for _, recipient, _ in transport.sent]


def test_nothing_goes_before_its_time(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None), at="2030-03-02 10:00 Europe/Paris")
    clock, transport = Clock(APPROVED), RecordingTransport()
    assert deliver(sample, clock, transport).sent == 0
    clock.advance(minutes=59)  # 08:59 UTC, 09:59 in Paris
    assert deliver(sample, clock, transport).sent == 0
    clock.advance(minutes=1)
    report = deliver(sample, clock, transport)
    assert report.sent == len(transport.sent) > 0 and report.ok
    assert sample.store.mailouts.get(mid).state == "done"
    assert deliver(sample, clock, transport).sent == 0  # never twice
    assert len(set(recipients(transport))) == len(transport.sent)


def test_two_phases_embargoed_first_public_at_the_lift(sample, tmp_path):
    path = release(tmp_path)
    first, second = create(sample, path)  # the public phase is the default
    assert sample.store.mailouts.get(second).linked_to == first
    clock, transport = Clock(APPROVED), RecordingTransport()
    deliver(sample, clock, transport)
    embargoed = recipients(transport)
    book_rows = {r.address: r for r in sample.store.mailouts.rows(first)}
    assert set(embargoed) == set(book_rows)
    for _, address, data in transport.sent:
        contact = next(c for c in sample.store.contacts.select() if address in c.emails)
        assert contact.embargo_ok  # the embargoed version only to those who agreed
        assert str(parse(data)["Subject"]).startswith("EMBARGO")
    clock.moment = datetime(2030, 3, 3, 10, 29, tzinfo=UTC)  # 11:29 in Paris: before the lift
    deliver(sample, clock, transport)
    assert recipients(transport) == embargoed
    clock.advance(minutes=1)
    deliver(sample, clock, transport)
    public = recipients(transport)[len(embargoed):]
    assert public and not set(public) & set(embargoed)
    for _, _address, data in transport.sent[len(embargoed):]:
        message = parse(data)
        assert not str(message["Subject"]).startswith("EMBARGO")
        assert "mbargo" not in message.get_body(("plain",)).get_content()


def test_without_public_at_lift_the_others_are_named_not_silently_dropped(sample, tmp_path):
    plans = mailout.plan_mailouts(sample, release(tmp_path), at=None,
                                  audience=None, public_at_lift=False, now=APPROVED)
    assert [p.phase for p in plans] == ["embargoed"]
    assert plans[0].left_out == 7  # space or health journalists who refuse embargoes
    assert [w.message for w in plans[0].releases.warnings] == [
        ("7 contact(s) of the audience do not accept embargoes and get nothing (--no-public): "
         "leave out --no-public to send them the public version at the lift")]
    assert all(r.contact.embargo_ok and r.embargoed for r in plans[0].recipients)


def test_at_lift_sends_the_public_version_to_everyone(sample, tmp_path):
    [mid] = create(sample, release(tmp_path), at="lift")
    record = sample.store.mailouts.get(mid)
    assert (record.phase, record.due_at) == ("single", "2030-03-03T10:30:00Z")


def test_messages_are_frozen_but_opt_outs_win(sample, tmp_path):
    path = release(tmp_path, embargo=None)
    [mid] = create(sample, path)
    path.write_text(path.read_text(encoding="utf-8").replace("Body of the release.",
                                                             "Changed later."), encoding="utf-8")
    claire = "claire.fontaine@gazette-espace.example.org"
    opt_out(sample, [claire])  # after approval
    transport = RecordingTransport()
    report = deliver(sample, Clock(APPROVED), transport)
    assert claire not in recipients(transport)
    assert report.skipped == 1
    row = next(r for r in sample.store.mailouts.rows(mid) if r.address == claire)
    assert (row.state, row.reply) == ("skipped", "opted out")
    body = parse(transport.sent[0][2]).get_body(("plain",)).get_content()
    assert "Body of the release." in body and "Changed later." not in body


def test_a_suppressed_address_is_skipped_even_without_a_contact(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.mailouts.rows(mid)[0].address
    with sample.store.transaction():
        sample.store.suppressions.suppress(target.lower(), target, "unsubscribe reply", sample.now)
    transport = RecordingTransport()
    deliver(sample, Clock(APPROVED), transport)
    assert target not in recipients(transport)


def test_transient_failures_retry_with_backoff_then_fail(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.mailouts.rows(mid)[0].address
    transport = RecordingTransport({target: Outcome("transient", 451, "try later")})
    clock = Clock(APPROVED)
    policy = RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=2))
    report = deliver(sample, clock, transport, policy=policy)
    assert report.retrying == 1 and report.ok
    row = next(r for r in sample.store.mailouts.rows(mid) if r.address == target)
    assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 1, "2030-03-02T08:02:00Z")
    assert sample.store.mailouts.get(mid).state == "scheduled"
    clock.advance(minutes=1)
    deliver(sample, clock, transport, policy=policy)
    assert len([a for a in transport.attempts if a[1] == target]) == 1  # not yet
    clock.advance(minutes=1)
    deliver(sample, clock, transport, policy=policy)
    clock.advance(minutes=4)
    report = deliver(sample, clock, transport, policy=policy)
    row = next(r for r in sample.store.mailouts.rows(mid) if r.address == target)
    assert (row.state, row.attempts, row.reply) == ("failed", 3, "451 try later")
    assert report.failed == 1 and not report.ok
    assert sample.store.mailouts.get(mid).state == "done"
    transport.failures.clear()
    assert mailout.retry(sample, mid) == 1
    deliver(sample, clock, transport, policy=policy)
    assert target in recipients(transport)


def test_permanent_failures_keep_the_reply_and_are_not_retried(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.mailouts.rows(mid)[0].address
    transport = RecordingTransport({target: Outcome("permanent", 550, "no such user")})
    clock = Clock(APPROVED)
    deliver(sample, clock, transport)
    clock.advance(hours=5)
    deliver(sample, clock, transport)
    assert len([a for a in transport.attempts if a[1] == target]) == 1
    row = next(r for r in sample.store.mailouts.rows(mid) if r.address == target)
    assert (row.state, row.reply) == ("failed", "550 no such user")


def test_unknown_is_never_resent_without_being_asked(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.mailouts.rows(mid)[0].address
    transport = RecordingTransport({target: Outcome("unknown", None, "no reply to DATA")})
    clock = Clock(APPROVED)
    deliver(sample, clock, transport)
    transport.failures.clear()
    clock.advance(hours=5)
    deliver(sample, clock, transport)
    assert target not in recipients(transport)
    assert mailout.retry(sample, mid) == 0  # failed rows only
    assert mailout.retry(sample, mid, include_unknown=True) == 1
    deliver(sample, clock, transport)
    assert recipients(transport).count(target) == 1


def test_rows_left_sending_by_a_dead_run_become_unknown(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    with sample.store.transaction():
        ids = sample.store.runs.queued_ids(mid, 0, "2030-03-02T08:00:00Z", 3)
        claimed = sample.store.runs.claim_rows(ids, "dead-run", "2030-03-02T08:00:00Z")
    transport = RecordingTransport()
    report = deliver(sample, Clock(APPROVED), transport)
    assert report.recovered_unknown == 3 and not report.ok
    states = {r.id: r.state for r in sample.store.mailouts.rows(mid)}
    assert all(states[r.id] == "unknown" for r in claimed)
    assert not {r.address for r in claimed} & set(recipients(transport))


def test_cancel_pause_resume(sample, tmp_path):
    first, second = create(sample, release(tmp_path))
    mailout.pause(sample, first)
    transport, clock = RecordingTransport(), Clock(APPROVED)
    deliver(sample, clock, transport)
    assert transport.sent == []
    with pytest.raises(InvalidInput, match="already paused"):
        mailout.pause(sample, first)
    mailout.pause(sample, first, resume=True)
    assert mailout.cancel(sample, second) > 0
    clock.moment = datetime(2030, 3, 2, 9, tzinfo=UTC)  # resumed within the day
    deliver(sample, clock, transport)
    clock.moment = datetime(2030, 3, 3, 11, tzinfo=UTC)  # after the cancelled one's lift
    deliver(sample, clock, transport)
    assert {r.state for r in sample.store.mailouts.rows(second)} == {"cancelled"}
    assert {r.state for r in sample.store.mailouts.rows(first)} == {"sent"}
    with pytest.raises(InvalidInput):
        mailout.cancel(sample, second)


def test_who_approved_paused_resumed_cancelled_and_retried_a_mailout_is_recorded(
        sample, tmp_path):
    from pressctl.store.changes import ChangeAction

    def by(actor: str) -> Book:
        return Book(sample.store, sample.settings, sample.now, actor=actor)

    path = release(tmp_path, embargo=None)
    plans = mailout.plan_mailouts(by("anne"), path, at=None, audience=None, now=APPROVED)
    [mid] = mailout.store_mailouts(by("anne"), plans, Templates(), path=path, token_key=KEY)
    mailout.pause(by("bob"), mid)
    mailout.pause(by("carol"), mid, resume=True)
    target = sample.store.mailouts.rows(mid)[0].address
    deliver(sample, Clock(APPROVED),
            RecordingTransport({target: Outcome("permanent", 550, "no such user")}))
    assert mailout.retry(by("dave"), mid) > 0
    assert mailout.retry(by("dave"), mid) == 0  # nothing to queue: nothing changed
    mailout.cancel(by("erin"), mid)
    recorded = [(c.actor, c.action) for c in mailout.history(sample, mid)]
    assert recorded == [("anne", ChangeAction.APPROVE), ("bob", ChangeAction.PAUSE),
                        ("carol", ChangeAction.RESUME), ("dave", ChangeAction.RETRY),
                        ("erin", ChangeAction.CANCEL)]
    approved = mailout.history(sample, mid)[0]
    assert approved.summary.startswith("approved PR200-2030 (single): ")
    assert approved.at == sample.now


def test_a_refused_manual_action_records_nothing(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    mailout.cancel(sample, mid)
    for refused in (lambda: mailout.cancel(sample, mid), lambda: mailout.pause(sample, mid),
                    lambda: mailout.retry(sample, mid)):
        with pytest.raises(InvalidInput):
            refused()
    assert [c.action for c in mailout.history(sample, mid)] == ["approve", "cancel"]


def test_parallel_connections_send_each_row_once(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None, audience="all"))
    transports: list[RecordingTransport] = []

    def make():
        transports.append(RecordingTransport())
        return transports[-1]

    report = deliver(sample, Clock(APPROVED), None, make=make, connections=3)
    sent = [r for t in transports for _, r, _ in t.sent]
    assert len(transports) == 3 and report.sent == len(sent) == len(set(sent))
    assert {r.state for r in sample.store.mailouts.rows(mid)} == {"sent"}


@pytest.mark.parametrize("state", sorted(ROW_STATES))
def test_a_mailout_is_done_once_every_row_is_terminal(sample, tmp_path, state):
    # What TERMINAL means: a row that no run will change by itself (only a person can
    # retry it), so a mailout whose rows are all terminal has nothing left to do.
    [mid] = create(sample, release(tmp_path, embargo=None))
    due = sample.store.mailouts.get(mid).due_at
    with sample.store.transaction():
        sample.store.mailouts.set_rows_state(mid, [RowState.QUEUED], state, due)
        finished = sample.store.runs.finish_mailouts(iso(APPROVED + timedelta(hours=1)))
    assert (finished == [mid]) is (state in TERMINAL)
    assert sample.store.mailouts.get(mid).state == ("done" if state in TERMINAL else "scheduled")


# --------------------------------------------------------------------------- embargo phases


def fallbacks(book: Book, mailout_id: int) -> dict[str, tuple]:
    """address -> (fallback_variant, fallback_message_id, fallback_token) of each row."""
    return {address: tuple(rest) for address, *rest in book.store.db.execute(
        "SELECT address, fallback_variant, fallback_message_id, fallback_token "
        "FROM mailout_rows WHERE mailout_id = ?", (mailout_id,))}


def frozen_subjects(book: Book, mailout_id: int) -> list[str]:
    from pressctl.delivery.frozen import thaw

    return [thaw(blob)[0].subject for blob in book.store.mailouts.variants(mailout_id)]


def test_an_embargoed_version_only_ever_goes_to_contacts_who_accept_embargoes(sample, tmp_path):
    first, second = create(sample, release(tmp_path))
    accept = {c.emails[0] for c in sample.store.contacts.select() if c.embargo_ok and c.emails}
    embargoed = {r.address for r in sample.store.mailouts.rows(first)}
    public = {r.address for r in sample.store.mailouts.rows(second)}
    assert embargoed and embargoed <= accept
    assert public and not public & accept  # the others: the public version at the lift
    assert "anais.gauthier@sante-hebdo.example.org" in public
    assert sample.store.mailouts.get(second).due_at == "2030-03-03T10:30:00Z"
    assert all(s.startswith("EMBARGO") for s in frozen_subjects(sample, first))
    assert not any("EMBARGO" in s for s in frozen_subjects(sample, second))


def test_the_public_phase_is_planned_even_when_everyone_accepts_embargoes(sample, tmp_path):
    # It is where a contact who withdraws consent later goes.
    path = release(tmp_path, audience="tag:space and embargo_ok")
    plans = mailout.plan_mailouts(sample, path, at=None, audience=None, now=APPROVED)
    assert [(p.phase, len(p.recipients)) for p in plans] == [("embargoed", 12), ("public", 0)]
    assert len(plans[1].covers or []) == 12 and plans[0].left_out == 0
    first, second = mailout.store_mailouts(sample, plans, Templates(), path=path, token_key=KEY)
    assert sample.store.mailouts.rows(second) == [] and frozen_subjects(sample, second)
    assert all(f[0] is not None for f in fallbacks(sample, first).values())


def test_embargoed_rows_keep_their_place_in_the_public_phase(sample, tmp_path):
    from pressctl.delivery.frozen import thaw
    from pressctl.delivery.unsubscribe import unsubscribe_token

    first, second = create(sample, release(tmp_path))
    variants = [thaw(blob)[0] for blob in sample.store.mailouts.variants(second)]
    embargoed = [thaw(blob)[0] for blob in sample.store.mailouts.variants(first)]
    public_ids = {r.message_id for r in sample.store.mailouts.rows(second)}
    for row in sample.store.mailouts.rows(first):
        variant, message_id, token = fallbacks(sample, first)[row.address]
        # the same release, without the embargo notice
        assert embargoed[row.variant].subject.endswith(" – " + variants[variant].subject)
        assert "mbargo" not in variants[variant].text
        # ...in the reader's language and with phone numbers written for their country
        assert embargoed[row.variant].text.endswith("\n\n" + variants[variant].text)
        assert message_id != row.message_id and message_id not in public_ids
        assert token == unsubscribe_token(KEY, second, row.address) != row.token
    assert set(fallbacks(sample, second).values()) == {(None, None, None)}


def test_without_a_public_phase_embargoed_rows_have_nowhere_to_fall_back(sample, tmp_path):
    [first] = create(sample, release(tmp_path), public_at_lift=False)
    assert set(fallbacks(sample, first).values()) == {(None, None, None)}


@pytest.mark.parametrize("at", ["lift", "2030-03-04 09:00 Europe/Paris"])
def test_at_or_after_the_lift_one_public_mailout_goes_to_everyone(sample, tmp_path, at):
    [mid] = create(sample, release(tmp_path), at=at)
    assert sample.store.mailouts.get(mid).phase == "single"
    addresses = {r.address for r in sample.store.mailouts.rows(mid)}
    assert "anais.gauthier@sante-hebdo.example.org" in addresses  # refuses embargoes
    assert "claire.fontaine@gazette-espace.example.org" in addresses  # accepts them
    assert not any("EMBARGO" in s for s in frozen_subjects(sample, mid))


# --------------------------------------------------------------------------- unsubscribe tokens


def test_each_row_has_an_unguessable_one_click_token(sample, tmp_path):
    # Issue 7: the token was the sequential contact id, so anyone could unsubscribe anyone.
    from pressctl.delivery.unsubscribe import unsubscribe_token

    first, second = create(sample, release(tmp_path))
    rows = sample.store.mailouts.rows(first) + sample.store.mailouts.rows(second)
    assert len(rows) > 10
    for row in rows:
        assert row.token == unsubscribe_token(KEY, row.mailout_id, row.address)
        assert row.token != str(row.contact_id) and len(row.token) == 32
    assert len({row.token for row in rows}) == len(rows)  # one per address


def test_a_token_is_stable_per_key_mailout_and_address_and_nothing_else():
    from pressctl.delivery.unsubscribe import unsubscribe_token

    address = "claire.fontaine@gazette-espace.example.org"
    token = unsubscribe_token(KEY, 7, address)
    assert unsubscribe_token(KEY, 7, address) == token
    assert unsubscribe_token(KEY, 7, address.upper()) == token  # the address, not its spelling
    assert unsubscribe_token(KEY, 8, address) != token
    assert unsubscribe_token(KEY, 7, "harriet.pennington@orbit-weekly.example.com") != token
    assert unsubscribe_token(b"another-key-another-key-another-key", 7, address) != token


def test_the_frozen_message_carries_the_token_in_its_one_click_url(sample, tmp_path):
    import dataclasses

    from pressctl.config import SenderSettings

    sender = SenderSettings(unsubscribe_url="https://presse.example.org/unsubscribe?t={token}")
    sample.settings = dataclasses.replace(sample.settings, sender=sender)
    [mid] = create(sample, release(tmp_path, embargo=None))
    transport = RecordingTransport()
    deliver(sample, Clock(APPROVED), transport)
    tokens = {r.address: r.token for r in sample.store.mailouts.rows(mid)}
    assert len(transport.sent) == len(tokens) > 0
    for _, address, data in transport.sent:
        message = parse(data)
        url = f"https://presse.example.org/unsubscribe?t={tokens[address]}"
        assert f"<{url}>" in str(message["List-Unsubscribe"])
        assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
