"""The attendance list of an event (`pressctl invite rsvps REF`): who was invited, what
each answered and when, to print for the door or share with the speakers.

``REF`` names the event three ways: a mailout id ("12", "#12") of a mailout that carried
the invitation, a release reference ("PR106-2020") whose mailouts carried one event, or
the event's UID. Every mailout that carried that UID counts (the embargoed and the public
copy, an update, a cancellation): the **invited** are the recipients of their rows that
were sent (or may have been: ``unknown``), once per address. Each answer recorded by
`inbox import` (the latest per attendee) goes to the invited person with that address,
else to the invited person of the same contact (an answer from another of their
addresses; of several answers, the latest counts); the answers left are **others**,
listed apart: an invitation forwarded to a colleague, an address pressctl never wrote to.
A contact id recorded before that contact was created names someone else (SQLite gives
a removed contact's id to the next contact added) and is not followed.

A person's name and outlet are the contact's today (a typo fixed since the send), else
the name frozen in the row (a removed contact); an answer from no known contact is named
by its address. Lists are sorted for the door: by answer (accepted, tentative, no answer,
declined: who is likeliest to walk in first), then by name as lists sort names (accents
and case ignored: pressctl.contacts.model.sort_key).

The renderings (:func:`rsvp_rows`, :func:`rsvp_csv`, :func:`rsvp_json`) are pure: the
command parses, calls :func:`rsvp_list` and prints. The CSV is UTF-8 without a byte-order
mark, comma-separated, one header row, CRLF line ends (RFC 4180); it carries no e-mail
address (the list is shared with speakers: only what the door needs). Excel opens it
through Data > From Text/CSV (choose UTF-8); LibreOffice asks for the encoding.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any

from pressctl.book.session import Book
from pressctl.contacts.emails import email_key
from pressctl.contacts.model import Contact, ContactFilter, sort_key
from pressctl.errors import InvalidInput, NotFound
from pressctl.store import Store
from pressctl.store.inbox import StoredRsvp
from pressctl.store.mailouts import MailoutRecord, RowRecord

__all__ = ["Answer", "Attendee", "RsvpList", "rsvp_csv", "rsvp_json", "rsvp_list",
           "rsvp_rows"]

_CHUNK = 500  # contact ids read at once


class Answer(StrEnum):
    """What an invited person answered, in the order of the list at the door."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    NO_ANSWER = "no answer"
    DECLINED = "declined"


_ORDER = {answer: rank for rank, answer in enumerate(Answer)}


@dataclass(frozen=True, slots=True)
class Attendee:
    """One line of the list."""

    name: str
    outlet: str | None  # the contact's outlet, else its organisation
    address: str  # the address invited (an answer's address for the others)
    answer: Answer
    answered_at: str | None  # UTC ISO: the answer's DTSTAMP
    comment: str | None  # what they wrote with the answer
    contact_id: int | None  # the contact in the book today (None: none, or removed)


@dataclass(frozen=True, slots=True)
class RsvpList:
    """The attendance list of one event."""

    uid: str
    reference: str  # the release that carried the invitation
    mailout_ids: tuple[int, ...]  # every mailout that carried it, oldest first
    invited: tuple[Attendee, ...]  # sorted for the door
    others: tuple[Attendee, ...]  # answers from people it was not sent to, sorted

    @property
    def counts(self) -> dict[Answer, int]:
        """How many invited people answered each way (every answer, 0 included)."""
        return _counts(self.invited)

    @property
    def other_counts(self) -> dict[Answer, int]:
        """The same of the others (never NO_ANSWER: an answer is why they are listed)."""
        return _counts(self.others)


def _counts(people: tuple[Attendee, ...]) -> dict[Answer, int]:
    found = Counter(p.answer for p in people)
    return {answer: found[answer] for answer in Answer}


