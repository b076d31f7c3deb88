"""`pressctl outbox run` with nothing to do, as cron runs it every minute (issue 12).

The console script answers it without typer, the book or a transport (pressctl.cli.idle,
pressctl.store.idle), and exactly as the full path would: exit 0, nothing printed,
nothing written to the book. Anything else (work in the book, a command line or a home
it is not sure of, a config.toml not checked yet, a PostgreSQL book) takes the full path,
which does and says what it always did. The subprocess tests run the installed console
script on real homes; the agreement test puts one book through every state a run cares
about and compares the fast answer with what a full run did."""

from __future__ import annotations

import ast
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES, home_store
from mailing import release, release_now

from pressctl.cli import idle

# What the cron form of `outbox run` must not import when there is nothing to do.
HEAVY_PACKAGES = ("typer", "click", "rich", "psycopg", "phonenumbers", "email_validator",
                  "jinja2", "platformdirs")
HEAVY_MODULES = ("pressctl.book", "pressctl.delivery", "pressctl.store", "pressctl.config",
                 "pressctl.releases", "pressctl.contacts", "pressctl.errors", "pressctl.cli.app")
# Runs the launcher as the console script does, then names every module imported; the
# full path exits inside main() (typer's SystemExit), so the line is printed only when the
# fast path answered.
PROBE = ("import sys\nfrom pressctl.cli.launcher import main\nmain(sys.argv[1:])\n"
         "print('MODULES', ' '.join(sorted(sys.modules)))\n")


def script(console_script: Path, *args: str, env: dict[str, str] | None = None):
    return subprocess.run([str(console_script), *args], env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=120, check=False)


def fast_modules(*args: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules `pressctl ARGS` imported, when the fast path answered (else fails)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.startswith("MODULES "), "the full path ran: " + done.stdout
    return set(done.stdout.split()[1:])


def heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY_PACKAGES
            or any(m == h or m.startswith(h + ".") for h in HEAVY_MODULES)}


def warm(home: Path, console_script: Path) -> None:
    """One full run, as cron's first: it checks config.toml and leaves the stamp."""
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", ""), done.stderr
    assert (home / idle.STAMP_NAME).is_file()


def warm_if_sqlite(home: Path, console_script: Path) -> None:
    """``warm`` on SQLite: so that the fast path would answer, were it wrong to."""
    if not os.environ.get("PRESSCTL_DB"):
        warm(home, console_script)


def verdict(now: str | None = None) -> str | None:
    return idle.check(["outbox", "run"], os.environ, now).reason


def mailout_now(cli, tmp_path: Path, *extra: str) -> dict:
    created = cli("mailout", "create", release_now(tmp_path), "--yes", "--json", *extra)
    assert created.exit_code == 0, created.stderr
    [mailout] = json.loads(created.stdout)
    return mailout


def execute(home: Path, sql: str, params: tuple = ()) -> None:
    with home_store(home) as store, store.transaction():
        store.db.execute(sql, params)


def delivered(home: Path) -> list[Path]:
    folder = home / "outbox" / "new"
    return sorted(folder.iterdir()) if folder.exists() else []


# -- nothing to do: the fast path -----------------------------------------------------------


@pytest.mark.sqlite_only
def test_nothing_due_exits_0_silently_without_typer_the_book_or_the_transport(
        home, console_script):
    warm(home, console_script)
    book = home / "pressctl.db"
    before = (book.read_bytes(), book.stat().st_mtime_ns)
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert (book.read_bytes(), book.stat().st_mtime_ns) == before  # read, never written
    modules = fast_modules("outbox", "run")
    assert "pressctl.cli.idle" in modules
    assert heavy(modules) == set()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", [
    ["--home", "{home}", "outbox", "run"],  # the line `pressctl outbox cron` prints
    ["--home={home}", "-q", "--no-color", "outbox", "run"],
    ["--quiet", "--debug", "--db", "{home}/pressctl.db", "--as", "cron job", "outbox", "run"],
], ids=["home", "home=", "db-as"])
def test_the_cron_forms_with_global_options_are_answered_as_typer_reads_them(
        home, console_script, cli, words):
    warm(home, console_script)
    args = [word.format(home=home) for word in words]
    assert heavy(fast_modules(*args)) == set()
    full = cli(*args)  # typer reads the same line, and has nothing to say either
    assert (full.exit_code, full.stdout, full.stderr) == (0, "", "")


