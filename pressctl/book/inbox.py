"""`inbox import`: what came back after a send, read from a Maildir or an mbox
(:func:`import_inbox`) or an IMAP folder (:func:`import_messages` over
pressctl.inbox.imap) and recorded in one transaction (all or nothing).

Each message is read and sorted by pressctl.inbox (mailboxes, classify), then:

* a **bounce** is tied to the mailout row it is about, through the returned original's
  Message-ID (``mailout_rows.message_id``, else ``fallback_message_id``) or the bounce
  token of a VERP envelope (``token``, else ``fallback_token``). The failed address must
  be the row's, and the row must have been sent: anything else (a forged Message-ID, an
  address we never sent to) is "not one of ours", reported, and changes nothing. A hard
  bounce makes the address bouncing at once; soft ones after ``soft_limit`` within
  ``soft_days`` days (pressctl.book.bounces);
* an **RSVP** is recorded per event UID and attendee, when a mailout sent that UID (it is
  read from the frozen invitations: pressctl.store.inbox); an answer with a higher
  SEQUENCE, or the same SEQUENCE and a later DTSTAMP, replaces the one recorded. An answer
  for an event pressctl never sent is reported and changes nothing;
* an **unsubscribe request** opts its sender out exactly as `optouts import` does
  (pressctl.book.optouts.opt_out_senders);
* an **automatic reply** (out-of-office, delay warning, read receipt...) is counted;
* a **person's reply** is listed for follow-up with the release it answers (In-Reply-To,
  then References, against the rows' Message-IDs);
* an **unreadable** message is reported with the reason, and changes nothing.

A message recorded once (by its key: its Message-ID, or a digest of its bytes) is
skipped by later imports and counted as ``seen``: importing a mailbox twice changes
nothing the second time. A message that changed nothing is not recorded, so it is
reported again by the next import (still unreadable, still not ours).

Every change to a contact (bouncing, opted out) is recorded in the trail with the acting
user, in the same transaction.
"""

from __future__ import annotations

import email.utils
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pressctl.book.bounces import SOFT_DAYS, SOFT_LIMIT, soft_limit_reached
from pressctl.book.changes import ChangeAction, NewChange, Subject, record_many
from pressctl.book.forgotten import forgotten_keys
from pressctl.book.optouts import UnsubscribeRequest, opt_out_senders, request_note
from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.errors import InvalidInput
from pressctl.inbox.classify import Classified, Kind, classify
from pressctl.inbox.dsn import Bounce, Severity
from pressctl.inbox.itip import Rsvp
from pressctl.inbox.mailboxes import MailboxMessage, read_mailbox
from pressctl.store.inbox import RowMatch, StoredRsvp

__all__ = ["FollowUp", "InboxReport", "Kind", "NotMatched", "NowBouncing", "import_inbox",
           "import_messages"]

_DIAGNOSTIC = 200  # characters of a server's words kept as a bouncing reason


@dataclass(frozen=True, slots=True)
class NotMatched:
    """A message (or one part of it: a recipient, an answer) that changed nothing."""

    where: str  # "PATH: message KEY"
    kind: Kind
    sender: str | None
    subject: str
    why: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    """A person's reply to follow up: who, about what, answering which release."""

    sender: str
    subject: str
    dated: str | None  # UTC ISO, from its Date
    reference: str | None  # the release it answers; None when it answers none of ours
    mailout_id: int | None


@dataclass(frozen=True, slots=True)
class NowBouncing:
    """An address this import made bouncing."""

    address: str
    contact_id: int | None
    since: str  # UTC ISO
    reason: str


@dataclass(slots=True)
class InboxReport:
    """What `inbox import` did with a mailbox."""

    source: str
    messages: int = 0  # read
    seen: int = 0  # recorded by an earlier import, or twice in this mailbox: skipped
    recorded: Counter[Kind] = field(default_factory=Counter)  # new messages, per kind
    hard_bounces: int = 0  # failed recipients recorded
    soft_bounces: int = 0
    answers: int = 0  # RSVPs recorded (new, or replacing an earlier answer)
    outdated_answers: int = 0  # older than the answer already recorded: kept aside
    automatic: Counter[str] = field(default_factory=Counter)  # auto-replies, per reason
    bouncing: list[NowBouncing] = field(default_factory=list)
    opted_out: list[str] = field(default_factory=list)  # senders whose contact opted out
    suppressed: list[str] = field(default_factory=list)  # senders in no contact
    follow_up: list[FollowUp] = field(default_factory=list)
    not_matched: list[NotMatched] = field(default_factory=list)
    unreadable: list[NotMatched] = field(default_factory=list)


