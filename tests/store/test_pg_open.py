"""Opening a PostgreSQL book whose schema is up to date changes nothing: no lock, no DDL
(the collation, the migrations table), two reads (issue 12: a `contacts list --search`
on PostgreSQL spent 4.7 ms of its ~11 ms of opening on CREATE COLLATION IF NOT EXISTS).
What is missing is still created: the collation, a migration not yet applied."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from pressctl.config import parse_database
from pressctl.contacts.model import Contact, ContactFilter
from pressctl.store import Store, migrations
from pressctl.store.migrations import Migration
from pressctl.store.postgres import PostgresConnection

NOW = "2026-12-03T10:00:00Z"


def _location(url: str):
    return parse_database(url, base=Path("."), where="test")


def _book(url: str) -> None:
    store = Store.open(_location(url), create=True)
    with store.transaction():
        store.contacts.insert([Contact(name="Anne Lefèvre", emails=["anne@example.org"],
                                       created=NOW, updated=NOW)])
    store.close()


def test_an_up_to_date_book_opens_without_a_lock_or_any_ddl(pg_url, monkeypatch):
    _book(pg_url)

    def refused(*args: object) -> None:
        raise AssertionError("no lock or DDL when the schema is up to date")

    for name in ("lock_migrations", "unlock_migrations", "create_collations", "execute_ddl"):
        monkeypatch.setattr(PostgresConnection, name, refused)
    store = Store.open(_location(pg_url), create=False)
    try:
        found = store.contacts.select(ContactFilter(search="lefèvre"))
        assert [c.name for c in found] == ["Anne Lefèvre"]
    finally:
        store.close()


def test_a_role_that_may_create_nothing_opens_and_searches_the_book(pg_url):
    # A reader's role: it may read the book's tables, not create in its schema. Before,
    # every open ran CREATE COLLATION IF NOT EXISTS, which needs the right to create.
    _book(pg_url)
    parts = urlsplit(pg_url)
    database = parts.path.lstrip("/")
    role = f"reader_{database}"[:60]
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'REVOKE CREATE ON SCHEMA public FROM PUBLIC, "{role}"')
        admin.execute(f'GRANT USAGE ON SCHEMA public TO "{role}"')
        admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    reader = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
    try:
        store = Store.open(_location(reader), create=False)
        try:
            found = store.contacts.select(ContactFilter(search="anne@example"))
            assert [c.name for c in found] == ["Anne Lefèvre"]
        finally:
            store.close()
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE "{role}"')


def test_a_migration_not_yet_applied_is_applied_on_open(pg_url, monkeypatch):
    _book(pg_url)
    extra = Migration("9999_open_test", "CREATE TABLE open_test (id INTEGER PRIMARY KEY)")
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, extra])
    monkeypatch.setattr("pressctl.store.database.MIGRATIONS", migrations.MIGRATIONS)
    Store.open(_location(pg_url), create=False).close()
    with psycopg.connect(pg_url) as check:
        names = {row[0] for row in check.execute("SELECT name FROM schema_migrations")}
        assert "9999_open_test" in names
        assert check.execute("SELECT to_regclass('open_test')").fetchone()[0] is not None


def test_the_collation_is_created_when_missing_and_only_then(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as check:
        assert check.execute("SELECT to_regcollation('nocase')").fetchone()[0] is None
    _book(pg_url)  # a new book: the collation first, then the migrations that use it
    with psycopg.connect(pg_url, autocommit=True) as check:
        assert check.execute("SELECT to_regcollation('nocase')").fetchone()[0] is not None
        connection = PostgresConnection(check)
        assert connection.has_collations()
        assert connection.migrated(m.name for m in migrations.MIGRATIONS)
        assert not connection.migrated(["9999_not_there"])


@pytest.mark.parametrize("missing", ["schema_migrations", "collation"])
def test_a_database_without_the_schema_or_collation_is_not_taken_as_migrated(pg_url,
                                                                            missing):
    with psycopg.connect(pg_url, autocommit=True) as check:
        connection = PostgresConnection(check)
        if missing == "collation":  # the table, but not the collation
            check.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY)")
            check.cursor().executemany("INSERT INTO schema_migrations VALUES (%s)",
                                       [(m.name,) for m in migrations.MIGRATIONS])
        assert not connection.migrated(m.name for m in migrations.MIGRATIONS)
