"""init, paths, demo, global options and the error scheme, through typer's CliRunner."""

from __future__ import annotations

import json
import stat
from types import SimpleNamespace

import pytest
from conftest import SAMPLES


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_init_creates_home_config_database_and_unsubscribe_key_privately(cli, missing_home):
    result = cli("init")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""  # diagnostics go to stderr
    for name in ("config.toml", "pressctl.db", "unsubscribe.key"):
        assert f"Created {missing_home / name}" in result.stderr
        assert stat.S_IMODE((missing_home / name).stat().st_mode) == 0o600
    assert stat.S_IMODE(missing_home.stat().st_mode) == 0o700
    assert len((missing_home / "unsubscribe.key").read_text().strip()) == 64
    assert (missing_home / "templates").is_dir()


def test_init_takes_home_and_db_after_the_command_as_the_advice_says(cli, tmp_path):
    home, db = tmp_path / "press", tmp_path / "data" / "book.db"
    result = cli("init", "--home", home, "--db", db)
    assert result.exit_code == 0, result.stderr
    assert (home / "config.toml").exists() and (home / "unsubscribe.key").exists()
    assert db.exists() and not (home / "pressctl.db").exists()
    assert cli("--home", home, "--db", db, "contacts", "list").exit_code == 0


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_init_is_idempotent_and_keeps_the_users_config_and_key(cli, home):
    key = (home / "unsubscribe.key").read_text()
    (home / "config.toml").write_text('[contacts]\ndefault_region = "BE"\n')
    cli("contacts", "add", "Jane Doe", "--email", "jane@example.com")
    result = cli("init")
    assert result.exit_code == 0
    assert "Created" not in result.stderr
    assert f"Kept {home / 'unsubscribe.key'}" in result.stderr
    assert "(1 contacts)" in result.stderr
    assert (home / "config.toml").read_text() == '[contacts]\ndefault_region = "BE"\n'
    assert (home / "unsubscribe.key").read_text() == key


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_init_adds_the_unsubscribe_key_to_an_older_home(cli, home):
    (home / "unsubscribe.key").unlink()
    result = cli("init")
    assert result.exit_code == 0
    assert f"Created {home / 'unsubscribe.key'}" in result.stderr
    assert f"Kept {home / 'pressctl.db'}" in result.stderr


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_paths_json(cli, home, tmp_path):
    result = cli("paths", "--json")
    assert json.loads(result.stdout) == {
        "home": str(home), "config": str(home / "config.toml"),
        "database": str(home / "pressctl.db"), "templates": str(home / "templates"),
        "unsubscribe_key": str(home / "unsubscribe.key"),
    }
    other = cli("--db", tmp_path / "elsewhere.db", "paths", "--json")
    assert json.loads(other.stdout)["database"] == str(tmp_path / "elsewhere.db")