def rsvp_list(book: Book, ref: str) -> RsvpList:
    """The attendance list of the event ``ref`` names (see the module's docstring).
    NotFound (exit 3) for a reference, mailout or UID pressctl never sent; InvalidInput
    (exit 3) for one that carried no invitation, or several events."""
    store = book.store
    events = store.inbox.event_mailouts()  # every event UID -> its mailouts
    uid = _event(store, ref, events)
    mailouts = [m for i in events[uid] if (m := store.mailouts.get(i)) is not None]
    rows = _invited_rows(store, mailouts)
    answers = store.inbox.rsvps_of(uid)
    contacts = _contacts(store, {r.contact_id for r, _ in rows.values() if r.contact_id}
                         | {a.contact_id for a in answers if a.contact_id})

    def contact_of(contact_id: int | None, since: str) -> Contact | None:
        """The contact an id recorded at ``since`` names: SQLite gives a removed
        contact's id to the next contact added, who is someone else."""
        contact = contacts.get(contact_id) if contact_id is not None else None
        return contact if contact is not None and (contact.created or "") <= since else None

    invited_as = {key: contact_of(row.contact_id, frozen_at)
                  for key, (row, frozen_at) in rows.items()}
    # Each invited person's answers: from the address invited, and from their other
    # addresses that were not invited (the latest wins); the rest are the others'.
    theirs: dict[str, list[StoredRsvp]] = {key: [] for key in rows}
    keys_of = {c.stored_id: key for key, c in invited_as.items() if c is not None}
    others: list[Attendee] = []
    for answer in answers:
        answered_as = contact_of(answer.contact_id, answer.updated)
        key = answer.key if answer.key in rows else (
            keys_of.get(answered_as.stored_id) if answered_as is not None else None)
        if key is None:
            others.append(_attendee(None, answer.attendee, answered_as, answer))
        else:
            theirs[key].append(answer)
    invited = [_attendee(row.name, row.address, invited_as[key],
                         max(theirs[key], key=lambda a: (a.dtstamp, a.updated), default=None))
               for key, (row, _) in rows.items()]
    return RsvpList(uid, mailouts[0].reference, tuple(m.id for m in mailouts),
                    _sorted(invited), _sorted(others))


def _event(store: Store, ref: str, events: dict[str, list[int]]) -> str:
    """The event UID ``ref`` names."""
    text = ref.strip()
    hint = "give a release reference, a mailout id or an event UID (`pressctl mailout list`)"
    if text.lstrip("#").isdigit():
        mailout_id = int(text.lstrip("#"))
        mailout = store.mailouts.get(mailout_id)
        if mailout is None:
            raise NotFound(f"no mailout #{mailout_id}", hint=hint)
        uids = [uid for uid, ids in events.items() if mailout_id in ids]
        if not uids:
            raise InvalidInput(f"mailout #{mailout_id} ({mailout.reference}) carried no "
                               "invitation: there are no answers to list", hint=hint)
        return _one(uids, f"mailout #{mailout_id}")
    if text in events:
        return text
    mailouts = [m.id for m in store.mailouts.all() if m.reference.casefold() == text.casefold()]
    if not mailouts:
        raise NotFound(f'"{text}" is no release reference, mailout id or event UID that '
                       "pressctl sent", hint=hint)
    uids = [uid for uid, ids in events.items() if set(ids) & set(mailouts)]
    if not uids:
        raise InvalidInput(f"{text} was sent without an invitation: there are no answers to "
                           "list", hint="give the reference of an invitation (`pressctl "
                                        "mailout list`)")
    return _one(uids, text)


def _one(uids: list[str], what: str) -> str:
    if len(uids) > 1:
        raise InvalidInput(f"{what} carried {len(uids)} events ({', '.join(sorted(uids))})",
                           hint="give the UID of the one to list")
    return uids[0]


