"""The SQL of events (issue 10, events have a life): per event UID, the SEQUENCE last sent,
the details of the version last sent in each language (title, times and zone, venue,
link, meeting ID, passcode, dial-in numbers), when that version was approved, and whether
the event was cancelled.

A version is recorded when the mailout that carries it is approved (`mailout create`,
`invite update`, `invite cancel`), in the same transaction: what is stored is what the
frozen messages say. Which mailouts carried an event is read from the mailouts themselves
(:meth:`EventQueries.mailouts_of`: the UID is made of the reference and the sending
domain), so that invitations approved before this table existed count too.

No personal data lives here: the details of an event, never who received it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressctl.store.database import Database


@dataclass(frozen=True, slots=True)
class StoredDetails:
    """One language version of an event as it was last sent."""

    language: str
    title: str
    start_at: str  # UTC, ISO 8601 ("2026-11-22T09:30:00Z")
    end_at: str
    zone: str  # the IANA zone the times were written in ("Europe/Paris")
    venue: str | None = None
    url: str | None = None
    meeting_id: str | None = None
    passcode: str | None = None
    dial_in: str = "[]"  # JSON: [[e164, extension or null, label or null], ...]


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An event UID's last version sent."""

    uid: str
    reference: str
    sequence: int  # the iCalendar SEQUENCE last sent
    approved_at: str  # when the mailout carrying that version was approved (UTC ISO)
    cancelled_at: str | None = None  # when its cancellation was approved
    note: str | None = None  # the cancellation's note, as typed
    details: tuple[StoredDetails, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


_DETAIL_COLUMNS = ("language, title, start_at, end_at, zone, venue, url, meeting_id, passcode, "
                   "dial_in")


class EventQueries:
    def __init__(self, database: Database) -> None:
        self.db = database.db

    def get(self, uid: str) -> EventRecord | None:
        row = self.db.execute(
            "SELECT uid, reference, sequence, approved_at, cancelled_at, note FROM events "
            "WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            return None
        details = tuple(StoredDetails(*r) for r in self.db.execute(
            f"SELECT {_DETAIL_COLUMNS} FROM event_details WHERE uid = ? ORDER BY language",
            (uid,)))
        uid, reference, sequence, approved_at, cancelled_at, note = row
        return EventRecord(uid, reference, sequence, approved_at, cancelled_at, note, details)

    def save(self, record: EventRecord) -> None:
        """Record ``record`` as the UID's last version (call inside a transaction): its
        details replace the previous version's."""
        if not self.db.in_transaction:  # the event and its details change together
            raise RuntimeError("EventQueries.save must run inside a transaction")
        self.db.execute(
            "INSERT INTO events (uid, reference, sequence, approved_at, cancelled_at, note) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (uid) DO UPDATE SET "
            "reference = excluded.reference, sequence = excluded.sequence, "
            "approved_at = excluded.approved_at, cancelled_at = excluded.cancelled_at, "
            "note = excluded.note",
            (record.uid, record.reference, record.sequence, record.approved_at,
             record.cancelled_at, record.note))
        self.db.execute("DELETE FROM event_details WHERE uid = ?", (record.uid,))
        self.db.executemany(
            f"INSERT INTO event_details (uid, {_DETAIL_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [(record.uid, d.language, d.title, d.start_at, d.end_at, d.zone, d.venue, d.url,
              d.meeting_id, d.passcode, d.dial_in) for d in record.details])

    def mailouts_of(self, reference: str) -> list[tuple[int, str]]:
        """``(id, sending domain)`` of the mailouts of ``reference``, oldest first: those
        whose domain gives the event's UID and whose frozen messages carry an invitation
        carried the event."""
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT id, domain FROM mailouts WHERE reference = ? ORDER BY id", (reference,))]
