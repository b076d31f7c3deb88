"""The attendance list of an event (pressctl.book.rsvps): an invitation delivered for real
(aiosmtpd on loopback, with a relay that refuses one recipient and drops the connection
after another's message), answers made from the iTIP samples of tests/data/inbox and
imported by `inbox import`, then the list, its counts, its order and its CSV and JSON
renderings read back with the csv and json modules. Both backends."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from returned_mail import (
    ANTOINE,
    JEAN,
    LUCIE,
    NINA,
    Sent,
    book_with_journalists,
    maildir,
    rsvp,
    send,
)
from smtp_fixtures import faulty_server, smtp_server  # noqa: F401  (pytest fixtures)

from pressctl.book.contacts import add_contact, edit_contact, remove_contacts
from pressctl.book.inbox import import_inbox
from pressctl.book.rsvps import (
    COLUMNS,
    Answer,
    Attendee,
    counts_line,
    rsvp_csv,
    rsvp_json,
    rsvp_list,
    rsvp_rows,
)
from pressctl.book.session import Book
from pressctl.errors import InvalidInput, NotFound

EMILIE = "emilie.durand@lemonde.example"  # no answer; sorts with the E's
EVE = "eve.zola@liberation.example"
REMI = "remi.reject@example.org"  # the relay refuses him (550): not invited
DOMINIQUE = "dominique.drop@example.org"  # the relay drops the line after his message
NINA_HOME = "nina.girard@perso.example"  # Nina's other address, added after the send
COLLEAGUE = "p.durand@lemonde.example"  # Jean forwarded the invitation to him


@dataclass(frozen=True, slots=True)
class Event:
    sent: Sent
    book: Book


def answer(uid: str, attendee: str, partstat: str, dtstamp: str) -> bytes:
    return rsvp(uid, f"answer-{attendee}", attendee=attendee, partstat=partstat,
                dtstamp=dtstamp)


@pytest.fixture
def event(book: Book, tmp_path, faulty_server) -> Event:  # noqa: F811
    """PR301-2030's press conference, sent to eight people of tag:inbox; answers back."""
    book = book_with_journalists(book, tmp_path)
    for name, address, outlet in (("Émilie Durand", EMILIE, "Le Monde"),
                                  ("Eve Zola", EVE, "Libération"),
                                  ("Rémi Reject", REMI, "Radio Rejet"),
                                  ("Dominique Drop", DOMINIQUE, None)):
        add_contact(book, {"name": name, "emails": [address], "outlet": outlet,
                           "tags": "inbox"})
    sent = send(book, tmp_path, faulty_server)
    states = {address: row.state for address, row in sent.rows.items()}
    assert (states[REMI], states[DOMINIQUE], states[JEAN]) == ("failed", "unknown", "sent")
    edit_contact(book, NINA, {}, add_emails=[NINA_HOME])
    uid = sent.uid
    assert uid is not None
    report = import_inbox(book, maildir(
        tmp_path / "answers",
        answer(uid, LUCIE, "ACCEPTED", "20300303T100000Z"),
        answer(uid, ANTOINE, "DECLINED", "20300303T110000Z"),
        answer(uid, NINA_HOME, "TENTATIVE", "20300304T090000Z"),
        answer(uid, EVE, "ACCEPTED", "20300304T100000Z"),
        answer(uid, COLLEAGUE, "ACCEPTED", "20300305T100000Z"),
        answer(uid, REMI, "ACCEPTED", "20300305T110000Z")))
    assert report.answers == 6 and report.not_matched == []
    return Event(sent, book)


def people(attendees: tuple[Attendee, ...]) -> list[tuple[str, str]]:
    return [(p.name, str(p.answer)) for p in attendees]


def test_the_list_has_everyone_the_invitation_was_sent_to_sorted_for_the_door(event):
    found = rsvp_list(event.book, "PR301-2030")
    assert people(found.invited) == [
        ("Eve Zola", "accepted"), ("Lucie Moreau", "accepted"),
        ("Nina Girard", "tentative"),
        # accents and case ignored: Émilie with the E's, before Jean
        ("Dominique Drop", "no answer"), ("Émilie Durand", "no answer"),
        ("Jean Martin", "no answer"),
        ("Antoine Roux", "declined")]


