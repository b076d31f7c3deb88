"""Events have a life: `invite update` and `invite cancel`, and the SEQUENCE of every
invitation (`mailout create` too).

What was sent of an event is read from the mailouts that carried its UID (the UID is made
of the reference and the sending domain, :func:`pressctl.releases.calendar.event_uid`):
their rows say who received it, their frozen calendars which SEQUENCE and which details.
:mod:`pressctl.store.events` keeps, per UID, the version last approved (SEQUENCE, details
in each language, when, cancelled or not); it is written in the transaction that approves
the mailout carrying the version (:func:`record_version`, called by
:func:`pressctl.delivery.mailouts.store_mailouts`).

The rules:

* **SEQUENCE** is pressctl's: the highest SEQUENCE ever approved for the UID (stored, or
  read from the frozen invitations of mailouts approved before it was stored), raised by
  one for each update or cancellation. A file's ``event.sequence`` (it used to be raised by
  hand) is only a floor, with a warning: SEQUENCE never goes down, nor repeats for a new
  version.
* **Who gets an update or a cancellation:** exactly those who received the invitation:
  the rows of the UID's mailouts that were sent, and those whose delivery is unknown (they
  may have it in their calendar: a stale event is worse than a second message), once per
  address, at the address that received it, in the language of the copy they received.
  Nobody added to the audience since (they were never invited: `mailout create` invites
  them). Skipped, with the reason: contacts who opted out since, or whose address did,
  and contacts removed from the book.
* **Refused (exit 3), nothing changed:** an event never sent ("send it first with
  `mailout create`"); a cancelled event; an update where nothing a calendar acts on has
  changed (time, zone, title, venue, link, meeting ID, passcode, dial-in); an update while
  invitations of the event still wait in a mailout (they would follow it with the old
  details: cancel it, or let it finish; for the public phase of an embargo, the hint gives
  the `mailout create --at lift` that invites the others with the new details); anything
  while a delivery run is sending the event's invitations.
* **A cancellation cancels the invitations still waiting** (a public phase at the lift,
  say), in the transaction that approves it: they must never follow it.
* **When:** at once (the due time is the approval), or ``--at``. There is no public phase:
  before the embargo lifts, the update carries the embargoed copy, only to contacts who
  still accept embargoes (its mailout is an embargoed phase, so consent is checked again
  at send time); the others are skipped with the reason. At or after the lift (``--at
  lift``) it is the public copy, to all of them.
* **A cancellation** names the event as journalists last received it (whatever the file
  says now), with METHOD:CANCEL and STATUS:CANCELLED, the note first; the event is marked
  cancelled when the cancellation is approved, and a cancelled event is never invited to
  again.
* **`mailout create` of an invitation** sends the SEQUENCE last approved, and refuses a
  file whose event changed since it was sent (the change would reach only the new
  recipients: `invite update` first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact
from pressctl.errors import InvalidInput, Problem
from pressctl.outbox.states import MailoutState, RowState
from pressctl.releases.calendar import InvitationTemplate, event_uid
from pressctl.releases.checking import load_release_set
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.embargo import Phase
from pressctl.releases.events import (
    NOBODY,
    EventDetails,
    EventNotice,
    NoticeKind,
    changes_since,
    checked_note,
    details_by_language,
    sent_details,
    sent_version,
    with_event,
    with_sequence,
)
from pressctl.releases.recipients import Recipient
from pressctl.releases.rendering import sending_domain
from pressctl.store.events import EventRecord
from pressctl.store.mailouts import RowRecord
from pressctl.times import parse_start

if TYPE_CHECKING:
    from pressctl.delivery.mailouts import PlannedMailout
    from pressctl.releases.rendering import Plan

DELIVERED = (RowState.SENT, RowState.UNKNOWN)  # the invitation reached them, or may have
WAITING = (RowState.QUEUED, RowState.SENDING)
LIVE = (MailoutState.SCHEDULED, MailoutState.PAUSED)
_SEQUENCE_LINE = re.compile(rb"\r\nSEQUENCE:(\d+)\r\n")


# -- what was sent of an event ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Received:
    """One address that received the invitation: its latest row, and the language of the
    copy it got."""

    row: RowRecord
    language: str


@dataclass(slots=True)
class EventHistory:
    """What was sent of one event UID."""

    uid: str
    record: EventRecord | None  # the version last approved, as stored
    mailouts: list[int] = field(default_factory=list)  # those that carried the event
    approved: int | None = None  # the highest SEQUENCE approved; None: never approved
    received: list[Received] = field(default_factory=list)
    waiting: dict[int, int] = field(default_factory=dict)  # live mailout -> rows not yet sent
    sending: int = 0  # of those, rows a delivery run is sending right now
    public_waiting: set[int] = field(default_factory=set)  # of those, public phases
    delivered: dict[str, EventDetails] = field(default_factory=dict)  # language -> details
    delivered_sequence: int | None = None  # the SEQUENCE of ``delivered``

    @property
    def cancelled(self) -> bool:
        return self.record is not None and self.record.cancelled


def event_history(book: Book, releases: ReleaseSet) -> EventHistory:
    """Who received the release's event, which version, and what still waits."""
    from pressctl.delivery.frozen import thaw

    main = releases.main
    uid = event_uid(main.reference, sending_domain(book, main))
    history = EventHistory(uid, book.store.events.get(uid))
    approved = [history.record.sequence] if history.record else []
    latest: dict[str, Received] = {}
    newest: tuple[int, dict[str, InvitationTemplate]] | None = None
    for mailout_id, domain in book.store.events.mailouts_of(main.reference):
        if event_uid(main.reference, domain) != uid:
            continue
        variants = [thaw(blob)[0] for blob in book.store.mailouts.variants(mailout_id)]
        calendars = {v.language: template for v in variants
                     if isinstance(template := getattr(v.calendar, "__self__", None),
                                   InvitationTemplate)}
        if not calendars:
            continue  # the release was sent without its event
        history.mailouts.append(mailout_id)
        sequence = max(_sequence_of(c) for c in calendars.values())
        approved.append(sequence)
        rows = book.store.mailouts.rows(mailout_id)
        mailout = book.store.mailouts.get(mailout_id)
        waiting = [r for r in rows if r.state in WAITING]
        if waiting and mailout is not None and mailout.state in LIVE:
            history.waiting[mailout_id] = len(waiting)
            history.sending += sum(r.state == RowState.SENDING for r in waiting)
            if mailout.phase == Phase.PUBLIC:
                history.public_waiting.add(mailout_id)
        delivered = [r for r in rows if r.state in DELIVERED]
        for row in delivered:  # a later mailout's row wins: the latest copy they got
            latest[email_key(row.address)] = Received(row, variants[row.variant].language)
        if delivered and (newest is None or sequence >= newest[0]):
            newest = (sequence, calendars)
    history.approved = max(approved, default=None)
    history.received = list(latest.values())
    if newest is not None:
        history.delivered_sequence = newest[0]
        history.delivered = sent_details(history.record, *newest)
    return history


