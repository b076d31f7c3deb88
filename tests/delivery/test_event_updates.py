"""Events have a life (pressctl.delivery.events): an invitation is sent through a real SMTP
server (aiosmtpd on loopback), then updated and cancelled; what the SERVER received is
parsed with email and icalendar. Every rule of the module's docstring has its test here,
and every refusal leaves the book as it was."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES, db_snapshot
from icalendar import Calendar
from mailing import Clock, deliver

from pressctl.book.contacts import add_contact, edit_contact
from pressctl.book.importer import import_file
from pressctl.book.optouts import opt_out
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery import mailouts
from pressctl.delivery.events import plan_cancel, plan_update, store_event_mailout
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import SmtpTransport
from pressctl.errors import InvalidInput
from pressctl.outbox.states import MailoutState, RowState
from pressctl.releases.embargo import Phase
from pressctl.releases.templating import Templates
from pressctl.store.changes import Subject

KEY = b"k" * 64
SENT = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)  # the invitation
LATER = SENT + timedelta(hours=1)  # its update
LAST = SENT + timedelta(hours=2)  # its second update or its cancellation
UID = "pr106-2020-event@cnes.fr"
EN_READER = "p.raman@healthdesk.example.net"  # Priya Raman, en
FR_READER = "anais.gauthier@sante-hebdo.example.org"  # Anaïs Gauthier, fr
INVITED = {"nicolasmerlet@ortus-sante.fr", "francoisemillet@ortus-sante.fr", EN_READER,
           FR_READER, "m.rinaldi@notiziario-salute.example.com"}  # tag:radiology
NEW_TIME_EN = "New time: Tuesday 22 September 2099, 14:00 CEST – 15:00"
# as sent: French typography puts no-break spaces before ":" and in "14 h 00"
NEW_TIME_FR = ("Nouvel horaire\u00a0: mardi 22 septembre 2099 à 14\u00a0h\u00a000 (heure de Paris) "
               "– 15\u00a0h\u00a000")


@pytest.fixture
def sample(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def invitation(tmp_path: Path, *, embargo: bool = False) -> Path:
    """The seed invitation (en + fr, an online press conference) in 2099, to tag:radiology."""
    folder = tmp_path / "invitation"
    folder.mkdir(exist_ok=True)
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        text = text.replace("2020-09-2", "2099-09-2").replace(
            'audience = "tag:space or tag:health or tag:radiology"', 'audience = "tag:radiology"')
        if not embargo:
            text = text.replace('embargo = "2099-09-22 11:30 Europe/Paris"\n', "")
        (folder / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return folder / "PR106-2020.en.md"


def edit_both(path: Path, old: str, new: str) -> None:
    """The same change in the English file and its French translation."""
    for version in (path, path.with_name("PR106-2020.fr.md")):
        text = version.read_text(encoding="utf-8")
        assert text.count(old) == 1, (version, old)
        version.write_text(text.replace(old, new), encoding="utf-8")


def move_to_14h(path: Path) -> None:
    edit_both(path, 'start = "2099-09-22 11:30 Europe/Paris"',
              'start = "2099-09-22 14:00 Europe/Paris"')


def invite(book: Book, path: Path, now: datetime = SENT, **options) -> list[int]:
    options.setdefault("at", None)
    options.setdefault("audience", None)
    plans = plan_mailouts(book, path, now=now, **options)
    return store_mailouts(book, plans, Templates(), path=path, token_key=KEY)


def update(book: Book, path: Path, now: datetime = LATER, at: str | None = None) -> int:
    plan = plan_update(book, path, at=at, now=now)
    return store_event_mailout(book, plan, Templates(), path=path, token_key=KEY)


def cancel(book: Book, path: Path, note: str | None = None, now: datetime = LAST) -> int:
    plan = plan_cancel(book, path, note=note, at=None, now=now)
    return store_event_mailout(book, plan, Templates(), path=path, token_key=KEY)


def send(book: Book, server, moment: datetime) -> dict:
    """Deliver what is due at ``moment`` through the server; what it received then, by
    recipient, parsed."""
    before = len(server.messages)
    deliver(book, Clock(moment), SmtpTransport(server.settings(), {}))
    return {m.rcpt_tos[0]: email.message_from_bytes(m.data, policy=email.policy.default)
            for m in server.messages[before:]}


def vevent(message):
    """The inline text/calendar part's METHOD (from its Content-Type and from the
    calendar) and its VEVENT, read by icalendar."""
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    assert part.get_param("method") == str(calendar["METHOD"])
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


# -- update ---------------------------------------------------------------------------------


def test_an_update_goes_only_to_those_who_received_the_invitation(sample, tmp_path,
                                                                  smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    assert set(send(sample, smtp_server, SENT)) == INVITED
    add_contact(sample, {"name": "Newcomer", "emails": "newcomer@radiology.example.org",
                         "tags": "radiology", "languages": "en"})  # in the audience since
    move_to_14h(path)
    update(sample, path)
    received = send(sample, smtp_server, LATER)
    assert set(received) == INVITED  # not the newcomer
    for message in received.values():
        method, event = vevent(message)
        assert (method, str(event["UID"]), event.decoded("SEQUENCE")) == ("REQUEST", UID, 1)
        assert event.decoded("DTSTART") == datetime(2099, 9, 22, 12, 0, tzinfo=UTC)
        assert str(event["STATUS"]) == "CONFIRMED"


def test_the_changes_are_named_first_in_the_readers_language(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    edit_both(path, 'url = "https://zoom.us/j/97981495219"', 'url = "https://zoom.us/j/5550100"')
    update(sample, path)
    received = send(sample, smtp_server, LATER)
    english, french = received[EN_READER], received[FR_READER]
    assert str(english["Subject"]).startswith("Updated: ")
    assert str(french["Subject"]).startswith("Modifié\u00a0: ")  # typeset: no-break space
    text = text_of(english)
    assert text.startswith("UPDATED INVITATION: what has changed\n- " + NEW_TIME_EN + "\n"
                           "- New link: https://zoom.us/j/5550100\n")
    assert "<strong>New time:</strong> Tuesday 22 September 2099, 14:00 CEST – 15:00" \
        in html_of(english)
    assert "New link:</strong> <a href=\"https://zoom.us/j/5550100\"" in html_of(english)
    assert text_of(french).startswith("INVITATION MODIFIÉE\u00a0: ce qui change\n- " + NEW_TIME_FR)
    assert ("Nouvel horaire\u00a0:</strong> mardi 22 septembre 2099 à 14\u00a0h\u00a000"
            in html_of(french).replace("&nbsp;", "\u00a0"))
    assert "New time" not in text_of(french) and "Nouvel horaire" not in text


def test_the_notice_comes_first_in_the_html_body(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    edit_both(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\n'
                                                    'passcode = "271828"')
    update(sample, path)
    html = html_of(send(sample, smtp_server, LATER)[EN_READER])
    body = html[html.index("<body"):]
    assert body.index("New passcode:</strong> 271828") < body.index("<h1")


def test_sequence_is_raised_by_each_update_and_the_uid_never_changes(sample, tmp_path,
                                                                      smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    first = send(sample, smtp_server, SENT)
    assert {vevent(m)[1].decoded("SEQUENCE") for m in first.values()} == {0}
    move_to_14h(path)
    update(sample, path)
    send(sample, smtp_server, LATER)
    edit_both(path, 'url = "https://zoom.us/j/97981495219"', 'venue = "CNES, Paris"')
    update(sample, path, now=LAST)
    second = send(sample, smtp_server, LAST)
    assert set(second) == INVITED
    events = [vevent(m)[1] for m in second.values()]
    assert {(str(e["UID"]), e.decoded("SEQUENCE")) for e in events} == {(UID, 2)}
    text = text_of(second[EN_READER])
    assert "- New venue: CNES, Paris\n- No online link any more\n" in text
    assert NEW_TIME_EN not in text  # the time changed in the first update, not now
    record = sample.store.events.get(UID)
    assert record is not None and record.sequence == 2 and not record.cancelled


def test_nothing_changed_is_refused_and_changes_nothing(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match="nothing has changed in the event since SEQUENCE 0"):
        plan_update(sample, path, at=None, now=LATER)
    assert db_snapshot(sample.store) == before


def test_the_body_and_the_rsvp_are_not_changes_of_the_event(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    edit_both(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\n'
                                                    'rsvp = "presse@cnes.fr"')
    path.write_text(path.read_text(encoding="utf-8") + "\nA new paragraph.\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="nothing has changed"):
        plan_update(sample, path, at=None, now=LATER)


def test_an_event_never_sent_is_refused(sample, tmp_path):
    path = invitation(tmp_path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match="never sent") as caught:
        plan_update(sample, path, at=None, now=LATER)
    assert "mailout create" in str(caught.value)
    with pytest.raises(InvalidInput, match="never sent"):
        plan_cancel(sample, path, note=None, at=None, now=LATER)
    assert db_snapshot(sample.store) == before


def test_an_invitation_approved_but_not_yet_sent_counts_as_never_sent(sample, tmp_path):
    path = invitation(tmp_path)
    invite(sample, path)  # approved, not delivered
    move_to_14h(path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match="never sent") as caught:
        plan_update(sample, path, at=None, now=LATER)
    assert "have not gone out yet" in str(caught.value)
    assert db_snapshot(sample.store) == before


def test_an_update_while_invitations_still_wait_is_refused(sample, tmp_path, smtp_server):
    path = invitation(tmp_path, embargo=True)
    embargoed, public = invite(sample, path)  # the public phase waits for the lift
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match=f"#{public} .2 waiting.") as caught:
        plan_update(sample, path, at=None, now=LATER)
    assert f"pressctl mailout cancel {public}" in str(caught.value)
    assert "--at lift --audience '(tag:radiology) and not embargo_ok'" in str(caught.value)
    assert db_snapshot(sample.store) == before


def test_the_update_goes_to_rows_sent_or_unknown_never_to_failed_ones(sample, tmp_path,
                                                                      smtp_server):
    path = invitation(tmp_path)
    [mailout_id] = invite(sample, path)
    send(sample, smtp_server, SENT)
    rows = {r.address: r for r in sample.store.mailouts.rows(mailout_id)}
    with sample.store.transaction():  # as a run that died, and a relay that refused, leave them
        sample.store.db.execute("UPDATE mailout_rows SET state = ? WHERE id = ?",
                                (RowState.UNKNOWN, rows[EN_READER].id))
        sample.store.db.execute("UPDATE mailout_rows SET state = ? WHERE id = ?",
                                (RowState.FAILED, rows[FR_READER].id))
    move_to_14h(path)
    update(sample, path)
    received = send(sample, smtp_server, LATER)
    assert EN_READER in received  # may have it in their calendar: told of the change
    assert FR_READER not in received  # never got it
    assert set(received) == INVITED - {FR_READER}


def test_a_contact_who_opted_out_since_is_skipped_with_the_reason(sample, tmp_path,
                                                                   smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    opt_out(sample, [EN_READER])
    move_to_14h(path)
    plan = plan_update(sample, path, at=None, now=LATER)
    assert [(s.address, s.reason) for s in plan.skipped] == [
        (EN_READER, "opted out since the invitation")]
    store_event_mailout(sample, plan, Templates(), path=path, token_key=KEY)
    assert set(send(sample, smtp_server, LATER)) == INVITED - {EN_READER}


def test_the_update_goes_to_the_address_that_received_the_invitation(sample, tmp_path,
                                                                     smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    edit_contact(sample, EN_READER, {}, add_emails=["priya@elsewhere.example.org"],
                 remove_emails=[EN_READER])
    move_to_14h(path)
    update(sample, path)
    received = send(sample, smtp_server, LATER)
    assert EN_READER in received and "priya@elsewhere.example.org" not in received
    assert [a.addr_spec for a in received[EN_READER]["To"].addresses] == [EN_READER]
    assert str(vevent(received[EN_READER])[1]["ATTENDEE"]) == f"mailto:{EN_READER}"


# -- SEQUENCE: pressctl's, never lower ---------------------------------------------------------


def test_an_old_file_with_sequence_still_works_as_the_lowest_sequence(sample, tmp_path,
                                                                      smtp_server):
    path = invitation(tmp_path)
    edit_both(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\nsequence = 3')
    plans = plan_mailouts(sample, path, at=None, audience=None, now=SENT)
    assert any("event.sequence = 3 is no longer needed" in w.message
               for w in plans[0].releases.warnings)
    store_mailouts(sample, plans, Templates(), path=path, token_key=KEY)
    first = send(sample, smtp_server, SENT)
    assert {vevent(m)[1].decoded("SEQUENCE") for m in first.values()} == {3}
    move_to_14h(path)
    update(sample, path)
    second = send(sample, smtp_server, LATER)
    assert {vevent(m)[1].decoded("SEQUENCE") for m in second.values()} == {4}


def test_the_sequence_never_goes_down_whatever_the_file_says(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    update(sample, path)  # SEQUENCE 1
    send(sample, smtp_server, LATER)
    edit_both(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\nsequence = 0')
    edit_both(path, 'url = "https://zoom.us/j/97981495219"', 'url = "https://zoom.us/j/5550100"')
    update(sample, path, now=LAST)
    assert {vevent(m)[1].decoded("SEQUENCE")
            for m in send(sample, smtp_server, LAST).values()} == {2}
    # newcomers invited afterwards get the current version at the SEQUENCE last sent
    add_contact(sample, {"name": "Newcomer", "emails": "newcomer@radiology.example.org",
                         "tags": "radiology", "languages": "en"})
    moment = LAST + timedelta(hours=1)
    invite(sample, path, now=moment)
    again = send(sample, smtp_server, moment)
    assert {vevent(m)[1].decoded("SEQUENCE") for m in again.values()} == {2}


def test_an_invitation_approved_before_events_were_stored_is_read_back(sample, tmp_path,
                                                                       smtp_server):
    path = invitation(tmp_path)
    edit_both(path, 'meeting_id = "979 8149 5219"', 'meeting_id = "979 8149 5219"\n'
                                                    'passcode = "418273"\nsequence = 2')
    invite(sample, path)
    send(sample, smtp_server, SENT)
    with sample.store.transaction():  # as an invitation approved before migration 0010
        sample.store.db.execute("DELETE FROM event_details")
        sample.store.db.execute("DELETE FROM events")
    with pytest.raises(InvalidInput, match="nothing has changed in the event since SEQUENCE 2"):
        plan_update(sample, path, at=None, now=LATER)  # read back from the frozen invitation
    edit_both(path, 'passcode = "418273"', 'passcode = "000000"')
    update(sample, path)
    received = send(sample, smtp_server, LATER)
    assert {vevent(m)[1].decoded("SEQUENCE") for m in received.values()} == {3}
    assert "- New passcode: 000000\n" in text_of(received[EN_READER])
    assert "New time" not in text_of(received[EN_READER])


def test_mailout_create_refuses_an_event_changed_since_it_was_sent(sample, tmp_path,
                                                                    smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match="has changed since its invitation was approved") \
            as caught:
        plan_mailouts(sample, path, at=None, audience=None, now=LATER)
    assert f"pressctl invite update {path}" in str(caught.value)
    assert db_snapshot(sample.store) == before


# -- cancel ---------------------------------------------------------------------------------


def test_a_cancellation_removes_the_event_from_the_same_calendars(sample, tmp_path,
                                                                  smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    update(sample, path)
    send(sample, smtp_server, LATER)
    add_contact(sample, {"name": "Newcomer", "emails": "newcomer@radiology.example.org",
                         "tags": "radiology", "languages": "en"})
    cancel(sample, path, note="Postponed to October; a new invitation follows.")
    received = send(sample, smtp_server, LAST)
    assert set(received) == INVITED
    for message in received.values():
        method, event = vevent(message)
        assert (method, str(event["UID"]), event.decoded("SEQUENCE")) == ("CANCEL", UID, 2)
        assert str(event["STATUS"]) == "CANCELLED"
        assert event.decoded("DTSTART") == datetime(2099, 9, 22, 12, 0, tzinfo=UTC)
    english, french = received[EN_READER], received[FR_READER]
    assert str(english["Subject"]).startswith("Cancelled: ")
    assert str(french["Subject"]).startswith("Annulé\u00a0: ")
    assert text_of(english).startswith(
        "CANCELLED: Online press conference: CNES and SFR sign their partnership\n"
        "will not take place.\n\nPostponed to October; a new invitation follows.\n")
    assert "Postponed to October; a new invitation follows." in html_of(english)
    assert text_of(french).startswith("ANNULATION\u00a0: Conférence de presse en ligne")
    assert "Postponed to October" in text_of(french)
    record = sample.store.events.get(UID)
    assert record is not None and record.cancelled and record.sequence == 2
    assert record.note == "Postponed to October; a new invitation follows."


def test_a_cancellation_names_the_event_as_it_was_sent(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)  # edited, never sent: the calendars hold 11:30
    cancel(sample, path)
    for message in send(sample, smtp_server, LAST).values():
        event = vevent(message)[1]
        assert event.decoded("DTSTART") == datetime(2099, 9, 22, 9, 30, tzinfo=UTC)
        assert event.decoded("SEQUENCE") == 1


def test_a_second_cancellation_and_a_new_invitation_are_refused(sample, tmp_path,
                                                                 smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    cancel(sample, path)
    before = db_snapshot(sample.store)
    with pytest.raises(InvalidInput, match="already cancelled"):
        plan_cancel(sample, path, note=None, at=None, now=LAST)
    move_to_14h(path)
    with pytest.raises(InvalidInput, match="already cancelled"):
        plan_update(sample, path, at=None, now=LAST)
    with pytest.raises(InvalidInput, match="was cancelled"):
        plan_mailouts(sample, path, at=None, audience=None, now=LAST)
    assert db_snapshot(sample.store) == before


def test_a_cancellation_also_cancels_the_invitations_still_waiting(sample, tmp_path,
                                                                   smtp_server):
    path = invitation(tmp_path, embargo=True)
    embargoed, public = invite(sample, path)
    send(sample, smtp_server, SENT)
    mailout_id = cancel(sample, path)
    assert sample.store.mailouts.get(public).state == MailoutState.CANCELLED
    rows = sample.store.mailouts.rows(public)
    assert rows and {(r.state, r.reply) for r in rows} == {
        (RowState.CANCELLED, f"the event was cancelled (mailout #{mailout_id})")}
    received = send(sample, smtp_server, LAST)  # to those who got the invitation
    assert set(received) == {"nicolasmerlet@ortus-sante.fr", "francoisemillet@ortus-sante.fr",
                             EN_READER}
    lift = datetime(2099, 9, 22, 9, 30, tzinfo=UTC)
    assert send(sample, smtp_server, lift) == {}  # nothing of the public phase at the lift


def test_a_note_with_control_characters_is_refused(sample, tmp_path, smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    with pytest.raises(InvalidInput, match="control characters"):
        plan_cancel(sample, path, note="Cancelled\x1b[31m", at=None, now=LATER)


# -- embargo ----------------------------------------------------------------------------------


def test_before_the_lift_the_update_is_the_embargoed_copy_for_those_who_still_accept_it(
        sample, tmp_path, smtp_server):
    path = invitation(tmp_path, embargo=True)
    _, public = invite(sample, path)
    send(sample, smtp_server, SENT)
    mailouts.cancel(sample, public)  # the public phase: see the refusal above
    edit_contact(sample, EN_READER, {"embargo_ok": False})
    move_to_14h(path)
    plan = plan_update(sample, path, at=None, now=LATER)
    assert plan.mailout.phase == Phase.EMBARGOED
    assert [(s.address, s.reason.split(",")[0]) for s in plan.skipped] == [
        (EN_READER, "no longer accepts embargoes")]
    store_event_mailout(sample, plan, Templates(), path=path, token_key=KEY)
    received = send(sample, smtp_server, LATER)
    assert set(received) == {"nicolasmerlet@ortus-sante.fr", "francoisemillet@ortus-sante.fr"}
    for message in received.values():
        assert str(message["Subject"]).startswith("EMBARGO ")
        text = text_of(message)
        assert text.index("mbargo") < text.index("INVITATION MODIFIÉE")  # they read French


def test_at_the_lift_the_update_is_the_public_copy_for_all_of_them(sample, tmp_path,
                                                                   smtp_server):
    path = invitation(tmp_path, embargo=True)
    _, public = invite(sample, path)
    send(sample, smtp_server, SENT)
    mailouts.cancel(sample, public)
    edit_contact(sample, EN_READER, {"embargo_ok": False})
    move_to_14h(path)
    plan = plan_update(sample, path, at="lift", now=LATER)
    assert (plan.mailout.phase, plan.skipped) == (Phase.SINGLE, [])
    store_event_mailout(sample, plan, Templates(), path=path, token_key=KEY)
    lift = datetime(2099, 9, 22, 9, 30, tzinfo=UTC)
    assert send(sample, smtp_server, lift - timedelta(minutes=1)) == {}
    received = send(sample, smtp_server, lift)
    assert EN_READER in received
    assert not str(received[EN_READER]["Subject"]).startswith("EMBARGO")


# -- who did it -------------------------------------------------------------------------------


def test_the_update_and_the_cancellation_are_approved_by_the_acting_user(sample, tmp_path,
                                                                         smtp_server):
    path = invitation(tmp_path)
    invite(sample, path)
    send(sample, smtp_server, SENT)
    move_to_14h(path)
    anne = Book(sample.store, sample.settings, sample.now, actor="anne")
    updated = update(anne, path)
    send(sample, smtp_server, LATER)
    cancelled = cancel(Book(sample.store, sample.settings, sample.now, actor="bob"), path)
    trail = {(c.subject_id, c.actor, c.action): c.summary
             for c in sample.store.changes.trail(subject=Subject.MAILOUT)}
    assert trail[(str(updated), "anne", "approve")].startswith(
        "approved the update of PR106-2020's event, SEQUENCE 1 (single): 5 message(s)")
    assert trail[(str(cancelled), "bob", "approve")].startswith(
        "approved the cancellation of PR106-2020's event, SEQUENCE 2 (single)")
