"""`pressctl contacts list` on a PostgreSQL book, answered by the launcher without typer
(pressctl.cli.fast_list, issue 12): the book named by PRESSCTL_DB, --db or config.toml's
[database] url, its password from [database] password_env / password_command. Every test
runs both paths (the full one with PRESSCTL_NO_FAST_PATH) and compares stdout, stderr and
the exit code byte for byte, as tests/cli/test_cli_fast_list.py does on SQLite."""

from __future__ import annotations

import sys

import pytest
from test_cli_fast_list import FORMS, compare, env_of, loaded, on_pipe, probe

from pressctl.cli import fast_list

pytestmark = pytest.mark.parametrize("home", ["postgresql"], indirect=True)

SECRET = "s3cr3t-Pa55"


def _without_database(config) -> str:
    """config.toml as `init` wrote it, but its [database] table (comments only)."""
    text = config.read_text()
    assert "\n[database]\n" in text
    return text.replace("\n[database]\n", "\n")


def warm(console_script, home, **extra: str) -> None:
    """The first list checks config.toml (full path) and leaves the stamp."""
    code, _, errors = on_pipe([str(console_script), "contacts", "list"],
                              env_of(home, **extra))
    assert code == 0, errors
    assert (home / fast_list.STAMP_NAME).is_file()


@pytest.fixture
def pg_listed(sample_book, home, console_script):
    """The sample book on the tests' PostgreSQL server, named by PRESSCTL_DB, its stamp
    written by a first list."""
    import os

    url = os.environ["PRESSCTL_DB"]
    warm(console_script, home, PRESSCTL_DB=url)
    return home, url


def _compare(console_script, home, url, args, **kw):
    return compare(console_script, home, args, PRESSCTL_DB=url, **kw)


@pytest.mark.parametrize("words", FORMS, ids=[" ".join(f) or "plain" for f in FORMS])
def test_each_form_on_a_postgresql_book_prints_what_the_full_path_prints(pg_listed,
                                                                         console_script,
                                                                         words):
    home, url = pg_listed
    code, out, _ = _compare(console_script, home, url, ["contacts", "list", *words])
    assert code == 0 and out


def test_on_a_terminal_a_postgresql_book_is_drawn_as_the_full_path_draws_it(pg_listed,
                                                                             console_script):
    home, url = pg_listed
    code, out, _ = _compare(console_script, home, url, ["contacts", "list"], terminal=True)
    assert code == 0 and "Bresson" in out.decode()


def test_piped_a_postgresql_list_imports_no_typer_rich_or_settings_parser(pg_listed):
    home, url = pg_listed
    modules = probe(["contacts", "list", "--search", "bresson"], env_of(home, PRESSCTL_DB=url))
    assert modules is not None, "the full path ran"
    assert "psycopg" in modules
    assert loaded(modules, ("typer", "click", "rich", "phonenumbers")) == set()
    assert "pressctl.config.settings" not in modules and "pressctl.store.gdpr" not in modules


def test_a_url_given_by_db_is_listed_fast(pg_listed, console_script):
    home, url = pg_listed
    # PRESSCTL_DB set but empty: as if unset, on both paths
    code, out, errors = _compare(console_script, home, "",
                                 [f"--db={url}", "contacts", "list", "--tag", "space"])
    assert code == 0 and b"Bresson" in out and errors.endswith(b"contact(s)\n")
    code, out, errors = _compare(console_script, home, "",
                                 ["--db", url, "contacts", "list", "--search", "bresson"])
    assert code == 0 and b"Bresson" in out


def test_a_url_in_config_toml_is_listed_fast_with_its_password_source(
        sample_book, home, console_script, monkeypatch):
    import os

    url = os.environ["PRESSCTL_DB"]
    monkeypatch.delenv("PRESSCTL_DB")
    config = home / "config.toml"
    config.write_text(_without_database(config) + f'\n[database]\nurl = "{url}"\n'
                      'password_env = "PRESSCTL_TEST_DB_PASSWORD"\n')
    # The variable unset: the full path refuses (exit 4), and so does every list.
    code, out, errors = compare(console_script, home, ["contacts", "list"], fast=False,
                                PRESSCTL_DB="")
    assert (code, out) == (4, b"") and b"PRESSCTL_TEST_DB_PASSWORD" in errors
    # Set (the tests' server trusts its loopback clients: any password connects).
    warm(console_script, home, PRESSCTL_TEST_DB_PASSWORD=SECRET)
    assert "database url" in (home / fast_list.STAMP_NAME).read_text()
    assert SECRET not in (home / fast_list.STAMP_NAME).read_text()
    code, out, errors = compare(console_script, home, ["contacts", "list", "--json"],
                                PRESSCTL_TEST_DB_PASSWORD=SECRET)
    assert code == 0 and SECRET.encode() not in out + errors
    # Edited: the stamp no longer holds, the full path checks it again.
    config.write_text(config.read_text().replace(
        'password_env = "PRESSCTL_TEST_DB_PASSWORD"',
        f'password_command = "{sys.executable} -c \'print(\\"{SECRET}\\")\'"'))
    assert probe(["contacts", "list"], env_of(home)) is None
    code, out, errors = compare(console_script, home, ["contacts", "list", "--org", "CNES"])
    assert code == 0 and b"Bresson" in out and SECRET.encode() not in out + errors


def test_a_failing_password_command_is_reported_by_the_full_path(sample_book, home,
                                                                  console_script,
                                                                  monkeypatch):
    import os

    url = os.environ["PRESSCTL_DB"]
    monkeypatch.delenv("PRESSCTL_DB")
    config = home / "config.toml"
    config.write_text(_without_database(config) + f'\n[database]\nurl = "{url}"\n'
                      'password_command = "false"\n')
    warm_code, _, _ = on_pipe([str(console_script), "contacts", "list"], env_of(home))
    assert warm_code == 4  # every list says it: the stamp (of a valid file) is no help
    code, out, errors = compare(console_script, home, ["contacts", "list"], fast=False,
                                PRESSCTL_DB="")
    assert (code, out) == (4, b"") and b"password_command" in errors


def test_a_server_that_does_not_answer_is_reported_with_the_password_masked(
        pg_listed, console_script):
    home, url = pg_listed
    host, _, rest = url.partition("@")
    port = rest.split("/", 1)[0].rsplit(":", 1)[1]
    closed = f"{host}:{SECRET}@{rest}".replace(f":{port}/", ":1/")  # nothing listens on 1
    code, out, errors = _compare(console_script, home, closed, ["contacts", "list"],
                                 fast=False)
    assert (code, out) == (4, b"") and b"cannot connect" in errors
    assert SECRET.encode() not in errors and b":***@" in errors


def test_a_sqlite_url_in_config_toml_takes_the_full_path(sample_book, home, console_script,
                                                         monkeypatch):
    monkeypatch.delenv("PRESSCTL_DB")
    config = home / "config.toml"
    config.write_text(_without_database(config) + '\n[database]\nurl = "sqlite:elsewhere.db"\n')
    on_pipe([str(console_script), "contacts", "list"], env_of(home))  # the stamp
    assert "database url" in (home / fast_list.STAMP_NAME).read_text()
    code, out, errors = compare(console_script, home, ["contacts", "list"], fast=False,
                                PRESSCTL_DB="")
    assert (code, out) == (4, b"") and b"elsewhere.db" in errors
