"""The SQL of likely duplicates and merges: who holds a phone number, what
`contacts duplicates` compares, and moving what is keyed by a contact's id to another.

Names are compared in Python (pressctl.contacts.name_keys: NFKD, honorifics, word
order, initials are more than SQL can say on both engines); the store finds the
candidates by number. There is no index on ``contact_phones.e164``, on purpose: it would
cost every import of phones about 3 % (bench/bench_import.py, 20,000 rows), while the
lookup only runs for the rows that have no e-mail (an import chunk with none of them
never asks), one query per chunk of 2,000 rows, a scan of the phones (about 30 ms for
200,000 phones on SQLite). The numbers go to that one query as one value (a JSON array
on SQLite, an array on PostgreSQL), not as one parameter each (SQLite allows 999)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pressctl.store.database import Connection, Database
from pressctl.store.dialect import SQLITE


@dataclass(frozen=True, slots=True)
class NameRow:
    """What `contacts duplicates` compares of a contact."""

    id: int
    name: str
    organization: str | None
    outlet: str | None


@dataclass(frozen=True, slots=True)
class Moved:
    """What a merge moved to the kept contact, per kind of row."""

    mailout_rows: int
    rsvps: int
    changes: int


class DuplicateQueries:
    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db
        self.dialect: str = database.dialect

    def phone_holders(self, numbers: Iterable[str]) -> list[tuple[str, int, str]]:
        """(e164, contact id, name) of every stored contact holding one of ``numbers``,
        by number then id."""
        wanted = sorted(set(numbers))
        if not wanted:
            return []
        value: str | list[str] = wanted
        among = "= ANY(?::text[])"
        if self.dialect == SQLITE:
            among, value = "IN (SELECT value FROM json_each(?))", json.dumps(wanted)
        return sorted((str(e164), int(cid), str(name)) for e164, cid, name in self.db.execute(
            "SELECT DISTINCT p.e164, c.id, c.name FROM contact_phones p "
            f"JOIN contacts c ON c.id = p.contact_id WHERE p.e164 {among}", (value,)))

    def names(self) -> list[NameRow]:
        """Every contact's id, name, organisation and outlet, by id."""
        return [NameRow(int(i), str(n), o, t) for i, n, o, t in self.db.execute(
            "SELECT id, name, organization, outlet FROM contacts ORDER BY id")]

    def phones(self) -> list[tuple[int, str]]:
        """(contact id, e164) of every stored phone."""
        return [(int(c), str(e)) for c, e in self.db.execute(
            "SELECT contact_id, e164 FROM contact_phones ORDER BY contact_id, position")]

    def move_to(self, keep: int, others: Sequence[int]) -> Moved:
        """Give ``keep`` what is keyed by the id of each of ``others`` (call inside the
        merge's transaction): mailout rows, answers to invitations, and the trail's
        entries about them."""
        marks = ",".join("?" * len(others))
        rows = self.db.execute(
            f"UPDATE mailout_rows SET contact_id = ? WHERE contact_id IN ({marks})",
            (keep, *others)).rowcount
        rsvps = self.db.execute(
            f"UPDATE rsvps SET contact_id = ? WHERE contact_id IN ({marks})",
            (keep, *others)).rowcount
        changes = self.db.execute(
            "UPDATE changes SET subject_id = ? WHERE subject_kind = 'contact' "
            f"AND subject_id IN ({marks})", (str(keep), *(str(o) for o in others))).rowcount
        return Moved(rows, rsvps, changes)
