"""Bounces: which address failed, hard or soft, for which message (pressctl.inbox.dsn and
bounce_text), and the reports that must change nothing (delays, receipts, broken ones)."""

from __future__ import annotations

import base64

import pytest
from inbox_mail import mail, sample

from pressctl.inbox.automatic import Automatic
from pressctl.inbox.classify import Kind, classify
from pressctl.inbox.dsn import Severity, read_delivery_notice
from pressctl.inbox.headers import parse_message

# sample -> (failed address, status code, severity, original Message-ID, VERP token)
BOUNCES = {
    "postfix-dsn-hard.eml": ("j.martin@lemonde.example", "5.1.1", Severity.HARD,
                             "<1240a4684403b160e6597a653a88f56c.pressctl@cnes.fr>",
                             "Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY"),
    "exim-failed.eml": ("p.durand@liberation.example", "5.1.1", Severity.HARD,
                        "<cea3878a334b240469d159ff840b6434.pressctl@cnes.fr>",
                        "WTXH7v_SZ7IoLuIjDzPBC8BUUr4lZUOF"),
    "exchange-ndr.eml": ("c.petit@ouest-france.example", "5.1.1", Severity.HARD,
                         "<4129e2a8044a57ce7635fd6023661cd6.pressctl@cnes.fr>",
                         "_dL8W-7UH7RIV_Kn9qyiMn1CE4suCtd7"),
    "exchange-ndr-prose.eml": ("e.garnier@sudouest.example", "5.1.10", Severity.HARD,
                               "<6152bc863269f1d04b4d21185d6bb25e.pressctl@cnes.fr>", None),
    "gmail-dsn.eml": ("a.roux@franceinfo.example", "5.1.1", Severity.HARD,
                      "<c3585b60b755fb13e6e65a16d20f1230.pressctl@cnes.fr>",
                      "nMn7y21ElFOQ3zqK1h_6dLwohoaqBLfR"),
    "gmail-legacy.eml": ("h.blanc@lepoint.example", "5.2.1", Severity.HARD,
                         "<5f0ab9e3c1d24e6f8a7b9c0d1e2f3a4b.pressctl@cnes.fr>", None),
    "qmail-failure.eml": ("r.lefevre@liberation-champagne.example", "5.1.1", Severity.HARD,
                          "<c33cedce35493fc82dfad8ee5206e23e.pressctl@cnes.fr>",
                          "o7zRcpq9o8TAQfFdvCfu6varhe5h3jjP"),
    "soft-mailbox-full.eml": ("n.girard@20minutes.example", "4.2.2", Severity.SOFT,
                              "<6152bc863269f1d04b4d21185d6bb25e.pressctl@cnes.fr>",
                              "AVR9mP1pjCKB4oT0vvYOX-4KLYPPnXHd"),
}


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_each_bounce_names_the_address_code_severity_original_and_token(name):
    found = classify(sample(name))
    assert found.kind is Kind.BOUNCE
    [bounce] = found.bounces
    assert (bounce.address, bounce.status_code, bounce.severity, bounce.original_message_id,
            bounce.verp_token) == BOUNCES[name]


@pytest.mark.parametrize(("name", "words"), [
    ("postfix-dsn-hard.eml", "Recipient address rejected: User unknown in virtual mailbox table"),
    ("exchange-ndr-prose.eml", "RESOLVER.ADR.RecipientNotFound; Recipient not found"),
    ("qmail-failure.eml", "Sorry, no mailbox here by that name."),
    ("soft-mailbox-full.eml", "Mailbox full, over quota"),
])
def test_the_diagnostic_is_the_remote_servers_words_unfolded(name, words):
    [bounce] = classify(sample(name)).bounces
    assert words in bounce.diagnostic and "\n" not in bounce.diagnostic


def test_a_5xx_status_is_hard_and_a_4xx_status_is_soft():
    hard = _dsn("Action: failed\nStatus: 5.2.1\nDiagnostic-Code: smtp; 550 5.2.1 disabled")
    soft = _dsn("Action: failed\nStatus: 4.2.2\nDiagnostic-Code: smtp; 452 4.2.2 full")
    assert [b.severity for b in classify(hard).bounces] == [Severity.HARD]
    assert [b.severity for b in classify(soft).bounces] == [Severity.SOFT]


def test_delayed_recipients_are_never_bounces_not_even_soft():
    found = classify(sample("postfix-dsn-mixed.eml"))
    assert [b.address for b in found.bounces] == ["m.bernard@lesechos.example"]
    notice = read_delivery_notice(parse_message(sample("postfix-dsn-mixed.eml")))
    assert notice is not None and notice.delayed == ("l.moreau@afp.example",)