def test_the_counts_are_of_the_invited_and_the_others_apart(event):
    found = rsvp_list(event.book, "PR301-2030")
    assert found.counts == {Answer.ACCEPTED: 2, Answer.TENTATIVE: 1, Answer.NO_ANSWER: 3,
                            Answer.DECLINED: 1}
    assert found.other_counts == {Answer.ACCEPTED: 2, Answer.TENTATIVE: 0,
                                  Answer.NO_ANSWER: 0, Answer.DECLINED: 0}
    assert counts_line(found) == ("2 accepted, 1 tentative, 3 no answer, 1 declined; "
                                  "not invited: 2 accepted")


def test_answers_from_people_it_was_not_sent_to_are_listed_apart(event):
    """A forwarded invitation, and a recipient whose copy the relay refused (failed: not
    invited, though he answered)."""
    found = rsvp_list(event.book, "PR301-2030")
    assert [(p.name, p.address, str(p.answer), p.outlet) for p in found.others] == [
        (COLLEAGUE, COLLEAGUE, "accepted", None),  # no contact: named by the address
        ("Rémi Reject", REMI, "accepted", "Radio Rejet")]
    assert REMI not in {p.address for p in found.invited}


def test_only_rows_sent_or_maybe_sent_are_invited(event):
    found = rsvp_list(event.book, "PR301-2030")
    assert {p.address for p in found.invited} == {
        JEAN, NINA, ANTOINE, LUCIE, EMILIE, EVE, DOMINIQUE}  # not REMI: failed


def test_an_answer_from_another_address_of_an_invited_contact_is_theirs(event):
    found = rsvp_list(event.book, "PR301-2030")
    [nina] = [p for p in found.invited if p.name == "Nina Girard"]
    assert (nina.address, nina.answer, nina.answered_at) == (
        NINA, Answer.TENTATIVE, "2030-03-04T09:00:00Z")
    assert NINA_HOME not in {p.address for p in found.others}


def test_of_several_answers_of_one_person_the_latest_counts(event, tmp_path):
    later = answer(event.sent.uid, NINA, "DECLINED", "20300306T090000Z")
    import_inbox(event.book, maildir(tmp_path / "later", later))
    found = rsvp_list(event.book, "PR301-2030")
    [nina] = [p for p in found.invited if p.name == "Nina Girard"]
    assert (nina.answer, nina.answered_at) == (Answer.DECLINED, "2030-03-06T09:00:00Z")
    assert found.others == tuple(p for p in found.others if p.address != NINA_HOME)


def test_each_line_has_the_contacts_name_and_outlet_of_today_and_when_they_answered(event):
    edit_contact(event.book, EVE, {"name": "Ève Zola-Martin", "outlet": "Libé"})
    found = rsvp_list(event.book, "PR301-2030")
    [eve] = [p for p in found.invited if p.address == EVE]
    assert (eve.name, eve.outlet, eve.answered_at) == (
        "Ève Zola-Martin", "Libé", "2030-03-04T10:00:00Z")


def test_a_removed_contact_keeps_the_name_frozen_in_the_row(event):
    remove_contacts(event.book, [JEAN])
    found = rsvp_list(event.book, "PR301-2030")
    [jean] = [p for p in found.invited if p.address == JEAN]
    assert (jean.name, jean.contact_id, jean.answer) == ("Jean Martin", None, Answer.NO_ANSWER)


@pytest.mark.parametrize("form", ["reference", "lower-case reference", "mailout id",
                                  "#mailout id", "uid"])
def test_the_event_is_named_by_its_release_a_mailout_or_its_uid(event, form):
    sent = event.sent
    ref = {"reference": "PR301-2030", "lower-case reference": "pr301-2030",
           "mailout id": str(sent.mailout_id), "#mailout id": f"#{sent.mailout_id}",
           "uid": sent.uid}[form]
    found = rsvp_list(event.book, f" {ref} ")
    assert (found.uid, found.reference, found.mailout_ids) == (
        sent.uid, "PR301-2030", (sent.mailout_id,))
    assert len(found.invited) == 7


def test_every_mailout_of_the_event_counts_and_each_person_once(event, tmp_path,
                                                                  smtp_server):  # noqa: F811
    """A second mailout of the same invitation (an update): same UID, the same people."""
    again = send(event.book, tmp_path, smtp_server, at=datetime(2030, 3, 6, 8, tzinfo=UTC))
    assert again.uid == event.sent.uid
    found = rsvp_list(event.book, str(again.mailout_id))
    assert found.mailout_ids == (event.sent.mailout_id, again.mailout_id)
    assert sorted(p.address for p in found.invited) == sorted(
        {JEAN, NINA, ANTOINE, LUCIE, EMILIE, EVE, DOMINIQUE, REMI})  # REMI: sent this time
    assert len(found.invited) == 8