@pytest.mark.sqlite_only
def test_a_relative_home_and_database_are_taken_from_the_current_folder(
        home, console_script, monkeypatch):
    warm(home, console_script)
    monkeypatch.chdir(home.parent)
    monkeypatch.setenv("PRESSCTL_HOME", home.name)
    assert verdict() is None
    assert idle.check(["--db", "home/pressctl.db", "outbox", "run"], os.environ).idle
    assert "no home folder" in idle.check(["--home", "nowhere", "outbox", "run"],
                                          os.environ).reason


# -- the stamp: config.toml checked once by the full path ------------------------------------


@pytest.mark.sqlite_only
def test_the_first_run_checks_config_toml_then_runs_trust_it_while_it_is_unchanged(
        home, console_script):
    assert not (home / idle.STAMP_NAME).exists()
    assert verdict() == "config.toml was not checked by this pressctl yet"
    warm(home, console_script)
    assert verdict() is None
    assert (home / idle.STAMP_NAME).stat().st_mode & 0o777 == 0o600
    config = home / "config.toml"
    config.write_text(config.read_text() + "\n# edited\n")
    assert verdict() == "config.toml was not checked by this pressctl yet"
    warm(home, console_script)  # checked again, stamped again
    assert verdict() is None


@pytest.mark.sqlite_only
def test_a_stamp_of_other_code_or_another_file_is_not_trusted(home, console_script):
    warm(home, console_script)
    stamp = home / idle.STAMP_NAME
    good = stamp.read_text()
    lines = good.splitlines()
    for broken in (good.replace(lines[1], "code 0" * 10),  # another pressctl
                   good.replace(lines[2], "config " + "0" * 64),  # another config.toml
                   good.replace(lines[4], "migrations"),  # no migrations named
                   "\n".join(lines[:4]) + "\n", ""):
        stamp.write_text(broken)
        assert verdict() == "config.toml was not checked by this pressctl yet", broken


@pytest.mark.sqlite_only
def test_an_invalid_config_toml_is_reported_by_every_run_as_the_full_path_does(
        home, console_script, cli):
    warm(home, console_script)
    (home / "config.toml").write_text('[display]\nphone_style = "fancy"\n')
    expected = cli("outbox", "run")
    assert expected.exit_code == 4 and "phone_style" in expected.stderr
    for _ in range(2):  # never stamped: each run says it again
        done = script(console_script, "outbox", "run")
        assert (done.returncode, done.stdout, done.stderr) == (4, "", expected.stderr)
        assert verdict() == "config.toml was not checked by this pressctl yet"


@pytest.mark.sqlite_only
def test_no_config_toml_means_the_defaults_and_is_answered_fast(home, console_script):
    (home / "config.toml").unlink()
    warm(home, console_script)
    assert "config none" in (home / idle.STAMP_NAME).read_text()
    assert heavy(fast_modules("outbox", "run")) == set()


@pytest.mark.sqlite_only
def test_a_database_url_in_config_toml_takes_the_full_path(home, console_script):
    (home / "config.toml").write_text(f'[database]\nurl = "sqlite:///{home}/pressctl.db"\n')
    warm(home, console_script)
    assert verdict() == "config.toml names the database by its url"
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_postgresql_url_takes_the_full_path(home, monkeypatch):
    monkeypatch.setenv("PRESSCTL_DB", "postgresql://presse@db.example.org/press")
    assert verdict() == "the database is given by URL (PostgreSQL, or sqlite:)"
    monkeypatch.setenv("PRESSCTL_DB", "sqlite:///srv/press.db")
    assert verdict() == "the database is given by URL (PostgreSQL, or sqlite:)"