@pytest.mark.parametrize("name", ["postfix-delay-warning.eml", "exim-delay.eml"])
def test_a_delay_warning_is_automatic_and_records_no_bounce(name):
    found = classify(sample(name))
    assert (found.kind, found.automatic, found.bounces) == (
        Kind.AUTO_REPLY, Automatic.DELAY_WARNING, ())


def test_a_report_of_successful_delivery_is_no_bounce():
    found = classify(_dsn("Action: delivered\nStatus: 2.0.0"))
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.DELIVERY_REPORT)


def test_a_read_receipt_from_the_null_sender_is_not_a_bounce():
    found = classify(sample("mdn-read-receipt.eml"))
    assert (found.kind, found.automatic, found.bounces) == (
        Kind.AUTO_REPLY, Automatic.READ_RECEIPT, ())


# -- what the report must give, or it changes nothing --------------------------------------


@pytest.mark.parametrize(("status_part", "reason"), [
    ("Reporting-MTA: dns; mx.example.org\n\n", "names no recipient"),
    ("%%% garbage %%%\nAction failed\n", "names no recipient"),
    ("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: x400; /C=FR/S=Martin/\n"
     "Action: failed\nStatus: 5.1.1\n", 'unreadable recipient "x400; /C=FR/S=Martin/"'),
    ("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; not an address\n"
     "Action: failed\nStatus: 5.1.1\n", "unreadable recipient"),
    ("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; j.martin@lemonde.example\n"
     "Action: vanished\nStatus: 4.0.0\n", "no readable Action for j.martin@lemonde.example"),
])
def test_a_malformed_dsn_is_unreadable_with_its_reason(status_part, reason):
    found = classify(_report(status_part))
    assert found.kind is Kind.UNREADABLE and found.bounces == ()
    assert found.reason is not None and reason in found.reason


def test_the_malformed_sample_is_not_guessed_from_its_prose():
    # Its prose names an address; the machine part is broken: nothing may be recorded.
    found = classify(sample("malformed-dsn.eml"))
    assert found.kind is Kind.UNREADABLE and "no recipient" in (found.reason or "")


def test_a_report_without_its_delivery_status_part_is_unreadable():
    raw = mail("Content-Type: multipart/report; report-type=delivery-status; boundary=B",
               "From: MAILER-DAEMON@mx.cnes.fr",
               body="--B\nContent-Type: text/plain\n\nj.martin@lemonde.example failed\n--B--\n")
    found = classify(raw)
    assert found.kind is Kind.UNREADABLE
    assert "without its message/delivery-status part" in (found.reason or "")


def test_a_mailer_daemon_message_that_names_nobody_is_unreadable():
    raw = mail("From: Mail Delivery System <MAILER-DAEMON@mx.cnes.fr>",
               "Subject: Undelivered Mail Returned to Sender",
               body="Something went wrong with a message you sent.\n")
    found = classify(raw)
    assert found.kind is Kind.UNREADABLE and "names no failed recipient" in (found.reason or "")


# -- reading the fields ----------------------------------------------------------------------


def test_a_missing_status_falls_back_to_the_diagnostic_code():
    [bounce] = classify(_dsn("Action: failed\nDiagnostic-Code: smtp; 550 5.1.1 no such user")
                        ).bounces
    assert (bounce.status_code, bounce.severity) == ("5.1.1", Severity.HARD)


def test_a_plain_smtp_code_gives_the_class_without_a_status():
    [hard] = classify(_dsn("Action: failed\nDiagnostic-Code: smtp; 550 mailbox unavailable")
                      ).bounces
    [soft] = classify(_dsn("Action: failed\nDiagnostic-Code: smtp; 421 try later")).bounces
    assert (hard.status_code, hard.severity) == (None, Severity.HARD)
    assert (soft.status_code, soft.severity) == (None, Severity.SOFT)


def test_a_failure_with_no_code_at_all_is_soft():
    [bounce] = classify(_dsn("Action: failed\nDiagnostic-Code: x-local; it went wrong")).bounces
    assert (bounce.status_code, bounce.severity) == (None, Severity.SOFT)


def test_a_recipient_without_action_but_with_a_permanent_status_failed():
    [bounce] = classify(_dsn("Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 unknown")).bounces
    assert (bounce.address, bounce.severity) == ("j.martin@lemonde.example", Severity.HARD)


def test_a_recipient_without_action_and_a_temporary_status_is_unreadable():
    found = classify(_dsn("Status: 4.4.1"))
    assert found.kind is Kind.UNREADABLE and "no readable Action" in (found.reason or "")


def test_a_status_with_a_comment_is_read():
    [bounce] = classify(_dsn("Action: failed (bad mailbox)\nStatus: 5.1.1 (user unknown)")
                        ).bounces
    assert (bounce.status_code, bounce.severity) == ("5.1.1", Severity.HARD)