def _sequence_of(template: InvitationTemplate) -> int:
    found = _SEQUENCE_LINE.search(template.for_attendee("", NOBODY))
    return int(found.group(1)) if found else 0


# -- `mailout create` of an invitation ---------------------------------------------------------


def prepare_invitation(book: Book, releases: ReleaseSet, path: Path) -> ReleaseSet:
    """The release whose event carries the SEQUENCE to send (see the module's rules), after
    refusing a cancelled event, or one that changed since it was sent."""
    event = releases.main.event
    if event is None:
        return releases
    history = event_history(book, releases)
    reference = releases.main.reference
    if history.cancelled:
        raise InvalidInput(f"{path}: the event of {reference} was cancelled "
                           f"({_when(book, history.record)}): it is not invited to again",
                           hint="give the new event a release of its own (a new reference)")
    floor = _floor(releases, path)
    if history.approved is None:
        return with_sequence(releases, floor)
    sequence = max(history.approved, floor)
    approved = ({d.language: EventDetails.from_stored(d) for d in history.record.details}
                if history.record is not None and history.record.details else history.delivered)
    if approved and any(changes_since(releases, approved).values()):
        if history.received or history.waiting:
            raise InvalidInput(
                f"{path}: the event of {reference} has changed since its invitation was "
                f"approved (SEQUENCE {history.approved}): a new mailout would tell only its "
                "own recipients",
                hint=f"send the change to those invited with `pressctl invite update {path}`; "
                     "then `mailout create` for anyone else")
        sequence = max(history.approved + 1, floor)  # a new version: never the same SEQUENCE
    return with_sequence(releases, sequence)


def _floor(releases: ReleaseSet, path: Path) -> int:
    """The file's ``event.sequence``: the lowest SEQUENCE to send, with a warning."""
    floor = max((v.event.sequence for v in releases.versions.values() if v.event), default=0)
    if floor > 0:
        releases.warnings.append(Problem(str(path), (
            f"event.sequence = {floor} is no longer needed: pressctl keeps each event's "
            "SEQUENCE and raises it with `invite update` and `invite cancel`; it is read "
            "only as the lowest SEQUENCE to send (remove the line)")))
    return floor