def test_a_postgresql_book_takes_the_full_path_which_still_works(home, console_script):
    # [sqlite]: the same runs, on the fast path after the first; [postgresql]: the full one
    for _ in range(2):
        done = script(console_script, "outbox", "run")
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    verbose = script(console_script, "outbox", "run", "--verbose")
    assert verbose.returncode == 0 and verbose.stderr.startswith("Nothing due")
    if os.environ.get("PRESSCTL_DB"):
        assert not (home / idle.STAMP_NAME).exists()  # never needed: never written


# -- work in the book: the full path does it --------------------------------------------------


def test_a_mailout_due_now_is_delivered_by_the_full_path(
        sample_book, home, console_script, tmp_path):
    warm_if_sqlite(home, console_script)
    mailout = mailout_now(sample_book, tmp_path, "--now")
    assert verdict() is not None
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert len(delivered(home)) == mailout["recipients"]
    assert verdict() in (None, "the database is given by URL (PostgreSQL, or sqlite:)")


# A run with work ends as the fast paths do (pressctl.cli.launcher.end_now): no interpreter
# teardown, which an atexit handler of the probe would show, and the run's exit code.
TEARDOWN_PROBE = ("import atexit, sys\nfrom pressctl.cli.launcher import main\n"
                  "atexit.register(lambda: print('TEARDOWN'))\nmain(sys.argv[1:])\n")


