"""Mailouts in the core: plans and phases, frozen messages, delivery with an injected
clock, retries, opt-outs at send time, crash recovery, manual actions."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES

from pressctl import mailout
from pressctl.book import Book, opt_out
from pressctl.errors import InvalidInput
from pressctl.formats.files import open_contact_file
from pressctl.importer import import_file
from pressctl.orgs import import_orgs
from pressctl.outbox import RetryPolicy
from pressctl.templating import Templates
from pressctl.transport import Outcome, RecordingTransport

APPROVED = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)  # a Saturday, before everything below


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def sample(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def release(tmp_path: Path, *, embargo: str | None = "2030-03-03 11:30 Europe/Paris",
            embargo_only: bool = False, audience: str = "tag:space or tag:health") -> Path:
    lines = ['+++', 'reference = "PR200-2030"', 'kind = "release"', 'language = "en"',
             'title = "A test release"', 'date = 2030-03-02', 'place = "Paris"',
             'organizations = ["CNES", "SFR"]', f'audience = "{audience}"']
    if embargo:
        lines.append(f'embargo = "{embargo}"')
    if embargo_only:
        lines.append("embargo_only = true")
    lines += ['+++', '', 'Body of the release.', '']
    path = tmp_path / "release.en.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def create(book: Book, path: Path, **options) -> list[int]:
    options.setdefault("at", None)
    options.setdefault("audience", None)
    options.setdefault("public_at_lift", False)
    plans = mailout.plan_mailouts(book, path, now=APPROVED, **options)
    return mailout.store_mailouts(book, plans, Templates(), path=path)


def deliver(book: Book, clock: Clock, transport: RecordingTransport, **options):
    return mailout.deliver_due(book, lambda: transport, now=clock, run_id="test", **options)


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
    assert sample.store.mailout(mid).state == "done"
    assert deliver(sample, clock, transport).sent == 0  # never twice
    assert len(set(recipients(transport))) == len(transport.sent)


def test_two_phases_embargoed_first_public_at_the_lift(sample, tmp_path):
    path = release(tmp_path, embargo_only=True)
    first, second = create(sample, path, public_at_lift=True)
    assert sample.store.mailout(second).linked_to == first
    clock, transport = Clock(APPROVED), RecordingTransport()
    deliver(sample, clock, transport)
    embargoed = recipients(transport)
    book_rows = {r.address: r for r in sample.store.rows(first)}
    assert set(embargoed) == set(book_rows)
    for _, address, data in transport.sent:
        contact = next(c for c in sample.store.list_contacts() if address in c.emails)
        assert contact.embargo_ok  # the embargoed version only to those who agreed
        assert str(parse(data)["Subject"]).startswith("EMBARGO")
    clock.moment = datetime(2030, 3, 3, 10, 29, tzinfo=UTC)  # 11:29 in Paris: before the lift
    deliver(sample, clock, transport)
    assert recipients(transport) == embargoed
    clock.advance(minutes=1)
    deliver(sample, clock, transport)
    public = recipients(transport)[len(embargoed):]
    assert public and not set(public) & set(embargoed)
    for _, address, data in transport.sent[len(embargoed):]:
        message = parse(data)
        assert not str(message["Subject"]).startswith("EMBARGO")
        assert "mbargo" not in message.get_body(("plain",)).get_content()


def test_without_public_at_lift_the_others_are_named_not_silently_dropped(sample, tmp_path):
    plans = mailout.plan_mailouts(sample, release(tmp_path, embargo_only=True), at=None,
                                  audience=None, public_at_lift=False, now=APPROVED)
    assert [p.phase for p in plans] == ["embargoed"]
    assert any("--public-at-lift" in w.message for w in plans[0].releases.warnings)


def test_at_lift_sends_the_public_version_to_everyone(sample, tmp_path):
    [mid] = create(sample, release(tmp_path), at="lift")
    record = sample.store.mailout(mid)
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
    row = next(r for r in sample.store.rows(mid) if r.address == claire)
    assert (row.state, row.reply) == ("skipped", "opted out")
    body = parse(transport.sent[0][2]).get_body(("plain",)).get_content()
    assert "Body of the release." in body and "Changed later." not in body


def test_a_suppressed_address_is_skipped_even_without_a_contact(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.rows(mid)[0].address
    with sample.store.transaction():
        sample.store.suppress(target.lower(), target, "unsubscribe reply", sample.now)
    transport = RecordingTransport()
    deliver(sample, Clock(APPROVED), transport)
    assert target not in recipients(transport)


def test_transient_failures_retry_with_backoff_then_fail(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.rows(mid)[0].address
    transport = RecordingTransport({target: Outcome("transient", 451, "try later")})
    clock = Clock(APPROVED)
    policy = RetryPolicy(max_attempts=3, first_delay=timedelta(minutes=2))
    report = deliver(sample, clock, transport, policy=policy)
    assert report.retrying == 1 and report.ok
    row = next(r for r in sample.store.rows(mid) if r.address == target)
    assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 1, "2030-03-02T08:02:00Z")
    assert sample.store.mailout(mid).state == "scheduled"
    clock.advance(minutes=1)
    deliver(sample, clock, transport, policy=policy)
    assert len([a for a in transport.attempts if a[1] == target]) == 1  # not yet
    clock.advance(minutes=1)
    deliver(sample, clock, transport, policy=policy)
    clock.advance(minutes=4)
    report = deliver(sample, clock, transport, policy=policy)
    row = next(r for r in sample.store.rows(mid) if r.address == target)
    assert (row.state, row.attempts, row.reply) == ("failed", 3, "451 try later")
    assert report.failed == 1 and not report.ok
    assert sample.store.mailout(mid).state == "done"
    transport.failures.clear()
    assert mailout.retry(sample, mid) == 1
    deliver(sample, clock, transport, policy=policy)
    assert target in recipients(transport)


def test_permanent_failures_keep_the_reply_and_are_not_retried(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.rows(mid)[0].address
    transport = RecordingTransport({target: Outcome("permanent", 550, "no such user")})
    clock = Clock(APPROVED)
    deliver(sample, clock, transport)
    clock.advance(hours=5)
    deliver(sample, clock, transport)
    assert len([a for a in transport.attempts if a[1] == target]) == 1
    row = next(r for r in sample.store.rows(mid) if r.address == target)
    assert (row.state, row.reply) == ("failed", "550 no such user")


def test_unknown_is_never_resent_without_being_asked(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None))
    target = sample.store.rows(mid)[0].address
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
        claimed = sample.store.claim_rows(mid, "2030-03-02T08:00:00Z", "dead-run", 3)
    transport = RecordingTransport()
    report = deliver(sample, Clock(APPROVED), transport)
    assert report.recovered_unknown == 3 and not report.ok
    states = {r.id: r.state for r in sample.store.rows(mid)}
    assert all(states[r.id] == "unknown" for r in claimed)
    assert not {r.address for r in claimed} & set(recipients(transport))


def test_cancel_pause_resume(sample, tmp_path):
    first, second = create(sample, release(tmp_path, embargo_only=True), public_at_lift=True)
    mailout.pause(sample, first)
    transport, clock = RecordingTransport(), Clock(APPROVED)
    deliver(sample, clock, transport)
    assert transport.sent == []
    with pytest.raises(InvalidInput, match="already paused"):
        mailout.pause(sample, first)
    mailout.pause(sample, first, resume=True)
    assert mailout.cancel(sample, second) > 0
    clock.moment = datetime(2030, 3, 4, tzinfo=UTC)
    deliver(sample, clock, transport)
    assert {r.state for r in sample.store.rows(second)} == {"cancelled"}
    assert {r.state for r in sample.store.rows(first)} == {"sent"}
    with pytest.raises(InvalidInput):
        mailout.cancel(sample, second)


def test_parallel_connections_send_each_row_once(sample, tmp_path):
    [mid] = create(sample, release(tmp_path, embargo=None, audience="all"))
    transports: list[RecordingTransport] = []

    def make():
        transports.append(RecordingTransport())
        return transports[-1]

    report = mailout.deliver_due(sample, make, now=Clock(APPROVED), run_id="t", connections=3)
    sent = [r for t in transports for _, r, _ in t.sent]
    assert len(transports) == 3 and report.sent == len(sent) == len(set(sent))
    assert {r.state for r in sample.store.rows(mid)} == {"sent"}
