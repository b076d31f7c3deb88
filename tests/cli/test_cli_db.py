"""`pressctl db status`, `db copy` and `db backup` through the CLI, on real SQLite files and
a real PostgreSQL server: what a press officer sees, the exit codes, and that a refused
or failed command leaves every database as it was."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from conftest import NOW, db_snapshot, home_location, home_store, init_home
from mailing import embargoed_release, release_now

from pressctl.config import parse_database
from pressctl.contacts.model import Contact
from pressctl.store import Store, transfer
from pressctl.store.migrations import MIGRATIONS

SECRET = "s3cret-Pa55word"


def with_password(url: str) -> str:
    """The tests' server trusts its user: any password connects, and must never show."""
    return url.replace("postgresql://pressctl@", f"postgresql://pressctl:{SECRET}@", 1)


def never_shown(result) -> None:
    assert SECRET not in result.stdout and SECRET not in result.stderr


@pytest.fixture
def runner(tmp_path, monkeypatch):
    """Run pressctl in-process in a home of its own (SQLite), for tests that name their
    databases themselves with --db or as arguments."""
    from typer.testing import CliRunner

    from pressctl.cli.app import build_app

    monkeypatch.delenv("PRESSCTL_DB", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PRESSCTL_HOME", str(init_home(tmp_path / "own-home")))
    monkeypatch.chdir(tmp_path)

    def invoke(*args):
        argv = [str(a) for a in args]
        return CliRunner().invoke(build_app(argv), argv, catch_exceptions=False)

    return invoke


@pytest.fixture
def team_book(postgres_server, pg_book_template):
    """An empty book (pressctl's schema, no rows) on the tests' server, never the home's."""
    url = postgres_server.new_database("team_book", template=pg_book_template)
    yield url
    postgres_server.drop_database(url)


def book_text(home: Path) -> str:
    """The home's book as SOURCE/TARGET or --db write it: its file, or its URL."""
    location = home_location(home)
    return location.url or str(location.path)




@pytest.fixture
def mailed_book(sample_book, tmp_path):
    """The sample book with a saved audience, an opt-out, a mailout delivered by `outbox
    run` (into the home's Maildir) and an embargoed pair waiting for 2099; returns
    (cli, the mailout ids)."""
    cli = sample_book
    assert cli("audiences", "add", "space", "tag:space").exit_code == 0
    assert cli("contacts", "optout", "claire.fontaine@gazette-espace.example.org",
               "--note", "asked by phone").exit_code == 0
    sent = cli("mailout", "create", release_now(tmp_path), "--yes", "--json")
    assert sent.exit_code == 0, sent.stderr
    ran = cli("outbox", "run")
    assert ran.exit_code == 0, ran.stderr
    waiting = cli("mailout", "create", embargoed_release(tmp_path), "--yes", "--json")
    assert waiting.exit_code == 0, waiting.stderr
    ids = [m["id"] for m in json.loads(sent.stdout) + json.loads(waiting.stdout)]
    shown = json.loads(cli("mailout", "show", ids[0], "--json").stdout)
    assert {r["state"] for r in shown["rows"]} == {"sent"}
    return cli, ids


# --- db status ----------------------------------------------------------------------------


def test_db_status_says_backend_location_schema_counts_and_waiting_rows(mailed_book, home):
    cli, ids = mailed_book
    result = cli("db", "status", "--json")
    assert result.exit_code == 0, result.stderr
    found = json.loads(result.stdout)
    location = home_location(home)
    assert found["backend"] == ("postgresql" if location.url else "sqlite")
    assert found["location"] == location.masked
    assert found["schema_version"] == MIGRATIONS[-1].name
    assert found["counts"] == {"contacts": 26, "organisations": 2, "audiences": 1,
                               "mailouts": 3}
    # the delivered mailout waits for nothing; of the embargoed pair, the embargoed
    # copies are due now and the public ones at the lift, in 2099
    embargoed, public = (len(json.loads(cli("mailout", "show", i, "--json").stdout)["rows"])
                         for i in ids[1:])
    waiting = embargoed + public
    assert found["waiting"] == {"queued": waiting, "due": embargoed, "sending": 0}
    assert embargoed and public
    if location.path is not None:
        assert found["size_bytes"] == location.path.stat().st_size
    else:
        assert found["size_bytes"] > 0  # the database on its server
    assert "checksum" not in found  # only on request: it reads the whole book
    text = cli("db", "status")
    assert text.exit_code == 0
    assert f"location       {location.masked}\n" in text.stdout
    assert f"schema         {MIGRATIONS[-1].name}\n" in text.stdout
    assert f"waiting        {waiting} queued, {embargoed} due now, 0 being sent\n" in \
        text.stdout


def test_db_status_counts_what_is_due_now(sample_book, tmp_path):
    cli = sample_book
    created = json.loads(cli("mailout", "create", release_now(tmp_path), "--yes",
                             "--json").stdout)
    found = json.loads(cli("db", "status", "--json").stdout)
    recipients = created[0]["recipients"]
    assert found["waiting"] == {"queued": recipients, "due": recipients, "sending": 0}


def test_db_status_never_shows_the_databases_password(runner, pg_book_url):
    url = with_password(pg_book_url)
    masked = url.replace(SECRET, "***")
    as_json = runner("--db", url, "db", "status", "--json")
    assert as_json.exit_code == 0, as_json.stderr
    assert json.loads(as_json.stdout)["location"] == masked
    as_text = runner("--db", url, "db", "status")
    assert as_text.exit_code == 0 and f"location       {masked}\n" in as_text.stdout
    for result in (as_json, as_text):
        never_shown(result)


def test_db_status_checksum_is_the_one_a_copy_reports(mailed_book, home, tmp_path):
    cli, _ = mailed_book
    status = json.loads(cli("db", "status", "--json", "--checksum").stdout)
    copied = cli("db", "copy", book_text(home), tmp_path / "copy.db", "--json")
    assert copied.exit_code == 0, copied.stderr
    assert json.loads(copied.stdout)["checksum"] == status["checksum"]
    assert json.loads(copied.stdout)["tables"] == status["tables"]


# --- db copy ------------------------------------------------------------------------------


def test_a_book_goes_to_the_other_backend_and_back_unchanged(mailed_book, home, tmp_path,
                                                             request):
    cli, ids = mailed_book
    source = book_text(home)
    made = []
    if home_location(home).url is None:  # a laptop's book to the team's server, and back
        middle, back = request.getfixturevalue("pg_url"), str(tmp_path / "back.db")
        server_copy = middle
    else:  # the team's book to a laptop, and back to another (empty) database
        server = request.getfixturevalue("postgres_server")
        middle, back = str(tmp_path / "laptop.db"), server.new_database("back")
        made.append(back)
        server_copy = back
    try:
        there = cli("db", "copy", source, middle, "--json")
        assert there.exit_code == 0, there.stderr
        again = cli("db", "copy", middle, back, "--json")
        assert again.exit_code == 0, again.stderr
        there, again = json.loads(there.stdout), json.loads(again.stdout)
        assert there["checksum"] == again["checksum"]
        assert there["tables"] == again["tables"] and there["target_created"]
        assert there["tables"]["mailout_rows"]["rows"] > 0
        assert there["tables"]["changes"]["rows"] > 0  # the audit trail goes along

        def seen(where: str) -> list[str]:
            results = [cli("--db", where, "contacts", "list", "--json")]
            results += [cli("--db", where, "mailout", "show", i, "--json") for i in ids]
            results.append(cli("--db", where, "db", "status", "--checksum", "--json"))
            assert all(r.exit_code == 0 for r in results), [r.stderr for r in results]
            status = json.loads(results.pop().stdout)
            assert status["checksum"] == there["checksum"]
            return [r.stdout for r in results]

        assert seen(source) == seen(middle) == seen(back)
        # Later inserts into the PostgreSQL copy get fresh ids (its sequences were reset).
        added = cli("--db", server_copy, "orgs", "add", "Agence spatiale", "--json")
        assert added.exit_code == 0, added.stderr
        assert json.loads(added.stdout)["id"] == 3  # the sample book has 2
        created = cli("--db", server_copy, "mailout", "create", release_now(tmp_path),
                      "--yes", "--json")
        assert created.exit_code == 0, created.stderr
        assert json.loads(created.stdout)[0]["id"] == max(ids) + 1
    finally:
        for url in made:
            request.getfixturevalue("postgres_server").drop_database(url)


def test_db_copy_prints_rows_per_table_and_the_checksum(mailed_book, home, tmp_path):
    cli, _ = mailed_book
    result = cli("db", "copy", book_text(home), tmp_path / "copy.db")
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["contacts"] == "26" and len(lines["checksum"]) == 64
    assert "outbox_lease" not in lines and "schema_migrations" not in lines
    assert result.stderr.startswith("Copied ") and "counts and checksums match" in \
        result.stderr
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600


def test_a_target_that_holds_a_book_is_refused_and_unchanged(mailed_book, home, tmp_path):
    cli, _ = mailed_book
    target = tmp_path / "team.db"
    other = Store.open(target)
    with other.transaction():
        other.contacts.insert([Contact("Already here", emails=["here@example.org"],
                                       created=NOW, updated=NOW)])
    other.close()
    before = db_snapshot(target)
    result = cli("db", "copy", book_text(home), target)
    assert result.exit_code == 3 and result.stdout == ""
    assert f"Error: {target} is not an empty book: it holds 1 contacts, 1 contact_emails" \
        in result.stderr
    assert "nothing was changed" in result.stderr and result.stderr.count("\n") == 1
    assert db_snapshot(target) == before


def test_a_postgresql_target_that_holds_a_book_is_refused_and_unchanged(mailed_book, home,
                                                                      tmp_path, team_book):
    cli, _ = mailed_book
    url = with_password(team_book)
    assert cli("db", "copy", book_text(home), url).exit_code == 0
    target = Store.open(parse_database(url, base=tmp_path, where="test"), create=False)
    before = db_snapshot(target)
    result = cli("db", "copy", book_text(home), url)
    assert result.exit_code == 3
    assert "is not an empty book: it holds" in result.stderr and "26 contacts" in \
        result.stderr and "mailouts" in result.stderr
    assert url.replace(SECRET, "***") in result.stderr
    never_shown(result)
    assert db_snapshot(target) == before
    target.close()


def test_a_copy_failing_midway_leaves_the_target_unchanged(mailed_book, home, tmp_path,
                                                           team_book, monkeypatch):
    cli, _ = mailed_book
    real = transfer.insert_rows

    def failing(database, table, columns, rows):
        if table == "mailout_rows":
            raise RuntimeError("connection reset by peer")
        real(database, table, columns, rows)

    monkeypatch.setattr(transfer, "insert_rows", failing)
    # a new file: removed again
    new_file = tmp_path / "new.db"
    result = cli("db", "copy", book_text(home), new_file)
    assert result.exit_code == 4 and result.stdout == ""
    assert "copying table mailout_rows failed (connection reset by peer)" in result.stderr
    assert "rolled back, nothing was changed" in result.stderr
    assert list(tmp_path.glob("new.db*")) == []
    # an empty book on the server: as it was
    target = Store.open(parse_database(team_book, base=tmp_path, where="test"),
                        create=False)
    before = db_snapshot(target)
    assert cli("db", "copy", book_text(home), team_book).exit_code == 4
    assert db_snapshot(target) == before
    target.close()


def test_a_copy_into_an_empty_postgresql_database_creates_the_schema(runner, tmp_path,
                                                                     pg_url):
    book = tmp_path / "laptop.db"
    Store.open(book).close()
    result = runner("db", "copy", book, pg_url, "--json")
    assert result.exit_code == 0, result.stderr
    done = json.loads(result.stdout)
    assert done["target_created"] and done["schema_version"] == MIGRATIONS[-1].name
    assert runner("--db", pg_url, "db", "status").exit_code == 0


def test_db_copy_refuses_the_same_database_twice(runner, tmp_path):
    book = tmp_path / "book.db"
    Store.open(book).close()
    before = db_snapshot(book)
    result = runner("db", "copy", book, f"sqlite:///{book}")
    assert result.exit_code == 3
    assert f"SOURCE and TARGET are the same database ({book})" in result.stderr
    assert db_snapshot(book) == before


def test_db_copy_of_a_missing_book_creates_nothing(runner, tmp_path):
    result = runner("db", "copy", tmp_path / "typo.db", tmp_path / "copy.db")
    assert result.exit_code == 4 and f"no contact book at {tmp_path / 'typo.db'}" in \
        result.stderr
    assert not (tmp_path / "typo.db").exists() and not (tmp_path / "copy.db").exists()


def test_db_copy_never_spreads_a_book_among_another_programs_tables(runner, tmp_path):
    book = tmp_path / "book.db"
    Store.open(book).close()
    other = tmp_path / "invoices.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
    connection.commit()
    connection.close()
    before = db_snapshot(other)
    result = runner("db", "copy", book, other)
    assert result.exit_code == 3
    assert f"{other} is not a pressctl book: it holds other tables (invoices)" in \
        result.stderr
    assert db_snapshot(other) == before


def test_db_copy_with_a_bad_location_is_exit_4_without_the_password(runner, tmp_path):
    result = runner("db", "copy", f"mysql://anne:{SECRET}@db/press", tmp_path / "copy.db")
    assert result.exit_code == 4 and "SOURCE: unknown database scheme 'mysql:'" in \
        result.stderr
    never_shown(result)
    assert not (tmp_path / "copy.db").exists()


# --- db backup ----------------------------------------------------------------------------


@pytest.mark.sqlite_only
def test_db_backup_is_a_private_book_with_the_same_contents(mailed_book, home, tmp_path):
    cli, ids = mailed_book
    status = json.loads(cli("db", "status", "--checksum", "--json").stdout)
    backup = tmp_path / "backups" / "press.db"
    backup.parent.mkdir()
    result = cli("db", "backup", backup, "--json")
    assert result.exit_code == 0, result.stderr
    done = json.loads(result.stdout)
    assert done["checksum"] == status["checksum"] and done["file"] == str(backup)
    assert done["size_bytes"] == backup.stat().st_size
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert [p.name for p in backup.parent.iterdir()] == ["press.db"]  # no temporary left
    copy = json.loads(cli("--db", backup, "db", "status", "--checksum", "--json").stdout)
    assert copy["checksum"] == status["checksum"]
    assert cli("--db", backup, "mailout", "show", ids[0], "--json").stdout == \
        cli("mailout", "show", ids[0], "--json").stdout
    text = cli("db", "backup", tmp_path / "second.db")
    assert text.exit_code == 0 and f"checksum  {status['checksum']}\n" in text.stdout
    assert text.stderr == f"Backed up {home_location(home).path} to {tmp_path / 'second.db'}\n"


@pytest.mark.sqlite_only
def test_db_backup_refuses_to_overwrite_unless_forced(cli, home, tmp_path):
    backup = tmp_path / "press.db"
    backup.write_text("last week's backup")
    result = cli("db", "backup", backup)
    assert result.exit_code == 3
    assert f"{backup} already exists: nothing was written" in result.stderr
    assert "--force" in result.stderr and backup.read_text() == "last week's backup"
    forced = cli("db", "backup", backup, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert Store.open(backup, create=False).database.schema_version() == MIGRATIONS[-1].name
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


@pytest.mark.sqlite_only
def test_db_backup_refuses_the_book_itself_and_a_folder(cli, home, tmp_path):
    book = home_location(home).path
    before = db_snapshot(home)
    for target in (book, tmp_path):
        result = cli("db", "backup", target, "--force")
        assert result.exit_code == 3 and "nothing was written" in result.stderr
    assert db_snapshot(home) == before
    missing = cli("db", "backup", tmp_path / "no-such-folder" / "press.db")
    assert missing.exit_code == 3 and "cannot write the backup" in missing.stderr


@pytest.mark.sqlite_only
def test_db_backup_is_consistent_while_another_connection_writes(cli, home, tmp_path):
    # A writer adds contacts five at a time, each five in one transaction, while the
    # backup runs: the backup holds whole transactions only, and the writer never fails.
    book = home_location(home).path
    stop, failures, written = threading.Event(), [], [0]

    def write() -> None:
        store = Store.open(book, create=False)
        try:
            while not stop.is_set():
                n = written[0]
                with store.transaction():
                    store.contacts.insert([
                        Contact(f"Writer {n + i}", emails=[f"w{n + i}@example.org"],
                                created=NOW, updated=NOW) for i in range(5)])
                written[0] += 5
        except Exception as err:  # reported below
            failures.append(err)
        finally:
            store.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while written[0] < 50:
            threading.Event().wait(0.01)
        results = [cli("db", "backup", tmp_path / f"b{i}.db", "--json") for i in range(3)]
        while written[0] < 100:  # the book keeps working after the backups
            threading.Event().wait(0.01)
    finally:
        stop.set()
        writer.join(30)
    assert failures == []
    for result in results:
        assert result.exit_code == 0, result.stderr
        copied = json.loads(result.stdout)["tables"]
        assert copied["contacts"]["rows"] % 5 == 0 and copied["contacts"]["rows"] >= 50
        assert copied["contact_emails"]["rows"] == copied["contacts"]["rows"]
        backup = Path(json.loads(result.stdout)["file"])
        connection = sqlite3.connect(backup)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        connection.close()
    final = json.loads(cli("db", "status", "--json").stdout)
    assert final["counts"]["contacts"] == written[0] >= 100


def test_db_backup_of_a_postgresql_book_is_refused_with_the_pg_dump_command(runner, tmp_path,
                                                                            pg_book_url):
    url = with_password(pg_book_url)
    result = runner("--db", url, "db", "backup", tmp_path / "press.db")
    assert result.exit_code == 4 and result.stdout == ""
    masked = url.replace(SECRET, "***")
    assert f"{masked} is a PostgreSQL database" in result.stderr
    assert f"pg_dump -Fc -f press.dump '{masked}'" in result.stderr
    never_shown(result)
    assert not (tmp_path / "press.db").exists()


def test_db_group_is_listed_with_its_commands(runner):
    top = runner("--help")
    assert top.exit_code == 0 and "db " in top.stdout
    group = runner("db", "--help")
    assert all(name in group.stdout for name in ("status", "copy", "backup"))


@pytest.mark.parametrize("command", [["db", "status"], ["db", "backup", "BACKUP"]],
                         ids=lambda c: " ".join(c[:2]))
def test_db_commands_refuse_a_missing_home_and_create_nothing(cli, missing_home, tmp_path,
                                                              command):
    backup = tmp_path / "backup.db"
    result = cli(*[str(backup) if word == "BACKUP" else word for word in command])
    assert result.exit_code == 4, result.stderr
    assert result.stderr.startswith(f"Error: no pressctl home at {missing_home}: run ")
    assert not missing_home.exists() and not backup.exists()


def test_db_copy_warns_of_rows_a_worker_was_sending(mailed_book, home, tmp_path):
    cli, ids = mailed_book
    with home_store(home) as store, store.transaction():
        store.db.execute("UPDATE mailout_rows SET state = 'sending', claimed_by = 'run-x' "
                         "WHERE id = (SELECT min(id) FROM mailout_rows WHERE mailout_id = ?)",
                         (ids[1],))
    result = cli("db", "copy", book_text(home), tmp_path / "copy.db", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["sending"] == 1
    assert result.stderr.startswith("Warning: 1 row(s) were being sent by an `outbox run`")
    quiet = cli("db", "copy", book_text(home), tmp_path / "other.db")
    assert "Warning" in quiet.stderr  # in text too
    status = json.loads(cli("--db", tmp_path / "copy.db", "db", "status", "--json").stdout)
    assert status["waiting"]["sending"] == 1
