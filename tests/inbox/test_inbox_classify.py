"""classify: the order of the checks, what each kind carries, the identity a message is
recognised by when seen again, and that nothing raises for a broken message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from inbox_mail import DATA, UNSUBSCRIBE, mail, sample

from pressctl.inbox.automatic import Automatic
from pressctl.inbox.classify import Classified, Kind, classify, raw_digest

CALENDAR_REPLY = (
    "--CAL\nContent-Type: text/plain\n\nAnswer.\n--CAL\n"
    "Content-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\nMETHOD:REPLY\n"
    "BEGIN:VEVENT\nUID:pr106-2026-event@cnes.fr\nDTSTAMP:20261123T100000Z\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:j.martin@lemonde.example\nEND:VEVENT\n"
    "END:VCALENDAR\n--CAL--\n")


# -- the order of the checks -------------------------------------------------------------------


def test_a_bounce_marked_auto_replied_is_a_bounce_not_an_auto_reply():
    raw = sample("postfix-dsn-hard.eml")
    assert b"Auto-Submitted: auto-replied" in raw
    assert classify(raw).kind is Kind.BOUNCE


def test_an_out_of_office_about_unsubscribing_is_an_auto_reply():
    raw = mail("Subject: Réponse automatique : unsubscribe", f"To: {UNSUBSCRIBE}")
    found = classify(raw, unsubscribe_addresses=frozenset({UNSUBSCRIBE}))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE)


def test_an_out_of_office_carrying_a_calendar_reply_is_an_auto_reply():
    raw = mail("Auto-Submitted: auto-replied", "Content-Type: multipart/mixed; boundary=CAL",
               body=CALENDAR_REPLY)
    assert classify(raw).kind is Kind.AUTO_REPLY


def test_an_rsvp_sent_to_the_unsubscribe_address_is_an_rsvp():
    raw = mail(f"To: {UNSUBSCRIBE}", "Subject: unsubscribe",
               "Content-Type: multipart/mixed; boundary=CAL", body=CALENDAR_REPLY)
    found = classify(raw, unsubscribe_addresses=frozenset({UNSUBSCRIBE}))
    assert found.kind is Kind.RSVP


def test_an_rsvp_marked_auto_generated_by_its_calendar_server_is_an_rsvp():
    raw = mail("Auto-Submitted: auto-generated", "Content-Type: multipart/mixed; boundary=CAL",
               body=CALENDAR_REPLY)
    assert classify(raw).kind is Kind.RSVP


def test_an_unsubscribe_request_marked_auto_generated_is_still_a_request():
    raw = mail("Auto-Submitted: auto-generated", "Subject: unsubscribe")
    assert classify(raw).kind is Kind.UNSUBSCRIBE


def test_a_read_receipt_is_an_auto_reply_never_a_bounce_or_a_reply():
    found = classify(sample("mdn-read-receipt.eml"))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.READ_RECEIPT)


# -- automatic messages ------------------------------------------------------------------------


@pytest.mark.parametrize("signal", [
    "Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied (vacation)",
    "X-Autoreply: yes", "X-Autorespond: Out of office", "Precedence: auto_reply",
])
def test_out_of_office_headers_make_an_auto_reply(signal):
    found = classify(mail(signal, "Subject: Re: Lancement de SWOT-2"))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE)


@pytest.mark.parametrize("subject", [
    "Out of Office: Launch of SWOT-2", "Automatic reply: Launch of SWOT-2",
    "Autoreply: SWOT-2", "Réponse automatique : Lancement de SWOT-2",
    "RE: Absente du bureau", "Message d'absence", "Abwesenheitsnotiz: SWOT-2",
    "AW: Automatische Antwort: SWOT-2", "Respuesta automática: SWOT-2",
    "Fuera de la oficina", "Risposta automatica: SWOT-2", "Fuori ufficio",
    "Resposta automática: SWOT-2", "Automatisch antwoord: SWOT-2",
    "=?utf-8?q?R=C3=A9ponse_automatique=C2=A0=3A_SWOT-2?=",
])
def test_out_of_office_subjects_in_several_languages_make_an_auto_reply(subject):
    found = classify(mail(f"Subject: {subject}"))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE)


@pytest.mark.parametrize("signal", [
    "Auto-Submitted: auto-generated", "Auto-Submitted: auto-notified", "Return-Path: <>",
    "Precedence: bulk", "Precedence: junk", "Precedence: list",
])
def test_other_automatic_messages_are_never_human_replies(signal):
    found = classify(mail(signal, "Subject: Re: Lancement de SWOT-2"))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.AUTO_GENERATED)


def test_auto_submitted_no_is_a_person():
    assert classify(mail("Auto-Submitted: no")).kind is Kind.HUMAN_REPLY


def test_a_report_that_is_not_about_delivery_is_automatic():
    raw = mail("Content-Type: multipart/report; report-type=feedback-report; boundary=F",
               body="--F\nContent-Type: text/plain\n\nThis is an abuse report.\n--F--\n")
    found = classify(raw)
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.AUTO_GENERATED)


# -- unsubscribe requests ----------------------------------------------------------------------


@pytest.mark.parametrize("subject", [
    "unsubscribe", "Unsubscribe", "Re: unsubscribe", "RE : Désinscription", "Fwd: unsubscribe",
    "TR: désabonnement", "Se désabonner", "me désabonner svp", "AW: abmelden",
    "Abbestellen", "Cancelar suscripción", "darse de baja", "Uitschrijven",
    "Re: [EXTERNAL] unsubscribe please",
    "=?utf-8?q?D=C3=A9sinscription?=",
])
def test_unsubscribe_subjects_make_a_request(subject):
    assert classify(mail(f"Subject: {subject}")).kind is Kind.UNSUBSCRIBE


@pytest.mark.parametrize("subject", [
    "Re: Lancement de SWOT-2", "subscribe me", "Re: Question about the subscription",
    "Re: Your releases (I do not want to unsubscribe)",
])
def test_other_subjects_are_no_request(subject):
    assert classify(mail(f"Subject: {subject}")).kind is Kind.HUMAN_REPLY


@pytest.mark.parametrize("where", [
    f"To: {UNSUBSCRIBE}", f"To: Désinscription CNES <{UNSUBSCRIBE.upper()}>",
    f"Cc: {UNSUBSCRIBE}", f"Delivered-To: {UNSUBSCRIBE}", f"X-Original-To: {UNSUBSCRIBE}",
])
def test_a_message_to_an_unsubscribe_address_is_a_request(where):
    raw = mail(where, "Subject: Merci")
    assert classify(raw, unsubscribe_addresses=frozenset({UNSUBSCRIBE})).kind is Kind.UNSUBSCRIBE
    assert classify(raw).kind is Kind.HUMAN_REPLY  # only when the caller names the address


def test_unsubscribe_addresses_are_compared_whatever_their_case():
    raw = mail(f"To: {UNSUBSCRIBE}", "Subject: Merci")
    found = classify(raw, unsubscribe_addresses=frozenset({"Unsubscribe@CNES.fr"}))
    assert found.kind is Kind.UNSUBSCRIBE


def test_an_unsubscribe_request_carries_its_sender():
    found = classify(sample("unsubscribe-french.eml"))
    assert (found.kind, found.sender) == (Kind.UNSUBSCRIBE, "v.lambert@regionpresse.example")


def test_a_request_without_a_readable_sender_is_unreadable():
    found = classify(mail("From: undisclosed-recipients:;", "Subject: unsubscribe"))
    assert found.kind is Kind.UNREADABLE and "From" in (found.reason or "")


# -- human replies -------------------------------------------------------------------------------


def test_a_human_reply_carries_what_ties_it_to_the_release():
    found = classify(sample("human-reply.eml"))
    assert found.kind is Kind.HUMAN_REPLY
    assert found.sender == "j.martin@lemonde.example"
    assert found.subject == "Re: Lancement de SWOT-2 : conférence de presse"
    assert found.date == datetime(2026, 11, 23, 10, 2, 9, tzinfo=UTC)
    assert found.in_reply_to == ("<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>",)
    assert found.references == ("<c3585b60b755fb13e6e65a16d20f1230.pressctl@cnes.fr>",
                                "<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>")
    assert found.answers == ("<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>",
                             "<c3585b60b755fb13e6e65a16d20f1230.pressctl@cnes.fr>")
    assert found.message_id == found.key == "<CAF3x9k2Lm7Q@mail.lemonde.example>"


def test_reply_ids_without_angle_brackets_get_them():
    found = classify(mail("In-Reply-To: 0042.pressctl@cnes.fr", "Message-ID: abc@lemonde.example"))
    assert found.in_reply_to == ("<0042.pressctl@cnes.fr>",)
    assert found.message_id == "<abc@lemonde.example>"


@pytest.mark.parametrize(("written", "expected"), [
    ("Mon, 23 Nov 2026 11:02:09 +0100", datetime(2026, 11, 23, 10, 2, 9, tzinfo=UTC)),
    ("Mon, 23 Nov 2026 10:02:09 -0000", datetime(2026, 11, 23, 10, 2, 9, tzinfo=UTC)),
    ("23 Nov 2026 10:02:09", datetime(2026, 11, 23, 10, 2, 9, tzinfo=UTC)),
    ("yesterday", None),
    ("", None),
])
def test_the_date_is_aware_utc_or_none(written, expected):
    found = classify(mail(f"Date: {written}"))
    assert found.date == expected
    assert found.date is None or found.date.tzinfo is UTC


def test_a_reply_without_a_readable_sender_is_unreadable():
    found = classify(mail("From: nobody"))
    assert found.kind is Kind.UNREADABLE and "From" in (found.reason or "")


# -- identity, for idempotence ----------------------------------------------------------------


def test_a_message_without_message_id_is_keyed_by_a_digest_of_its_bytes():
    raw = sample("no-message-id.eml")
    found = classify(raw)
    assert found.kind is Kind.HUMAN_REPLY and found.message_id is None
    assert found.key == raw_digest(raw) and found.key.startswith("sha256:")
    assert classify(raw).key == found.key


def test_the_digest_is_the_same_for_crlf_and_lf_line_ends():
    raw = sample("no-message-id.eml")
    assert classify(raw.replace(b"\n", b"\r\n")).key == classify(raw).key


def test_two_messages_without_message_id_have_different_keys():
    one = mail("Subject: Photos ?")
    other = mail("Subject: Vidéos ?")
    assert classify(one).key != classify(other).key


def test_the_key_of_a_message_with_message_id_is_its_message_id():
    raw = mail("Message-ID: <CAF3x9k2Lm7Q@mail.lemonde.example>")
    relayed = b"Received: from relay.example.org\n" + raw  # the same message, seen twice
    assert classify(raw).key == classify(relayed).key == "<CAF3x9k2Lm7Q@mail.lemonde.example>"


# -- nothing raises ----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "an empty message"),
    (b"   \n\n", "an empty message"),
    (b"\n\njust some text without any header\n", "no header lines"),
    (b"\x00\xff\xfe garbage", "no header lines"),
])
def test_what_is_not_a_message_is_unreadable_with_a_reason(raw, reason):
    found = classify(raw)
    assert found.kind is Kind.UNREADABLE and reason in (found.reason or "")
    assert found.key == raw_digest(raw)


@pytest.mark.parametrize("name", sorted(p.name for p in DATA.glob("*.eml")))
def test_a_truncated_message_never_raises(name):
    raw = sample(name)
    for cut in range(0, len(raw), max(1, len(raw) // 40)):
        assert isinstance(classify(raw[:cut]), Classified)


@pytest.mark.parametrize("header_line", [
    "Message-ID: <<<>>>", "In-Reply-To: <", "References: <a@b> <c", "Date: Mon, 99 Foo 2026",
    "From: =?unknown-8?q?x?= <j.martin@lemonde.example>", "Subject: =?utf-8?b?!!!?=",
    "Content-Type: multipart/report; report-type=delivery-status",  # no boundary
    "Content-Type: text/calendar; method=REPLY; charset=no-such-charset",
])
def test_broken_headers_never_raise(header_line):
    assert isinstance(classify(mail(header_line, body="BEGIN:VCALENDAR\n")), Classified)
