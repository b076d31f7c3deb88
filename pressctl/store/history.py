"""The SQL of one person's history (`contacts history`, the last entries `contacts show`
prints): the mailout rows sent to them, which of those mailouts carried an invitation,
and what came back from their addresses (bounces, answers to invitations, replies).

Mailout rows keep the address and the contact id they were frozen with; neither is ever
rewritten. So a row belongs to a contact by its ``contact_id`` (the address may have been
edited since) or by its address (the contact may have been removed and added again): this
module finds both, and the use case (pressctl.book.history) compares e-mail keys, which
SQL cannot compute. Bouncing states, opt-outs and lifts are read by address through
pressctl.store.inbox and pressctl.store.suppressions.

``mailout_rows`` has no index on ``contact_id`` or ``address``: :meth:`rows_to` reads
the whole table, which is what a person's history costs until a migration adds them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressctl.outbox.states import RowState
from pressctl.store.database import Connection, Database, in_chunks
from pressctl.store.inbox import _EVENT_UIDS, StoredReply
from pressctl.store.mailouts import ROW_COLUMNS, RowRecord

_TRANSMITTED = (RowState.SENT, RowState.UNKNOWN)  # the person has (or may have) the message

_REPLY_COLUMNS = ("p.message_key, p.sender, p.subject, p.dated, p.row_id, r.mailout_id, "
                  "m.reference, p.imported_at")
_TO_RELEASE = (" LEFT JOIN mailout_rows r ON r.id = {table}.row_id "
               "LEFT JOIN mailouts m ON m.id = r.mailout_id ")


@dataclass(frozen=True, slots=True)
class SentRow:
    """A mailout row, with what its mailout says: which release, which phase, when due."""

    row_id: int
    mailout_id: int
    reference: str
    phase: str  # single, embargoed, public
    contact_id: int | None
    name: str  # as frozen
    address: str  # as frozen
    state: RowState
    reply: str | None  # the server's words, or why the row was skipped
    updated: str
    sent_at: str | None
    next_attempt_at: str | None
    due_at: str
    frozen_at: str  # when its mailout was approved

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", RowState(self.state))  # the text read back

    @property
    def at(self) -> str:
        """When the row reached its state: sent, when the server took it; queued, when it
        is due; otherwise its last change (failed, skipped, cancelled, left unknown)."""
        if self.state is RowState.SENT and self.sent_at:
            return self.sent_at
        if self.state is RowState.QUEUED:
            return max(self.due_at, self.next_attempt_at or self.due_at)
        return self.updated


@dataclass(frozen=True, slots=True)
class StoredBounce:
    """One failed recipient of a bounce, with the release whose message bounced."""

    id: int
    key: str  # the e-mail key of the address
    address: str
    row_id: int | None
    mailout_id: int | None
    reference: str | None
    status_code: str | None
    severity: str  # hard, soft
    diagnostic: str
    at: str


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    """One answer to an invitation, with the release that carried the invitation when
    the answer is tied to a row."""

    uid: str
    key: str
    attendee: str
    partstat: str  # ACCEPTED, DECLINED, TENTATIVE
    dtstamp: str
    comment: str | None
    contact_id: int | None
    row_id: int | None
    reference: str | None
    updated: str




class HistoryQueries:
    """What was sent to a person, and what came back from them."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db
        self._dialect = database.dialect

    def rows_to(self, contact_id: int | None, addresses: Iterable[str]) -> list[SentRow]:
        """The rows frozen for ``contact_id``, and the rows to any of ``addresses``
        whatever their case (a superset: the caller compares e-mail keys), oldest
        first."""
        found: dict[int, SentRow] = {}
        select = ("SELECT r.id, r.mailout_id, m.reference, m.phase, r.contact_id, r.name, "
                  "r.address, r.state, r.reply, r.updated, r.sent_at, r.next_attempt_at, "
                  "m.due_at, m.created FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id ")
        if contact_id is not None:
            for row in self.db.execute(select + "WHERE r.contact_id = ?", (contact_id,)):
                found[row[0]] = SentRow(*row)
        forms = list(dict.fromkeys(a.lower() for a in addresses))
        for chunk in in_chunks(forms):  # lower(address) has an index (migration 0012)
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                    select + f"WHERE lower(r.address) IN ({marks})", chunk):
                found[row[0]] = SentRow(*row)
        return [found[i] for i in sorted(found)]

    def transmitted_rows(self, mailout_id: int) -> list[RowRecord]:
        """The rows of a mailout that were sent, or may have been (``unknown``: the whole
        message went out, no reply came), oldest first."""
        marks = ",".join("?" * len(_TRANSMITTED))
        return [RowRecord(*r) for r in self.db.execute(
            f"SELECT {ROW_COLUMNS} FROM mailout_rows WHERE mailout_id = ? "
            f"AND state IN ({marks}) ORDER BY id", (mailout_id, *_TRANSMITTED))]

    def event_uids(self, mailout_ids: Iterable[int]) -> dict[int, str]:
        """Mailout id -> the UID of the event its frozen invitation carries (mailouts
        without an invitation are left out). The UID is read from the frozen variants as
        pressctl.store.inbox reads them for `inbox import`, for these mailouts only."""
        ids = sorted({int(i) for i in mailout_ids})
        found: dict[int, str] = {}
        for chunk in in_chunks(ids):
            marks = ",".join("?" * len(chunk))
            # the query of every mailout's UID, narrowed to these mailouts
            sql = f"{_EVENT_UIDS[self._dialect]} WHERE mailout_id IN ({marks})"
            for mailout_id, uid in self.db.execute(sql, chunk):
                if uid:
                    found.setdefault(int(mailout_id), str(uid))
        return found

    def bounces_of(self, keys: Iterable[str]) -> list[StoredBounce]:
        """Every failed recipient of these e-mail keys, oldest first."""
        rows: list[tuple] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT b.id, b.email_key, b.address, b.row_id, r.mailout_id, m.reference, "
                "b.status_code, b.severity, b.diagnostic, b.at FROM bounces b"
                + _TO_RELEASE.format(table="b") + f"WHERE b.email_key IN ({marks})",
                chunk).fetchall()
        rows.sort(key=lambda r: (r[9], r[0]))
        return [StoredBounce(*r) for r in rows]

    def answers_of(self, contact_id: int | None, keys: Iterable[str]) -> list[AnswerRecord]:
        """Every answer recorded from these e-mail keys, or tied to ``contact_id`` when it
        was recorded (an address the contact held then), oldest first."""
        select = ("SELECT v.uid, v.email_key, v.attendee, v.partstat, v.dtstamp, v.comment, "
                  "v.contact_id, v.row_id, m.reference, v.updated FROM rsvps v"
                  + _TO_RELEASE.format(table="v"))
        found: dict[tuple[str, str], AnswerRecord] = {}
        if contact_id is not None:
            for row in self.db.execute(select + "WHERE v.contact_id = ?", (contact_id,)):
                found[(row[0], row[1])] = AnswerRecord(*row)
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(select + f"WHERE v.email_key IN ({marks})", chunk):
                found[(row[0], row[1])] = AnswerRecord(*row)
        return sorted(found.values(), key=lambda a: (a.dtstamp, a.uid, a.key))

    def replies_of(self, keys: Iterable[str]) -> list[StoredReply]:
        """People's replies sent from these e-mail keys, oldest first (by import)."""
        rows: list[tuple] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                f"SELECT {_REPLY_COLUMNS} FROM replies p" + _TO_RELEASE.format(table="p")
                + f"WHERE p.email_key IN ({marks})", chunk).fetchall()
        rows.sort(key=lambda r: (r[7], r[0]))
        return [StoredReply(*r) for r in rows]