def _invited_rows(store: Store, mailouts: list[MailoutRecord],
                  ) -> dict[str, tuple[RowRecord, str]]:
    """The rows sent (or maybe sent) by these mailouts, one per e-mail key: the latest
    (the name and contact it was last frozen with), and when its mailout was approved."""
    rows: dict[str, tuple[RowRecord, str]] = {}
    for mailout in mailouts:
        for row in store.history.transmitted_rows(mailout.id):
            rows[email_key(row.address)] = (row, mailout.created)
    return rows


def _contacts(store: Store, ids: set[int]) -> dict[int, Contact]:
    wanted = sorted(ids)
    found: dict[int, Contact] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = tuple(wanted[start:start + _CHUNK])
        found.update((c.stored_id, c) for c in store.contacts.select(ContactFilter(ids=chunk)))
    return found


def _attendee(frozen_name: str | None, address: str, contact: Contact | None,
              answer: StoredRsvp | None) -> Attendee:
    name = contact.name if contact else (frozen_name or address)
    outlet = (contact.outlet or contact.organization) if contact else None
    return Attendee(name, outlet, address,
                    Answer(answer.partstat.lower()) if answer else Answer.NO_ANSWER,
                    answer.dtstamp if answer else None, answer.comment if answer else None,
                    contact.stored_id if contact else None)


def _sorted(people: list[Attendee]) -> tuple[Attendee, ...]:
    return tuple(sorted(people, key=lambda p: (_ORDER[p.answer], sort_key(p.name),
                                               p.name, email_key(p.address))))


# -- renderings (pure) -------------------------------------------------------------------------

COLUMNS = ("name", "outlet", "answer", "answered", "invited")


def shown_time(at: str | None, zone: tzinfo = UTC) -> str:
    """A stored UTC time as the list shows it, in ``zone``, to the minute."""
    if at is None:
        return ""
    moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M}"


def rsvp_rows(rsvps: RsvpList, zone: tzinfo = UTC) -> list[tuple[str, str, str, str, str]]:
    """The list as table rows (:data:`COLUMNS`): the invited, then the others ("invited"
    says "no"), the answer times in ``zone``."""
    return [(p.name, p.outlet or "", str(p.answer), shown_time(p.answered_at, zone), invited)
            for people, invited in ((rsvps.invited, "yes"), (rsvps.others, "no"))
            for p in people]


def rsvp_csv(rsvps: RsvpList, zone: tzinfo = UTC) -> str:
    """The list as CSV text (see the module's docstring): a header row, then
    :func:`rsvp_rows`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # excel dialect: commas, quotes when needed, CRLF
    writer.writerow(COLUMNS)
    writer.writerows(rsvp_rows(rsvps, zone))
    return buffer.getvalue()


def rsvp_json(rsvps: RsvpList) -> dict[str, Any]:
    """The list for --json: the event, the counts, and each person (times in UTC ISO)."""
    def person(p: Attendee) -> dict[str, Any]:
        return {"name": p.name, "outlet": p.outlet, "address": p.address,
                "answer": str(p.answer), "answered_at": p.answered_at, "comment": p.comment,
                "contact": p.contact_id}

    return {"uid": rsvps.uid, "reference": rsvps.reference,
            "mailouts": list(rsvps.mailout_ids),
            "counts": {str(a): n for a, n in rsvps.counts.items()},
            "other_counts": {str(a): n for a, n in rsvps.other_counts.items()
                             if a is not Answer.NO_ANSWER},
            "invited": [person(p) for p in rsvps.invited],
            "others": [person(p) for p in rsvps.others]}


def counts_line(rsvps: RsvpList) -> str:
    """"12 accepted, 3 tentative, 20 no answer, 4 declined; not invited: 1 accepted"."""
    line = ", ".join(f"{n} {a}" for a, n in rsvps.counts.items())
    others = [f"{n} {a}" for a, n in rsvps.other_counts.items() if n]
    return line + (f"; not invited: {', '.join(others)}" if others else "")
