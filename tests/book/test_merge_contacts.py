"""`contacts merge KEEP OTHER...` in the core (pressctl.book.merge): one transaction; lists
united; history, mailout rows, answers and trail moved to KEEP; the strictest of opt-out,
bounce and embargo consent wins; the merge recorded; a failure changes nothing. Both
backends; the history is a real one (a release delivered to a real SMTP server, its
answer and bounce read back by `inbox import`)."""

from __future__ import annotations

import pytest
from conftest import db_snapshot
from returned_mail import JEAN, book_with_journalists, hard_bounce, maildir, rsvp, send
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.bounces import bouncing_addresses
from pressctl.book.contacts import add_contact, find_contact
from pressctl.book.history import EntryKind, history_of
from pressctl.book.inbox import import_inbox
from pressctl.book.merge import merge_contacts, plan_merge
from pressctl.book.optouts import opt_out
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import ContactFilter
from pressctl.errors import InvalidInput, NotFound
from pressctl.store.changes import ChangeAction, Subject
from pressctl.store.duplicates import DuplicateQueries


def add(book, name: str, *emails: str, **fields):
    return add_contact(book, {"name": name, "emails": list(emails), **fields}).contact


def test_lists_are_united_and_the_others_removed(book):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example", phones=["+1 301 555 0142"],
               tags="space", languages="en", notes="Met at IAC.", organization="NASA")
    other = add(book, "J. Roe", "jroe@example.org", phones=["+1 301 555 0199",
                                                           "+1 301 555 0142"],
                tags="space,mars", languages="en,fr", notes="Prefers phone.",
                role="Press officer", outlet="Space News")
    result = merge_contacts(book, str(keep.id), [str(other.id)])
    merged = book.store.contacts.get(keep.stored_id)
    assert result.plan.merged.emails == merged.emails
    assert merged.name == "Jane Roe" and merged.organization == "NASA"
    assert merged.emails == ["jane.roe@nasa.example", "jroe@example.org"]
    assert [p.e164 for p in merged.phones] == ["+13015550142", "+13015550199"]
    assert merged.tags == ["space", "mars"] and merged.languages == ["en", "fr"]
    assert merged.notes == "Met at IAC.\nPrefers phone."
    assert (merged.role, merged.outlet) == ("Press officer", "Space News")  # blanks filled
    assert book.store.contacts.get(other.stored_id) is None
    assert book.store.contacts.count() == 1
    # its addresses are the kept contact's now: found by them
    assert find_contact(book.store, "jroe@example.org").id == keep.id
    assert [c.id for c in book.store.contacts.select(ContactFilter(search="jroe@exa"))] == \
        [keep.id]  # and by `contacts list --search`


def test_an_opt_out_on_any_of_them_wins(book):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example")
    other = add(book, "Jane Roe", "jane@example.org")
    opt_out(book, ["jane@example.org"], note="asked by phone")
    result = merge_contacts(book, str(keep.id), [str(other.id)])
    merged = book.store.contacts.get(keep.stored_id)
    assert merged.opted_out
    held = book.store.suppressions.suppressions_of(
        [email_key("jane.roe@nasa.example"), email_key("jane@example.org")])
    assert set(held) == {"jane.roe@nasa.example", "jane@example.org"}
    assert [n.suppression.address for n in result.opted_out] == ["jane@example.org"]


def test_an_opted_out_kept_contact_stays_out_with_the_addresses_it_gains(book):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example")
    other = add(book, "Jane Roe", "jane@example.org")
    opt_out(book, ["jane.roe@nasa.example"])
    merge_contacts(book, str(keep.id), [str(other.id)])
    assert book.store.contacts.get(keep.stored_id).opted_out
    assert email_key("jane@example.org") in book.store.suppressions.suppressions_of(
        [email_key("jane@example.org")])


@pytest.mark.parametrize(("kept", "other", "merged"), [
    (True, False, False), (False, True, False), (True, True, True), (False, False, False)])
def test_a_withdrawn_embargo_consent_on_any_of_them_wins(book, kept, other, merged):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example", embargo_ok=kept)
    second = add(book, "Jane Roe", "jane@example.org", embargo_ok=other)
    merge_contacts(book, str(keep.id), [str(second.id)])
    assert book.store.contacts.get(keep.stored_id).embargo_ok is merged


