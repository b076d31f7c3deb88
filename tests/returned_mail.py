"""What comes back after a real send, for the tests of `inbox import` (book, CLI and
delivery): a book whose invitation was delivered to a real SMTP server (aiosmtpd on
loopback), and bounces, answers and replies made from the samples of tests/data/inbox
with the real Message-IDs, bounce tokens and event UID substituted.

The samples name the journalists below, so that most substitutions are of identifiers
only; each sample's own Message-ID is replaced by the ``key`` a test gives, so that two
bounces made from one sample are two messages.
"""

from __future__ import annotations

import base64
import email
import email.policy
import mailbox
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from conftest import SAMPLES
from mailing import Clock, deliver

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import SmtpTransport
from pressctl.releases.templating import Templates
from pressctl.store.mailouts import RowRecord

DATA = Path(__file__).resolve().parent / "data" / "inbox"
KEY = b"returned-mail-test-key-0123456789abcdef"
SENT_AT = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)  # when the invitation goes out
AFTER = "2030-06-01T09:00:00Z"  # the book's "now" when the mail that came back is read

JEAN = "j.martin@lemonde.example"  # postfix-dsn-hard.eml
NINA = "n.girard@20minutes.example"  # soft-mailbox-full.eml
ANTOINE = "antoine.roux.presse@gmail.example"  # itip-google-declined.eml
LUCIE = "l.moreau@afp.example"
JOURNALISTS = {"Jean Martin": JEAN, "Nina Girard": NINA, "Antoine Roux": ANTOINE,
               "Lucie Moreau": LUCIE}


@dataclass(frozen=True, slots=True)
class Sent:
    """A delivered mailout: its id, its rows by address, its event's UID (read from the
    message the server received, with icalendar)."""

    mailout_id: int
    rows: dict[str, RowRecord]
    uid: str | None


def book_with_journalists(book: Book, tmp_path: Path) -> Book:
    """The sample organisations and contacts, plus the journalists above (tag "inbox");
    the book's clock set after the send."""
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    people = tmp_path / "inbox-people.csv"
    people.write_text("Name,Email,Tags\n" + "".join(
        f"{name},{address},inbox\n" for name, address in JOURNALISTS.items()),
        encoding="utf-8")
    import_file(book, open_contact_file(people))
    book.now = AFTER
    return book


def release_file(tmp_path: Path, reference: str = "PR301-2030", *, event: bool = True) -> Path:
    lines = ["+++", f'reference = "{reference}"', 'kind = "release"', 'language = "en"',
             'title = "A launch to follow"', "date = 2030-03-02", 'place = "Paris"',
             'organizations = ["CNES"]', 'audience = "tag:inbox"']
    if event:
        lines += ["", "[event]", 'title = "Press conference"',
                  'start = "2030-03-10 11:00 Europe/Paris"', 'duration = "1h"',
                  'venue = "CNES, 2 place Maurice Quentin, Paris"']
    lines += ["+++", "", "Body of the release.", ""]
    path = tmp_path / f"{reference}.en.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def send(book: Book, tmp_path: Path, server, reference: str = "PR301-2030", *,
         event: bool = True, at: datetime = SENT_AT) -> Sent:
    """Approve the release for tag:inbox and deliver it to ``server`` (the real outbox
    run); the book's clock is kept."""
    now = book.now
    path = release_file(tmp_path, reference, event=event)
    plans = plan_mailouts(book, path, at=None, audience=None, now=at)
    [mailout_id] = store_mailouts(book, plans, Templates(), path=path, token_key=KEY)
    count = len(server.messages)
    deliver(book, Clock(at), SmtpTransport(server.settings(), {}))
    book.now = now
    rows = {row.address: row for row in book.store.mailouts.rows(mailout_id)}
    return Sent(mailout_id, rows, _uid(server.messages[count:]) if event else None)


def _uid(received) -> str | None:
    import icalendar

    for message in received:
        parsed = email.message_from_bytes(message.data, policy=email.policy.default)
        for part in parsed.walk():
            if part.get_content_type() == "text/calendar":
                calendar = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                [event] = calendar.walk("VEVENT")
                return str(event["UID"])
    return None


# -- messages made from the samples -----------------------------------------------------------


