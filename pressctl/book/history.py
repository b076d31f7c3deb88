"""One person's history (`pressctl contacts history CONTACT`, and the last three entries
in `contacts show`): every release and invitation frozen for them, with its state and the
server's reply; the bounces, answers to invitations and replies that came back from
them; their opt-outs and opt-ins; their addresses marked bouncing and cleared. Newest
first.

Which records are the person's:

* a **mailout row** frozen for the contact (its ``contact_id``), or sent to one of the
  contact's addresses of today (by e-mail key). Rows are never rewritten: a row sent to
  an address edited since stays in the history through its contact id, and a row sent
  before the contact was removed and added again comes back through its address. A row
  frozen before the contact was created is never tied by its id: SQLite gives a removed
  contact's id to the next contact added, who must not inherit its history;
* the contact's **addresses** are those it holds today and those of its rows: a bounce,
  an answer, a reply, a bouncing state or an opt-out of an old address is still theirs.
  An address that passed to another contact shows in both histories (the address is
  what the records name);
* an **answer** to an invitation is also theirs when it was tied to the contact when it
  was recorded (an address the contact held then), after the contact was created.

Each entry is a typed value (:data:`HistoryEntry`) with its time (UTC ISO), its kind
(:class:`EntryKind`) and what it names; :func:`entry_json` and :func:`entry_cells` are
its renderings, pure, so that the command only parses, calls and prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar

from pressctl.book.contacts import find_contact
from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact
from pressctl.store import Store
from pressctl.store.history import SentRow

__all__ = ["Answered", "Bounced", "BouncingChange", "ContactHistory", "Delivery",
           "EntryKind", "HistoryEntry", "OptOutChange", "Replied", "contact_history",
           "entry_cells", "entry_json", "history_of"]

SHOWN_IN_CONTACT = 3  # entries `contacts show` prints


class EntryKind(StrEnum):
    """What one line of a history is about (its ``kind`` column)."""

    RELEASE = "release"  # a mailout row of a release without an invitation
    INVITATION = "invitation"  # a mailout row whose message carried an invitation
    BOUNCE = "bounce"
    RSVP = "rsvp"  # an answer to an invitation
    REPLY = "reply"  # a person's reply, listed for follow-up
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    BOUNCING = "bouncing"  # an address marked bouncing
    BOUNCING_CLEARED = "bouncing-cleared"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A release or an invitation frozen for the person: its state now, and when that
    state was reached (sent: when the server accepted it; queued: when it is due)."""

    at: str
    kind: EntryKind  # RELEASE or INVITATION
    reference: str
    phase: str  # single, embargoed, public
    mailout_id: int
    address: str
    state: str  # a row's state (pressctl.outbox.states.RowState): sent, failed, skipped...
    reply: str | None  # the server's reply, or why the row was skipped or failed
    event_uid: str | None


