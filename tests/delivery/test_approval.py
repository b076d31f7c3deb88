"""The approval summary (pressctl.delivery.approval): what `mailout create` shows before it
asks is read from what it freezes, and names who is left out and why."""

from __future__ import annotations

from datetime import UTC

import pytest
from conftest import SAMPLES
from mailing import APPROVED, KEY, LIFT, release

from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.approval import Outcome, Reason, summarize
from pressctl.delivery.frozen import thaw
from pressctl.delivery.mailouts import plan_mailouts, render_mailouts, store_mailouts
from pressctl.releases.embargo import Phase
from pressctl.releases.templating import Templates

ELODIE = "elodie.marchand@example.net"  # opted out in the sample book (tags space, tech)
PRIYA = "p.raman@healthdesk.example.net"  # accepts embargoes (tag health)


@pytest.fixture
def sample(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def _approve(book: Book, path, **options):
    options.setdefault("at", None)
    options.setdefault("audience", None)
    plans = plan_mailouts(book, path, now=APPROVED, **options)
    rendered = render_mailouts(book, plans, Templates())
    return plans, rendered, summarize(book, plans, rendered)


def test_the_subjects_and_sender_shown_are_those_stored(sample, tmp_path):
    path = release(tmp_path)
    plans, rendered, approval = _approve(sample, path)
    ids = store_mailouts(sample, plans, Templates(), path=path, token_key=KEY,
                         rendered=rendered)
    for mailout_id, phase in zip(ids, approval.phases, strict=True):
        stored = [thaw(blob) for blob in sample.store.mailouts.variants(mailout_id)]
        assert {v.language: v.subject for v, _ in stored} == {
            version.language: version.subject for version in phase.versions}
        assert {(s.name, s.address) for _, s in stored} == {
            (approval.sender.name, approval.sender.address)}
    embargoed, public = approval.phases
    assert embargoed.versions[0].subject.startswith("EMBARGO 3 Mar 2030 11:30 CET – ")
    assert public.versions[0].subject == "A test release"  # no notice after the lift


def test_counts_per_phase_and_language_are_the_rows_stored(sample, tmp_path):
    path = release(tmp_path)
    plans, rendered, approval = _approve(sample, path)
    ids = store_mailouts(sample, plans, Templates(), path=path, token_key=KEY,
                         rendered=rendered)
    assert [p.phase for p in approval.phases] == [Phase.EMBARGOED, Phase.PUBLIC]
    assert [p.due_at for p in approval.phases] == [APPROVED, LIFT]
    assert all(p.due_at.tzinfo == UTC for p in approval.phases)
    for mailout_id, phase in zip(ids, approval.phases, strict=True):
        rows = sample.store.mailouts.rows(mailout_id)
        assert phase.messages == len(rows) == sum(v.messages for v in phase.versions)
    assert approval.messages == sum(len(p.recipients) for p in plans)


def test_per_language_counts_follow_the_recipients_language(sample, tmp_path):
    path = release(tmp_path)
    fr = path.with_name("release.fr.md")
    fr.write_text(path.read_text(encoding="utf-8").replace('language = "en"', 'language = "fr"')
                  .replace("A test release", "Un communiqué d'essai"), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('place = "Paris"', 'place = "Paris"\n'
                                 'translations = { fr = "release.fr.md" }'), encoding="utf-8")
    plans, _, approval = _approve(sample, path)
    for plan, phase in zip(plans, approval.phases, strict=True):
        expected: dict[str, int] = {}
        for recipient in plan.recipients:
            expected[recipient.version.language] = expected.get(recipient.version.language,
                                                                0) + 1
        assert {v.language: v.messages for v in phase.versions} == expected
    # French typography (no-break spaces in "11 h 30") is compared as plain spaces.
    embargoed = {v.language: v.subject.replace("\u00a0", " ").replace("\u202f", " ")
                 for v in approval.phases[0].versions}
    assert embargoed["fr"] == ("EMBARGO 03/03/2030 11 h 30 (heure de Paris) – "
                               "Un communiqué d'essai")
    assert embargoed["en"] == "EMBARGO 3 Mar 2030 11:30 CET – A test release"


def test_the_first_recipients_carry_their_outlet_and_the_rest_is_counted(sample, tmp_path):
    plans, _, approval = _approve(sample, release(tmp_path))
    everyone = [r for plan in plans for r in plan.recipients]
    assert [f.address for f in approval.first] == [r.address for r in everyone[:5]]
    assert approval.more == len(everyone) - 5
    outlets = {c.emails[0]: c.outlet or c.organization
               for c in sample.store.contacts.select() if c.emails}
    assert all(f.outlet == outlets[f.address] for f in approval.first)
    assert any(f.outlet for f in approval.first)
    assert str(approval.first[0]) == (f"{approval.first[0].name} <{approval.first[0].address}>"
                                      f" ({approval.first[0].outlet})")


def test_fewer_recipients_than_shown_means_nothing_more(sample, tmp_path):
    plans, rendered, _ = _approve(sample, release(tmp_path))
    approval = summarize(sample, plans, rendered, shown=100)
    assert len(approval.first) == approval.messages < 100 and approval.more == 0
    assert [f.phase for f in approval.first] == [  # the embargoed phase's first
        plan.phase for plan in plans for _ in plan.recipients]


def test_the_release_zone_is_the_embargo_zone(sample, tmp_path):
    _, _, approval = _approve(sample, release(tmp_path, embargo="2030-03-03 11:30 "
                                              "America/Montreal"))
    assert approval.zone == "America/Montreal"
    _, _, approval = _approve(sample, release(tmp_path, embargo=None))
    assert approval.zone is None


def test_an_opted_out_contact_of_the_audience_is_named_as_excluded(sample, tmp_path):
    _, _, approval = _approve(sample, release(tmp_path))
    [elodie] = approval.left_out_for(Reason.OPTED_OUT)
    assert (elodie.address, elodie.outcome) == (ELODIE, Outcome.NOTHING)
    assert "opted out" in elodie.detail
    assert all(f.address != ELODIE for f in approval.first)


def test_an_opted_out_contact_outside_the_audience_is_not_mentioned(sample, tmp_path):
    _, _, approval = _approve(sample, release(tmp_path, audience="tag:health"))
    assert approval.left_out_for(Reason.OPTED_OUT) == []


def test_an_opted_out_address_and_a_contact_without_one_are_excluded(sample, tmp_path):
    add_contact(sample, {"name": "Nomail Reporter", "kind": "journalist", "tags": ["space"]})
    with sample.store.transaction():  # an address suppressed, its contact not (yet) flagged
        sample.store.suppressions.suppress(email_key(PRIYA), PRIYA, "unsubscribe reply",
                                           sample.now)
    plans, _, approval = _approve(sample, release(tmp_path))
    assert [m.name for m in approval.left_out_for(Reason.NO_ADDRESS)] == ["Nomail Reporter"]
    assert PRIYA in [m.address for m in approval.left_out_for(Reason.OPTED_OUT)]
    assert PRIYA not in [r.address for plan in plans for r in plan.recipients]  # no row


def test_a_bouncing_recipient_is_counted_and_named_with_the_reason(sample, tmp_path):
    with sample.store.transaction():
        sample.store.inbox.mark_bouncing(email_key(PRIYA), PRIYA, "2030-02-01T10:00:00Z",
                                         "550 5.1.1 user unknown", sample.now)
    plans, _, approval = _approve(sample, release(tmp_path))
    [priya] = approval.left_out_for(Reason.BOUNCING)
    assert (priya.address, priya.outcome) == (PRIYA, Outcome.SKIPPED)
    assert "since 2030-02-01" in priya.detail and "550 5.1.1 user unknown" in priya.detail
    assert PRIYA in [r.address for plan in plans for r in plan.recipients]  # a row all the same


def test_who_refuses_embargoes_gets_the_public_version_at_the_lift(sample, tmp_path):
    plans, _, approval = _approve(sample, release(tmp_path))
    refusing = approval.left_out_for(Reason.NO_EMBARGO_CONSENT)
    assert refusing and [m.address for m in refusing] == [r.address for r in plans[1].recipients]
    assert {m.outcome for m in refusing} == {Outcome.PUBLIC_AT_LIFT}


def test_with_no_public_who_refuses_embargoes_gets_nothing(sample, tmp_path):
    plans, _, approval = _approve(sample, release(tmp_path), public_at_lift=False)
    refusing = approval.left_out_for(Reason.NO_EMBARGO_CONSENT)
    assert len(refusing) == plans[0].left_out == approval.phases[0].left_out > 0
    assert {m.outcome for m in refusing} == {Outcome.NOTHING}
    assert [p.phase for p in approval.phases] == [Phase.EMBARGOED]


def test_after_the_lift_nobody_is_left_out_for_consent(sample, tmp_path):
    _, _, approval = _approve(sample, release(tmp_path), at="lift")
    assert [p.phase for p in approval.phases] == [Phase.SINGLE]
    assert approval.left_out_for(Reason.NO_EMBARGO_CONSENT) == []
    assert approval.zone == "Europe/Paris"  # the embargo's zone, though it has lifted


def test_a_mismatched_rendering_is_refused(sample, tmp_path):
    plans, rendered, _ = _approve(sample, release(tmp_path))
    with pytest.raises(ValueError):
        summarize(sample, plans, rendered[:1])
    with pytest.raises(ValueError):
        store_mailouts(sample, plans, Templates(), path=tmp_path, token_key=KEY,
                       rendered=rendered[:1])
