"""Every test gets its own pressctl home (a real folder, a real SQLite file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Real SMTP servers (aiosmtpd on loopback) for the delivery tests.
pytest_plugins = ("smtp_fixtures",)

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "contacts"
DATA = Path(__file__).resolve().parent / "data"
NOW = "2026-11-22T10:00:00Z"


def init_home(home: Path) -> Path:
    """What `pressctl init --home HOME` creates (config, database, unsubscribe key)."""
    from pressctl.config import resolve_paths
    from pressctl.home import init_home as create

    create(resolve_paths({}, home))
    return home


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh home, initialised as `pressctl init` does; PRESSCTL_HOME points at it."""
    home = tmp_path / "home"
    monkeypatch.setenv("PRESSCTL_HOME", str(home))
    monkeypatch.delenv("PRESSCTL_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    return init_home(home)


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

    store = Store.open(home / "pressctl.db")
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


def db_snapshot(path: Path) -> list[str]:
    """Every row of every table, as SQL text: equal snapshots mean an unchanged book."""
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


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
