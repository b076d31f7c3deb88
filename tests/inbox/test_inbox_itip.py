"""RSVPs: iTIP replies (RFC 5546 METHOD:REPLY) as Outlook, Google Calendar and Apple
Calendar send them, and the calendar data that is no answer or cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from inbox_mail import mail, sample

from pressctl.inbox.classify import Kind, classify
from pressctl.inbox.headers import parse_message
from pressctl.inbox.itip import PartStat, read_replies

UID = "pr106-2026-event@cnes.fr"

# sample -> (attendee, PARTSTAT, SEQUENCE, DTSTAMP, COMMENT)
SAMPLES = {
    "itip-outlook-accepted.eml": ("J.Martin@lemonde.example", PartStat.ACCEPTED, 1,
                                  datetime(2026, 11, 23, 9, 45, 12, tzinfo=UTC),
                                  "Je serai présent, avec un photographe."),
    "itip-google-declined.eml": ("antoine.roux.presse@gmail.example", PartStat.DECLINED, 2,
                                 datetime(2026, 11, 23, 13, 15, 2, tzinfo=UTC), None),
    "itip-apple-tentative.eml": ("l.moreau@afp.example", PartStat.TENTATIVE, 0,
                                 datetime(2026, 11, 24, 8, 10, 33, tzinfo=UTC), None),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_calendar_programs_reply_gives_uid_attendee_answer_sequence_and_stamp(name):
    found = classify(sample(name))
    assert found.kind is Kind.RSVP
    [rsvp] = found.rsvps  # Google's inline part and invite.ics count once
    assert rsvp.uid == UID
    assert (rsvp.attendee, rsvp.partstat, rsvp.sequence, rsvp.dtstamp, rsvp.comment) == \
        SAMPLES[name]
    assert rsvp.dtstamp.utcoffset() is not None


def test_the_same_answer_inline_and_attached_counts_once():
    message = parse_message(sample("itip-google-declined.eml"))
    calendars = [p for p in message.walk()
                 if p.get_content_type() in ("text/calendar", "application/ics")]
    assert len(calendars) == 2
    assert len(read_replies(message).rsvps) == 1


def test_a_forwarded_request_is_not_an_rsvp():
    found = classify(sample("itip-forwarded-request.eml"))
    assert found.kind is Kind.HUMAN_REPLY and found.rsvps == ()


def test_the_calendars_method_wins_over_the_content_type_parameter():
    raw = _reply(_calendar(method="REQUEST"), content_type="text/calendar; method=REPLY")
    assert classify(raw).kind is Kind.HUMAN_REPLY


def test_a_reply_without_method_parameter_or_line_is_no_rsvp():
    raw = _reply(_calendar().replace("METHOD:REPLY\n", ""), content_type="text/calendar")
    assert classify(raw).kind is Kind.HUMAN_REPLY


def test_a_reply_attached_as_octet_stream_with_an_ics_name_is_read():
    raw = _reply(_calendar(), content_type='application/octet-stream; name="reply.ics"',
                 disposition='attachment; filename="reply.ics"')
    assert [r.partstat for r in classify(raw).rsvps] == [PartStat.ACCEPTED]


def test_a_missing_sequence_is_zero():
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\n"
                                 "ATTENDEE;PARTSTAT=DECLINED:mailto:l.moreau@afp.example\n"))
    assert [r.sequence for r in classify(raw).rsvps] == [0]


@pytest.mark.parametrize(("stamp", "expected"), [
    ("DTSTAMP:20261123T100000Z", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
    ("DTSTAMP;TZID=Europe/Paris:20261123T110000", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),
    ("DTSTAMP:20261123T100000", datetime(2026, 11, 23, 10, 0, tzinfo=UTC)),  # floating: UTC
])
def test_dtstamp_is_an_aware_utc_datetime(stamp, expected):
    raw = _reply(_calendar(event=f"UID:{{uid}}\n{stamp}\n"
                                 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\n"))
    [rsvp] = classify(raw).rsvps
    assert rsvp.dtstamp == expected and rsvp.dtstamp.tzinfo is UTC


def test_the_attendee_loses_mailto_and_is_normalised():
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\n"
                                 "ATTENDEE;PARTSTAT=ACCEPTED:MAILTO:Lucie.Moreau@AFP.Example\n"))
    assert [r.attendee for r in classify(raw).rsvps] == ["Lucie.Moreau@afp.example"]


def test_each_attendee_of_a_reply_is_one_answer():
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\nSEQUENCE:3\n"
                                 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\n"
                                 "ATTENDEE;PARTSTAT=DECLINED:mailto:desk@afp.example\n"))
    assert [(r.attendee, r.partstat, r.sequence) for r in classify(raw).rsvps] == [
        ("l.moreau@afp.example", PartStat.ACCEPTED, 3), ("desk@afp.example", PartStat.DECLINED, 3)]


@pytest.mark.parametrize("answer", ["DELEGATED", "NEEDS-ACTION", "COMPLETED", None])
def test_an_answer_pressctl_does_not_record_is_reported_as_unsupported(answer):
    partstat = f";PARTSTAT={answer}" if answer else ""
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\n"
                                 f"ATTENDEE{partstat}:mailto:l.moreau@afp.example\n"))
    found = classify(raw)
    assert found.kind is Kind.UNREADABLE and found.rsvps == ()
    assert [(u.attendee, u.partstat) for u in found.unsupported] == [
        ("l.moreau@afp.example", answer or "NEEDS-ACTION")]
    assert f"PARTSTAT={answer or 'NEEDS-ACTION'}" in (found.reason or "")


def test_a_supported_answer_beside_an_unsupported_one_is_an_rsvp():
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\n"
                                 "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\n"
                                 "ATTENDEE;PARTSTAT=DELEGATED:mailto:desk@afp.example\n"))
    found = classify(raw)
    assert found.kind is Kind.RSVP
    assert [r.attendee for r in found.rsvps] == ["l.moreau@afp.example"]
    assert [u.partstat for u in found.unsupported] == ["DELEGATED"]


def test_several_comments_are_joined():
    raw = _reply(_calendar(event="UID:{uid}\nDTSTAMP:20261123T100000Z\n"
                                 "ATTENDEE;PARTSTAT=TENTATIVE:mailto:l.moreau@afp.example\n"
                                 "COMMENT:Sous réserve\\, \nCOMMENT:je confirme lundi\n"))
    assert [r.comment for r in classify(raw).rsvps] == ["Sous réserve,\nje confirme lundi"]


# -- malformed calendar data: UNREADABLE with a reason, never an exception ----------------------


@pytest.mark.parametrize(("calendar", "reason"), [
    ("this is not a calendar at all\nMETHOD:REPLY\n", "icalendar cannot parse it"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\n", "icalendar cannot parse it"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nEND:VCALENDAR\n", "no VEVENT"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nDTSTAMP:20261123T100000Z\n"
     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\nEND:VEVENT\nEND:VCALENDAR\n",
     "a VEVENT without UID"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\n"
     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\nEND:VEVENT\nEND:VCALENDAR\n",
     "no DTSTAMP"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTAMP;VALUE=DATE:20261123\n"
     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\nEND:VEVENT\nEND:VCALENDAR\n",
     'DTSTAMP "2026-11-23" is not a date-time'),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTAMP:20261123T100000Z\n"
     "END:VEVENT\nEND:VCALENDAR\n", "no ATTENDEE"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTAMP:20261123T100000Z\n"
     "ATTENDEE;PARTSTAT=ACCEPTED:urn:uuid:1234\nEND:VEVENT\nEND:VCALENDAR\n",
     "is not an e-mail address"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTAMP:20261123T100000Z\n"
     "SEQUENCE:-2\nATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\nEND:VEVENT\n"
     "END:VCALENDAR\n", "SEQUENCE -2 is negative"),
    ("BEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT\nUID:x\nDTSTAMP:soon\n"
     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\nEND:VEVENT\nEND:VCALENDAR\n",
     "unreadable DTSTAMP"),
])
def test_malformed_calendar_data_is_unreadable_with_a_reason(calendar, reason):
    found = classify(_reply(calendar, content_type="text/calendar; method=REPLY"))
    assert found.kind is Kind.UNREADABLE and found.rsvps == ()
    assert found.reason is not None and reason in found.reason


def test_the_broken_sample_names_what_is_broken():
    found = classify(sample("itip-broken.eml"))
    assert found.kind is Kind.UNREADABLE
    assert "DTSTAMP" in (found.reason or "") and "SEQUENCE" in (found.reason or "")


def test_an_ics_that_is_not_a_reply_and_not_readable_is_ignored():
    raw = _reply("garbage that is no calendar", content_type="application/ics")
    assert classify(raw).kind is Kind.HUMAN_REPLY


# -- helpers -------------------------------------------------------------------------------------


def _calendar(*, method: str = "REPLY", event: str | None = None) -> str:
    body = (event or "UID:{uid}\nSEQUENCE:1\nDTSTAMP:20261123T100000Z\n"
                     "ATTENDEE;PARTSTAT=ACCEPTED:mailto:l.moreau@afp.example\n").format(uid=UID)
    return (f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nMETHOD:{method}\n"
            f"BEGIN:VEVENT\n{body}END:VEVENT\nEND:VCALENDAR\n")


def _reply(calendar: str, *, content_type: str = "text/calendar; method=REPLY; charset=utf-8",
           disposition: str | None = None) -> bytes:
    part = f"Content-Type: {content_type}\n"
    if disposition:
        part += f"Content-Disposition: {disposition}\n"
    body = ("--CAL\nContent-Type: text/plain; charset=utf-8\n\nMy answer.\n"
            f"--CAL\n{part}\n{calendar}\n--CAL--\n")
    return mail("From: Lucie Moreau <l.moreau@afp.example>", "Subject: Answer: SWOT-2",
                "Content-Type: multipart/mixed; boundary=CAL", body=body)
