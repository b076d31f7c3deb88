"""The only SQL of pressctl: the database (connection, migrations, transactions) and one
query module per aggregate over it.

It imports only the pure domains (pressctl.contacts: the Contact it builds, the filter it
translates, the name's sort key; pressctl.outbox: the states of mailouts and their rows)
and errors; the use cases above it (the book, releases, delivery) call it, never the
other way round. :class:`Store` gathers the query modules over one connection, so that a
use case holds one object: ``store.contacts.get(5)``, ``store.transaction()``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from pressctl.store.database import Connection, Database, Location, open_database

if TYPE_CHECKING:
    from pressctl.store.audiences import AudienceQueries
    from pressctl.store.changes import ChangeQueries
    from pressctl.store.consent import ConsentQueries
    from pressctl.store.contacts import ContactQueries
    from pressctl.store.duplicates import DuplicateQueries
    from pressctl.store.events import EventQueries
    from pressctl.store.gdpr import GdprQueries
    from pressctl.store.history import HistoryQueries
    from pressctl.store.inbox import InboxQueries
    from pressctl.store.leases import LeaseQueries
    from pressctl.store.mailouts import MailoutQueries
    from pressctl.store.orgs import OrgQueries
    from pressctl.store.ratewindow import RateWindowQueries
    from pressctl.store.runs import RunQueries
    from pressctl.store.suppressions import SuppressionQueries
    from pressctl.store.tokens import TokenQueries

__all__ = ["Database", "Store"]

Q = TypeVar("Q")


class _Queries(Generic[Q]):
    """A query module of :class:`Store`, made (and its module, named as the attribute,
    imported) on first use, then kept on the store: a command uses a few of the sixteen,
    and importing them all cost ~30 ms of every command's start-up (their dataclasses
    above all), an eighth of an `outbox run` on a small mailout."""

    def __init__(self, class_name: str) -> None:
        self.class_name = class_name
        self.attribute = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, store: None, owner: Any = None) -> _Queries[Q]: ...
    @overload
    def __get__(self, store: Store, owner: Any = None) -> Q: ...

    def __get__(self, store: Store | None, owner: Any = None) -> Q | _Queries[Q]:
        if store is None:
            return self
        module = import_module(f"pressctl.store.{self.attribute}")
        queries: Q = getattr(module, self.class_name)(store.database)
        store.__dict__[self.attribute] = queries  # later reads find it, not this
        return queries


class Store:
    """The book's database and its query modules, over one connection."""

    def __init__(self, database: Database) -> None:
        self.database: Database = database

    contacts: _Queries[ContactQueries] = _Queries("ContactQueries")
    orgs: _Queries[OrgQueries] = _Queries("OrgQueries")
    audiences: _Queries[AudienceQueries] = _Queries("AudienceQueries")
    suppressions: _Queries[SuppressionQueries] = _Queries("SuppressionQueries")
    mailouts: _Queries[MailoutQueries] = _Queries("MailoutQueries")
    runs: _Queries[RunQueries] = _Queries("RunQueries")
    leases: _Queries[LeaseQueries] = _Queries("LeaseQueries")
    consent: _Queries[ConsentQueries] = _Queries("ConsentQueries")
    changes: _Queries[ChangeQueries] = _Queries("ChangeQueries")
    ratewindow: _Queries[RateWindowQueries] = _Queries("RateWindowQueries")
    tokens: _Queries[TokenQueries] = _Queries("TokenQueries")
    events: _Queries[EventQueries] = _Queries("EventQueries")
    gdpr: _Queries[GdprQueries] = _Queries("GdprQueries")
    inbox: _Queries[InboxQueries] = _Queries("InboxQueries")
    history: _Queries[HistoryQueries] = _Queries("HistoryQueries")
    duplicates: _Queries[DuplicateQueries] = _Queries("DuplicateQueries")

    @classmethod
    def open(cls, location: Path | Location, *, create: bool = True,
             env: Mapping[str, str] | None = None) -> Store:
        """Open (and, with ``create``, create and migrate) the book: a SQLite file, or a
        PostgreSQL database when ``location`` has a URL (``env`` gives its password)."""
        return cls(open_database(location, create=create, env=env))

    def sibling(self) -> Store:
        """On PostgreSQL: the same book over a second connection (see
        PostgresDatabase.sibling); the caller closes it."""
        from pressctl.store.database import PostgresDatabase

        if not isinstance(self.database, PostgresDatabase):
            raise TypeError("a second connection is for a database server's book")
        return Store(self.database.sibling())

    @property
    def path(self) -> Path | None:
        """The SQLite file; None on a database server."""
        return self.database.path

    @property
    def dialect(self) -> str:
        return self.database.dialect

    @property
    def db(self) -> Connection:
        """The raw connection: for tests and the storage-error probes only."""
        return self.database.db

    def close(self) -> None:
        self.database.close()

    @contextmanager
    def transaction(self, *, serialised: bool = True) -> Iterator[None]:
        """All or nothing, whatever query modules it spans (see Database.transaction)."""
        with self.database.transaction(serialised=serialised):
            yield
