"""What comes back in `pressctl demo`: after the mailout, one bounce and two answers to the
press conference, written into a Maildir as a relay and calendar programs would write
them, for `inbox import` to read like any other mailbox.

The bounce is an RFC 3464 report (multipart/report, message/delivery-status and the
returned headers, whose Message-ID names the row that bounced); the answers are iTIP
REPLY messages (RFC 5546: METHOD:REPLY, the event's UID, the attendee's PARTSTAT) sent
inline as text/calendar, the way Outlook sends them. The calendar text is written here
line by line: it is three fixed content lines around values pressctl wrote itself, and
icalendar stays the only calendar library of the core (releases.calendar, inbox.itip).
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from pressctl.store.mailouts import RowRecord


@dataclass(frozen=True, slots=True)
class Returned:
    """The demo's returned mail: where it is, and whom each message is about."""

    folder: Path
    bounced: str  # the address whose message bounced
    accepted: str  # the attendee who accepts
    declined: str  # the attendee who declines


def write_returns(folder: Path, rows: list[RowRecord], uid: str, organiser: str,
                  now: datetime) -> Returned:
    """A bounce for the first row and answers from the next two (accepted, declined),
    in a new Maildir at ``folder``. ``rows`` are rows that were sent (three at least)."""
    bounced, accepting, declining = rows[:3]
    box = mailbox.Maildir(folder, create=True)
    box.add(_bounce(bounced, now))
    box.add(_answer(accepting, uid, organiser, "ACCEPTED", now).as_bytes())
    box.add(_answer(declining, uid, organiser, "DECLINED", now).as_bytes())
    return Returned(folder, bounced.address, accepting.address, declining.address)


def _domain(address: str) -> str:
    return address.rpartition("@")[2]


def _bounce(row: RowRecord, now: datetime) -> bytes:
    """An RFC 3464 report as Postfix writes one: the prose, the machine-readable part and
    the returned headers (whose Message-ID names the row)."""
    relay = f"mx.{_domain(row.address)}"
    boundary = f"report.{int(now.timestamp())}/{relay}"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{relay}>", "To: presse@cnes.fr",
        "Subject: Undelivered Mail Returned to Sender", f"Date: {format_datetime(now)}",
        f"Message-ID: {make_msgid(domain=relay)}", "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "", f"--{boundary}", "Content-Type: text/plain; charset=us-ascii", "",
        f"This is the mail system at host {relay}.", "",
        f"Your message could not be delivered to {row.address}: the mailbox does not exist.",
        "", f"--{boundary}", "Content-Type: message/delivery-status", "",
        f"Reporting-MTA: dns; {relay}", "", f"Final-Recipient: rfc822; {row.address}",
        "Action: failed", "Status: 5.1.1", "Diagnostic-Code: smtp; 550 5.1.1 user unknown",
        "", f"--{boundary}", "Content-Type: text/rfc822-headers", "",
        "From: presse@cnes.fr", f"To: {row.address}", f"Message-ID: {row.message_id}",
        "Subject: (the release)", "", f"--{boundary}--", ""]
    return "\r\n".join(lines).encode("ascii")


def _answer(row: RowRecord, uid: str, organiser: str, partstat: str,
            now: datetime) -> EmailMessage:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")  # ``now`` is aware
    calendar = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pressctl demo//EN", "METHOD:REPLY",
        "BEGIN:VEVENT", f"UID:{uid}", "SEQUENCE:0", f"DTSTAMP:{stamp}",
        f"ORGANIZER:mailto:{organiser}",
        f"ATTENDEE;PARTSTAT={partstat}:mailto:{row.address}",
        "END:VEVENT", "END:VCALENDAR", ""])
    message = EmailMessage()
    message["From"] = row.address
    message["To"] = organiser
    message["Subject"] = f"{'Accepted' if partstat == 'ACCEPTED' else 'Declined'}: press "\
        "conference"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=_domain(row.address))
    message.set_content(calendar, subtype="calendar", params={"method": "REPLY"})
    return message
