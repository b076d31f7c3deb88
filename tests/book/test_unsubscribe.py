"""One-click unsubscribe in the book (pressctl.book.unsubscribe): a token of a real mailout
opts its recipient out exactly as other opt-outs are recorded, once; a token that names
nobody changes nothing. Tokens are verified by the page's own verifier (an HMAC under a
key, pressctl.delivery.unsubscribe_app.token_verifier)."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, db_snapshot
from mailing import APPROVED, KEY, release

from pressctl.book.contacts import remove_contacts
from pressctl.book.importer import import_file
from pressctl.book.optouts import opt_in, opt_out
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.book.unsubscribe import (
    InvalidToken,
    OneClickOutcome,
    opt_out_by_token,
    token_holder,
)
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.unsubscribe_app import token_verifier
from pressctl.errors import EXIT_INVALID
from pressctl.releases.templating import Templates

VERIFY = token_verifier(KEY)


@pytest.fixture
def sample(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return Book(book.store, book.settings, book.now, actor="one-click link")


def mailouts(book: Book, tmp_path, *, embargo: str | None = None) -> list[int]:
    path = release(tmp_path, embargo=embargo)
    plans = plan_mailouts(book, path, at=None, audience=None, now=APPROVED)
    return store_mailouts(book, plans, Templates(), path=path, token_key=KEY)


def first_row(book: Book, mailout_id: int):
    return book.store.mailouts.rows(mailout_id)[0]


def opt_outs(book: Book):
    return [c for c in book.store.changes.trail() if c.action == "opt-out"]


def test_a_verified_token_opts_its_recipient_out_as_every_opt_out_is_recorded(sample,
                                                                              tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    result = opt_out_by_token(sample, row.token, VERIFY)
    assert (result.outcome, result.mailout_id) == (OneClickOutcome.OPTED_OUT, mailout_id)
    contact = sample.store.contacts.get(result.contact_id)
    assert contact.opted_out and row.address in contact.emails
    held = sample.store.suppressions.suppressions_of(email_key(e) for e in contact.emails)
    assert len(held) == len(contact.emails)  # every address of the person, for good
    suppression = held[email_key(row.address)]
    assert suppression.reason == "one-click unsubscribe"
    assert suppression.note == f"from mailout #{mailout_id}, PR200-2030"
    [entry] = opt_outs(sample)
    assert (entry.actor, entry.subject, entry.subject_id, entry.at) == (
        "one-click link", "contact", str(contact.stored_id), sample.now)
    assert entry.summary == (f"one-click unsubscribe (mailout #{mailout_id}, PR200-2030): "
                             "every address opted out")
    assert row.address not in entry.summary  # the trail names people, not addresses


def test_a_second_click_writes_nothing(sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    token = first_row(sample, mailout_id).token
    opt_out_by_token(sample, token, VERIFY)
    before = db_snapshot(sample.store)
    again = opt_out_by_token(sample, token, VERIFY)
    assert again.outcome == OneClickOutcome.ALREADY and again.mailout_id == mailout_id
    assert db_snapshot(sample.store) == before


def test_an_address_opted_out_before_is_not_recorded_again(sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    opt_out(sample, [row.address], note="asked by phone")
    before = db_snapshot(sample.store)
    assert opt_out_by_token(sample, row.token, VERIFY).outcome == OneClickOutcome.ALREADY
    assert db_snapshot(sample.store) == before


def test_the_link_works_again_after_an_opt_in_the_person_asks_again(sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    opt_out_by_token(sample, row.token, VERIFY)
    opt_in(sample, row.address, "asked by phone to get releases again")
    result = opt_out_by_token(sample, row.token, VERIFY)
    assert result.outcome == OneClickOutcome.OPTED_OUT
    assert sample.store.suppressions.suppressions_of([email_key(row.address)])
    assert len(opt_outs(sample)) == 2


def test_the_address_of_a_removed_contact_is_suppressed_and_recorded_on_the_address(
        sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    remove_contacts(sample, [row.address])
    result = opt_out_by_token(sample, row.token, VERIFY)
    assert (result.outcome, result.contact_id) == (OneClickOutcome.OPTED_OUT, None)
    assert sample.store.suppressions.suppressions_of([email_key(row.address)])
    [entry] = opt_outs(sample)
    assert (entry.subject, entry.subject_id) == ("address", row.address)
    assert entry.summary.endswith(": opted out, in no contact")


def test_a_token_made_under_another_key_changes_nothing(sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    before = db_snapshot(sample.store)
    other_key = token_verifier(b"another key, not the home's: 0123456789")
    with pytest.raises(InvalidToken) as refused:
        opt_out_by_token(sample, row.token, other_key)
    assert refused.value.exit_code == EXIT_INVALID
    assert row.address not in str(refused.value)
    with pytest.raises(InvalidToken):
        token_holder(sample, row.token, other_key)
    assert db_snapshot(sample.store) == before


@pytest.mark.parametrize("token", ["", "A" * 32, "x" * 129, "' OR 1=1 --"])
def test_a_token_of_nobody_changes_nothing(sample, tmp_path, token):
    mailouts(sample, tmp_path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidToken):
        opt_out_by_token(sample, token, VERIFY)
    assert db_snapshot(sample.store) == before


def test_the_confirmation_lookup_only_reads(sample, tmp_path):
    [mailout_id] = mailouts(sample, tmp_path)
    row = first_row(sample, mailout_id)
    before = db_snapshot(sample.store)
    holder = token_holder(sample, row.token, VERIFY)
    assert (holder.mailout_id, holder.address, holder.reference) == (
        mailout_id, row.address, "PR200-2030")
    assert db_snapshot(sample.store) == before


def test_an_embargoed_rows_fallback_token_names_its_public_mailout(sample, tmp_path):
    embargoed, public = mailouts(sample, tmp_path, embargo="2030-03-03 11:30 Europe/Paris")
    row = first_row(sample, embargoed)
    [fallback] = sample.store.db.execute(
        "SELECT fallback_token FROM mailout_rows WHERE id = ?", (row.id,)).fetchone()
    assert fallback and fallback != row.token
    assert row.address not in {r.address for r in sample.store.mailouts.rows(public)}
    result = opt_out_by_token(sample, fallback, VERIFY)
    assert (result.outcome, result.mailout_id) == (OneClickOutcome.OPTED_OUT, public)
    assert f"(mailout #{public}, PR200-2030)" in opt_outs(sample)[0].summary
