"""One incoming message -> what it is (bounce, RSVP, unsubscribe request, automatic reply,
a person's reply, or unreadable) and what it says.

The checks run in this order, each one's messages out of the way of the next:

1. a read receipt (MDN, ``report-type=disposition-notification``) is AUTO_REPLY
   (READ_RECEIPT): opened is not answered, and it is no bounce either;
2. a delivery notification (RFC 3464 or prose, see :mod:`pressctl.inbox.dsn`) is a
   BOUNCE when a recipient failed, AUTO_REPLY (DELAY_WARNING) when delivery is only late,
   AUTO_REPLY (DELIVERY_REPORT) when it reports success, UNREADABLE when it cannot be
   read (a malformed report must change nothing);
3. an out-of-office reply is AUTO_REPLY (OUT_OF_OFFICE), before the RSVP and
   unsubscribe checks: "Automatic reply: unsubscribe" is nobody's request;
4. an iTIP reply is an RSVP; one that cannot be read, or whose only answers pressctl
   does not record (DELEGATED...), is UNREADABLE with the reason;
5. an unsubscribe request (subject, or sent to one of ``unsubscribe_addresses``);
6. other machine-made mail (``Auto-Submitted: auto-generated``, a null Return-Path,
   bulk precedence) is AUTO_REPLY (AUTO_GENERATED): never listed as a person's reply.
   It comes after 4 and 5 because calendar servers and mail programs' unsubscribe
   buttons may mark what they send on a person's behalf as automatic;
7. anything else is a HUMAN_REPLY, tied to the release it answers by In-Reply-To and
   References. An unsubscribe request or a reply without a readable From address is
   UNREADABLE: there is nobody to opt out or follow up.

Identity, for idempotence: ``key`` is the message's Message-ID (angle brackets
normalised) or, when it has none, ``sha256:`` and the digest of its bytes with line
ends made LF (the same file read from a Maildir, an mbox or over IMAP gives the same
key). ``message_id`` stays None in that case: it says what the message carries.

Nothing here raises for a bad message: whatever cannot be read is UNREADABLE with a
reason, so one broken message never stops the reading of a mailbox.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum

from pressctl.inbox.automatic import (
    Automatic,
    is_machine_made,
    is_out_of_office,
    is_read_receipt,
)
from pressctl.inbox.dsn import Bounce, read_delivery_notice
from pressctl.inbox.headers import (
    addresses,
    header,
    message_id,
    message_ids,
    parse_date,
    parse_message,
)
from pressctl.inbox.itip import Rsvp, UnsupportedAnswer, read_replies
from pressctl.inbox.unsubscribe import is_unsubscribe_request


class Kind(StrEnum):
    """What an incoming message is."""

    BOUNCE = "bounce"
    RSVP = "rsvp"
    UNSUBSCRIBE = "unsubscribe"
    AUTO_REPLY = "auto-reply"  # out-of-office and every other automatic message
    HUMAN_REPLY = "human-reply"
    UNREADABLE = "unreadable"


@dataclass(frozen=True, slots=True)
class Classified:
    """One incoming message, sorted. The details fields hold what its kind says."""

    kind: Kind
    key: str  # what "seen before" is decided on: the Message-ID, or a digest (see above)
    message_id: str | None  # "<...>" as the message carries it
    sender: str | None  # the From address, normalised; None when unreadable
    subject: str
    date: datetime | None  # aware, UTC
    in_reply_to: tuple[str, ...]  # Message-IDs: which release a reply answers
    references: tuple[str, ...]
    bounces: tuple[Bounce, ...] = ()  # BOUNCE: each failed recipient
    rsvps: tuple[Rsvp, ...] = ()  # RSVP: each attendee's answer
    unsupported: tuple[UnsupportedAnswer, ...] = ()  # RSVP/UNREADABLE: answers not recorded
    automatic: Automatic | None = None  # AUTO_REPLY: which kind of automatic message
    reason: str | None = None  # UNREADABLE: why, in words for the user

    @property
    def answers(self) -> tuple[str, ...]:
        """The Message-IDs this message answers, nearest first (In-Reply-To, then
        References from the newest), each once."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))


