"""The SQL of the audit trail: who changed what, and when (issue 9, a team on one book).

One row per change a person made to contacts, organisations, saved audiences and
mailouts: when (UTC ISO), who (the acting user the CLI read: ``--as``, PRESSCTL_USER or
the login name), what they did (:class:`ChangeAction`), to what (:class:`Subject` and its
id: a contact's or a mailout's number, an audience's name) and a one-line summary.

Rows are written by the use cases inside the transaction of the change they record, so
that a change is never committed without its entry, nor an entry without its change. They
are never updated or deleted. Summaries name fields and people, not the values changed
(an e-mail address or a phone removed from a contact stays removed from the trail too),
except what a person typed to explain a change (an opt-out's note).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pressctl.store.database import Connection, Database
from pressctl.store.dialect import SQLITE


class Subject(StrEnum):
    """What a change is about."""

    CONTACT = "contact"
    ORGANIZATION = "organization"
    AUDIENCE = "audience"  # a saved audience, by name
    MAILOUT = "mailout"
    ADDRESS = "address"  # an opted-out address no contact holds (a suppression)
    IMPORT = "import"  # one contact file imported: the counts (and one row per contact)


class ChangeAction(StrEnum):
    """What a person did."""

    ADD = "add"
    EDIT = "edit"
    REMOVE = "remove"
    TAG = "tag"
    UNTAG = "untag"
    OPT_OUT = "opt-out"
    OPT_IN = "opt-in"
    IMPORT = "import"  # added or updated by an import (the summary says which)
    SAVE = "save"  # a saved audience created or replaced
    APPROVE = "approve"  # `mailout create`: frozen for delivery
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    RETRY = "retry"
    MERGE = "merge"  # `contacts merge`: others merged into the kept contact


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the trail, as recorded."""

    id: int
    at: str  # UTC, ISO 8601 ("2026-11-22T09:30:00Z")
    actor: str
    action: ChangeAction
    subject: Subject
    subject_id: str  # "12" for contact #12; an audience's name
    summary: str

    def __post_init__(self) -> None:  # the text read back
        object.__setattr__(self, "action", ChangeAction(self.action))
        object.__setattr__(self, "subject", Subject(self.subject))


@dataclass(frozen=True, slots=True)
class NewChange:
    """An entry to record: what, to what, and the summary (when and who are the command's)."""

    action: ChangeAction
    subject: Subject
    subject_id: int | str
    summary: str


_COLUMNS = "id, at, actor, action, subject_kind, subject_id, summary"


class ChangeQueries:
    """The trail: appended inside the caller's transaction, read by subject and time."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db
        self.dialect: str = database.dialect

    def record(self, at: str, actor: str, changes: Iterable[NewChange]) -> int:
        """Append entries (inside the transaction of the change); returns how many."""
        rows = [(at, actor, str(c.action), str(c.subject), str(c.subject_id), c.summary)
                for c in changes]
        self.db.executemany(
            "INSERT INTO changes (at, actor, action, subject_kind, subject_id, summary) "
            "VALUES (?,?,?,?,?,?)", rows)
        return len(rows)

    def record_numbered(self, at: str, actor: str, action: ChangeAction, subject: Subject,
                        first: int, summaries: list[str]) -> int:
        """Entries for subjects ``first``, ``first`` + 1... (an import's new contacts),
        one summary each: the rows :meth:`record` writes, without a NewChange a row."""
        kind, what = str(action), str(subject)
        rows = [(at, actor, kind, what, str(subject_id), summary)
                for subject_id, summary in enumerate(summaries, first)]
        self.db.executemany(
            "INSERT INTO changes (at, actor, action, subject_kind, subject_id, summary) "
            "VALUES (?,?,?,?,?,?)", rows)
        return len(rows)

    def record_lines(self, at: str, actor: str, action: ChangeAction, subject: Subject,
                     first: int, prefix: str, lines: list[int]) -> int:
        """:meth:`record_numbered` of the summaries ``prefix`` + each of ``lines`` ("added
        from f.csv:" and 17: an import's new contacts), the same rows. SQLite makes them
        in one statement from the lines (a JSON array): a Python tuple a row, bound
        and run one by one, cost an import more than the rows' own writing."""
        if self.dialect != SQLITE:
            return self.record_numbered(at, actor, action, subject, first,
                                        [f"{prefix}{line}" for line in lines])
        self.db.execute(
            "INSERT INTO changes (at, actor, action, subject_kind, subject_id, summary) "
            "SELECT ?1, ?2, ?3, ?4, CAST(?5 + key AS TEXT), ?6 || value FROM json_each(?7) "
            "ORDER BY key", (at, actor, str(action), str(subject), first, prefix,
                             json.dumps(lines)))
        return len(lines)

    def trail(self, *, subject: Subject | None = None, subject_id: int | str | None = None,
              since: str | None = None) -> list[Change]:
        """Entries in the order they were recorded (newest last), of one subject if given,
        at or after ``since`` (UTC ISO) if given."""
        clauses: list[str] = []
        params: list[object] = []
        if subject is not None:
            clauses.append("subject_kind = ?")
            params.append(str(subject))
        if subject_id is not None:
            clauses.append("subject_id = ?")
            params.append(str(subject_id))
        if since is not None:
            clauses.append("at >= ?")
            params.append(since)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [Change(*row) for row in self.db.execute(
            f"SELECT {_COLUMNS} FROM changes {where} ORDER BY id", params)]

    def last_of(self, subject: Subject, subject_id: int | str) -> Change | None:
        """The latest entry about one subject (who changed it last, and when)."""
        row = self.db.execute(
            f"SELECT {_COLUMNS} FROM changes WHERE subject_kind = ? AND subject_id = ? "
            "ORDER BY id DESC LIMIT 1", (str(subject), str(subject_id))).fetchone()
        return Change(*row) if row else None

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM changes").fetchone()[0])