def test_the_original_recipient_is_used_when_the_final_one_is_unusable():
    raw = _report("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: x400; /S=Martin/\n"
                  "Original-Recipient: rfc822;j.martin@lemonde.example\nAction: failed\n"
                  "Status: 5.1.1\n")
    assert [b.address for b in classify(raw).bounces] == ["j.martin@lemonde.example"]


def test_folded_diagnostic_lines_are_joined():
    [bounce] = classify(_dsn("Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1\n"
                             "    <j.martin@lemonde.example>: user\n\tunknown")).bounces
    assert bounce.diagnostic == "550 5.1.1 <j.martin@lemonde.example>: user unknown"


def test_a_base64_delivery_status_part_is_decoded():
    fields = ("Reporting-MTA: dns; ex.example.org\n\nFinal-Recipient: rfc822;"
              "j.martin@lemonde.example\nAction: failed\nStatus: 5.1.1\n")
    encoded = base64.encodebytes(fields.encode()).decode()
    raw = _report(encoded, part_headers="Content-Type: message/delivery-status\n"
                                        "Content-Transfer-Encoding: base64\n")
    [bounce] = classify(raw).bounces
    assert (bounce.address, bounce.status_code) == ("j.martin@lemonde.example", "5.1.1")


def test_several_failed_recipients_are_each_a_bounce():
    raw = _report("Reporting-MTA: dns; mx.cnes.fr\n\n"
                  "Final-Recipient: rfc822; a.roux@franceinfo.example\nAction: failed\n"
                  "Status: 5.1.1\n\n"
                  "Final-Recipient: rfc822; n.girard@20minutes.example\nAction: failed\n"
                  "Status: 4.2.2\n")
    found = classify(raw)
    assert [(b.address, b.severity) for b in found.bounces] == [
        ("a.roux@franceinfo.example", Severity.HARD), ("n.girard@20minutes.example", Severity.SOFT)]


def test_the_original_message_id_gets_its_angle_brackets():
    raw = _report(_STATUS_FAILED, returned="Content-Type: text/rfc822-headers\n\n"
                                           "Message-ID: 0042.pressctl@cnes.fr\n"
                                           "From: press@cnes.fr\n")
    [bounce] = classify(raw).bounces
    assert bounce.original_message_id == "<0042.pressctl@cnes.fr>"


def test_without_a_returned_message_the_original_id_is_none():
    [bounce] = classify(_report(_STATUS_FAILED)).bounces
    assert bounce.original_message_id is None


@pytest.mark.parametrize("where", [
    "Delivered-To: press+b.{t}@cnes.fr", "X-Original-To: press+b.{t}@cnes.fr",
    "To: Service de presse <press+b.{t}@cnes.fr>",
])
def test_the_verp_token_comes_from_the_bounce_envelope_recipient(where):
    token = "Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY"
    raw = _report(_STATUS_FAILED, extra=where.format(t=token))
    assert [b.verp_token for b in classify(raw).bounces] == [token]


def test_the_verp_token_comes_from_the_returned_originals_return_path():
    token = "WTXH7v_SZ7IoLuIjDzPBC8BUUr4lZUOF"
    raw = _report(_STATUS_FAILED, returned="Content-Type: message/rfc822\n\n"
                                           f"Return-Path: <press+b.{token}@cnes.fr>\n"
                                           "Message-ID: <1@cnes.fr>\nFrom: press@cnes.fr\n\n"
                                           "Bonjour\n")
    assert [b.verp_token for b in classify(raw).bounces] == [token]


def test_a_malformed_verp_token_is_not_taken():
    raw = _report(_STATUS_FAILED, extra="Delivered-To: press+b.tooshort@cnes.fr")
    assert [b.verp_token for b in classify(raw).bounces] == [None]


# -- prose bounces -----------------------------------------------------------------------------


def test_the_returned_message_of_a_prose_bounce_is_never_taken_for_a_failure():
    raw = mail("From: Mail Delivery System <Mailer-Daemon@relay.cnes.fr>",
               "Subject: Mail delivery failed: returning message to sender",
               body="This message was created automatically by mail delivery software.\n\n"
                    "  p.durand@liberation.example\n    550 5.1.1 mailbox closed\n\n"
                    "------ This is a copy of the message, including all the headers. ------\n\n"
                    "From: press@cnes.fr\nTo: p.durand@liberation.example\n"
                    "Cc: desk@liberation.example\n\nBonjour\n")
    assert [b.address for b in classify(raw).bounces] == ["p.durand@liberation.example"]


def test_the_press_offices_own_address_is_never_a_failed_recipient():
    raw = mail("From: MAILER-DAEMON@mx.example.org", "To: press@cnes.fr",
               "Subject: failure notice",
               body="Your message from press@cnes.fr could not be delivered to one or more"
                    " recipients.\n\n<l.moreau@afp.example>:\n550 5.1.1 unknown user\n")
    assert [b.address for b in classify(raw).bounces] == ["l.moreau@afp.example"]