@dataclass(frozen=True, slots=True)
class _Verdict:
    kind: Kind
    bounces: tuple[Bounce, ...] = ()
    rsvps: tuple[Rsvp, ...] = ()
    unsupported: tuple[UnsupportedAnswer, ...] = ()
    automatic: Automatic | None = None
    reason: str | None = None


def classify(raw: bytes, *, unsubscribe_addresses: frozenset[str] = frozenset()) -> Classified:
    """Sort one message (its bytes as stored: RFC 5322, CRLF or LF line ends)."""
    digest = raw_digest(raw)
    if not raw.strip():
        return Classified(Kind.UNREADABLE, digest, None, None, "", None, (), (),
                          reason="an empty message")
    message = parse_message(raw)
    if not message.keys():
        return Classified(Kind.UNREADABLE, digest, None, None, "", None, (), (),
                          reason="no header lines: not an e-mail message")
    found_id = message_id(header(message, "Message-ID"))
    senders = addresses(header(message, "From"))
    sender = senders[0] if senders else None
    try:
        verdict = _verdict(message, sender, unsubscribe_addresses)
    except Exception as err:  # one broken message must not stop the reading of a mailbox
        verdict = _Verdict(Kind.UNREADABLE, reason=f"cannot be read ({type(err).__name__}: "
                                                   f"{' '.join(str(err).split())[:120]})")
    return Classified(
        verdict.kind, found_id or digest, found_id, sender, header(message, "Subject"),
        parse_date(header(message, "Date")), message_ids(header(message, "In-Reply-To")),
        message_ids(header(message, "References")), verdict.bounces, verdict.rsvps,
        verdict.unsupported, verdict.automatic, verdict.reason)


def raw_digest(raw: bytes) -> str:
    """``sha256:<hex>`` of a message's bytes, line ends made LF and trailing blank space
    dropped, so that the same message stored with CRLF or LF gives the same digest."""
    text = raw.replace(b"\r\n", b"\n").rstrip()
    return "sha256:" + hashlib.sha256(text).hexdigest()


def _verdict(message: EmailMessage, sender: str | None,
             unsubscribe_addresses: frozenset[str]) -> _Verdict:
    if is_read_receipt(message):
        return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.READ_RECEIPT)
    notice = read_delivery_notice(message)
    if notice is not None:
        if notice.failed:
            return _Verdict(Kind.BOUNCE, bounces=notice.failed)
        if notice.problem is not None:
            if is_out_of_office(message):  # a daemon's name on an absence notice
                return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.OUT_OF_OFFICE)
            return _Verdict(Kind.UNREADABLE, reason=notice.problem)
        if notice.delay_warning:
            return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.DELAY_WARNING)
        return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.DELIVERY_REPORT)
    if is_out_of_office(message):
        return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.OUT_OF_OFFICE)
    replies = read_replies(message)
    if replies.rsvps:
        return _Verdict(Kind.RSVP, rsvps=replies.rsvps, unsupported=replies.unsupported)
    if replies.problem is not None:
        return _Verdict(Kind.UNREADABLE, reason=replies.problem)
    if replies.unsupported:
        answers = ", ".join(f"PARTSTAT={u.partstat} from {u.attendee}"
                            for u in replies.unsupported)
        return _Verdict(Kind.UNREADABLE, unsupported=replies.unsupported,
                        reason=f"an iTIP reply with an answer pressctl does not record "
                               f"({answers}); only ACCEPTED, DECLINED and TENTATIVE are")
    if is_unsubscribe_request(message, unsubscribe_addresses):
        if sender is None:
            return _Verdict(Kind.UNREADABLE, reason="an unsubscribe request without a "
                                                    "readable From address")
        return _Verdict(Kind.UNSUBSCRIBE)
    if is_machine_made(message):
        return _Verdict(Kind.AUTO_REPLY, automatic=Automatic.AUTO_GENERATED)
    if sender is None:
        return _Verdict(Kind.UNREADABLE, reason="a reply without a readable From address")
    return _Verdict(Kind.HUMAN_REPLY)