@dataclass(frozen=True, slots=True)
class Bounced:
    """A bounce of a message to one of the person's addresses."""

    kind: ClassVar[EntryKind] = EntryKind.BOUNCE
    at: str
    address: str
    severity: str  # hard, soft
    status_code: str | None  # "5.1.1"
    diagnostic: str  # what the server said
    reference: str | None
    mailout_id: int | None


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer to an invitation (the latest one recorded for the event), at its
    DTSTAMP."""

    kind: ClassVar[EntryKind] = EntryKind.RSVP
    at: str
    event_uid: str
    answer: str  # accepted, declined, tentative
    address: str  # the attendee
    comment: str | None
    reference: str | None  # the release that carried the invitation, when known

    mailout_id: ClassVar[None] = None


@dataclass(frozen=True, slots=True)
class Replied:
    """A reply of the person, at its Date (else when it was imported)."""

    kind: ClassVar[EntryKind] = EntryKind.REPLY
    at: str
    address: str  # the sender
    subject: str
    reference: str | None  # the release it answers
    mailout_id: int | None


@dataclass(frozen=True, slots=True)
class OptOutChange:
    """An address opted out (why, and a note), or opted back in (the note says why)."""

    at: str
    kind: EntryKind  # OPT_OUT or OPT_IN
    address: str
    reason: str  # of an opt-out; "opted back in" for an opt-in
    note: str | None

    reference: ClassVar[None] = None
    mailout_id: ClassVar[None] = None


@dataclass(frozen=True, slots=True)
class BouncingChange:
    """An address marked bouncing (since when, why), or cleared (by whom, how)."""

    at: str
    kind: EntryKind  # BOUNCING or BOUNCING_CLEARED
    address: str
    since: str  # when the address started bouncing
    reason: str
    cleared_by: str | None = None
    cleared_how: str | None = None

    reference: ClassVar[None] = None
    mailout_id: ClassVar[None] = None


HistoryEntry = Delivery | Bounced | Answered | Replied | OptOutChange | BouncingChange

# At the same second, an effect is listed above its cause (newest first): a message is
# sent, then bounces, then the address is marked bouncing...
_ORDER = {kind: rank for rank, kind in enumerate(EntryKind)}


@dataclass(frozen=True, slots=True)
class ContactHistory:
    contact: Contact
    entries: list[HistoryEntry]  # newest first


def contact_history(book: Book, ref: str) -> ContactHistory:
    """The history of one contact (an id, an e-mail address or an exact name, as other
    contact commands take it); NotFound (exit 3) for no such contact."""
    contact = find_contact(book.store, ref)
    return ContactHistory(contact, history_of(book.store, contact))


def history_of(store: Store, contact: Contact) -> list[HistoryEntry]:
    """Every entry of a contact's history, newest first (see the module's docstring)."""
    current = {email_key(a) for a in contact.emails}
    created = contact.created or ""
    rows = [r for r in store.history.rows_to(contact.stored_id, contact.emails)
            if email_key(r.address) in current
            or (r.contact_id == contact.stored_id and r.frozen_at >= created)]
    held = current | {email_key(r.address) for r in rows}  # today's, and those mailed
    keys = sorted(held)
    events = store.history.event_uids(r.mailout_id for r in rows)
    entries: list[HistoryEntry] = [_delivery(r, events.get(r.mailout_id)) for r in rows]
    entries += [Bounced(b.at, b.address, b.severity, b.status_code, b.diagnostic,
                        b.reference, b.mailout_id) for b in store.history.bounces_of(keys)]
    entries += _bouncing(store, keys)
    references = {uid: r.reference for r in rows if (uid := events.get(r.mailout_id))}
    entries += [Answered(a.dtstamp, a.uid, a.partstat.lower(), a.attendee, a.comment,
                         a.reference or references.get(a.uid))
                for a in store.history.answers_of(contact.stored_id, keys)
                if a.key in held or a.updated >= created]
    entries += [Replied(r.dated or r.imported_at, r.sender, r.subject, r.reference,
                        r.mailout_id) for r in store.history.replies_of(keys)]
    entries += _opt_outs(store, keys)
    entries.reverse()  # among equal times, what was recorded last comes first
    entries.sort(key=lambda e: (e.at, _ORDER[e.kind]), reverse=True)
    return entries


def _delivery(row: SentRow, uid: str | None) -> Delivery:
    return Delivery(row.at, EntryKind.INVITATION if uid else EntryKind.RELEASE, row.reference,
                    row.phase, row.mailout_id, row.address, row.state, row.reply, uid)


def _bouncing(store: Store, keys: list[str]) -> list[BouncingChange]:
    found: list[BouncingChange] = []
    for state in store.inbox.bouncing_history(keys):
        found.append(BouncingChange(state.marked_at, EntryKind.BOUNCING, state.address,
                                    state.since, state.reason))
        if state.cleared_at:
            found.append(BouncingChange(state.cleared_at, EntryKind.BOUNCING_CLEARED,
                                        state.address, state.since, state.reason,
                                        state.cleared_by, state.cleared_how))
    return found


def _opt_outs(store: Store, keys: list[str]) -> list[OptOutChange]:
    """Opt-outs standing today, and each lift with the opt-out it lifted."""
    found: list[OptOutChange] = []
    for lift in store.suppressions.optins_of(keys):
        if lift.suppressed_at:
            found.append(OptOutChange(lift.suppressed_at, EntryKind.OPT_OUT, lift.address,
                                      lift.suppressed_reason or "opted out", None))
        found.append(OptOutChange(lift.lifted_at, EntryKind.OPT_IN, lift.address,
                                  "opted back in", lift.note))
    for held in store.suppressions.suppressions_of(keys).values():
        found.append(OptOutChange(held.since, EntryKind.OPT_OUT, held.address, held.reason,
                                  held.note))
    return found


# -- renderings (pure) -------------------------------------------------------------------------

COLUMNS = ("when", "kind", "reference", "mailout", "address", "detail")
_COPIES = {"embargoed": "embargoed copy: ", "public": "public copy: "}  # by mailout phase


def entry_cells(entry: HistoryEntry) -> tuple[str, str, str, str, str]:
    """The columns after "when" of one line of the table: kind, reference, mailout,
    address, and the detail in words."""
    mailout = f"#{entry.mailout_id}" if entry.mailout_id is not None else ""
    return (str(entry.kind), entry.reference or "", mailout, entry.address, _detail(entry))


def _detail(entry: HistoryEntry) -> str:
    if isinstance(entry, Delivery):
        copy = _COPIES.get(entry.phase, "")  # a single phase has one copy: not named
        return f"{copy}{entry.state}" + (f" ({_one_line(entry.reply)})" if entry.reply else "")
    if isinstance(entry, Bounced):
        code = f" {entry.status_code}" if entry.status_code else ""
        return f"{entry.severity} bounce{code}: {_one_line(entry.diagnostic)}"
    if isinstance(entry, Answered):
        said = f": \"{_one_line(entry.comment)}\"" if entry.comment else ""
        return f"{entry.answer} (event {entry.event_uid}){said}"
    if isinstance(entry, Replied):
        return f"\"{_one_line(entry.subject)}\""
    if isinstance(entry, OptOutChange):
        if entry.kind is EntryKind.OPT_IN:
            return f"opted back in: {entry.note}"
        return f"opted out: {entry.reason}" + (f" ({entry.note})" if entry.note else "")
    if entry.kind is EntryKind.BOUNCING_CLEARED:
        by = f" by {entry.cleared_by}" if entry.cleared_by else ""
        return f"no longer bouncing ({entry.cleared_how or 'cleared'}{by})"
    return f"bouncing since {entry.since[:10]} ({entry.reason})"


def entry_json(entry: HistoryEntry) -> dict[str, Any]:
    """One entry for --json: its kind, its time (UTC ISO) and every field of its type."""
    data: dict[str, Any] = {"kind": str(entry.kind), "at": entry.at}
    if isinstance(entry, Delivery):
        data.update(reference=entry.reference, phase=entry.phase, mailout=entry.mailout_id,
                    address=entry.address, state=str(entry.state), reply=entry.reply,
                    event_uid=entry.event_uid)
    elif isinstance(entry, Bounced):
        data.update(address=entry.address, severity=entry.severity,
                    status_code=entry.status_code, diagnostic=entry.diagnostic,
                    reference=entry.reference, mailout=entry.mailout_id)
    elif isinstance(entry, Answered):
        data.update(event_uid=entry.event_uid, answer=entry.answer, address=entry.address,
                    comment=entry.comment, reference=entry.reference)
    elif isinstance(entry, Replied):
        data.update(address=entry.address, subject=entry.subject, reference=entry.reference,
                    mailout=entry.mailout_id)
    elif isinstance(entry, OptOutChange):
        data.update(address=entry.address, reason=entry.reason, note=entry.note)
    else:
        data.update(address=entry.address, since=entry.since, reason=entry.reason,
                    cleared_by=entry.cleared_by, cleared_how=entry.cleared_how)
    return data


def _one_line(text: str) -> str:
    return " ".join(text.split())