@dataclass(slots=True)
class _Lookups:
    """The mailout rows and events the import's messages name, read once."""

    by_message_id: dict[str, RowMatch]
    by_token: dict[str, RowMatch]
    events: dict[str, list[int]] | None = None  # event UID -> mailouts: read when needed


def import_inbox(book: Book, path: Path, *, unsubscribe_addresses: Iterable[str] = (),
                 soft_limit: int = SOFT_LIMIT, soft_days: int = SOFT_DAYS) -> InboxReport:
    """Read a Maildir or mbox and record what came back (see the module's docstring).
    InvalidInput (exit 3), with nothing changed, for a path that is neither."""
    return import_messages(book, str(path), read_mailbox(path),
                           unsubscribe_addresses=unsubscribe_addresses,
                           soft_limit=soft_limit, soft_days=soft_days)


def import_messages(book: Book, source: str, messages: Iterable[MailboxMessage], *,
                    unsubscribe_addresses: Iterable[str] = (), soft_limit: int = SOFT_LIMIT,
                    soft_days: int = SOFT_DAYS) -> InboxReport:
    """Record what came back in ``messages`` (a mailbox's, an IMAP folder's: see
    pressctl.inbox.imap), named ``source`` in the report and the trail. They are all
    read and sorted before the transaction begins: a slow server holds no lock."""
    if soft_limit < 1 or soft_days < 1:
        raise InvalidInput(f"soft bounces: {soft_limit} within {soft_days} days",
                           hint="both must be 1 or more (e.g. 3 within 30 days)")
    wanted = frozenset(unsubscribe_addresses)
    report = InboxReport(source)
    found: list[tuple[str, Classified]] = []  # (where, message), each key once
    keys: set[str] = set()
    for stored in messages:
        report.messages += 1
        message = classify(stored.raw, unsubscribe_addresses=wanted)
        if message.key in keys:
            report.seen += 1
            continue
        keys.add(message.key)
        found.append((f"{source}: message {stored.key}", message))
    with book.store.transaction():
        _Import(book, report, soft_limit, soft_days).run(found)
    return report


