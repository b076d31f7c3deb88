"""The SQL of embargo consent at send time: which embargoed rows must be withheld because
their contact no longer accepts embargoes, and the public row that replaces them.

An embargoed row carries its recipient's place in the linked public mailout (the
``fallback_*`` columns, filled when the mailouts were stored): the public phase froze a
variant for every recipient of the audience, so the replacement needs no rendering.
"""

from __future__ import annotations

from collections.abc import Iterable

from pressctl.outbox.states import MailoutState, RowState
from pressctl.store.database import Database

_CHUNK = 500  # row ids per query (SQLite allows 999 parameters)


class ConsentQueries:
    def __init__(self, database: Database) -> None:
        self.db = database.db

    def withdrawn_consent(self, row_ids: Iterable[int]) -> set[int]:
        """Of these rows, those of an embargoed phase whose contact no longer accepts
        embargoes, or no longer exists."""
        ids = list(row_ids)
        found: set[int] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start:start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            found.update(r[0] for r in self.db.execute(
                "SELECT r.id FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id "
                "LEFT JOIN contacts c ON c.id = r.contact_id "
                f"WHERE r.id IN ({marks}) AND m.phase = 'embargoed' "
                "AND (c.id IS NULL OR c.embargo_ok = 0)", chunk))
        return found

    def fall_back_to_public(self, row_id: int, now: str) -> str:
        """Withhold an embargoed row (call inside a transaction): it becomes 'skipped' with
        the reason, which is returned; its recipient gets a row in the linked public
        mailout instead, when there is one. A public mailout already 'done' is scheduled
        again for it; in a cancelled one the new row is cancelled too."""
        if not self.db.in_transaction:  # two rows change together, or not at all
            raise RuntimeError("fall_back_to_public must run inside a transaction")
        found = self.db.execute(
            "SELECT r.mailout_id, r.contact_id, r.name, r.address, r.salutation, "
            "r.fallback_variant, r.fallback_message_id, r.fallback_token, "
            "EXISTS (SELECT 1 FROM contacts c WHERE c.id = r.contact_id) "
            "FROM mailout_rows r WHERE r.id = ?", (row_id,)).fetchone()
        if found is None:
            raise LookupError(f"no mailout row {row_id}")
        (mailout_id, contact_id, name, address, salutation, variant, message_id, token,
         contact_exists) = found
        why = "no longer accepts embargoes" if contact_exists else "no longer in the contact book"
        public = self.db.execute(
            "SELECT id, state FROM mailouts WHERE linked_to = ? AND phase = 'public' "
            "ORDER BY id LIMIT 1", (mailout_id,)).fetchone()
        if public is None:
            reason = f"{why}: no public phase (created with --no-public)"
        elif variant is None or message_id is None or token is None:
            reason = (f"{why}: no public copy was frozen for them in mailout #{public[0]} "
                      "(made before consent was checked at send time)")
        else:
            public_id, public_state = public
            cancelled = public_state == MailoutState.CANCELLED
            self.db.execute(
                "INSERT INTO mailout_rows (mailout_id, variant, contact_id, name, address, "
                "salutation, message_id, token, state, reply, updated) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (mailout_id, address) DO NOTHING",
                (public_id, variant, contact_id, name, address, salutation, message_id, token,
                 RowState.CANCELLED if cancelled else RowState.QUEUED,
                 "the public mailout was cancelled" if cancelled else None, now))
            if public_state == MailoutState.DONE:  # it had finished: it has one more row to send
                self.db.execute("UPDATE mailouts SET state = 'scheduled', updated = ? "
                                "WHERE id = ?", (now, public_id))
            reason = (f"{why}: the public version was cancelled (mailout #{public_id})"
                      if cancelled else
                      f"{why}: gets the public version at the lift (mailout #{public_id})")
        self.db.execute(
            "UPDATE mailout_rows SET state = 'skipped', reply = ?, next_attempt_at = NULL, "
            "claimed_by = NULL, updated = ? WHERE id = ?", (reason, now, row_id))
        return reason
