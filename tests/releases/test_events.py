"""pressctl.releases.events: what changed between two versions of an event, written for the
reader; the notice of an update or a cancellation; and (pressctl.releases.calendar) an
invitation read back from the calendar pressctl wrote. Messages rendered with a notice
are read back with email and icalendar."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import REPO, SAMPLES
from icalendar import Calendar

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.contacts.formats.files import open_contact_file
from pressctl.contacts.model import Phone
from pressctl.releases.calendar import invitation_template, read_invitation
from pressctl.releases.checking import load_release_set
from pressctl.releases.documents import Event
from pressctl.releases.events import (
    Change,
    EventChange,
    EventDetails,
    EventNotice,
    NoticeKind,
    changes_between,
    with_sequence,
)
from pressctl.releases.recipients import select_recipients
from pressctl.releases.rendering import build_messages
from pressctl.releases.templating import Templates

PARIS = ZoneInfo("Europe/Paris")
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)
SENT = Event(
    title="Online press conference", start=datetime(2099, 9, 22, 11, 30, tzinfo=PARIS),
    end=datetime(2099, 9, 22, 12, 30, tzinfo=PARIS), url="https://zoom.us/j/97981495219",
    meeting_id="979 8149 5219", passcode="418273",
    dial_in=(Phone("+33170379729", label="France"),), rsvp="presse@cnes.fr")
BEFORE = EventDetails.of(SENT)


def changed(**fields) -> EventDetails:
    return EventDetails.of(dataclasses.replace(SENT, **fields))


# -- what changed -----------------------------------------------------------------------------


def test_the_same_event_has_no_changes():
    assert changes_between(BEFORE, EventDetails.of(SENT), "en") == ()


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "Tuesday 22 September 2099, 14:00 CEST – 15:00"),
    ("fr", "mardi 22 septembre 2099 à 14 h 00 (heure de Paris) – 15 h 00"),
    ("fr-CA", "mardi 22 septembre 2099 à 14 h 00 (heure de Paris) – 15 h 00"),
    ("de", "Tuesday 22 September 2099, 14:00 CEST – 15:00"),  # not written: English
])
def test_a_new_time_is_written_as_the_event_block_writes_it(language, shown):
    now = changed(start=datetime(2099, 9, 22, 14, 0, tzinfo=PARIS),
                  end=datetime(2099, 9, 22, 15, 0, tzinfo=PARIS))
    assert changes_between(BEFORE, now, language) == (EventChange(Change.TIME, shown),)


def test_an_event_over_two_days_names_both_dates():
    now = changed(end=datetime(2099, 9, 23, 9, 0, tzinfo=PARIS))
    assert changes_between(BEFORE, now, "en") == (EventChange(
        Change.TIME, "Tuesday 22 September 2099, 11:30 CEST – Wednesday 23 September 2099, "
                     "09:00 CEST"),)


def test_the_same_instant_written_in_another_zone_is_a_new_time():
    now = changed(start=SENT.start.astimezone(LONDON), end=SENT.end.astimezone(LONDON))
    assert [c.what for c in changes_between(BEFORE, now, "en")] == [Change.TIME]
    assert changes_between(BEFORE, now, "en")[0].value.startswith(
        "Tuesday 22 September 2099, 10:30 BST")


def test_every_detail_a_calendar_acts_on_is_named_in_order():
    now = changed(title="Press conference (moved online)", venue="CNES, 2 place Maurice Quentin",
                  url="https://meet.example.org/cnes", meeting_id="123 456", passcode="271828",
                  dial_in=(Phone("+442079460958", "12"),))
    assert changes_between(BEFORE, now, "en") == (
        EventChange(Change.TITLE, "Press conference (moved online)"),
        EventChange(Change.VENUE, "CNES, 2 place Maurice Quentin"),
        EventChange(Change.LINK, "https://meet.example.org/cnes"),
        EventChange(Change.MEETING_ID, "123 456"),
        EventChange(Change.PASSCODE, "271828"),
        EventChange(Change.DIAL_IN, "+44 20 7946 0958 ext. 12"),
    )


def test_a_removed_detail_has_no_value():
    now = changed(url=None, meeting_id=None, passcode=None, dial_in=())
    assert changes_between(BEFORE, now, "fr") == (
        EventChange(Change.LINK, None), EventChange(Change.MEETING_ID, None),
        EventChange(Change.PASSCODE, None), EventChange(Change.DIAL_IN, None))


def test_rsvp_and_phone_labels_and_the_layout_of_a_venue_are_not_changes():
    before = changed(venue="CNES\n2 place Maurice Quentin")
    now = dataclasses.replace(before, venue="CNES  2 place Maurice Quentin",
                              dial_in=(Phone("+33170379729", label="Paris"),))
    assert changes_between(before, now, "en") == ()
    assert changes_between(BEFORE, EventDetails.of(dataclasses.replace(
        SENT, rsvp="other@cnes.fr", rsvp_deadline=NOW, sequence=4)), "en") == ()


def test_details_survive_the_store_exactly():
    details = changed(venue="CNES\n2 place", dial_in=(Phone("+33170379729", label="France"),
                                                     Phone("+16465588656", "5")))
    stored = details.stored("fr")
    assert (stored.language, stored.start_at, stored.zone) == (
        "fr", "2099-09-22T09:30:00Z", "Europe/Paris")
    assert EventDetails.from_stored(stored) == details


def test_with_sequence_sets_every_version(tmp_path):
    releases = load_release_set(REPO / "examples" / "PR106-2020.en.md", NOW.date())
    raised = with_sequence(releases, 7)
    assert {v.event.sequence for v in raised.versions.values()} == {7}
    assert raised.main.language == "en" and releases.main.event.sequence == 0


# -- an invitation read back ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_an_invitation_reads_back_as_the_event_it_was_made_of(language, method):
    sent = dataclasses.replace(SENT, venue="CNES\n2 place Maurice Quentin", sequence=3,
                               dial_in=(Phone("+33170379729", label="France"),
                                        Phone("+16465588656", "5")), rsvp=None)
    template = invitation_template(
        sent, uid="pr106-2020-event@cnes.fr", summary=sent.title, description="A release.",
        organizer_name="Pascale Bresson", organizer_email="pascale.bresson@cnes.fr",
        now=NOW, method=method, language=language)
    uid, read_method, event = read_invitation(template.for_attendee("", "a@pressctl.invalid"))
    assert (uid, read_method) == ("pr106-2020-event@cnes.fr", method)
    assert event == sent


def test_a_calendar_without_one_event_is_refused():
    with pytest.raises(ValueError, match="one VEVENT, not 0"):
        read_invitation(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n")


# -- the notice --------------------------------------------------------------------------------


def test_an_update_notice_names_each_change_in_english_and_french():
    notice = EventNotice(NoticeKind.UPDATE, 2, {
        "en": (EventChange(Change.VENUE, "CNES"), EventChange(Change.LINK, None)),
        "fr": (EventChange(Change.VENUE, "CNES"), EventChange(Change.LINK, None))})
    english, french = notice.stamp("en", "Briefing"), notice.stamp("fr", "Point presse")
    assert (english.subject_prefix, french.subject_prefix) == ("Updated: ", "Modifié : ")
    assert english.text == ("UPDATED INVITATION: what has changed\n- New venue: CNES\n"
                            "- No online link any more")
    assert french.text == ("INVITATION MODIFIÉE : ce qui change\n- Nouveau lieu : CNES\n"
                           "- Plus de lien en ligne")
    assert "<strong>Nouveau lieu :</strong> CNES" in french.html
    assert notice.method == "REQUEST"


def test_a_cancellation_notice_shows_the_note_escaped_in_html():
    notice = EventNotice(NoticeKind.CANCEL, 3, {}, note="Postponed <b>sine die</b>\nSorry.")
    stamped = notice.stamp("en", "Briefing")
    assert stamped.subject_prefix == "Cancelled: " and notice.method == "CANCEL"
    assert stamped.text == ("CANCELLED: Briefing will not take place.\n\n"
                            "Postponed <b>sine die</b>\nSorry.")
    assert "Postponed &lt;b&gt;sine die&lt;/b&gt;<br>Sorry." in stamped.html
    assert "<b>" not in stamped.html
    assert notice.stamp("fr", "Point presse").text.startswith(
        "ANNULATION : Point presse n'aura pas lieu.")


def test_only_a_web_address_becomes_a_link():
    notice = EventNotice(NoticeKind.UPDATE, 1, {"en": (
        EventChange(Change.LINK, "https://meet.example.org/x?a=1&b=2"),
        EventChange(Change.PASSCODE, "javascript:alert(1)"))})
    html = notice.stamp("en", "Briefing").html
    assert '<a href="https://meet.example.org/x?a=1&amp;b=2"' in html
    assert html.count("<a ") == 1


# -- rendered ----------------------------------------------------------------------------------


@pytest.fixture
def sample(book):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    return book


def test_a_rendered_cancellation_says_cancel_in_its_calendar_and_its_content_type(
        sample, tmp_path):
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        (tmp_path / f"PR106-2020.{language}.md").write_text(
            text.replace("2020-09-2", "2099-09-2"), encoding="utf-8")
    releases = with_sequence(load_release_set(tmp_path / "PR106-2020.en.md", NOW.date()), 4)
    recipients = select_recipients(sample, releases, "tag:radiology and embargo_ok")
    notice = EventNotice(NoticeKind.CANCEL, 4, {}, note="Postponed.")
    built = list(build_messages(sample, releases, recipients, Templates(), now=NOW,
                                notice=notice))
    assert built
    for message in built:
        parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
        subject = str(parsed["Subject"])
        assert subject.startswith("EMBARGO ") and (" – Cancelled: " in subject
                                                   or " – Annulé\u00a0: " in subject)
        text = parsed.get_body(("plain",)).get_content()
        assert text.index("mbargo") < text.index("Postponed.") < text.index("PR106-2020")
        [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "CANCEL"
        calendar = Calendar.from_ical(part.get_content())
        [event] = calendar.walk("VEVENT")
        assert (str(calendar["METHOD"]), str(event["STATUS"]), event.decoded("SEQUENCE")) == (
            "CANCEL", "CANCELLED", 4)


def test_without_a_notice_nothing_changes_in_an_invitation(sample, tmp_path):
    releases = load_release_set(REPO / "examples" / "PR106-2020.en.md", NOW.date())
    recipients = select_recipients(sample, releases, "tag:radiology")
    for message in build_messages(sample, releases, recipients, Templates(), now=NOW):
        parsed = email.message_from_bytes(message.raw, policy=email.policy.default)
        [part] = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "REQUEST"
        assert "UPDATED INVITATION" not in parsed.get_body(("plain",)).get_content()