class _Import:
    """One import's work inside its transaction."""

    def __init__(self, book: Book, report: InboxReport, soft_limit: int, soft_days: int):
        self.book, self.store, self.report = book, book.store, report
        self.soft_limit, self.soft_days = soft_limit, soft_days
        self.bounced: dict[str, str] = {}  # e-mail key -> address, bounced in this import
        self.requests: dict[str, UnsubscribeRequest] = {}
        self.forgotten: set[str] = set()  # e-mail keys of senders who asked to be forgotten

    def run(self, found: list[tuple[str, Classified]]) -> None:
        seen = self.store.inbox.seen(m.key for _, m in found)
        new = [(where, m) for where, m in found if m.key not in seen]
        self.report.seen += len(found) - len(new)
        lookups = self._lookups([m for _, m in new])
        # A person who asked to be forgotten (`contacts forget`) is suppressed for good
        # already, as a keyed hash: what they send is taken in (once) but none of it,
        # not even their address, is written to the book.
        self.forgotten = forgotten_keys(self.store, [m.sender for _, m in new if m.sender])
        for where, message in new:
            if message.sender and email_key(message.sender) in self.forgotten and \
                    message.kind is not Kind.BOUNCE:
                self.store.inbox.record_message(message.key, message.kind, None, "", None,
                                                self.book.now, None, "from a forgotten person")
                self.report.recorded[message.kind] += 1
                if message.kind is Kind.UNSUBSCRIBE:
                    self.report.suppressed.append(message.sender)
                continue
            if message.kind is Kind.BOUNCE:
                self._bounce(where, message, lookups)
            elif message.kind is Kind.RSVP:
                self._rsvp(where, message, lookups)
            elif message.kind is Kind.UNSUBSCRIBE:
                self._unsubscribe(where, message)
            elif message.kind is Kind.AUTO_REPLY:
                self._record(message, detail=str(message.automatic or ""))
                self.report.automatic[str(message.automatic or "automatic")] += 1
            elif message.kind is Kind.HUMAN_REPLY:
                self._reply(message, lookups)
            else:
                self.report.unreadable.append(_not_matched(where, message, message.reason or
                                                           "cannot be read"))
        self._mark_bouncing()
        if self.requests:
            done = opt_out_senders(self.book, self.requests, self.report.source)
            self.report.opted_out += done.contacts
            self.report.suppressed += done.unknown

    def _lookups(self, messages: list[Classified]) -> _Lookups:
        ids = [b.original_message_id for m in messages for b in m.bounces
               if b.original_message_id]
        ids += [i for m in messages if m.kind is Kind.HUMAN_REPLY for i in m.answers]
        tokens = [b.verp_token for m in messages for b in m.bounces if b.verp_token]
        return _Lookups(self.store.inbox.rows_by_message_id(ids),
                        self.store.inbox.rows_by_token(tokens))

    def _record(self, message: Classified, *, row_id: int | None = None,
                detail: str | None = None) -> None:
        self.store.inbox.record_message(message.key, message.kind, message.sender,
                                        message.subject, _dated(message), self.book.now,
                                        row_id, detail)
        self.report.recorded[message.kind] += 1

    # -- bounces ---------------------------------------------------------------------------

    def _bounce(self, where: str, message: Classified, lookups: _Lookups) -> None:
        matched: list[tuple[Bounce, RowMatch]] = []
        for bounce in message.bounces:
            row, why = _bounced_row(bounce, lookups)
            if row is None:
                self.report.not_matched.append(_not_matched(where, message, why))
            else:
                matched.append((bounce, row))
        if not matched:
            return  # nothing of ours: the message is not recorded, nothing changes
        self._record(message, row_id=matched[0][1].row_id)
        at = min(_dated(message) or self.book.now, self.book.now)  # a clock ahead: now
        for bounce, row in matched:
            key = email_key(row.address)
            if not self.store.inbox.record_bounce(message.key, key, row.address, row.row_id,
                                                  bounce.status_code, bounce.severity,
                                                  bounce.diagnostic, at):
                continue
            if bounce.severity is Severity.HARD:
                self.report.hard_bounces += 1
            else:
                self.report.soft_bounces += 1
            self.bounced[key] = row.address

    def _mark_bouncing(self) -> None:
        """Each address bounced in this import that is not bouncing yet: bouncing now on
        a hard bounce, or when its soft bounces reach the limit (counted since the
        address was last cleared)."""
        open_states = self.store.inbox.bouncing_of(self.bounced)
        owners = self.store.contacts.owners_of_email_keys(self.bounced)
        entries: list[NewChange] = []
        for key, address in self.bounced.items():
            if key in open_states:
                continue
            after = self.store.inbox.last_cleared(key)
            found = self._hard_bounce(key, after) or self._soft_limit(key, after)
            if found is None:
                continue
            since, reason = found
            self.store.inbox.mark_bouncing(key, address, since, reason, self.book.now)
            contact_id = owners.get(key)
            self.report.bouncing.append(NowBouncing(address, contact_id, since, reason))
            summary = (f"{address} marked bouncing since {since[:10]} ({reason}), by the "
                       f"inbox import of {self.report.source}")
            entries.append(NewChange(ChangeAction.EDIT, Subject.CONTACT, contact_id, summary)
                           if contact_id is not None else
                           NewChange(ChangeAction.EDIT, Subject.ADDRESS, address, summary))
        record_many(self.book, entries)

    def _hard_bounce(self, key: str, after: str | None) -> tuple[str, str] | None:
        found = self.store.inbox.first_hard_bounce(key, after)
        if found is None:
            return None
        at, status_code, diagnostic = found
        return at, _shorten(diagnostic or status_code or "a permanent failure")

    def _soft_limit(self, key: str, after: str | None) -> tuple[str, str] | None:
        times = self.store.inbox.soft_bounce_times(key, after)
        since = soft_limit_reached(times, self.soft_limit, self.soft_days)
        if since is None:
            return None
        last = self.store.inbox.last_soft_diagnostic(key)
        return since, _shorten(f"{self.soft_limit} soft bounces within {self.soft_days} "
                               f"days; the last: {last or 'no reason given'}")

    # -- answers to invitations ------------------------------------------------------------

    def _rsvp(self, where: str, message: Classified, lookups: _Lookups) -> None:
        if lookups.events is None:
            lookups.events = self.store.inbox.event_mailouts()
        known = [r for r in message.rsvps if r.uid in lookups.events]
        for rsvp in message.rsvps:
            if rsvp.uid not in lookups.events:
                self.report.not_matched.append(_not_matched(
                    where, message, f"an answer of {rsvp.attendee} for an event pressctl "
                                    f"never sent (UID {rsvp.uid})"))
        if not known:
            return
        rows = [self._invited_row(r, lookups.events[r.uid]) for r in known]
        first = next((row for row in rows if row is not None), None)
        self._record(message, row_id=first.row_id if first is not None else None)
        for rsvp, row in zip(known, rows, strict=True):
            self._answer(message, rsvp, row)

    def _invited_row(self, rsvp: Rsvp, mailout_ids: list[int]) -> RowMatch | None:
        key = email_key(rsvp.attendee)
        rows = [r for r in self.store.inbox.invited_rows(mailout_ids, rsvp.attendee)
                if email_key(r.address) == key]
        return rows[0] if rows else None

    def _answer(self, message: Classified, rsvp: Rsvp, row: RowMatch | None) -> None:
        key = email_key(rsvp.attendee)
        stamp = _iso(rsvp.dtstamp)
        current = self.store.inbox.rsvp(rsvp.uid, key)
        if current is not None and (rsvp.sequence, stamp) <= (current.sequence, current.dtstamp):
            self.report.outdated_answers += 1
            return
        owner = self.store.contacts.owners_of_email_keys([key]).get(key)
        contact_id = owner if owner is not None else (row.contact_id if row else None)
        self.store.inbox.save_rsvp(StoredRsvp(
            rsvp.uid, key, rsvp.attendee, str(rsvp.partstat), rsvp.sequence, stamp,
            rsvp.comment, contact_id, row.row_id if row else None, message.key,
            self.book.now))
        self.report.answers += 1

    # -- requests and replies --------------------------------------------------------------

    def _unsubscribe(self, where: str, message: Classified) -> None:
        assert message.sender is not None  # classify: a request without one is unreadable
        self._record(message)
        date = email.utils.format_datetime(message.date) if message.date else ""
        self.requests.setdefault(email_key(message.sender),
                                 UnsubscribeRequest(message.sender, request_note(date, where)))

    def _reply(self, message: Classified, lookups: _Lookups) -> None:
        assert message.sender is not None  # classify: a reply without one is unreadable
        row = next((lookups.by_message_id[i] for i in message.answers
                    if i in lookups.by_message_id), None)
        self._record(message, row_id=row.row_id if row else None)
        self.store.inbox.record_reply(message.key, message.sender, email_key(message.sender),
                                      message.subject, _dated(message),
                                      row.row_id if row else None, self.book.now)
        self.report.follow_up.append(FollowUp(
            message.sender, message.subject, _dated(message),
            row.reference if row else None, row.mailout_id if row else None))


