"""`optouts import` opts out the senders of unsubscribe replies, and only of those:
bounces (delivery status notifications, MAILER-DAEMON, postmaster, Auto-Submitted) and
automatic replies (out of office) are skipped and counted (issue 7, finding 10)."""

from __future__ import annotations

import email
import json
import mailbox
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from conftest import db_snapshot, home_store

from pressctl.book.optouts import Skipped, skipped_because

UNSUBSCRIBE = "unsubscribe@press.example.org"
CLAIRE = "claire.fontaine@gazette-espace.example.org"
ETHAN = "ethan.caldwell@capitol-science.example.com"

# A Postfix bounce as it arrives in the unsubscribe folder (a release to a dead address
# whose Return-Path was the unsubscribe mailbox).
POSTFIX_BOUNCE = f"""\
Return-Path: <>
Date: Tue, 22 Sep 2020 11:31:02 +0200 (CEST)
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: {UNSUBSCRIBE}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="7C1D84A0B2.1600767062/mx.example.org"
Message-Id: <20200922093102.0E1F84A0B3@mx.example.org>

This is a MIME-encapsulated message.

--7C1D84A0B2.1600767062/mx.example.org
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<gone@example.org>: host mail.example.org said: 550 5.1.1 User unknown

--7C1D84A0B2.1600767062/mx.example.org
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Tue, 22 Sep 2020 11:30:58 +0200 (CEST)

Final-Recipient: rfc822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--7C1D84A0B2.1600767062/mx.example.org--
""".replace("\n", "\r\n").encode()


