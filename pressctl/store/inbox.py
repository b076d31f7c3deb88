"""The SQL of what comes back after a send (issue 10): the messages taken in, bounces,
the bouncing state of addresses, answers to invitations and people's replies.

* ``inbox_messages``: every message recorded, by its idempotence key (its Message-ID, or
  a digest of a message without one: pressctl.inbox.classify), so that a message seen
  twice counts once. A message that changed nothing (unreadable, not one of ours) is not
  recorded: it is reported again at the next import.
* ``bounces``: one row per failed recipient of a recorded bounce, tied to the mailout row
  it is about; ``at`` is when the bounce was written (its Date), which the soft-bounce
  window counts in.
* ``bouncing``: the state of an address, by e-mail key. A state is never deleted: clearing
  it (`contacts unbounce`, or an edit that removes the address) fills ``cleared_*``, and
  at most one state per address is open (a partial unique index).
* ``rsvps``: one answer per event UID and attendee (e-mail key), replaced by a later one.
* ``replies``: people's replies, with the mailout row they answer when one matches.

Finding mailout rows: a Message-ID is looked up in ``message_id`` then in
``fallback_message_id`` (an embargoed row's place in the public phase), a bounce token in
``token`` then ``fallback_token``; both Message-ID columns are indexed by migration 0009.

Which mailouts invited to an event is read from their frozen variants: the UID is in the
variant's JSON (``calendar.uid``, written by pressctl.delivery.frozen). This is the one
place where the store looks inside a frozen variant, with each engine's JSON functions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pressctl.outbox.states import RowState
from pressctl.store.database import Connection, Database, in_chunks

_SENT = (RowState.SENT, RowState.UNKNOWN)  # transmitted: a row that may bounce
_EVENT_UIDS = {
    "sqlite": "SELECT DISTINCT mailout_id, "
              "json_extract(CAST(frozen AS TEXT), '$.calendar.uid') FROM mailout_variants",
    # PostgreSQL's JSON functions refuse the escaped NUL (\u0000) of the salutation's
    # placeholder in a frozen text: escaped backslashes are written \u005c first (so that
    # no "\\u0000" of a release's own text is taken for one), then the NULs dropped.
    "postgresql": r"SELECT DISTINCT mailout_id, (replace(replace(convert_from(frozen, "
                  r"'UTF8'), '\\', '\u005c'), '\u0000', '')::json -> 'calendar') ->> 'uid' "
                  r"FROM mailout_variants",
}
_ROW_COLUMNS = "r.id, r.mailout_id, m.reference, m.phase, r.address, r.contact_id, r.state"
_ROW_FROM = " FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id "


@dataclass(frozen=True, slots=True)
class RowMatch:
    """A mailout row an incoming message is about."""

    row_id: int
    mailout_id: int
    reference: str  # the release's
    phase: str
    address: str
    contact_id: int | None
    state: RowState

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", RowState(self.state))  # the text read back

    @property
    def sent(self) -> bool:
        """Transmitted to the relay: only such a row can bounce."""
        return self.state in _SENT


@dataclass(frozen=True, slots=True)
class Bouncing:
    """An address marked bouncing: since when (UTC ISO), and why."""

    key: str
    address: str
    since: str
    reason: str
    marked_at: str
    cleared_at: str | None = None
    cleared_by: str | None = None
    cleared_how: str | None = None


@dataclass(frozen=True, slots=True)
class StoredRsvp:
    """The answer recorded for one attendee of one event."""

    uid: str
    key: str
    attendee: str
    partstat: str
    sequence: int
    dtstamp: str
    comment: str | None
    contact_id: int | None
    row_id: int | None
    message_key: str
    updated: str


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A person's reply, for follow-up; ``reference`` is the release it answers."""

    message_key: str
    sender: str
    subject: str
    dated: str | None
    row_id: int | None
    mailout_id: int | None
    reference: str | None
    imported_at: str




