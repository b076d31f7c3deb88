"""Every sample of tests/data/inbox is what it claims to be (checked with the standard
library's parser and icalendar, not with our code), and classify sorts each one right.

The samples are written after the structures RFC 3464, RFC 8098 and RFC 5546 document
and the servers' own bounces (Postfix, Exim, qmail, Exchange, Gmail) and calendar
programs' replies (Outlook, Google Calendar, Apple Calendar), in our own words.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import icalendar
import pytest
from inbox_mail import DATA, UNSUBSCRIBE, sample

from pressctl.inbox.automatic import Automatic
from pressctl.inbox.classify import Kind, classify

# sample -> (kind, automatic reason): real-world shapes first.
EXPECTED = {
    "postfix-dsn-hard.eml": (Kind.BOUNCE, None),
    "postfix-dsn-mixed.eml": (Kind.BOUNCE, None),
    "exim-failed.eml": (Kind.BOUNCE, None),
    "exchange-ndr.eml": (Kind.BOUNCE, None),
    "exchange-ndr-prose.eml": (Kind.BOUNCE, None),
    "gmail-dsn.eml": (Kind.BOUNCE, None),
    "gmail-legacy.eml": (Kind.BOUNCE, None),
    "qmail-failure.eml": (Kind.BOUNCE, None),
    "soft-mailbox-full.eml": (Kind.BOUNCE, None),
    "postfix-delay-warning.eml": (Kind.AUTO_REPLY, Automatic.DELAY_WARNING),
    "exim-delay.eml": (Kind.AUTO_REPLY, Automatic.DELAY_WARNING),
    "malformed-dsn.eml": (Kind.UNREADABLE, None),
    "mdn-read-receipt.eml": (Kind.AUTO_REPLY, Automatic.READ_RECEIPT),
    "itip-outlook-accepted.eml": (Kind.RSVP, None),
    "itip-google-declined.eml": (Kind.RSVP, None),
    "itip-apple-tentative.eml": (Kind.RSVP, None),
    "itip-broken.eml": (Kind.UNREADABLE, None),
    "itip-forwarded-request.eml": (Kind.HUMAN_REPLY, None),
    "ooo-french.eml": (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE),
    "ooo-german.eml": (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE),
    "human-reply.eml": (Kind.HUMAN_REPLY, None),
    "no-message-id.eml": (Kind.HUMAN_REPLY, None),
    "unsubscribe-mailto.eml": (Kind.UNSUBSCRIBE, None),
    "unsubscribe-french.eml": (Kind.UNSUBSCRIBE, None),
    "auto-generated.eml": (Kind.AUTO_REPLY, Automatic.AUTO_GENERATED),
}
MALFORMED = {"malformed-dsn.eml"}  # broken on purpose, in its delivery-status part
STANDARD_DSN = ["postfix-dsn-hard.eml", "postfix-dsn-mixed.eml", "exchange-ndr.eml",
                "gmail-dsn.eml", "soft-mailbox-full.eml", "postfix-delay-warning.eml"]
CALENDARS = ["itip-outlook-accepted.eml", "itip-google-declined.eml",
             "itip-apple-tentative.eml", "itip-forwarded-request.eml"]


def _parsed(name: str) -> EmailMessage:
    message = email.message_from_bytes(sample(name), policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def test_the_table_names_every_sample():
    assert set(EXPECTED) == {p.name for p in DATA.glob("*.eml")}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_is_classified_as_what_it_is(name):
    kind, automatic = EXPECTED[name]
    found = classify(sample(name), unsubscribe_addresses=frozenset({UNSUBSCRIBE}))
    assert (found.kind, found.automatic) == (kind, automatic), found.reason
    assert (found.reason is not None) == (kind is Kind.UNREADABLE)


@pytest.mark.parametrize("name", sorted(set(EXPECTED) - MALFORMED))
def test_samples_are_well_formed_mail(name):
    message = _parsed(name)
    defects = [(part.get_content_type(), d) for part in message.walk() for d in part.defects]
    header_defects = [(key, value.defects) for part in message.walk()
                      for key, value in part.items() if getattr(value, "defects", ())]
    assert defects == [] and header_defects == []
    assert message["From"] and message["Date"]


def test_the_malformed_dsn_is_malformed_where_it_should_be():
    message = _parsed("malformed-dsn.eml")
    status = next(p for p in message.walk() if p.get_content_type() == "message/delivery-status")
    blocks = status.get_payload()
    assert not any("Final-Recipient" in block for block in blocks)
    assert any(block.defects for block in blocks)


@pytest.mark.parametrize("name", STANDARD_DSN)
def test_standard_dsn_samples_have_what_rfc_3464_requires(name):
    message = _parsed(name)
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "delivery-status"
    status = next(p for p in message.walk() if p.get_content_type() == "message/delivery-status")
    per_message, *recipients = status.get_payload()
    assert per_message["Reporting-MTA"]
    assert recipients and all(r["Final-Recipient"] and r["Action"] and r["Status"]
                              for r in recipients)


@pytest.mark.parametrize("name", CALENDARS)
def test_calendar_samples_parse_with_icalendar(name):
    parts = [p for p in _parsed(name).walk()
             if p.get_content_type() in ("text/calendar", "application/ics")]
    assert parts
    for part in parts:
        calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
        events = list(calendar.walk("VEVENT"))
        assert events and all(not event.errors for event in events)
        assert str(calendar["METHOD"]) in ("REPLY", "REQUEST")


def test_the_broken_calendar_sample_is_broken_for_icalendar_too():
    part = next(p for p in _parsed("itip-broken.eml").walk()
                if p.get_content_type() == "text/calendar")
    event = next(iter(icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")))
    assert {name for name, _ in event.errors} == {"DTSTAMP", "SEQUENCE"}
