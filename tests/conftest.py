"""Every test gets its own pressctl home (a real folder), on each backend: a real SQLite
file, and a fresh database on a real, throw-away PostgreSQL server (tests/pg_server.py).

A test that uses ``home`` (or ``book``, ``cli``...) runs twice, [sqlite] and [postgresql].
Tests about SQLite's file itself (its faults, its WAL, reading it with sqlite3) are marked
``sqlite_only`` and get no [postgresql] run."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

# Real SMTP servers (aiosmtpd on loopback) for the delivery tests.
pytest_plugins = ("smtp_fixtures",)

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "contacts"
DATA = Path(__file__).resolve().parent / "data"
NOW = "2026-11-22T10:00:00Z"


BACKENDS = ("sqlite", "postgresql")


def init_home(home: Path) -> Path:
    """What `pressctl init --home HOME` creates (config, database, unsubscribe key), in the
    database PRESSCTL_DB names, if any (the [postgresql] runs)."""
    from pressctl.config import resolve_paths
    from pressctl.home import init_home as create

    create(resolve_paths(_database_env(), home))
    return home


def _database_env() -> dict[str, str]:
    url = os.environ.get("PRESSCTL_DB")
    return {"PRESSCTL_DB": url} if url else {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A test about SQLite's file itself has nothing to check on a database server.
    keep, drop = [], []
    for item in items:
        on_postgres = getattr(item, "callspec", None) and \
            item.callspec.params.get("home") == "postgresql"
        (drop if on_postgres and item.get_closest_marker("sqlite_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=BACKENDS)
def home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home, initialised as `pressctl init` does; PRESSCTL_HOME points at it. Its
    book is a SQLite file in it, or (second run) a database on the tests' PostgreSQL
    server that PRESSCTL_DB names (so that a test writing its own config.toml, or running
    the console script, keeps that book)."""
    home = tmp_path / "home"
    monkeypatch.setenv("PRESSCTL_HOME", str(home))
    monkeypatch.delenv("PRESSCTL_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    if request.param == "postgresql":
        monkeypatch.setenv("PRESSCTL_DB", request.getfixturevalue("pg_book_url"))
    return init_home(home)


@pytest.fixture(scope="session")
def pg_book_template(postgres_server) -> str:
    """A database holding pressctl's schema, made once by the store's own migrations: each
    [postgresql] home's book is a copy of it (CREATE DATABASE ... TEMPLATE, ~15 ms) rather
    than migrated again. `init` still runs on the copy, and finds it up to date."""
    from urllib.parse import urlsplit

    from pressctl.config import parse_database
    from pressctl.store import Store

    url = postgres_server.new_database("pressctl_template")
    Store.open(parse_database(url, base=Path("."), where="tests"), create=True).close()
    return urlsplit(url).path.lstrip("/")


@pytest.fixture
def pg_book_url(postgres_server, pg_book_template, request: pytest.FixtureRequest):
    """A fresh database with pressctl's schema, of this test's own, dropped afterwards."""
    url = postgres_server.new_database(request.node.name, template=pg_book_template)
    yield url
    postgres_server.drop_database(url)


def home_of(book) -> Path:
    """The home of a test's book: beside a SQLite file, else PRESSCTL_HOME (a book on the
    tests' PostgreSQL server has no file)."""
    return book.store.path.parent if book.store.path else Path(os.environ["PRESSCTL_HOME"])


def home_location(home: Path):
    """Where ``home``'s book is (a SQLite file, or its config's PostgreSQL URL)."""
    from pressctl.config import database_location, load_settings, resolve_paths

    paths = resolve_paths(_database_env(), home)
    return database_location(paths, load_settings(paths.config_file))


@pytest.fixture
def missing_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home that does not exist (a typo); PRESSCTL_HOME points at it instead of ``home``."""
    missing = home.parent / "typo"
    monkeypatch.setenv("PRESSCTL_HOME", str(missing))
    return missing


@pytest.fixture
def book(home: Path):
    """The core's view of a new contact book in ``home`` (no CLI involved)."""
    from pressctl.book.session import Book
    from pressctl.config import DisplaySettings, Settings
    from pressctl.store import Store

    store = Store.open(home_location(home), create=False)
    yield Book(store, Settings(default_region="FR", display=DisplaySettings(own_country="FR")),
               NOW)
    store.close()


@pytest.fixture
def cli(home: Path):
    """Run pressctl in-process: ``cli("contacts", "list")`` -> typer's Result
    (exit_code, stdout and stderr kept apart)."""
    from typer.testing import CliRunner

    from pressctl.cli.app import build_app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        argv = [str(a) for a in args]
        return runner.invoke(build_app(argv), argv, input=input, env=env,
                             catch_exceptions=False)

    return invoke


@pytest.fixture
def sample_book(cli):
    """``cli`` on a book holding the sample organisations and contacts (contacts/)."""
    assert cli("orgs", "import", SAMPLES / "organizations.json").exit_code == 0
    result = cli("contacts", "import", SAMPLES / "contacts.csv")
    assert result.exit_code == 0, result.stderr
    return cli


@pytest.fixture
def console_script() -> Path:
    """The installed `pressctl` executable next to this interpreter."""
    script = Path(sys.executable).parent / "pressctl"
    if not script.exists():
        pytest.fail(f"pressctl is not installed next to {sys.executable}: pip install -e .")
    return script


@contextmanager
def home_store(home: Path):
    """``home``'s book opened by the store, whatever the backend (for a test to set up or
    read what no command shows)."""
    from pressctl.store import Store

    store = Store.open(home_location(home), create=False)
    try:
        yield store
    finally:
        store.close()


def db_snapshot(where) -> list[str]:
    """Every row of every table, as text: equal snapshots mean an unchanged book.
    ``where``: a Store, a home folder, or a SQLite file."""
    from pressctl.store import Store

    if isinstance(where, Store):
        if where.path is None:
            return _server_snapshot(where)
        where = where.path
    if where.is_dir():  # a home: its config says where the book is
        location = home_location(where)
        if location.url is not None:
            store = Store.open(location, create=False)
            try:
                return _server_snapshot(store)
            finally:
                store.close()
        where = location.path
    import sqlite3

    connection = sqlite3.connect(where)
    try:
        return _sqlite_snapshot(connection)
    finally:
        connection.close()


def _sqlite_snapshot(connection) -> list[str]:
    """The schema, then every row of every stored table. (Not ``iterdump``: it scans the
    search index's virtual table, which a contentless FTS5 table without document sizes
    refuses; its content is in its shadow tables, which are dumped.)"""
    schema = connection.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql NOT NULL ORDER BY type, name"
    ).fetchall()
    lines = [f"{kind} {name}: {sql}" for kind, name, sql in schema]
    for kind, name, sql in schema:
        if kind == "table" and not sql.startswith("CREATE VIRTUAL TABLE"):
            quoted = name.replace('"', '""')
            lines += sorted(f"{name}: {row!r}" for row in
                            connection.execute(f'SELECT * FROM "{quoted}"'))
    return lines


def _server_snapshot(store) -> list[str]:
    tables = [r[0] for r in store.db.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = "
        "current_schema() ORDER BY table_name")]
    rows = []
    for table in tables:
        for row in store.db.execute(f"SELECT * FROM {table}").fetchall():
            rows.append(f"{table}: {tuple(row)!r}")
    return sorted(rows)


@pytest.fixture(scope="session")
def postgres_server():
    """A real, throw-away PostgreSQL server for the session (tests/pg_server.py), started
    when a test first asks for it: ``.dsn``, ``.new_database(prefix) -> url``,
    ``.drop_database(url)``. Without server binaries: skipped, or failed when
    PRESSCTL_REQUIRE_POSTGRES=1 (CI)."""
    from pg_server import start_for_tests

    server = start_for_tests()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server, request: pytest.FixtureRequest):
    """The URL of a fresh, empty PostgreSQL database of this test's own, dropped afterwards."""
    url = postgres_server.new_database(request.node.name)
    yield url
    postgres_server.drop_database(url)