def _bounced_row(bounce: Bounce, lookups: _Lookups) -> tuple[RowMatch | None, str]:
    """The sent row a failed recipient is about, or None and why it is not one of ours."""
    sent_id, token = bounce.original_message_id, bounce.verp_token
    row = lookups.by_message_id.get(sent_id) if sent_id else None
    if row is None and token:
        row = lookups.by_token.get(token)
    if row is None:
        if not sent_id and not token:
            return None, (f"a bounce for {bounce.address} that names no message (no "
                          "returned Message-ID, no bounce address): cannot be tied to a send")
        names = " or ".join(n for n in (f"Message-ID {sent_id}" if sent_id else "",
                                        "its bounce address" if token else "") if n)
        return None, (f"not one of ours: a bounce for {bounce.address} whose {names} "
                      "matches no message pressctl sent")
    if email_key(row.address) != email_key(bounce.address):
        return None, (f"not one of ours: a bounce for {bounce.address}, but the message it "
                      f"names ({row.reference}, mailout #{row.mailout_id}) went to another "
                      "address")
    if not row.sent:
        return None, (f"not one of ours: a bounce for {bounce.address} about a message "
                      f"that was never sent ({row.reference}, mailout #{row.mailout_id}: "
                      f"{row.state})")
    return row, ""


def _not_matched(where: str, message: Classified, why: str) -> NotMatched:
    return NotMatched(where, message.kind, message.sender, message.subject, why)


def _dated(message: Classified) -> str | None:
    return _iso(message.date) if message.date is not None else None


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _DIAGNOSTIC else text[:_DIAGNOSTIC - 3] + "..."
