"""A person's history in the core (pressctl.book.history): a real history built the way it
happens (an invitation and two releases delivered to a real SMTP server, a bounce, an
answer and replies imported by `inbox import` from the samples of tests/data/inbox,
`contacts unbounce`, an opt-out lifted), read back newest first. Both backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import mailing
import pytest
from returned_mail import (
    JEAN,
    LUCIE,
    Sent,
    book_with_journalists,
    from_sample,
    hard_bounce,
    maildir,
    rsvp,
    send,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.bounces import unbounce
from pressctl.book.contacts import add_contact, edit_contact, find_contact, remove_contacts
from pressctl.book.history import (
    Answered,
    Bounced,
    BouncingChange,
    Delivery,
    EntryKind,
    OptOutChange,
    Replied,
    contact_history,
    entry_cells,
    entry_json,
    history_of,
)
from pressctl.book.inbox import import_inbox
from pressctl.book.optouts import opt_in, opt_out
from pressctl.book.session import Book
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import SmtpTransport
from pressctl.errors import InvalidInput, NotFound
from pressctl.outbox.states import RowState
from pressctl.releases.templating import Templates

COLLEAGUE = "p.durand@lemonde.example"  # Jean's colleague, never mailed
REPLY_DATE = "Wed, 6 Mar 2030 11:00:00 +0100"


@dataclass(frozen=True, slots=True)
class Story:
    invitation: Sent  # PR301-2030, 2 March
    release: Sent  # PR302-2030, 5 March
    skipped: Sent  # PR303-2030, 5 June: Jean bouncing, skipped


def reply(row_id_message: str, key: str, *, sender: str = JEAN) -> bytes:
    """Jean's reply (or a colleague's, to the message Jean forwarded) to a release."""
    return from_sample("human-reply.eml", {
        "<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>": row_id_message,
        "<c3585b60b755fb13e6e65a16d20f1230.pressctl@cnes.fr>": "<older@cnes.fr>",
        "<CAF3x9k2Lm7Q@mail.lemonde.example>": f"<{key}@mail.lemonde.example>",
        "Date: Mon, 23 Nov 2026 11:02:09 +0100": f"Date: {REPLY_DATE}",
        JEAN: sender,
    })


@pytest.fixture
def story(book: Book, tmp_path, smtp_server) -> Story:  # noqa: F811
    """Jean Martin's year, told in the order it happened (the book's clock follows)."""
    book = book_with_journalists(book, tmp_path)
    book.actor = "anne"
    invitation = send(book, tmp_path, smtp_server)
    release = send(book, tmp_path, smtp_server, "PR302-2030", event=False,
                   at=datetime(2030, 3, 5, 8, 0, tzinfo=UTC))
    book.now = "2030-06-01T09:00:00Z"
    came_back = maildir(
        tmp_path / "in",
        rsvp(invitation.uid, "answer-jean", attendee=JEAN, partstat="ACCEPTED"),
        rsvp(invitation.uid, "answer-antoine"),  # Antoine declines: not Jean's
        reply(release.rows[JEAN].message_id, "reply-jean"),
        reply(release.rows[JEAN].message_id, "reply-colleague", sender=COLLEAGUE),
        hard_bounce(invitation.rows[JEAN], "bounce-jean"))
    report = import_inbox(book, came_back)
    assert (report.answers, len(report.follow_up), report.hard_bounces) == (2, 2, 1)
    skipped = send(book, tmp_path, smtp_server, "PR303-2030", event=False,
                   at=datetime(2030, 6, 5, 8, 0, tzinfo=UTC))
    assert skipped.rows[JEAN].state == "skipped"
    book.now = "2030-06-06T09:00:00Z"
    unbounce(book, JEAN)
    book.now = "2030-06-07T09:00:00Z"
    opt_out(book, [JEAN], note="asked by phone")
    book.now = "2030-06-08T09:00:00Z"
    opt_in(book, JEAN, "asked again by e-mail")
    return Story(invitation, release, skipped)


def kinds_and_times(entries) -> list[tuple[str, str]]:
    return [(str(e.kind), e.at) for e in entries]


def test_the_history_lists_every_kind_of_entry_newest_first(book, story):
    entries = contact_history(book, JEAN).entries
    assert kinds_and_times(entries) == [
        ("opt-in", "2030-06-08T09:00:00Z"),
        ("opt-out", "2030-06-07T09:00:00Z"),
        ("bouncing-cleared", "2030-06-06T09:00:00Z"),
        ("release", "2030-06-05T08:00:00Z"),  # PR303, skipped
        ("bouncing", "2030-06-01T09:00:00Z"),  # marked by the import
        ("bounce", "2030-03-25T08:14:07Z"),
        ("reply", "2030-03-06T10:00:00Z"),
        ("release", "2030-03-05T08:00:00Z"),  # PR302
        ("rsvp", "2030-03-03T13:15:02Z"),
        ("invitation", "2030-03-02T08:00:00Z"),  # PR301
    ]


def test_each_entry_carries_what_it_is_about(book, story):
    entries = contact_history(book, JEAN).entries
    opt_in_, opt_out_, cleared, skipped, marked, bounce, replied, release, answer, invite = \
        entries
    assert invite == Delivery("2030-03-02T08:00:00Z", EntryKind.INVITATION, "PR301-2030",
                              "single", story.invitation.mailout_id, JEAN, RowState.SENT,
                              story.invitation.rows[JEAN].reply, story.invitation.uid)
    assert invite.reply and invite.reply.startswith("250")  # the server's own words
    assert release == Delivery("2030-03-05T08:00:00Z", EntryKind.RELEASE, "PR302-2030",
                               "single", story.release.mailout_id, JEAN, RowState.SENT,
                               story.release.rows[JEAN].reply, None)
    assert isinstance(skipped, Delivery) and skipped.state == RowState.SKIPPED
    assert skipped.reference == "PR303-2030" and skipped.reply is not None
    assert skipped.reply.startswith("bouncing since 2030-03-25")
    assert answer == Answered("2030-03-03T13:15:02Z", story.invitation.uid, "accepted", JEAN,
                              None, "PR301-2030")
    assert replied == Replied("2030-03-06T10:00:00Z", JEAN,
                              "Re: Lancement de SWOT-2 : conférence de presse", "PR302-2030",
                              story.release.mailout_id)
    assert isinstance(bounce, Bounced)
    assert (bounce.address, bounce.severity, bounce.status_code, bounce.reference,
            bounce.mailout_id) == (JEAN, "hard", "5.1.1", "PR301-2030",
                                   story.invitation.mailout_id)
    assert bounce.diagnostic.startswith("550 5.1.1 <j.martin@lemonde.example>: Recipient")
    assert isinstance(marked, BouncingChange) and marked.kind is EntryKind.BOUNCING
    assert (marked.since, marked.reason) == ("2030-03-25T08:14:07Z", bounce.diagnostic)
    assert isinstance(cleared, BouncingChange)
    assert (cleared.kind, cleared.cleared_by, cleared.cleared_how) == (
        EntryKind.BOUNCING_CLEARED, "anne", "contacts unbounce")
    assert opt_out_ == OptOutChange("2030-06-07T09:00:00Z", EntryKind.OPT_OUT, JEAN,
                                    "opted out with `pressctl contacts optout`", None)
    assert opt_in_ == OptOutChange("2030-06-08T09:00:00Z", EntryKind.OPT_IN, JEAN,
                                   "opted back in", "asked again by e-mail")


def test_a_standing_opt_out_is_in_the_history_with_its_note(book, story):
    book.now = "2030-06-09T09:00:00Z"
    opt_out(book, [JEAN], note="asked at the launch")
    [latest, *_] = history_of(book.store, find_contact(book.store, JEAN))
    assert latest == OptOutChange("2030-06-09T09:00:00Z", EntryKind.OPT_OUT, JEAN,
                                  "opted out with `pressctl contacts optout`",
                                  "asked at the launch")


def test_what_came_from_others_is_not_in_a_persons_history(book, story):
    """Antoine's answer, the colleague's reply to the release Jean forwarded: not Jean's.
    Lucie had only the releases."""
    jean = contact_history(book, JEAN).entries
    assert {e.address for e in jean} == {JEAN}
    lucie = contact_history(book, LUCIE).entries
    assert [(str(e.kind), e.reference) for e in lucie] == [
        ("release", "PR303-2030"), ("release", "PR302-2030"), ("invitation", "PR301-2030")]
    assert all(isinstance(e, Delivery) and e.state == RowState.SENT for e in lucie)


def test_an_address_edited_after_the_send_keeps_its_rows_in_the_history(book, story):
    before = kinds_and_times(contact_history(book, JEAN).entries)
    book.now = "2030-07-01T09:00:00Z"
    edit_contact(book, JEAN, {}, add_emails=["jean.martin@lemonde.example"],
                 remove_emails=[JEAN])
    after = contact_history(book, "jean.martin@lemonde.example")
    assert after.contact.emails == ["jean.martin@lemonde.example"]
    assert kinds_and_times(after.entries) == before  # every row, bounce, answer, reply
    assert {e.address for e in after.entries} == {JEAN}


def test_a_removed_contact_added_again_finds_its_rows_by_address(book, story):
    remove_contacts(book, [LUCIE])
    again = add_contact(book, {"name": "Lucie Moreau", "emails": [LUCIE]}).contact
    entries = history_of(book.store, again)
    assert [e.reference for e in entries] == ["PR303-2030", "PR302-2030", "PR301-2030"]


def test_a_new_contact_given_a_removed_contacts_id_does_not_inherit_its_history(book, story):
    """SQLite gives the id of the last contact removed to the next one added: rows frozen
    before the new contact existed are not theirs, whatever id they carry."""
    old_id = find_contact(book.store, LUCIE).stored_id
    remove_contacts(book, [LUCIE])
    newcomer = add_contact(book, {"name": "Paul Neuf", "emails": ["paul@neuf.example"]})
    if book.store.dialect == "sqlite":
        assert newcomer.contact.stored_id == old_id  # the case this rule is about
    assert history_of(book.store, newcomer.contact) == []


def test_a_release_under_embargo_names_the_copy_each_person_got(book, tmp_path,
                                                                smtp_server):  # noqa: F811
    book = book_with_journalists(book, tmp_path)
    edit_contact(book, JEAN, {"embargo_ok": True})
    path = mailing.release(tmp_path, audience="tag:inbox")  # embargo 2030-03-03 11:30 Paris
    plans = plan_mailouts(book, path, at=None, audience=None, now=mailing.APPROVED)
    store_mailouts(book, plans, Templates(), path=path, token_key=mailing.KEY)
    for moment in (mailing.APPROVED, mailing.LIFT):  # the embargoed copy, then the public
        mailing.deliver(book, mailing.Clock(moment), SmtpTransport(smtp_server.settings(), {}))
    [jean] = history_of(book.store, find_contact(book.store, JEAN))
    [lucie] = history_of(book.store, find_contact(book.store, LUCIE))
    assert isinstance(jean, Delivery) and isinstance(lucie, Delivery)
    assert (jean.phase, jean.at, lucie.phase, lucie.at) == (
        "embargoed", "2030-03-02T08:00:00Z", "public", "2030-03-03T10:30:00Z")
    assert entry_cells(jean)[4] == f"embargoed copy: sent ({jean.reply})"
    assert entry_cells(lucie)[4] == f"public copy: sent ({lucie.reply})"


def test_a_contact_never_mailed_has_an_empty_history(book, story):
    added = add_contact(book, {"name": "Zoé Nouvelle", "emails": ["zoe@nouvelle.example"]})
    assert history_of(book.store, added.contact) == []


def test_the_history_of_an_unknown_contact_is_not_found(book, story):
    with pytest.raises(NotFound, match="no contact with e-mail nobody@nowhere.example"):
        contact_history(book, "nobody@nowhere.example")
    with pytest.raises(NotFound, match="no contact #999"):
        contact_history(book, "999")
    with pytest.raises(InvalidInput):
        contact_history(book, "jean@@lemonde")


def test_the_renderings_of_an_entry_name_its_kind_and_fields(book, story):
    entries = contact_history(book, JEAN).entries
    invite, bounce = entries[-1], entries[5]
    assert entry_json(invite) == {
        "kind": "invitation", "at": "2030-03-02T08:00:00Z", "reference": "PR301-2030",
        "phase": "single", "mailout": story.invitation.mailout_id, "address": JEAN,
        "state": "sent", "reply": invite.reply, "event_uid": story.invitation.uid}
    assert entry_json(bounce)["severity"] == "hard"
    cells = entry_cells(bounce)
    assert cells[:4] == ("bounce", "PR301-2030", f"#{story.invitation.mailout_id}", JEAN)
    assert cells[4].startswith("hard bounce 5.1.1: 550 5.1.1")
    assert entry_cells(entries[0])[4] == "opted back in: asked again by e-mail"