class InboxQueries:
    """Messages taken in, bounces and bouncing states, RSVPs and replies."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db
        self._dialect = database.dialect

    # -- messages ------------------------------------------------------------------------

    def seen(self, keys: Iterable[str]) -> set[str]:
        """Which of these message keys were recorded already."""
        found: set[str] = set()
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                f"SELECT key FROM inbox_messages WHERE key IN ({marks})", chunk))
        return found

    def record_message(self, key: str, kind: str, sender: str | None, subject: str,
                       dated: str | None, now: str, row_id: int | None = None,
                       detail: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO inbox_messages (key, kind, sender, subject, dated, imported_at, "
            "row_id, detail) VALUES (?,?,?,?,?,?,?,?)",
            (key, kind, sender, subject, dated, now, row_id, detail))

    def message_counts(self) -> dict[str, int]:
        """How many messages of each kind were ever recorded."""
        return {kind: int(count) for kind, count in self.db.execute(
            "SELECT kind, count(*) FROM inbox_messages GROUP BY kind")}

    # -- finding mailout rows --------------------------------------------------------------

    def rows_by_message_id(self, message_ids: Iterable[str]) -> dict[str, RowMatch]:
        """The row each Message-ID ("<...>") names: through ``message_id``, else through
        ``fallback_message_id``; Message-IDs of no row are left out."""
        return self._rows_by(("message_id", "fallback_message_id"), message_ids)

    def rows_by_token(self, tokens: Iterable[str]) -> dict[str, RowMatch]:
        """The row each bounce token names: through ``token``, else ``fallback_token``."""
        return self._rows_by(("token", "fallback_token"), tokens)

    def _rows_by(self, columns: tuple[str, str], values: Iterable[str]) -> dict[str, RowMatch]:
        """The row each value names in the first column, else in the second."""
        values = list(values)
        found: dict[str, RowMatch] = {}
        for column in columns:
            wanted = [v for v in values if v not in found]
            for chunk in in_chunks(wanted):
                marks = ",".join("?" * len(chunk))
                for row in self.db.execute(
                        f"SELECT r.{column}, {_ROW_COLUMNS}{_ROW_FROM}"
                        f"WHERE r.{column} IN ({marks}) ORDER BY r.id", chunk):
                    found.setdefault(row[0], RowMatch(*row[1:]))
        return found

    def event_mailouts(self) -> dict[str, list[int]]:
        """Event UID -> the mailouts whose frozen invitation carries it, oldest first."""
        found: dict[str, list[int]] = {}
        for mailout_id, uid in self.db.execute(_EVENT_UIDS[self._dialect]):
            if uid:
                found.setdefault(str(uid), []).append(int(mailout_id))
        return {uid: sorted(ids) for uid, ids in found.items()}

    def invited_rows(self, mailout_ids: Iterable[int], address: str) -> list[RowMatch]:
        """The rows of these mailouts to ``address``, whatever its case (the caller
        compares e-mail keys), newest first."""
        ids = [int(i) for i in mailout_ids]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [RowMatch(*row) for row in self.db.execute(
            f"SELECT {_ROW_COLUMNS}{_ROW_FROM}WHERE r.mailout_id IN ({marks}) "
            "AND lower(r.address) = ? ORDER BY r.id DESC", (*ids, address.lower()))]

    # -- bounces ---------------------------------------------------------------------------

    def record_bounce(self, message_key: str, key: str, address: str, row_id: int | None,
                      status_code: str | None, severity: str, diagnostic: str,
                      at: str) -> bool:
        """One failed recipient of a recorded bounce; False when the message already
        named that address (a report listing it twice)."""
        return self.db.execute(
            "INSERT INTO bounces (message_key, email_key, address, row_id, status_code, "
            "severity, diagnostic, at) VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT (message_key, email_key) DO NOTHING",
            (message_key, key, address, row_id, status_code, severity, diagnostic,
             at)).rowcount == 1

    def soft_bounce_times(self, key: str, after: str | None) -> list[str]:
        """When the soft bounces of an address were written, oldest first; only those
        after ``after`` (UTC ISO) when given."""
        sql = "SELECT at FROM bounces WHERE email_key = ? AND severity = 'soft'"
        params: list[str] = [key]
        if after is not None:
            sql += " AND at > ?"
            params.append(after)
        return [r[0] for r in self.db.execute(sql + " ORDER BY at, id", params)]

    def first_hard_bounce(self, key: str, after: str | None) -> tuple[str, str | None, str] | None:
        """(when, status code, diagnostic) of the address's first hard bounce, after
        ``after`` (UTC ISO) when given; None when it had none."""
        sql = ("SELECT at, status_code, diagnostic FROM bounces WHERE email_key = ? "
               "AND severity = 'hard'")
        params: list[str] = [key]
        if after is not None:
            sql += " AND at > ?"
            params.append(after)
        row = self.db.execute(sql + " ORDER BY at, id LIMIT 1", params).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def last_soft_diagnostic(self, key: str) -> str | None:
        """What the server said in the address's latest soft bounce (its status code
        when it said nothing)."""
        row = self.db.execute(
            "SELECT diagnostic, status_code FROM bounces WHERE email_key = ? "
            "AND severity = 'soft' ORDER BY at DESC, id DESC LIMIT 1", (key,)).fetchone()
        return (row[0] or row[1]) if row else None

    def bounce_count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM bounces").fetchone()[0])

    # -- bouncing states -------------------------------------------------------------------

    def bouncing_of(self, keys: Iterable[str]) -> dict[str, Bouncing]:
        """The open bouncing states of these e-mail keys (keys not bouncing left out)."""
        found: dict[str, Bouncing] = {}
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(
                    "SELECT email_key, address, since, reason, marked_at FROM bouncing "
                    f"WHERE cleared_at IS NULL AND email_key IN ({marks})", chunk):
                found[row[0]] = Bouncing(*row)
        return found

    def bouncing_all(self) -> dict[str, Bouncing]:
        """Every open bouncing state, by e-mail key."""
        return {row[0]: Bouncing(*row) for row in self.db.execute(
            "SELECT email_key, address, since, reason, marked_at FROM bouncing "
            "WHERE cleared_at IS NULL")}

    def last_cleared(self, key: str) -> str | None:
        """When the latest bouncing state of an address was cleared (None: never)."""
        row = self.db.execute(
            "SELECT max(cleared_at) FROM bouncing WHERE email_key = ?", (key,)).fetchone()
        return row[0] if row else None

    def mark_bouncing(self, key: str, address: str, since: str, reason: str, now: str) -> bool:
        """Open a bouncing state; False when the address is bouncing already."""
        if self.bouncing_of([key]):
            return False
        self.db.execute(
            "INSERT INTO bouncing (email_key, address, since, reason, marked_at) "
            "VALUES (?,?,?,?,?)", (key, address, since, reason, now))
        return True

    def clear_bouncing(self, key: str, now: str, actor: str, how: str) -> Bouncing | None:
        """Close the open bouncing state of an address (kept, with who, when and how);
        returns it as it was, or None when the address was not bouncing."""
        state = self.bouncing_of([key]).get(key)
        if state is None:
            return None
        self.db.execute(
            "UPDATE bouncing SET cleared_at = ?, cleared_by = ?, cleared_how = ? "
            "WHERE email_key = ? AND cleared_at IS NULL", (now, actor, how, key))
        return state

    def bouncing_history(self, keys: Iterable[str]) -> list[Bouncing]:
        """Every bouncing state of these e-mail keys, open or cleared, oldest first."""
        rows: list[tuple] = []
        for chunk in in_chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows += self.db.execute(
                "SELECT id, email_key, address, since, reason, marked_at, cleared_at, "
                f"cleared_by, cleared_how FROM bouncing WHERE email_key IN ({marks})",
                chunk).fetchall()
        rows.sort(key=lambda r: r[0])
        return [Bouncing(*r[1:]) for r in rows]

    # -- answers to invitations ------------------------------------------------------------

    def rsvp(self, uid: str, key: str) -> StoredRsvp | None:
        row = self.db.execute(
            "SELECT uid, email_key, attendee, partstat, seq, dtstamp, comment, contact_id, "
            "row_id, message_key, updated FROM rsvps WHERE uid = ? AND email_key = ?",
            (uid, key)).fetchone()
        return StoredRsvp(*row) if row else None

    def rsvps_of(self, uid: str) -> list[StoredRsvp]:
        """Every answer recorded for an event, by attendee address."""
        return [StoredRsvp(*row) for row in self.db.execute(
            "SELECT uid, email_key, attendee, partstat, seq, dtstamp, comment, contact_id, "
            "row_id, message_key, updated FROM rsvps WHERE uid = ? ORDER BY attendee",
            (uid,))]

    def save_rsvp(self, answer: StoredRsvp) -> None:
        """Record an answer, replacing the attendee's earlier one for the event (the
        caller decided that this one is later)."""
        self.db.execute("DELETE FROM rsvps WHERE uid = ? AND email_key = ?",
                        (answer.uid, answer.key))
        self.db.execute(
            "INSERT INTO rsvps (uid, email_key, attendee, partstat, seq, dtstamp, comment, "
            "contact_id, row_id, message_key, updated) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (answer.uid, answer.key, answer.attendee, answer.partstat, answer.sequence,
             answer.dtstamp, answer.comment, answer.contact_id, answer.row_id,
             answer.message_key, answer.updated))

    # -- replies ---------------------------------------------------------------------------

    def record_reply(self, message_key: str, sender: str, key: str, subject: str,
                     dated: str | None, row_id: int | None, now: str) -> None:
        self.db.execute(
            "INSERT INTO replies (message_key, sender, email_key, subject, dated, row_id, "
            "imported_at) VALUES (?,?,?,?,?,?,?)",
            (message_key, sender, key, subject, dated, row_id, now))

    def replies(self, since: str | None = None) -> list[StoredReply]:
        """People's replies, oldest first (imported at or after ``since`` if given)."""
        sql = ("SELECT p.message_key, p.sender, p.subject, p.dated, p.row_id, r.mailout_id, "
               "m.reference, p.imported_at FROM replies p "
               "LEFT JOIN mailout_rows r ON r.id = p.row_id "
               "LEFT JOIN mailouts m ON m.id = r.mailout_id")
        params: list[str] = []
        if since is not None:
            sql += " WHERE p.imported_at >= ?"
            params.append(since)
        return [StoredReply(*row) for row in self.db.execute(
            sql + " ORDER BY p.imported_at, p.message_key", params)]
