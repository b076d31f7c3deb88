"""Where the book is (pressctl.config.DatabaseLocation): a SQLite file or a PostgreSQL URL.

The rules: --db > PRESSCTL_DB > config.toml's [database] url > the home's pressctl.db; a
password is never shown (not in `paths`, its --json, repr() or an error message); a bad
location is exit 4 with a hint; psycopg is imported by the store only, never to read
settings. Opening a PostgreSQL database is the store's (tests/store).
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from pressctl.config import (
    DatabaseLocation,
    Settings,
    database_location,
    load_settings,
    mask_url,
    parse_database,
    resolve_paths,
)
from pressctl.errors import EXIT_CONFIG, ConfigError

SECRET = "s3cret-Pw"
PG = "postgresql://anne@db.example.org:5432/press"


def parse(text: str, base: Path = Path("/base")) -> DatabaseLocation:
    return parse_database(text, base=base, where="--db")


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse(text)
    assert caught.value.exit_code == EXIT_CONFIG
    return caught.value


def command(code: str) -> str:
    return shlex.join([sys.executable, "-c", code])


# -- what --db, PRESSCTL_DB and [database] url accept -------------------------------------


@pytest.mark.parametrize(("text", "path"), [
    ("/srv/press/book.db", "/srv/press/book.db"),
    ("book.db", "/base/book.db"),  # relative: to the current folder (--db) or the config's
    ("data/book.db", "/base/data/book.db"),
    ("sqlite:///srv/press/book.db", "/srv/press/book.db"),
    ("sqlite:book.db", "/base/book.db"),
    ("sqlite:/srv/press/book.db", "/srv/press/book.db"),
    ("SQLite:///srv/book.db", "/srv/book.db"),
    ("./notes:2026.db", "/base/notes:2026.db"),  # a colon after a slash is a file's name
])
def test_a_path_or_a_sqlite_url_is_a_sqlite_file(text, path):
    location = parse(text)
    assert location == DatabaseLocation(path=Path(path))
    assert location.url is None and not location.is_postgres
    assert location.masked == path


def test_a_home_relative_path_is_expanded(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse("~/press.db").path == tmp_path / "press.db"
    assert parse("sqlite:~/press.db").path == tmp_path / "press.db"


@pytest.mark.parametrize("url", [
    PG,
    "postgres://anne@db.example.org/press",
    "postgresql:///press",  # the local socket
    "postgresql://db.example.org/?dbname=press",
    "PostgreSQL://anne@db.example.org/press?sslmode=verify-full&connect_timeout=5",
    "postgresql://anne@db1.example.org:5432,db2.example.org:5432/press",
    f"postgresql://anne:{SECRET}@db.example.org/press",
])
def test_a_postgresql_url_is_kept_as_written(url):
    location = parse(url)
    assert location.url == url and location.path is None and location.is_postgres
    assert location.conninfo({}) == url  # libpq reads it, its PG* variables and .pgpass


@pytest.mark.parametrize(("text", "fragment"), [
    (f"mysql://root:{SECRET}@db.example.org/press", "unknown database scheme 'mysql:'"),
    ("notes:2026.db", "a file whose name holds a colon: ./notes:"),
    ("sqlite://db.example.org/book.db", "a sqlite: URL names a file, not a host"),
    ("sqlite:", "the sqlite: URL names no file"),
    ("sqlite://", "the sqlite: URL names no file"),
    (f"postgresql://anne:{SECRET}@db.example.org", "names no database"),
    (f"postgresql://anne:{SECRET}@db.example.org:5432/", "names no database"),
    (f"postgresql://anne:{SECRET}@db.example.org/?sslmode=require", "names no database"),
    (f"postgresql:anne:{SECRET}@db", "is not a PostgreSQL URL"),
])
def test_a_bad_location_is_a_configuration_error_that_hides_the_password(text, fragment):
    err = refused(text)
    assert str(err).startswith("--db: ")
    assert fragment in str(err)
    assert err.hint
    assert SECRET not in "".join(traceback.format_exception(err))


def test_a_url_without_a_database_says_how_to_name_it():
    err = refused(f"postgresql://anne:{SECRET}@db.example.org")
    assert err.message == "--db: postgresql://anne:***@db.example.org names no database"
    assert err.hint == "add its name after the host: postgresql://user@host:5432/dbname"


def test_a_postgresql_url_without_the_driver_names_the_extra_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "psycopg" else real(name, *a))
    err = refused(f"postgresql://anne:{SECRET}@db.example.org/press")
    assert "its driver (psycopg) is not installed" in err.message
    assert "pip install 'pressctl[postgres]'" in err.hint
    assert SECRET not in str(err)
    assert parse("/srv/book.db").path == Path("/srv/book.db")  # SQLite needs no driver


def test_reading_a_postgresql_location_never_imports_psycopg():
    code = ("import sys; from pathlib import Path; from pressctl.config import parse_database,"
            " mask_url; loc = parse_database('postgresql://a:b@h/db', base=Path('/'), "
            "where='x'); mask_url(loc.url); loc.conninfo({}); "
            "assert 'psycopg' not in sys.modules, 'psycopg imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr


# -- which one is used -------------------------------------------------------------------


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("option", "env_db", "config_url", "expected"), [
    ("opt.db", "env.db", "cfg.db", "opt.db"),
    (None, "env.db", "cfg.db", "env.db"),
    (None, None, "cfg.db", "cfg.db"),
    (None, None, None, "home/pressctl.db"),
    (f"{PG}-opt", "env.db", "cfg.db", f"{PG}-opt"),
    (None, f"{PG}-env", "cfg.db", f"{PG}-env"),
    (None, None, f"{PG}-cfg", f"{PG}-cfg"),
    ("opt.db", f"{PG}-env", f"{PG}-cfg", "opt.db"),
])
def test_db_option_beats_pressctl_db_beats_the_config_url_beats_the_home(
        tmp_path, monkeypatch, option, env_db, config_url, expected):
    monkeypatch.chdir(tmp_path)
    home = tmp_path / "home"
    write_config(home, f'[database]\nurl = "{config_url}"\n' if config_url else "")
    env = {"PRESSCTL_DB": env_db} if env_db else {}
    paths = resolve_paths(env, home, option)
    location = database_location(paths, load_settings(paths.config_file))
    if expected.startswith("postgresql:"):
        assert location == DatabaseLocation(url=expected)
    else:
        # a relative --db or PRESSCTL_DB is taken from the current folder, a relative
        # [database] url from the config file's folder (the home)
        base = home if expected == config_url else tmp_path
        assert location == DatabaseLocation(path=base / expected)


def test_paths_database_stays_the_sqlite_file_for_sqlite_users(tmp_path):
    paths = resolve_paths({"PRESSCTL_DB": str(tmp_path / "env.db")}, tmp_path / "h")
    assert paths.database == tmp_path / "env.db" and paths.database_url is None
    pg = resolve_paths({"PRESSCTL_DB": PG}, tmp_path / "h")
    assert pg.database == tmp_path / "h" / "pressctl.db"  # the file used without the URL
    assert pg.database_url == PG and pg.delivery_dir == tmp_path / "h"
    assert database_location(pg, Settings()) == DatabaseLocation(url=PG)


def test_the_config_url_comes_with_its_password_sources(tmp_path):
    write_config(tmp_path, f'[database]\nurl = "{PG}"\npassword_env = "PRESSCTL_DB_PASSWORD"\n'
                 'password_command = "pass show press-db"\n')
    settings = load_settings(tmp_path / "config.toml")
    assert settings.database == DatabaseLocation(
        url=PG, password_env="PRESSCTL_DB_PASSWORD", password_command="pass show press-db")
    # a URL given by --db / PRESSCTL_DB authenticates by libpq's own means (PGPASSWORD,
    # ~/.pgpass): the config's password sources belong to the config's url
    other = resolve_paths({"PRESSCTL_DB": PG + "2"}, tmp_path)
    assert database_location(other, settings) == DatabaseLocation(url=PG + "2")


@pytest.mark.parametrize(("text", "fragment"), [
    ('[database]\npassword_env = "PW"\n', "[database] needs a url"),
    ("[database]\nurl = 5\n", "database.url must be text"),
    ('[database]\nurl = ""\n', "database.url must be text"),
    ('[database]\nurl = "book.db"\npassword_env = "PW"\n',
     "database.password_env is for a PostgreSQL url"),
    ('[database]\nurl = "x"\nhost = "db"\n', "unknown key 'host' in [database]"),
    (f'[database]\nurl = "mysql://root:{SECRET}@db/press"\n',
     "database.url: unknown database scheme 'mysql:'"),
    (f'[database]\nurl = "postgresql://anne:{SECRET}@db"\n',
     "database.url: postgresql://anne:***@db names no database"),
])
def test_a_bad_database_table_names_the_file_and_the_key(tmp_path, text, fragment):
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "config.toml")
    assert str(tmp_path / "config.toml") in str(caught.value)
    assert fragment in str(caught.value)
    assert SECRET not in str(caught.value)


# -- never shown ---------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "masked"), [
    (f"postgresql://anne:{SECRET}@db/press", "postgresql://anne:***@db/press"),
    ("postgresql://anne@db/press", "postgresql://anne@db/press"),
    ("postgresql:///press", "postgresql:///press"),
    (f"postgresql://db/press?sslmode=require&password={SECRET}",
     "postgresql://db/press?sslmode=require&password=***"),
    (f"postgresql://db/press?sslpassword={SECRET}&PASSWORD={SECRET}",
     "postgresql://db/press?sslpassword=***&PASSWORD=***"),
    (f"postgresql://db/press?pass%77ord={SECRET}", "postgresql://db/press?pass%77ord=***"),
    (f"postgresql://anne:{SECRET}@x/y@db/press", "postgresql://anne:***@db/press"),
    (f"postgresql://anne:{SECRET}@db1:5432,db2:5432/press",
     "postgresql://anne:***@db1:5432,db2:5432/press"),
    (f"postgresql://anne:{SECRET}@[::1]:5432/press", "postgresql://anne:***@[::1]:5432/press"),
])
def test_a_password_is_never_shown(url, masked):
    assert mask_url(url) == masked
    location = DatabaseLocation(url=url)
    assert location.masked == masked
    assert SECRET not in repr(location) and SECRET not in str(location)
    assert SECRET not in repr(resolve_paths({"PRESSCTL_DB": url}, Path("/h")))


def test_a_location_is_a_file_or_a_url():
    with pytest.raises(ValueError):
        DatabaseLocation()
    with pytest.raises(ValueError):
        DatabaseLocation(path=Path("/b.db"), url=PG)
    with pytest.raises(ValueError):
        DatabaseLocation(path=Path("/b.db")).conninfo({})


# -- the password, for the driver ------------------------------------------------------------


AWKWARD = "p@ss/w:rd&x=y%?# é"


def libpq_reads(conninfo: str) -> dict:
    pytest.importorskip("psycopg")
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(conninfo)


@pytest.mark.parametrize("url", [
    PG,
    PG + "?sslmode=require",
    PG + "?",
    "postgresql://anne:old-password@db.example.org:5432/press",
])
def test_password_env_reaches_libpq_whatever_its_characters(url):
    location = DatabaseLocation(url=url, password_env="PW")
    read = libpq_reads(location.conninfo({"PW": AWKWARD}))
    assert read["password"] == AWKWARD
    assert read["dbname"] == "press" and read["host"] == "db.example.org"
    assert read["user"] == "anne"


def test_password_command_gives_the_password_with_the_mapping_as_its_environment():
    location = DatabaseLocation(url=PG, password_command=command(
        "import os; print(os.environ['VAULT']); print('second line')"))
    assert libpq_reads(location.conninfo({"VAULT": AWKWARD}))["password"] == AWKWARD


def test_an_unset_variable_falls_back_to_the_command():
    location = DatabaseLocation(url=PG, password_env="PW",
                                password_command=command("print('from command')"))
    assert libpq_reads(location.conninfo({}))["password"] == "from command"
    assert libpq_reads(location.conninfo({"PW": "from env"}))["password"] == "from env"


@pytest.mark.parametrize(("location", "fragment"), [
    (DatabaseLocation(url=PG, password_env="PW"),
     "the database password variable PW is not set (set PW in pressctl's environment"),
    (DatabaseLocation(url=PG, password_command=command(
        "import sys; print('s3cret' + '-Pw'); sys.exit('gpg: ' + 's3cret' + '-Pw')")),
     "failed: exit status 1 (it must print the password on its first stdout line)"),
    (DatabaseLocation(url=PG, password_command="/nonexistent/vault read db"),
     "[database] password_command \"/nonexistent/vault read db\" failed: program "
     "'/nonexistent/vault' not found"),
])
def test_a_password_that_cannot_be_had_is_exit_4_and_never_shows_the_output(location,
                                                                             fragment):
    with pytest.raises(ConfigError) as caught:
        location.conninfo({"PW": ""})
    assert caught.value.exit_code == EXIT_CONFIG
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(("the database password", "[database] password_command"))
    shown = "".join(traceback.format_exception(caught.value))
    assert f"gpg: {SECRET}" not in shown and f"\n{SECRET}" not in shown


# -- the CLI hands over the URL as written ----------------------------------------------------


@pytest.mark.parametrize("url", ["postgresql://anne@h:5432/db", "postgresql:///db",
                                 "sqlite:///srv/book.db"])
def test_the_db_option_reaches_the_config_as_written(url, monkeypatch):
    from pressctl.cli.app import build_app
    from pressctl.cli.context import State

    seen: list[str | None] = []
    monkeypatch.setattr(State, "paths", property(lambda self: seen.append(self.db)))
    from typer.testing import CliRunner

    CliRunner().invoke(build_app(), ["--db", url, "paths"])
    assert seen and seen[0] == url  # typer gives text: no "//" folded into "/"


@pytest.mark.sqlite_only  # the home's own pressctl.db (or a config of its own)
def test_sqlite_users_pay_nothing_for_postgresql_at_start_up(home):
    """`outbox run` (cron's command) in a SQLite home loads neither the driver nor the
    password helpers (a Maildir home has no password to fetch)."""
    # A run with work ends through launcher.end_now (no interpreter teardown): the probe
    # names the modules there, or after an idle run's return.
    code = ("import sys\nfrom pressctl.cli import launcher\n"
            "def modules(code=0):\n"
            "    print(sorted(m for m in sys.modules if m.startswith('psycopg')"
            " or m == 'pressctl.secrets'))\n"
            "    raise SystemExit(code)\n"
            "launcher.end_now = modules\nlauncher.main(['outbox', 'run'])\nmodules()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