def from_sample(name: str, replacements: dict[str, str], *, first_only: tuple[str, ...] = ()
                ) -> bytes:
    """The sample with each text replaced (every occurrence, or the first for those in
    ``first_only``), inside its base64 parts too; each text must be in it."""
    text = (DATA / name).read_text(encoding="utf-8")
    text = _in_base64(text, replacements)
    for old, new in replacements.items():
        assert old in text, f"{name}: no {old!r}"
        text = text.replace(old, new, 1 if old in first_only else -1)
    return text.encode("utf-8")


def _in_base64(text: str, replacements: dict[str, str]) -> str:
    """Apply the replacements inside base64 blocks (calendar attachments) too."""
    def replace(found: re.Match) -> str:
        block = found.group(0)
        try:
            decoded = base64.b64decode("".join(block.split()), validate=True).decode("utf-8")
        except ValueError:
            return block
        for old, new in replacements.items():
            decoded = decoded.replace(old, new)
        encoded = base64.b64encode(decoded.encode("utf-8")).decode("ascii")
        return "\n".join(encoded[i:i + 76] for i in range(0, len(encoded), 76)) + "\n"
    return re.sub(r"(?m)^(?:[A-Za-z0-9+/=]{20,}\n)+", replace, text)


def hard_bounce(row: RowRecord, key: str, *, date: str = "Mon, 25 Mar 2030 09:14:07 +0100",
                message_id: str | None = None, token: str | None = None) -> bytes:
    """A Postfix hard bounce (550 5.1.1) of ``row``'s message."""
    return from_sample("postfix-dsn-hard.eml", {
        JEAN: row.address,
        "<1240a4684403b160e6597a653a88f56c.pressctl@cnes.fr>": message_id or row.message_id,
        "Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY": token or row.token,
        "<20261123081407.4Vx2kT1f3Qz9sWb@mx.cnes.fr>": f"<{key}@mx.cnes.fr>",
        "Date: Mon, 23 Nov 2026 09:14:07 +0100 (CET)": f"Date: {date}",
    }, first_only=("Date: Mon, 23 Nov 2026 09:14:07 +0100 (CET)",))


def soft_bounce(row: RowRecord, key: str, *, date: str) -> bytes:
    """A Postfix soft bounce (452 4.2.2 mailbox full) of ``row``'s message."""
    return from_sample("soft-mailbox-full.eml", {
        NINA: row.address,
        "<6152bc863269f1d04b4d21185d6bb25e.pressctl@cnes.fr>": row.message_id,
        "AVR9mP1pjCKB4oT0vvYOX-4KLYPPnXHd": row.token,
        "<20261127081407.4W0bYp3hM1z9sYf@mx.cnes.fr>": f"<{key}@mx.cnes.fr>",
        "Date: Fri, 27 Nov 2026 09:14:07 +0100 (CET)": f"Date: {date}",
    })


def rsvp(uid: str, key: str, *, partstat: str = "DECLINED", sequence: int = 0,
         dtstamp: str = "20300303T131502Z", attendee: str = ANTOINE) -> bytes:
    """Google Calendar's answer of Antoine Roux, or of ``attendee`` (inline, and as
    invite.ics)."""
    return from_sample("itip-google-declined.eml", {
        ANTOINE: attendee,
        "pr106-2026-event@cnes.fr": uid,
        "PARTSTAT=DECLINED": f"PARTSTAT={partstat}",
        "SEQUENCE:2": f"SEQUENCE:{sequence}",
        "DTSTAMP:20261123T131502Z": f"DTSTAMP:{dtstamp}",
        "<calendar-7f0c2b9e-5a1d-4e8b-9c3f-2d6a1b0e4f78@google.example>": f"<{key}@google.example>",
    })


def human_reply(row: RowRecord, key: str) -> bytes:
    """Jean Martin's reply to ``row``'s message (In-Reply-To and References)."""
    return from_sample("human-reply.eml", {
        "<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>": row.message_id,
        "<c3585b60b755fb13e6e65a16d20f1230.pressctl@cnes.fr>": "<older@cnes.fr>",
        "<CAF3x9k2Lm7Q@mail.lemonde.example>": f"<{key}@mail.lemonde.example>",
    })


def sample(name: str) -> bytes:
    return (DATA / name).read_bytes()


def maildir(folder: Path, *messages: bytes) -> Path:
    """A Maildir holding ``messages`` (created, or added to)."""
    box = mailbox.Maildir(folder, create=True)
    for message in messages:
        box.add(message)
    return folder