@pytest.mark.parametrize(("ref", "error", "message"), [
    ("PR999-2030", NotFound, '"PR999-2030" is no release reference, mailout id or event UID'),
    ("999", NotFound, "no mailout #999"),
    ("#999", NotFound, "no mailout #999"),
    ("nope-event@cnes.fr", NotFound, '"nope-event@cnes.fr" is no release reference'),
])
def test_an_unknown_reference_is_not_found(event, ref, error, message):
    with pytest.raises(error) as raised:
        rsvp_list(event.book, ref)
    assert raised.value.message.startswith(message)
    assert raised.value.exit_code == 3


def test_a_release_sent_without_an_invitation_has_no_list(event, tmp_path,
                                                          smtp_server):  # noqa: F811
    plain = send(event.book, tmp_path, smtp_server, "PR302-2030", event=False)
    with pytest.raises(InvalidInput, match="PR302-2030 was sent without an invitation"):
        rsvp_list(event.book, "PR302-2030")
    with pytest.raises(InvalidInput, match=rf"mailout #{plain.mailout_id} \(PR302-2030\) "
                                           "carried no invitation"):
        rsvp_list(event.book, str(plain.mailout_id))


# -- renderings --------------------------------------------------------------------------------


def test_the_csv_has_a_header_row_and_reads_back_with_the_csv_module(event):
    text = rsvp_csv(rsvp_list(event.book, "PR301-2030"))
    assert text.startswith("name,outlet,answer,answered,invited\r\n")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1:] == [
        ["Eve Zola", "Libération", "accepted", "2030-03-04 10:00", "yes"],
        ["Lucie Moreau", "", "accepted", "2030-03-03 10:00", "yes"],
        ["Nina Girard", "", "tentative", "2030-03-04 09:00", "yes"],
        ["Dominique Drop", "", "no answer", "", "yes"],
        ["Émilie Durand", "Le Monde", "no answer", "", "yes"],
        ["Jean Martin", "", "no answer", "", "yes"],
        ["Antoine Roux", "", "declined", "2030-03-03 11:00", "yes"],
        [COLLEAGUE, "", "accepted", "2030-03-05 10:00", "no"],
        ["Rémi Reject", "Radio Rejet", "accepted", "2030-03-05 11:00", "no"]]
    assert "@" not in "".join(r[0] for r in rows[1:8])  # no address of the invited


def test_the_csv_quotes_what_needs_quoting_and_shows_times_in_the_zone_given(event):
    edit_contact(event.book, EVE, {"outlet": 'Libé, "Sciences"'})
    found = rsvp_list(event.book, "PR301-2030")
    rows = list(csv.reader(io.StringIO(rsvp_csv(found, ZoneInfo("Europe/Paris")),
                                       newline="")))
    assert rows[1] == ["Eve Zola", 'Libé, "Sciences"', "accepted", "2030-03-04 11:00", "yes"]
    assert rsvp_rows(found)[0] == ("Eve Zola", 'Libé, "Sciences"', "accepted",
                                   "2030-03-04 10:00", "yes")


def test_the_json_reads_back_with_the_counts_and_every_person(event):
    found = rsvp_list(event.book, "PR301-2030")
    data = json.loads(json.dumps(rsvp_json(found), ensure_ascii=False))
    assert (data["uid"], data["reference"], data["mailouts"]) == (
        event.sent.uid, "PR301-2030", [event.sent.mailout_id])
    assert data["counts"] == {"accepted": 2, "tentative": 1, "no answer": 3, "declined": 1}
    assert data["other_counts"] == {"accepted": 2, "tentative": 0, "declined": 0}
    assert data["invited"][0] == {
        "name": "Eve Zola", "outlet": "Libération", "address": EVE, "answer": "accepted",
        "answered_at": "2030-03-04T10:00:00Z", "comment": None,
        "contact": found.invited[0].contact_id}
    assert [p["name"] for p in data["invited"]] == [p.name for p in found.invited]
    assert [p["address"] for p in data["others"]] == [COLLEAGUE, REMI]