def test_a_verp_address_named_in_the_report_is_never_a_failed_recipient():
    raw = mail("From: MAILER-DAEMON@mx.example.org", "To: press@cnes.fr",
               "Subject: failure notice",
               body="Your message from <press+b.Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY@cnes.fr>"
                    " was not delivered.\n\n<l.moreau@afp.example>:\n550 5.1.1 unknown\n")
    assert [b.address for b in classify(raw).bounces] == ["l.moreau@afp.example"]


def test_an_absence_notice_signed_postmaster_is_an_auto_reply():
    raw = mail("From: postmaster@lemonde.example", "Subject: Automatic reply: SWOT-2",
               body="The press desk is closed until Monday.\n")
    found = classify(raw)
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.OUT_OF_OFFICE)


def test_each_prose_recipient_gets_the_code_of_its_own_block():
    raw = mail("From: Mail Delivery System <Mailer-Daemon@relay.cnes.fr>",
               "Subject: Mail delivery failed: returning message to sender",
               body="The following address(es) failed:\n\n"
                    "  a.roux@franceinfo.example\n    SMTP error after RCPT TO:"
                    "<a.roux@franceinfo.example>:\n    550 5.1.1 unknown\n\n"
                    "  n.girard@20minutes.example\n    SMTP error after RCPT TO:"
                    "<n.girard@20minutes.example>:\n    452 4.2.2 mailbox full\n")
    assert [(b.address, b.status_code, b.severity) for b in classify(raw).bounces] == [
        ("a.roux@franceinfo.example", "5.1.1", Severity.HARD),
        ("n.girard@20minutes.example", "4.2.2", Severity.SOFT)]


def test_a_prose_failure_without_code_is_hard_only_when_it_says_permanent():
    body = "I'm afraid I wasn't able to deliver your message to the following addresses.\n{}\n\n" \
           "<r.lefevre@example.fr>:\nno mailbox here by that name\n"
    permanent = mail("From: MAILER-DAEMON@mail.example.fr", "Subject: failure notice",
                     body=body.format("This is a permanent error; I've given up."))
    unsure = mail("From: MAILER-DAEMON@mail.example.fr", "Subject: failure notice",
                  body=body.format("Sorry it didn't work out."))
    assert [b.severity for b in classify(permanent).bounces] == [Severity.HARD]
    assert [(b.status_code, b.severity) for b in classify(unsure).bounces] == [
        (None, Severity.SOFT)]


def test_a_bounce_forwarded_by_a_person_is_their_reply_not_a_bounce():
    raw = mail("From: Jean Martin <j.martin@lemonde.example>",
               "Subject: Fwd: Undelivered Mail Returned to Sender",
               body="Bonjour, mon collègue ne reçoit plus vos communiqués ?\n\n"
                    "I'm sorry to have to inform you that your message could not be delivered"
                    "\n<p.petit@lemonde.example>: 550 5.1.1 User unknown\n")
    assert classify(raw).kind is Kind.HUMAN_REPLY


def test_a_null_return_path_alone_makes_no_bounce():
    raw = mail("Return-Path: <>", "From: alerts@example.org", "Subject: Weekly digest",
               body="Your digest for l.moreau@afp.example is ready.\n")
    found = classify(raw)
    assert (found.kind, found.automatic) == (Kind.AUTO_REPLY, Automatic.AUTO_GENERATED)


# -- helpers -------------------------------------------------------------------------------------

_STATUS_FAILED = ("Reporting-MTA: dns; mx.cnes.fr\n\nFinal-Recipient: rfc822; "
                  "j.martin@lemonde.example\nAction: failed\nStatus: 5.1.1\n")


def _report(status_part: str, *, part_headers: str = "Content-Type: message/delivery-status\n",
            returned: str = "", extra: str = "") -> bytes:
    parts = ["Content-Type: text/plain\n\nThe mail system could not deliver it.\n",
             f"{part_headers}\n{status_part}"]
    if returned:
        parts.append(returned)
    body = "".join(f"--REPORT\n{part}\n" for part in parts) + "--REPORT--\n"
    lines = ["From: MAILER-DAEMON@mx.cnes.fr (Mail Delivery System)", "Return-Path: <>",
             "Subject: Undelivered Mail Returned to Sender",
             "Content-Type: multipart/report; report-type=delivery-status; boundary=REPORT"]
    return mail(*lines, *([extra] if extra else []), body=body)


def _dsn(recipient_fields: str) -> bytes:
    return _report("Reporting-MTA: dns; mx.cnes.fr\n\nFinal-Recipient: rfc822; "
                   f"j.martin@lemonde.example\n{recipient_fields}\n")