@pytest.mark.sqlite_only
def test_a_run_with_work_ends_without_the_interpreter_teardown(
        sample_book, home, console_script, tmp_path):
    warm(home, console_script)
    mailout = mailout_now(sample_book, tmp_path, "--now")
    done = subprocess.run([sys.executable, "-c", TEARDOWN_PROBE, "outbox", "run"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert len(delivered(home)) == mailout["recipients"]
    # Any other command still ends the ordinary way.
    other = subprocess.run([sys.executable, "-c", TEARDOWN_PROBE, "contacts", "show", "1"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert other.returncode == 0 and other.stdout.endswith("TEARDOWN\n"), other.stderr


@pytest.mark.sqlite_only
def test_a_failed_run_with_work_keeps_its_exit_code_and_its_whole_message(
        sample_book, home, console_script, tmp_path):
    import socket

    with socket.socket() as sock:  # a port nothing listens on: the relay is unreachable
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n', encoding="utf-8")
    mailout_now(sample_book, tmp_path, "--now")
    done = subprocess.run([sys.executable, "-c", TEARDOWN_PROBE, "outbox", "run"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 5
    assert "TEARDOWN" not in done.stdout
    assert f"cannot reach 127.0.0.1:{port}" in done.stderr
    assert done.stderr.endswith("\n") and "Traceback" not in done.stderr


def test_a_retry_is_left_waiting_until_its_time_then_sent_by_the_full_path(
        sample_book, home, console_script, tmp_path):
    warm_if_sqlite(home, console_script)
    mailout = mailout_now(sample_book, tmp_path, "--now")
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    execute(home, "UPDATE mailout_rows SET attempts = 1, next_attempt_at = ?", (later,))
    assert verdict() is not None  # a due mailout: the run still writes its log line
    waiting = script(console_script, "outbox", "run")
    assert (waiting.returncode, waiting.stdout, waiting.stderr) == (0, "", "")
    assert delivered(home) == []
    execute(home, "UPDATE mailout_rows SET next_attempt_at = '2020-01-01T00:00:00Z'")
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert len(delivered(home)) == mailout["recipients"]


def test_a_row_left_in_flight_by_a_dead_run_is_recovered_by_the_full_path(
        sample_book, home, console_script, tmp_path):
    warm_if_sqlite(home, console_script)
    mailout = mailout_now(sample_book, tmp_path, "--at", "in 2h")
    execute(home, "UPDATE mailout_rows SET state = 'sending', claimed_by = 'dead-run' "
                  "WHERE id = (SELECT min(id) FROM mailout_rows)")
    assert verdict() is not None
    done = script(console_script, "outbox", "run")
    assert done.returncode == 5 and "unknown" in done.stderr  # as ever: it may have gone
    rows = json.loads(sample_book("mailout", "show", str(mailout["id"]), "--json").stdout)
    assert sorted(r["state"] for r in rows["rows"])[-1] == "unknown"
    assert delivered(home) == []  # not due yet


def test_a_paused_mailout_with_due_rows_is_left_alone_as_the_full_path_does(
        sample_book, home, console_script, tmp_path):
    warm_if_sqlite(home, console_script)
    mailout = mailout_now(sample_book, tmp_path, "--now")
    assert sample_book("mailout", "pause", str(mailout["id"])).exit_code == 0
    full = sample_book("outbox", "run")  # what the full path does today: nothing
    assert (full.exit_code, full.stdout, full.stderr) == (0, "", "")
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert delivered(home) == []
    if not os.environ.get("PRESSCTL_DB"):
        assert verdict() is None and heavy(fast_modules("outbox", "run")) == set()


@pytest.mark.sqlite_only
def test_in_flight_files_left_by_a_dead_run_take_the_full_path_which_removes_them(
        home, console_script):
    warm(home, console_script)
    leftovers = home / "pressctl.db-inflight"
    leftovers.mkdir()
    assert verdict() is None  # an empty folder is what every finished run leaves
    (leftovers / "4242-deadbeef0000").write_bytes(b"\0" * 24)
    assert verdict() == "a dead run left its in-flight files"
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert list(leftovers.iterdir()) == [] and verdict() is None


@pytest.mark.sqlite_only
def test_verbose_and_json_print_what_the_full_path_prints(home, console_script):
    warm(home, console_script)
    verbose = script(console_script, "outbox", "run", "--verbose")
    assert verbose.returncode == 0 and verbose.stdout == ""
    assert verbose.stderr == f"Nothing due (Maildir {home / 'outbox'})\n"
    report = script(console_script, "outbox", "run", "--json")
    assert report.returncode == 0 and json.loads(report.stdout)["mailouts"] == []


# -- what the full path refuses, it still refuses ---------------------------------------------


@pytest.mark.sqlite_only
def test_a_typo_home_given_by_option_is_exit_4_with_the_same_message(
        home, console_script, tmp_path):
    typo = tmp_path / "typo"
    done = script(console_script, "--home", str(typo), "outbox", "run")
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr == (f"Error: no pressctl home at {typo}: run "
                           f"`pressctl init --home {typo}` first\n")
    assert not typo.exists()


@pytest.mark.sqlite_only
def test_a_missing_book_in_a_home_is_exit_4_and_nothing_is_created(home, console_script):
    warm(home, console_script)
    (home / "pressctl.db").unlink()
    assert verdict() == "no database file: the full path says what to do"
    done = script(console_script, "outbox", "run")
    assert (done.returncode, done.stdout) == (4, "")
    assert done.stderr.startswith(f"Error: no pressctl database at {home / 'pressctl.db'}")
    assert not (home / "pressctl.db").exists()


@pytest.mark.sqlite_only
def test_a_name_the_full_path_refuses_is_refused_as_before(home, console_script):
    warm(home, console_script)
    env = dict(os.environ, PRESSCTL_USER="press\toffice")
    done = script(console_script, "outbox", "run", env=env)
    assert done.returncode == 4 and "PRESSCTL_USER" in done.stderr
    refused = script(console_script, "--as", "x" * 65, "outbox", "run")
    assert refused.returncode == 3 and "--as" in refused.stderr


# -- the parts, each against what it stands in for --------------------------------------------


@pytest.mark.parametrize(("args", "expected"), [
    (["outbox", "run"], {}),
    (["--home", "/h", "outbox", "run"], {"--home": "/h"}),
    (["--home=/h", "-q", "--db", "b.db", "--as=Anne Martin", "--no-color", "--debug",
      "outbox", "run"], {"--home": "/h", "--quiet": "", "--db": "b.db",
                         "--as": "Anne Martin", "--no-color": "", "--debug": ""}),
    (["outbox", "run", "--verbose"], None),
    (["outbox", "run", "-v"], None),
    (["outbox", "run", "--json"], None),
    (["outbox", "run", "--help"], None),
    (["--home", "outbox", "run"], None),  # "outbox" would be the home: typer says so
    (["--home", "/a", "--home", "/b", "outbox", "run"], None),
    (["-q", "--quiet", "outbox", "run"], None),
    (["--home=", "outbox", "run"], None),
    (["--home", "-q", "outbox", "run"], None),
    (["--verbose", "outbox", "run"], None),
    (["--version", "outbox", "run"], None),
    (["--", "outbox", "run"], None),
    (["-qq", "outbox", "run"], None),
    (["outbox", "cron"], None),
    (["contacts", "list"], None),
    ([], None),
])
def test_only_the_cron_form_is_answered(args, expected):
    assert idle.cron_options(args) == expected


@pytest.mark.parametrize("text", [
    "press.db", "./press.db", "/srv/press.db", "C:press.db", "a/b:c.db", "1x:y", "x:y",
    "sqlite:///srv/press.db", "sqlite:press.db", "postgresql://u@h/db", "postgres://h/db",
    "mysql://h/db", "é:x", "ab+c.d-e:x", ":x"])
def test_a_url_is_told_from_a_path_as_the_config_does(text):
    from pressctl.config.locations import _SCHEME

    assert idle._has_scheme(text) == bool(_SCHEME.match(text))


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("option_home", "env_home", "option_db", "env_db"), [
    (None, "ENV", None, None),
    ("OPT", "ENV", None, None),
    (None, "ENV", "other/book.db", None),
    (None, "ENV", None, "/abs/book.db"),
    ("OPT", None, "b.db", "/abs/book.db"),
])
def test_the_files_are_where_pressctl_config_finds_them(
        tmp_path, monkeypatch, option_home, env_home, option_db, env_db):
    from pressctl.config import resolve_paths

    monkeypatch.chdir(tmp_path)
    for folder in ("OPT", "ENV"):
        (tmp_path / folder).mkdir()
    env = {k: v for k, v in (("PRESSCTL_HOME", env_home), ("PRESSCTL_DB", env_db)) if v}
    options = {k: v for k, v in (("--home", option_home), ("--db", option_db)) if v}
    place = idle.locate(options, env)
    paths = resolve_paths(env, Path(option_home) if option_home else None, option_db)
    assert not isinstance(place, str), place
    assert Path(place.config_file) == paths.config_file
    assert Path(place.database) == paths.database
    assert place.db_given == bool(option_db or env_db)


def test_without_a_home_the_platforms_folders_are_left_to_the_full_path(tmp_path):
    # platformdirs would find them as pressctl.config does, but its import costs more
    # than the rest of the answer
    assert idle.locate({}, {}) == \
        "no home given: the platform's folders are left to the full path"
    assert idle.locate({"--db": str(tmp_path / "b.db")}, {"PRESSCTL_HOME": ""}) == \
        "no home given: the platform's folders are left to the full path"
    assert idle.locate({"--home": "~/press"}, {}) == "the home starts with ~"
    assert idle.locate({"--home": str(tmp_path), "--db": "~/b.db"}, {}) == \
        "the database path starts with ~"


def test_the_acting_name_is_judged_as_the_full_path_judges_it():
    from pressctl.book.changes import MAX_ACTOR, actor_problem

    assert idle.MAX_ACTOR == MAX_ACTOR
    for name in ("anne", "  Anne Martin  ", "", "   ", "x" * 64, " " + "x" * 64 + " ",
                 "x" * 65, "anne\nbob", "tab\there", "é", "\udcff", "\u200b", "a\x00"):
        fine = idle.actor_problem({"--as": name}, {}) is None
        assert fine == (actor_problem(name) is None), repr(name)
    assert idle.actor_problem({}, {"PRESSCTL_USER": "x\ty", "LOGNAME": "anne"})
    assert idle.actor_problem({}, {"PRESSCTL_USER": "", "LOGNAME": "anne"}) is None
    assert idle.actor_problem({}, {"LOGNAME": "", "USER": "a\nb"})
    assert idle.actor_problem({}, {}) is None  # the password database's name, or "unknown"


def test_the_fast_modules_import_only_the_standard_library():
    # pressctl.store.idle is loaded from its file, without pressctl.store's __init__:
    # it must not need anything of pressctl; pressctl.cli.idle imports the rest only on
    # the way to the full path, inside its functions.
    package = Path(idle.__file__).resolve().parent.parent
    allowed = {"__future__", "sqlite3", "collections.abc", "os", "sys", "time"}
    for module in ("store/idle.py", "cli/idle.py"):
        tree = ast.parse((package / module).read_text(encoding="utf-8"))
        top = {alias.name for node in tree.body if isinstance(node, ast.Import)
               for alias in node.names}
        top |= {node.module for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.module}
        assert top <= allowed, module


# -- the store's question -----------------------------------------------------------------------


def _migrations() -> set[str]:
    from pressctl.store.migrations import MIGRATIONS

    return {m.name for m in MIGRATIONS}


@pytest.mark.sqlite_only
def test_a_book_that_needs_migrating_or_is_not_in_wal_mode_takes_the_full_path(home):
    from pressctl.store.idle import pending_work

    path = str(home / "pressctl.db")
    now = "2030-01-01T00:00:00Z"
    assert pending_work(path, now, _migrations()) is None
    assert pending_work(path, now, _migrations() | {"9999_newer"}) == \
        "the book's migrations are not this pressctl's"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode = DELETE")
    connection.close()
    assert pending_work(path, now, _migrations()) == "the book is in delete mode, not WAL"


@pytest.mark.sqlite_only
def test_every_row_in_flight_is_found_even_one_whose_mailout_is_gone(home):
    # The run's recovery takes every 'sending' row; so does the fast question, through
    # the index, whatever mailout_id the row has.
    from pressctl.store.idle import pending_work

    path = str(home / "pressctl.db")
    connection = sqlite3.connect(path)  # foreign keys off, as any other program's
    connection.execute(
        "INSERT INTO mailout_rows (mailout_id, variant, name, address, salutation, "
        "message_id, token, state, updated) VALUES (999, 0, 'A', 'a@example.org', '', "
        "'<1@example.org>', 't', 'sending', '2030-01-01T00:00:00Z')")
    connection.commit()
    connection.close()
    assert pending_work(path, "2030-01-01T00:00:00Z", _migrations()) == \
        "rows are in flight (a dead run's, to recover)"


@pytest.mark.sqlite_only
def test_a_file_that_is_no_book_or_no_file_is_left_to_the_full_path(tmp_path):
    from pressctl.store.idle import pending_work

    other = tmp_path / "notes.db"
    other.write_text("not a database")
    assert pending_work(str(other), "2030-01-01T00:00:00Z", {"x"}).startswith(
        "cannot read the book")
    missing = tmp_path / "we?ird#%name.db"
    assert pending_work(str(missing), "2030-01-01T00:00:00Z", {"x"}).startswith(
        "cannot open the book read-only")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]  # nothing created


# -- the fast answer and the full run agree on "is there work" ----------------------------------

AT = datetime(2030, 3, 2, 9, 0, tzinfo=UTC)  # an hour after the mailout below is due


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _tables(db) -> list[tuple]:
    """Every row of every table of the book (virtual ones, full-text indexes, are kept in
    step by triggers on the others): equal lists mean a run wrote nothing."""
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
        "ORDER BY name")]
    return [(name, sorted(map(repr, db.execute(f'SELECT * FROM "{name}"')))) for name in names]


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _lease(pid_of: Callable[[], int]) -> Callable:
    def setup(db) -> None:
        from pressctl.delivery.lease import process_started, this_host

        pid = pid_of()
        db.execute("INSERT INTO outbox_lease (name, run_id, host, pid, pid_started, "
                   "acquired_at, heartbeat_at, expires_at) VALUES ('outbox', ?, ?, ?, ?, ?, "
                   "?, ?)", (f"{pid}-run", this_host(), pid, process_started(pid),
                             _iso(AT), _iso(AT), _iso(AT + timedelta(minutes=1))))
    return setup


# state -> (how to put the book in it, the fast answer: work?, the full run: did work?)
STATES: dict[str, tuple[Callable, bool, bool]] = {
    "scheduled later": (lambda db: db.execute(
        "UPDATE mailouts SET due_at = ?", (_iso(AT + timedelta(days=1)),)), False, False),
    "due": (lambda db: None, True, True),
    "retry not yet": (lambda db: db.execute(
        "UPDATE mailout_rows SET attempts = 1, next_attempt_at = ?",
        (_iso(AT + timedelta(minutes=10)),)), True, True),  # the run logs a line
    "retry come": (lambda db: db.execute(
        "UPDATE mailout_rows SET attempts = 1, next_attempt_at = ?",
        (_iso(AT - timedelta(minutes=1)),)), True, True),
    "past give_up_after": (lambda db: db.execute(
        "UPDATE mailouts SET due_at = ?", (_iso(AT - timedelta(days=2)),)), True, True),
    "paused, rows due": (lambda db: db.execute(
        "UPDATE mailouts SET state = 'paused'"), False, False),
    "cancelled": (lambda db: (db.execute("UPDATE mailouts SET state = 'cancelled'"),
                              db.execute("UPDATE mailout_rows SET state = 'cancelled'")),
                  False, False),
    "done": (lambda db: (db.execute("UPDATE mailouts SET state = 'done'"),
                         db.execute("UPDATE mailout_rows SET state = 'sent'")), False, False),
    "all sent, not yet marked done": (lambda db: db.execute(
        "UPDATE mailout_rows SET state = 'sent', sent_at = ?", (_iso(AT),)), True, True),
    "in flight, dead run": (lambda db: (db.execute(
        "UPDATE mailouts SET due_at = ?", (_iso(AT + timedelta(days=1)),)), db.execute(
        "UPDATE mailout_rows SET state = 'sending', claimed_by = 'dead-run' "
        "WHERE id = (SELECT min(id) FROM mailout_rows)")), True, True),
    "lease of a dead run": (lambda db: (db.execute(
        "UPDATE mailouts SET due_at = ?", (_iso(AT + timedelta(days=1)),)),
        _lease(_dead_pid)(db)), True, True),
    # The one state where the fast answer is more careful than it needs to be: a live run
    # holds the lease, and the full path only says so (with --verbose).
    "lease of a live run": (lambda db: (db.execute(
        "UPDATE mailouts SET due_at = ?", (_iso(AT + timedelta(days=1)),)),
        _lease(os.getpid)(db)), True, False),
}


@pytest.mark.sqlite_only
@pytest.mark.parametrize("state", list(STATES))
def test_the_fast_answer_and_a_full_run_agree_on_whether_there_is_work(book, tmp_path, state):
    from conftest import home_of

    from pressctl.book.importer import import_file
    from pressctl.contacts.formats.files import open_contact_file
    from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
    from pressctl.delivery.run import Transports, journal_folder, run_outbox
    from pressctl.delivery.transport.recorder import RecordingTransport
    from pressctl.releases.templating import Templates
    from pressctl.store.idle import pending_work

    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    path = release(tmp_path, embargo=None, audience="tag:space")
    plans = plan_mailouts(book, path, at=None, audience=None, now=AT - timedelta(hours=1))
    store_mailouts(book, plans, Templates(), path=path, token_key=b"k" * 64)
    setup, fast_expected, full_expected = STATES[state]
    with book.store.transaction():
        setup(book.store.db)

    fast = pending_work(str(book.store.path), _iso(AT), _migrations())

    home = home_of(book)
    log = home / "outbox.log"
    journals = journal_folder(book.store, home)
    before = (_tables(book.store.db), log.exists(), journals.exists())
    transport = RecordingTransport()
    report = run_outbox(book, home=home, env={}, now=lambda: AT,
                        transports=Transports(lambda: transport, 1, "test"))
    after = (_tables(book.store.db), log.exists(), journals.exists())
    full = bool(report.mailouts or transport.sent or before != after)

    assert (fast is not None, full) == (fast_expected, full_expected), fast
    assert fast is not None or not full  # never idle where a run has something to do