def _message(sender: str, subject: str = "unsubscribe", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = UNSUBSCRIBE
    message["Subject"] = subject
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Please remove me from your list.")
    return message


def _parsed(message: EmailMessage) -> EmailMessage:
    """As the importer sees it: parsed back from bytes."""
    parsed = email.message_from_bytes(bytes(message), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    return parsed


# -- which messages are requests -------------------------------------------------------------


def test_a_postfix_bounce_is_a_bounce():
    parsed = email.message_from_bytes(POSTFIX_BOUNCE, policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    assert skipped_because(parsed) is Skipped.BOUNCE


@pytest.mark.parametrize(("sender", "subject", "headers", "why"), [
    # delivery status notifications: each signal on its own
    ("Mail Delivery System <MAILER-DAEMON@mx.example.org>", "Undelivered Mail", {},
     Skipped.BOUNCE),
    ("mailer-daemon@googlemail.com", "Delivery Status Notification (Failure)", {},
     Skipped.BOUNCE),
    ("postmaster@outlook.example.com", "Undeliverable: PR106-2020", {}, Skipped.BOUNCE),
    ("Postmaster <POSTMASTER@example.org>", "Returned mail", {}, Skipped.BOUNCE),
    ("bounces@relay.example.net", "Mail delivery failed", {"Return_Path": "<>"},
     Skipped.BOUNCE),
    ("robot@example.net", "Notification", {"Auto_Submitted": "auto-generated"},
     Skipped.BOUNCE),
    ("robot@example.net", "Notification", {"Auto_Submitted": "auto-notified"},
     Skipped.BOUNCE),
    # automatic replies: each signal on its own
    (CLAIRE, "Re: CNES partners with SFR", {"Auto_Submitted": "auto-replied"},
     Skipped.AUTO_REPLY),
    (CLAIRE, "Re: CNES partners with SFR", {"X_Autoreply": "yes"}, Skipped.AUTO_REPLY),
    (CLAIRE, "Re: CNES partners with SFR", {"X_Autorespond": "Out of office"},
     Skipped.AUTO_REPLY),
    (CLAIRE, "Re: CNES partners with SFR", {"Precedence": "auto_reply"}, Skipped.AUTO_REPLY),
    (CLAIRE, "Out of Office: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Out of the office until 5 October", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Automatic reply: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "AutoReply: unsubscribe", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Réponse automatique : CNES s'associe à la SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Abwesenheitsnotiz: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Automatische Antwort: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Fuori sede: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Risposta automatica: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Respuesta automática: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "Afwezig: CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    (CLAIRE, "RE: [Out of Office] CNES partners with SFR", {}, Skipped.AUTO_REPLY),
    # requests: a person asking, whatever else the message says
    (CLAIRE, "unsubscribe", {}, None),
    (CLAIRE, "Re: CNES partners with SFR", {"Auto_Submitted": "no"}, None),
    (CLAIRE, "Please take me off your list", {"Precedence": "bulk"}, None),
    (CLAIRE, "Unsubscribe - I am out of the office business now", {}, None),
    ("Daemon Tools <daemon@example.org>", "unsubscribe", {}, None),
    ("postmaster-general@example.org", "unsubscribe", {}, None),
])
def test_bounces_and_automatic_replies_are_not_requests(sender, subject, headers, why):
    assert skipped_because(_parsed(_message(sender, subject, **headers))) is why


def test_a_read_receipt_is_not_a_request():
    receipt = EmailMessage()
    receipt["From"] = CLAIRE
    receipt["Subject"] = "Read: CNES partners with SFR"
    receipt.set_content("Your message was read.")
    receipt.make_mixed()
    receipt.replace_header(
        "Content-Type", 'multipart/report; report-type=disposition-notification; boundary="x"')
    assert skipped_because(_parsed(receipt)) is Skipped.BOUNCE


# -- the command --------------------------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    """An unsubscribe Maildir: a bounce, two automatic replies, one real request."""
    box = mailbox.Maildir(tmp_path / "unsubscribe", create=True)
    box.add(POSTFIX_BOUNCE)
    box.add(_message(f"Claire Fontaine <{CLAIRE}>", "Re: CNES partners with SFR",
                     Auto_Submitted="auto-replied"))
    box.add(_message(f"Claire Fontaine <{CLAIRE}>", "Réponse automatique : PR106-2020"))
    box.add(_message(f"Ethan Caldwell <{ETHAN}>", "unsubscribe",
                     Date="Tue, 22 Sep 2020 12:00:00 +0000"))
    return tmp_path / "unsubscribe"


def test_a_bounce_from_mailer_daemon_opts_nobody_out_and_a_request_still_works(
        sample_book, home, tmp_path):
    """Finding 10 of issue 7: a bounce report used to opt out MAILER-DAEMON."""
    cli = sample_book
    result = cli("optouts", "import", _folder(tmp_path), "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["messages"] == 4
    assert (report["contacts"], report["unknown"], report["unreadable"]) == ([ETHAN], [], [])
    assert (report["bounces"], report["auto_replies"]) == (1, 2)
    assert sorted((s["why"], s["from"]) for s in report["skipped"]) == [  # Maildir: any order
        ("auto-reply", f"Claire Fontaine <{CLAIRE}>"),
        ("auto-reply", f"Claire Fontaine <{CLAIRE}>"),
        ("bounce", "MAILER-DAEMON@mx.example.org")]
    with home_store(home) as store:
        suppressed = {r[0] for r in store.db.execute("SELECT address FROM suppressions")}
    assert not any("mailer-daemon" in a.lower() for a in suppressed)
    assert CLAIRE not in suppressed  # an out-of-office is not a request
    assert ETHAN in suppressed
    claire = json.loads(cli("contacts", "show", CLAIRE, "--json").stdout)
    assert claire["opted_out"] is False
    ethan = json.loads(cli("contacts", "show", ETHAN, "--json").stdout)
    assert ethan["opted_out"] is True
    assert [(o["reason"], o["note"]) for o in ethan["opt_outs"]] == [
        ("unsubscribe reply", "reply of Tue, 22 Sep 2020 12:00:00 +0000")]


def test_the_text_report_counts_bounces_and_automatic_replies_apart(sample_book, tmp_path):
    result = sample_book("optouts", "import", _folder(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("(bounce): from MAILER-DAEMON@mx.example.org") == 1
    assert result.stderr.count("(auto-reply): from Claire Fontaine") == 2
    assert ("4 message(s): 1 contact(s) opted out, 0 other address(es) suppressed; "
            "skipped 1 bounce(s) and 2 automatic reply(ies)") in result.stderr


def test_a_folder_of_only_bounces_changes_nothing(sample_book, home, tmp_path):
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    box.add(POSTFIX_BOUNCE)
    before = db_snapshot(home)
    result = sample_book("optouts", "import", tmp_path / "bounces", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["bounces"] == 1
    assert db_snapshot(home) == before


def test_a_reply_opts_out_every_address_of_its_contact(sample_book, tmp_path):
    mathieu = "m.lefevre-roux@courrier-sciences.example.com"
    mbox = mailbox.mbox(tmp_path / "replies.mbox", create=True)
    mbox.add(_message(mathieu))
    mbox.flush()
    assert sample_book("optouts", "import", tmp_path / "replies.mbox").exit_code == 0
    shown = json.loads(sample_book("contacts", "show", mathieu, "--json").stdout)
    assert shown["opted_out"] is True
    assert {o["address"] for o in shown["opt_outs"]} == {mathieu, "mathieu.lr@example.net"}
