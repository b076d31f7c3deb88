"""Loud homes (issue 7, finding 8): only `init` creates a home or a database.

Every other command that reads or writes the book refuses a home or database that does
not exist (exit 4, one line naming it and the `init` that creates it) and creates nothing:
a crontab line with a typo in --home must complain, not deliver nothing forever.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from conftest import SAMPLES

from pressctl.resources import shipped_dir

# A missing home or book FILE (the messages name the file and the `init` to run); a
# PostgreSQL book that still needs its home is tested here too, on its own.
pytestmark = pytest.mark.sqlite_only

RELEASE = shipped_dir("examples") / "PR106-2020.en.md"


# Every command that opens the book; "MBOX" stands for an empty mbox file.
BOOK_COMMANDS = [
    ["contacts", "list"],
    ["contacts", "add", "Jane Doe", "--email", "jane@example.com"],
    ["contacts", "import", str(SAMPLES / "contacts.csv")],
    ["contacts", "export", "--format", "json"],
    ["contacts", "show", "1"],
    ["contacts", "check"],
    ["orgs", "list"],
    ["orgs", "import", str(SAMPLES / "organizations.json")],
    ["audiences", "list"],
    ["audiences", "add", "space", "tag:space"],
    ["release", "check", str(RELEASE)],
    ["release", "preview", str(RELEASE)],
    ["mailout", "list"],
    ["mailout", "create", str(RELEASE), "--at", "now", "--yes"],
    ["mailout", "cancel", "1"],
    ["optouts", "import", "MBOX"],
    ["outbox", "run"],
    ["outbox", "cron"],  # a crontab line for a typo home is the bug itself
    ["smtp", "test"],
]


@pytest.mark.parametrize("command", BOOK_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_book_command_refuses_a_missing_home_and_creates_nothing(
        cli, missing_home, tmp_path, command):
    mbox = tmp_path / "replies.mbox"
    mbox.write_text("")
    result = cli(*[str(mbox) if word == "MBOX" else word for word in command])
    assert result.exit_code == 4, result.stderr
    assert result.stderr == (f"Error: no pressctl home at {missing_home}: run "
                             f"`pressctl init --home {missing_home}` first\n")
    assert result.stdout == ""
    assert not missing_home.exists()


def test_outbox_run_on_a_typo_home_exits_4_and_creates_no_database(cli, missing_home):
    """Finding 8: `PRESSCTL_HOME=/typo pressctl outbox run` created an empty database and
    exited 0, so a crontab with a typo never delivered and never complained."""
    result = cli("outbox", "run")
    assert result.exit_code == 4
    assert f"no pressctl home at {missing_home}" in result.stderr
    assert not missing_home.exists()


def test_outbox_run_from_cron_on_a_typo_home_exits_4_and_creates_nothing(
        console_script, tmp_path):
    """The same, the way cron runs it: the installed script, a bare environment."""
    typo = tmp_path / "typo"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
           "PRESSCTL_HOME": str(typo), "LANG": "C.UTF-8"}
    done = subprocess.run([str(console_script), "outbox", "run"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 4, done.stderr
    assert done.stderr == (f"Error: no pressctl home at {typo}: run "
                           f"`pressctl init --home {typo}` first\n")
    assert done.stdout == ""
    assert not typo.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing anywhere else either


def test_the_advised_init_command_works(cli, missing_home):
    refused = cli("outbox", "run")
    advice = refused.stderr.split("`")[1].split()
    assert advice == ["pressctl", "init", "--home", str(missing_home)]
    assert cli(*advice[1:]).exit_code == 0
    assert cli("contacts", "list").exit_code == 0


def test_a_missing_database_given_by_db_is_named_with_its_init_command(cli, home, tmp_path):
    db = tmp_path / "elsewhere" / "book.db"
    result = cli("--db", db, "contacts", "list")
    assert result.exit_code == 4
    assert result.stderr == (f"Error: no pressctl database at {db}: run "
                             f"`pressctl init --home {home} --db {db}` first\n")
    assert not db.parent.exists()
    assert cli("init", "--db", db).exit_code == 0
    assert cli("--db", db, "contacts", "list").exit_code == 0


def test_a_missing_database_from_pressctl_db_is_refused(cli, home, tmp_path, monkeypatch):
    db = tmp_path / "env.db"
    monkeypatch.setenv("PRESSCTL_DB", str(db))
    result = cli("contacts", "add", "Jane Doe", "--email", "jane@example.com")
    assert result.exit_code == 4
    assert f"no pressctl database at {db}: run `pressctl init --home {home} --db {db}`" \
        in result.stderr
    assert not db.exists()


def test_a_home_without_its_database_is_refused(cli, home):
    (home / "pressctl.db").unlink()
    result = cli("mailout", "list")
    assert result.exit_code == 4
    assert result.stderr == (f"Error: no pressctl database at {home / 'pressctl.db'}: run "
                             f"`pressctl init --home {home}` first\n")
    assert not (home / "pressctl.db").exists()


def test_without_a_home_the_platform_database_must_exist(cli, tmp_path, monkeypatch):
    monkeypatch.delenv("PRESSCTL_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user" / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "user" / "data"))
    database = tmp_path / "user" / "data" / "pressctl" / "pressctl.db"
    result = cli("outbox", "run")
    assert result.exit_code == 4
    assert result.stderr == (f"Error: no pressctl database at {database}: run "
                             "`pressctl init` first\n")
    assert not (tmp_path / "user").exists()
    assert cli("init").exit_code == 0
    assert database.exists()
    assert cli("contacts", "list").exit_code == 0


def test_a_home_that_is_a_file_is_refused(cli, tmp_path, monkeypatch):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("hello")
    monkeypatch.setenv("PRESSCTL_HOME", str(not_a_folder))
    result = cli("contacts", "list")
    assert result.exit_code == 4
    assert f"{not_a_folder} is not a folder" in result.stderr
    assert not_a_folder.read_text() == "hello"


@pytest.mark.parametrize("command", [
    ["paths"],
    ["paths", "--json"],
    ["check", "phone", "01 44 76 75 39"],
    ["check", "email", "jane@example.com"],
    ["--help"],
    ["--version"],
    ["contacts", "--help"],
    ["templates", "list"],
    ["templates", "path"],
], ids=" ".join)
def test_commands_that_do_not_open_the_book_work_without_a_home(cli, missing_home, command):
    result = cli(*command)
    assert result.exit_code == 0, result.stderr
    assert not missing_home.exists()


def test_release_new_works_without_a_home(cli, missing_home, tmp_path):
    result = cli("release", "new", tmp_path / "draft.md")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "draft.md").exists()
    assert not missing_home.exists()


def test_a_postgresql_book_still_needs_its_home(cli, missing_home, monkeypatch):
    """A server's database has no file to check, but the home given (config.toml, the
    unsubscribe key) must exist: the typo'd crontab line still complains."""
    monkeypatch.setenv("PRESSCTL_DB", "postgresql://anne:s3cret-Pw@db.example.org/press")
    result = cli("outbox", "run")
    assert result.exit_code == 4
    assert result.stderr == (
        f"Error: no pressctl home at {missing_home}: run `pressctl init --home {missing_home} "
        "--db 'postgresql://anne:***@db.example.org/press'` first\n")
    assert not missing_home.exists()


def test_a_missing_sqlite_file_named_in_the_config_is_refused_then_made_by_init(cli, home):
    (home / "config.toml").write_text('[database]\nurl = "sqlite:books/press.db"\n')
    database = home / "books" / "press.db"
    result = cli("contacts", "list")
    assert result.exit_code == 4
    assert result.stderr == (f"Error: no pressctl database at {database}: run "
                             f"`pressctl init --home {home}` first\n")
    assert not database.exists()
    made = cli("init", "--home", home)
    assert made.exit_code == 0, made.stderr
    assert f"Created {database} (0 contacts)" in made.stderr
    assert cli("contacts", "add", "Jane Doe", "--email", "jane@example.com").exit_code == 0
    assert "Jane Doe" in cli("--db", f"sqlite://{database}", "contacts", "list").stdout
