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
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

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


class Store:
    """The book's database and its query modules, over one connection."""

    def __init__(self, database: Database) -> None:
        self.database: Database = database

    # Each query module is made (and its module imported) on first use: a command uses a
    # few of them, and importing all sixteen cost ~30 ms of every command's start-up
    # (their dataclasses above all), an eighth of an `outbox run` on a small mailout.

    @cached_property
    def contacts(self) -> ContactQueries:
        from pressctl.store.contacts import ContactQueries

        return ContactQueries(self.database)

    @cached_property
    def orgs(self) -> OrgQueries:
        from pressctl.store.orgs import OrgQueries

        return OrgQueries(self.database)

    @cached_property
    def audiences(self) -> AudienceQueries:
        from pressctl.store.audiences import AudienceQueries

        return AudienceQueries(self.database)

    @cached_property
    def suppressions(self) -> SuppressionQueries:
        from pressctl.store.suppressions import SuppressionQueries

        return SuppressionQueries(self.database)

    @cached_property
    def mailouts(self) -> MailoutQueries:
        from pressctl.store.mailouts import MailoutQueries

        return MailoutQueries(self.database)

    @cached_property
    def runs(self) -> RunQueries:
        from pressctl.store.runs import RunQueries

        return RunQueries(self.database)

    @cached_property
    def leases(self) -> LeaseQueries:
        from pressctl.store.leases import LeaseQueries

        return LeaseQueries(self.database)

    @cached_property
    def consent(self) -> ConsentQueries:
        from pressctl.store.consent import ConsentQueries

        return ConsentQueries(self.database)

    @cached_property
    def changes(self) -> ChangeQueries:
        from pressctl.store.changes import ChangeQueries

        return ChangeQueries(self.database)

    @cached_property
    def ratewindow(self) -> RateWindowQueries:
        from pressctl.store.ratewindow import RateWindowQueries

        return RateWindowQueries(self.database)

    @cached_property
    def tokens(self) -> TokenQueries:
        from pressctl.store.tokens import TokenQueries

        return TokenQueries(self.database)

    @cached_property
    def events(self) -> EventQueries:
        from pressctl.store.events import EventQueries

        return EventQueries(self.database)

    @cached_property
    def gdpr(self) -> GdprQueries:
        from pressctl.store.gdpr import GdprQueries

        return GdprQueries(self.database)

    @cached_property
    def inbox(self) -> InboxQueries:
        from pressctl.store.inbox import InboxQueries

        return InboxQueries(self.database)

    @cached_property
    def history(self) -> HistoryQueries:
        from pressctl.store.history import HistoryQueries

        return HistoryQueries(self.database)

    @cached_property
    def duplicates(self) -> DuplicateQueries:
        from pressctl.store.duplicates import DuplicateQueries

        return DuplicateQueries(self.database)

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