def record_version(book: Book, plans: list[PlannedMailout], built: list[Plan]) -> None:
    """Inside the transaction approving ``plans``: their event's version becomes the one
    last approved for its UID (pressctl.store.events). Nothing without an event."""
    releases = plans[0].releases
    event = releases.main.event
    if event is None or not built:
        return
    uid = event_uid(releases.main.reference, built[0].domain)
    previous = book.store.events.get(uid)
    if previous is not None and event.sequence < previous.sequence:  # a bug, never data
        raise RuntimeError(f"event {uid}: SEQUENCE {event.sequence} is below the "
                           f"{previous.sequence} already approved")
    notice = plans[0].notice
    cancelled = notice is not None and notice.kind == NoticeKind.CANCEL
    book.store.events.save(EventRecord(
        uid=uid, reference=releases.main.reference, sequence=event.sequence,
        approved_at=book.now, cancelled_at=book.now if cancelled else None,
        note=notice.note if cancelled and notice is not None else None,
        details=tuple(details.stored(language)
                      for language, details in details_by_language(releases).items())))


# -- `invite update` and `invite cancel` -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skipped:
    """Someone who received the invitation and gets nothing now, and why."""

    name: str
    address: str
    reason: str


@dataclass(slots=True)
class EventPlan:
    """An update or a cancellation, ready for approval: its one mailout, and what it says."""

    uid: str
    notice: EventNotice
    previous: int  # the SEQUENCE approved before
    mailout: PlannedMailout
    skipped: list[Skipped]
    earlier: list[int]  # the mailouts whose recipients it goes to (their latest copy)

    @property
    def kind(self) -> NoticeKind:
        return self.notice.kind

    @property
    def sequence(self) -> int:
        return self.notice.sequence

    @property
    def warnings(self) -> list[Problem]:
        return self.mailout.releases.warnings


def plan_update(book: Book, path: Path, *, at: str | None, now: datetime) -> EventPlan:
    """The update of an invitation already sent: the changes named first, METHOD:REQUEST,
    the same UID, the next SEQUENCE, to those who received it (see the module's rules)."""
    releases, history = _sendable(book, path, now)
    changes = changes_since(releases, history.delivered)
    if not any(changes.values()):
        raise InvalidInput(
            f"{path}: nothing has changed in the event since SEQUENCE "
            f"{history.delivered_sequence} was sent (time, title, venue, link, meeting ID, "
            "passcode and dial-in are the same)",
            hint="edit the [event] table first; the body and the RSVP details are not sent "
                 "again")
    _refuse_waiting(history, releases, path)
    sequence = max(history.approved or 0, _floor(releases, path)) + 1
    notice = EventNotice(NoticeKind.UPDATE, sequence, changes)
    return _event_plan(book, with_sequence(releases, sequence), history, notice, at, now)


def plan_cancel(book: Book, path: Path, *, note: str | None, at: str | None,
                now: datetime) -> EventPlan:
    """The cancellation of an invitation already sent: the note first, METHOD:CANCEL,
    STATUS:CANCELLED, the same UID, the next SEQUENCE, to those who received it. The event
    is the one they received, whatever the file says now."""
    note = checked_note(note)
    releases, history = _sendable(book, path, now)
    sequence = max(history.approved or 0, _floor(releases, path)) + 1
    main = releases.main.language
    as_sent = {language: sent_version(history.delivered, language, main).onto(version.event)
               for language, version in releases.versions.items() if version.event}
    releases = with_sequence(with_event(releases, as_sent), sequence)
    notice = EventNotice(NoticeKind.CANCEL, sequence, {}, note)
    return _event_plan(book, releases, history, notice, at, now)


def store_event_mailout(book: Book, plan: EventPlan, templates, *, path: Path,
                        token_key: bytes) -> int:
    """Approve the update or cancellation: its mailout frozen, the event's new version
    recorded and who did it, in one transaction. Returns the mailout's id."""
    from pressctl.delivery.mailouts import store_mailouts

    [mailout_id] = store_mailouts(book, [plan.mailout], templates, path=path,
                                  token_key=token_key)
    return mailout_id