def test_the_merge_is_recorded_on_each_of_them(book):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example")
    other = add(book, "J. Roe", "jroe@example.org")
    third = add(book, "Roe Jane", "jane@example.net")
    book.actor = "anne"
    merge_contacts(book, "jane.roe@nasa.example", ["jroe@example.org", str(third.id)])
    trail = book.store.changes.trail(subject=Subject.CONTACT, subject_id=keep.stored_id)
    assert [c.action for c in trail] == [ChangeAction.ADD, ChangeAction.ADD, ChangeAction.ADD,
                                         ChangeAction.MERGE]  # theirs moved to the kept one
    last = trail[-1]
    assert last.actor == "anne"
    assert f"#{other.id} J. Roe (jroe@example.org)" in last.summary
    assert f"#{third.id} Roe Jane (jane@example.net)" in last.summary
    for gone in (other, third):
        [entry] = book.store.changes.trail(subject=Subject.CONTACT, subject_id=gone.stored_id)
        assert entry.summary == f"merged into contact #{keep.id} Jane Roe"


def test_history_rows_answers_and_bounces_move_to_the_kept_contact(book, tmp_path,
                                                                    smtp_server):  # noqa: F811
    book = book_with_journalists(book, tmp_path)
    invitation = send(book, tmp_path, smtp_server)
    came_back = maildir(tmp_path / "in",
                        rsvp(invitation.uid, "answer-jean", attendee=JEAN, partstat="ACCEPTED"),
                        hard_bounce(invitation.rows[JEAN], "bounce-jean"))
    import_inbox(book, came_back)
    jean = find_contact(book.store, JEAN)
    before = {str(e.kind) for e in history_of(book.store, jean)}
    assert {"invitation", "rsvp", "bounce", "bouncing"} <= before
    keep = add(book, "Jean Martin", "jean.martin@example.net", outlet="Le Monde")

    result = merge_contacts(book, str(keep.id), [JEAN])

    merged = book.store.contacts.get(keep.stored_id)
    assert merged.emails == ["jean.martin@example.net", JEAN]
    assert result.moved.mailout_rows == 1 and result.moved.rsvps == 1
    assert [r.contact_id for r in book.store.history.rows_to(jean.stored_id, [])] == []
    assert [r.contact_id for r in book.store.history.rows_to(keep.stored_id, [])] == \
        [keep.stored_id]
    assert [a.contact_id for a in book.store.history.answers_of(keep.stored_id, [])] == \
        [keep.stored_id]
    after = {str(e.kind) for e in history_of(book.store, merged)}
    assert before <= after
    assert EntryKind.INVITATION in {e.kind for e in history_of(book.store, merged)}
    # the bounce is the address's: still bouncing, now on the kept contact
    assert [b.address for b in bouncing_addresses(book.store, merged)] == [JEAN]


def test_a_plan_reads_and_changes_nothing(book):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example")
    other = add(book, "J. Roe", "jroe@example.org")
    before = db_snapshot(book.store)
    plan = plan_merge(book.store, str(keep.id), [str(other.id), "jroe@example.org"])
    assert [o.id for o in plan.others] == [other.id]  # named twice, merged once
    assert plan.merged.emails == ["jane.roe@nasa.example", "jroe@example.org"]
    assert db_snapshot(book.store) == before


@pytest.mark.parametrize(("keep", "others", "error", "text"), [
    ("1", ["99"], NotFound, "no contact #99"),
    ("99", ["1"], NotFound, "no contact #99"),
    ("1", ["2", "jane.roe@nasa.example"], InvalidInput, "the one kept"),
    ("1", [], InvalidInput, "nothing to merge"),
    ("1", ["nobody@example.org"], NotFound, "no contact with e-mail"),
])
def test_a_refused_merge_changes_nothing(book, keep, others, error, text):
    add(book, "Jane Roe", "jane.roe@nasa.example")
    add(book, "J. Roe", "jroe@example.org")
    before = db_snapshot(book.store)
    with pytest.raises(error, match=text):
        merge_contacts(book, keep, others)
    assert db_snapshot(book.store) == before


def test_a_database_error_half_way_changes_nothing(book, monkeypatch):
    keep = add(book, "Jane Roe", "jane.roe@nasa.example")
    other = add(book, "J. Roe", "jroe@example.org")
    opt_out(book, ["jroe@example.org"])
    before = db_snapshot(book.store)
    moved = DuplicateQueries.move_to

    def failing(self, keep_id, other_ids):
        moved(self, keep_id, other_ids)  # every write done, then the database refuses one
        self.db.execute("UPDATE no_such_table SET x = 1")

    monkeypatch.setattr(DuplicateQueries, "move_to", failing)
    with pytest.raises(Exception):  # noqa: B017 - whatever the engine's error
        merge_contacts(book, str(keep.id), [str(other.id)])
    assert db_snapshot(book.store) == before