def test_pressctl_db_environment_variable(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("PRESSCTL_DB", str(tmp_path / "env.db"))
    assert cli("init").exit_code == 0
    assert cli("contacts", "add", "Jane Doe", "--email", "jane@example.com").exit_code == 0
    assert "Jane Doe" in cli("--db", tmp_path / "env.db", "contacts", "list").stdout


def test_demo_runs_the_whole_path_without_a_home_and_leaves_no_trace(cli, missing_home):
    result = cli("demo")
    assert result.exit_code == 0, result.stderr
    assert "Pascale Bresson" in result.stdout and "Françoise Millet" in result.stdout
    assert "+33 1 44 76 75 39" in result.stdout or "01 44 76 75 39" in result.stdout
    assert "2 organisations and 26 contacts" in result.stderr
    # the joint release previewed for its audience, both languages, with invitations
    assert "PR106-2020.fr.md" in result.stdout and "PR106-2020.en.md" in result.stdout
    assert "message(s) built; nothing was sent" in result.stderr
    # the previews' folder goes with the demo home: it says so, and how to keep it
    assert "add --keep to keep them, the demo home is removed at the end." in result.stderr
    assert "delivered by `outbox run` into the Maildir" in result.stderr
    assert " 0 failed" in result.stderr
    assert "Élodie Marchand" not in result.stdout.split("PR106")[1]  # opted out
    # what comes back: a bounce and two answers, read by `inbox import`
    assert "5. What came back, read by `inbox import`" in result.stderr
    assert "1 bounce (" in result.stderr and "is now bouncing" in result.stderr
    assert "2 answers to the press conference" in result.stderr
    # ... then who is coming, and the history of the journalist whose address bounced
    assert "6. `invite rsvps 1`: 1 accepted, 0 tentative," in result.stderr
    assert "hard bounce 5.1.1" in result.stderr and "bouncing since" in result.stderr
    assert not missing_home.exists()  # the demo needs no home and never makes one


def test_bad_config_is_exit_4_with_one_line(cli, home):
    cli("init")
    (home / "config.toml").write_text('[contacts]\ndefault_region = "Mars"\n')
    result = cli("contacts", "list")
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1
    assert "config.toml" in result.stderr and "default_region" in result.stderr
    assert "Traceback" not in result.stderr


def test_unexpected_error_is_exit_1_without_traceback(cli, monkeypatch):
    import pressctl.book.contacts

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(pressctl.book.contacts, "find_contact", broken)
    result = cli("contacts", "show", "1")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: disk on fire" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.stderr
    debug = cli("--debug", "contacts", "show", "1")
    assert debug.exit_code == 1
    assert "Traceback" in debug.stderr


def test_bad_command_line_is_exit_2(cli):
    assert cli("contacts", "list", "--kind").exit_code == 2
    assert cli("contacts", "frobnicate").exit_code == 2
    assert cli("nosuchgroup").exit_code == 2


def test_orgs_commands(cli, tmp_path):
    about = tmp_path / "about.txt"
    about.write_text("CNES est l'agence spatiale française.", encoding="utf-8")
    added = cli("orgs", "add", "Centre national d'études spatiales", "--short", "CNES",
                "--country", "FR", "--website", "https://presse.cnes.fr",
                "--about", f"fr=@{about}", "--about", "en=CNES is the French space agency.")
    assert added.exit_code == 0, added.stderr
    shown = json.loads(cli("orgs", "show", "cnes", "--json").stdout)
    assert shown["about"] == {"en": "CNES is the French space agency.",
                              "fr": "CNES est l'agence spatiale française."}
    assert cli("orgs", "edit", "CNES", "--country", "Narnia").exit_code == 3
    assert cli("orgs", "add", "Other", "--short", "CNES").exit_code == 3
    imported = cli("orgs", "import", SAMPLES / "organizations.json")
    assert "updated 1" in imported.stderr and "Added 1" in imported.stderr
    listed = json.loads(cli("orgs", "list", "--json").stdout)
    assert [o["short_name"] for o in listed] == ["CNES", "SFR"]
    assert cli("orgs", "remove", "SFR").exit_code == 0
    assert cli("orgs", "show", "SFR").exit_code == 3


# -- a PostgreSQL location: shown masked, never with its password --------------------------

SECRET = "s3cret-Pw"
PG_URL = f"postgresql://anne:{SECRET}@db.example.org:5432/press?sslmode=require&password={SECRET}"
PG_MASKED = "postgresql://anne:***@db.example.org:5432/press?sslmode=require&password=***"


def test_paths_shows_a_database_url_without_its_password(cli, home, monkeypatch):
    by_option = cli("--db", PG_URL, "paths", "--json")
    assert by_option.exit_code == 0, by_option.stderr
    assert json.loads(by_option.stdout)["database"] == PG_MASKED
    monkeypatch.setenv("PRESSCTL_DB", PG_URL)
    for args in (["paths"], ["paths", "--json"]):
        result = cli(*args)
        assert result.exit_code == 0, result.stderr
        assert PG_MASKED in result.stdout
        assert SECRET not in result.stdout + result.stderr


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_paths_shows_the_config_files_database_url_masked(cli, home):
    (home / "config.toml").write_text(f'[database]\nurl = "{PG_URL}"\n')
    result = cli("paths", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["database"] == PG_MASKED
    assert SECRET not in result.stdout + result.stderr
    # --db beats the config file's url
    other = cli("--db", home / "other.db", "paths", "--json")
    assert json.loads(other.stdout)["database"] == str(home / "other.db")


def test_bad_database_locations_are_exit_4_and_never_show_the_password(cli, home):
    for location, fragment in [
        (f"mysql://root:{SECRET}@db.example.org/press", "unknown database scheme 'mysql:'"),
        (f"postgresql://anne:{SECRET}@db.example.org", "names no database"),
    ]:
        for args in (["--db", location, "paths"], ["--db", location, "contacts", "list"],
                     ["init", "--db", location]):
            result = cli(*args)
            assert result.exit_code == 4, (args, result.stderr)
            assert fragment in result.stderr
            assert SECRET not in result.stdout + result.stderr


def test_a_postgresql_url_without_the_driver_names_the_extra(cli, home, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "psycopg" else real(name, *a))
    result = cli("--db", PG_URL, "contacts", "list")
    assert result.exit_code == 4
    assert "pip install 'pressctl[postgres]'" in result.stderr
    assert SECRET not in result.stderr and "Traceback" not in result.stderr


class FakeStore:
    """Store.open's stand-in for a PostgreSQL database (its real opening: tests/store)."""

    opened: list = []

    def __init__(self) -> None:
        self.contacts = SimpleNamespace(count=lambda: 7)

    @classmethod
    def open(cls, location, *, create=True, env=None):
        cls.opened.append((location, create, env))
        return cls()

    def close(self) -> None:
        pass


@pytest.fixture
def fake_store(monkeypatch):
    import pressctl.home
    import pressctl.store

    FakeStore.opened = []
    monkeypatch.setattr(pressctl.store, "Store", FakeStore)
    monkeypatch.setattr(pressctl.home, "Store", FakeStore)
    return FakeStore


def test_init_with_a_postgresql_url_makes_the_home_and_asks_the_store_for_the_schema(
        cli, missing_home, fake_store, monkeypatch):
    monkeypatch.setenv("PRESSCTL_DB_PASSWORD", SECRET)
    result = cli("init", "--db", PG_URL)
    assert result.exit_code == 0, result.stderr
    [(location, create, env)] = fake_store.opened
    assert location.url == PG_URL and create is True
    assert env["PRESSCTL_DB_PASSWORD"] == SECRET  # the store resolves the password
    assert f"Schema up to date in {PG_MASKED} (7 contacts)" in result.stderr
    for name in ("config.toml", "unsubscribe.key"):
        assert f"Created {missing_home / name}" in result.stderr
    assert (missing_home / "templates").is_dir()
    assert not (missing_home / "pressctl.db").exists()
    assert SECRET not in result.stdout + result.stderr


def test_a_book_on_postgresql_is_opened_with_its_location_and_the_environment(
        cli, home, fake_store, monkeypatch):
    (home / "pressctl.db").unlink(missing_ok=True)  # no file to check: the server holds it
    monkeypatch.setenv("PRESSCTL_DB", PG_URL)
    from pressctl.errors import ConfigError

    def book(store, settings, now, **_):
        raise ConfigError("stopped before any query")

    monkeypatch.setattr("pressctl.book.session.Book", book)
    result = cli("contacts", "list")
    assert result.stderr == "Error: stopped before any query\n"
    [(location, create, env)] = fake_store.opened
    assert location.url == PG_URL and create is False and env["PRESSCTL_DB"] == PG_URL