def _sendable(book: Book, path: Path, now: datetime) -> tuple[ReleaseSet, EventHistory]:
    releases = load_release_set(path, now.date())
    reference = releases.main.reference
    if releases.main.event is None:
        raise InvalidInput(f"{path}: {reference} has no [event]: there is no invitation to "
                           "update or cancel")
    history = event_history(book, releases)
    if history.cancelled:
        raise InvalidInput(f"{path}: the event of {reference} is already cancelled "
                           f"({_when(book, history.record)})")
    if not history.received:
        hint = f"send it first with `pressctl mailout create {path}`"
        if history.waiting:
            hint = ("its invitations have not gone out yet: let them go (`pressctl outbox "
                    "run`), or cancel their mailout and create a new one")
        raise InvalidInput(f"{path}: the invitation of {reference} was never sent "
                           f"(event {history.uid})", hint=hint)
    if history.sending:
        raise InvalidInput(f"{path}: a delivery run is sending {history.sending} invitation(s) "
                           f"of {reference} right now", hint="run this again once it is done")
    return releases, history


def _refuse_waiting(history: EventHistory, releases: ReleaseSet, path: Path) -> None:
    """An update while invitations still wait: they would follow it with the old details."""
    if not history.waiting:
        return
    which = ", ".join(f"#{i} ({n} waiting)" for i, n in sorted(history.waiting.items()))
    first = min(history.waiting)
    hint = (f"let it finish (`pressctl outbox run`), or cancel it (`pressctl mailout cancel "
            f"{first}`) and invite them after the update with `mailout create`")
    if history.public_waiting:  # the public phase of an embargo, due at the lift
        audience = releases.main.audience or "all"
        hint = (f"cancel the public phase (`pressctl mailout cancel "
                f"{min(history.public_waiting)}`), send the update, then invite the others at "
                f"the lift with the new details: `pressctl mailout create {path} --at lift "
                f"--audience '({audience}) and not embargo_ok'`")
    raise InvalidInput(f"{path}: mailout(s) {which} of {releases.main.reference} still hold "
                       "invitations not sent yet: they would go out after the update, with "
                       "the old details", hint=hint)


def _event_plan(book: Book, releases: ReleaseSet, history: EventHistory, notice: EventNotice,
                at: str | None, now: datetime) -> EventPlan:
    from pressctl.delivery.mailouts import PlannedMailout

    lift = releases.main.embargo.utc if releases.main.embargo else None
    if at == "lift":
        if lift is None:
            raise InvalidInput(f"{releases.main.path}: --at lift, but the release has no "
                               "embargo")
        due = lift
    else:
        due = parse_start(at, now) if at else now
    embargoed = lift is not None and due < lift
    copies = releases if embargoed else releases.public()
    recipients, skipped = _recipients(book, history.received, copies, embargoed)
    # A cancellation also cancels the invitations still waiting: they must never follow it.
    withdrawn = tuple(sorted(history.waiting)) if notice.kind == NoticeKind.CANCEL else ()
    mailout = PlannedMailout(Phase.EMBARGOED if embargoed else Phase.SINGLE, due, copies,
                             recipients, notice=notice, withdraws=withdrawn)
    earlier = sorted({item.row.mailout_id for item in history.received})
    return EventPlan(history.uid, notice, history.approved or 0, mailout, skipped, earlier)


def _recipients(book: Book, received: Iterable[Received], copies: ReleaseSet,
                embargoed: bool) -> tuple[list[Recipient], list[Skipped]]:
    received = list(received)
    blocked = book.store.suppressions.opted_out_keys(
        email_key(r.row.address) for r in received)
    recipients, skipped = [], []
    for item in received:
        row = item.row
        contact = book.store.contacts.get(row.contact_id) if row.contact_id else None
        if contact is None:
            skipped.append(Skipped(row.name, row.address, "no longer in the contact book"))
            continue
        if contact.opted_out or email_key(row.address) in blocked:
            skipped.append(Skipped(row.name, row.address, "opted out since the invitation"))
            continue
        if embargoed and not contact.embargo_ok:
            skipped.append(Skipped(row.name, row.address, (
                "no longer accepts embargoes, and this goes out before the lift (--at lift "
                "sends it to them, with the public copy)")))
            continue
        reader = Contact(name=contact.name, id=contact.id, kind=contact.kind,
                         country=contact.country, languages=contact.languages,
                         emails=[row.address], embargo_ok=contact.embargo_ok)
        recipients.append(Recipient(reader, row.address, copies.version_for([item.language]),
                                    embargoed))
    return recipients, skipped


def _when(book: Book, record: EventRecord | None) -> str:
    from pressctl.book.changes import shown_time

    at = record.cancelled_at if record is not None else None
    return f"cancelled at {shown_time(book, at)}" if at else "cancelled"
