"""Honest storage errors (issue 7, finding 9), on real faults of real files.

A full disk, a read-only file system, a locked database and a damaged file are each
reported as what they are: exit 4, one line with SQLite's own words, advice that cannot
lose data, and the book unchanged. Only a damaged file is ever to be moved away, and the
advice is then to keep a copy first. The full disk and the read-only mount are made for
real with a small tmpfs and a read-only bind mount (root, or CAP_SYS_ADMIN: skipped with
the reason otherwise); SQLite's ``max_page_count`` gives a real SQLITE_FULL everywhere.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, db_snapshot

import pressctl.store
from pressctl.contacts.model import Contact
from pressctl.errors import StorageError, StorageKind
from pressctl.resources import shipped_dir
from pressctl.store import Store
from pressctl.store.failures import storage_error

# The faults of a SQLite file (full disk, read-only, locked, damaged) and what pressctl
# says of them; a database server's faults are tested in tests/store/test_postgres_store.py.
pytestmark = pytest.mark.sqlite_only

RELEASE = shipped_dir("examples") / "PR106-2020.en.md"
NOW = "2026-11-22T10:00:00Z"


# -- real mounts -------------------------------------------------------------------------

@pytest.fixture
def mounts():
    """Mount helpers; everything mounted is unmounted afterwards, even when a test fails."""
    mounted: list[Path] = []

    def run(*command: str, what: str) -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot {what} on this machine ({done.stderr.strip()}): "
                        "needs root or CAP_SYS_ADMIN")

    def tmpfs(point: Path, size_kb: int) -> Path:
        point.mkdir(parents=True, exist_ok=True)
        run("mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(point),
            what="mount a tmpfs")
        mounted.append(point)
        return point

    def read_only(source: Path, point: Path) -> Path:
        point.mkdir(parents=True, exist_ok=True)
        run("mount", "--bind", str(source), str(point), what="bind-mount a folder")
        mounted.append(point)
        run("mount", "-o", "remount,bind,ro", str(point), what="remount a bind mount read-only")
        return point

    class Mounts:
        pass

    helpers = Mounts()
    helpers.tmpfs = tmpfs  # type: ignore[attr-defined]
    helpers.read_only = read_only  # type: ignore[attr-defined]
    yield helpers
    for point in reversed(mounted):
        unmounted = subprocess.run(["umount", str(point)], capture_output=True, check=False)
        if unmounted.returncode != 0:  # still busy: detach it now, freed when let go
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def _fill(folder: Path, leave: int = 0) -> None:
    """Fill the file system holding ``folder`` for real, leaving about ``leave`` bytes."""
    import shutil

    with open(folder / "filler", "wb") as handle:
        try:
            want = shutil.disk_usage(folder).free - leave
            while want > 0:
                handle.write(b"\0" * min(want, 65536))
                handle.flush()
                want -= 65536
        except OSError:
            pass  # the disk is full: that was the point


def _big_contact_file(path: Path, count: int = 4000) -> Path:
    items = [{"name": f"Person {i}", "emails": [f"p{i}@example.com"],
              "notes": f"note {i} " + "x" * 400} for i in range(count)]
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def _one_line(stderr: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("Error: "), stderr
    assert "Traceback" not in stderr
    assert "cannot rollback" not in stderr  # the old ROLLBACK mask


def _initialised(cli, home: Path, monkeypatch) -> Path:
    monkeypatch.setenv("PRESSCTL_HOME", str(home))
    assert cli("init").exit_code == 0
    return home / "pressctl.db"


# -- disk full ---------------------------------------------------------------------------

def test_disk_full_during_import_is_exit_4_with_the_real_cause_and_changes_nothing(
        cli, tmp_path, mounts, monkeypatch):
    """Finding 9: a full disk during an import exited 1 with "cannot rollback - no
    transaction is active"."""
    # room for a new book (its WAL holds every migration until the checkpoint: ~1 MB)
    disk = mounts.tmpfs(tmp_path / "disk", 1536)
    database = _initialised(cli, disk / "home", monkeypatch)
    assert cli("contacts", "add", "Jane Doe", "--email", "jane@example.com").exit_code == 0
    before = db_snapshot(database)
    result = cli("contacts", "import", _big_contact_file(tmp_path / "big.json"))
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert f"{database}: no space left for the database (database or disk is full" \
        in result.stderr
    assert "free some space" in result.stderr and "move" not in result.stderr
    assert db_snapshot(database) == before
    assert cli("contacts", "list").exit_code == 0  # the book still works


def test_disk_full_before_outbox_run_says_so_and_never_advises_a_new_book(
        cli, tmp_path, mounts, monkeypatch):
    """Finding 9: a full disk before `outbox run` exited 4 with "not a usable pressctl
    database ... move the file away and run `pressctl init`": advice that starts an empty
    book."""
    # room for a new book (its WAL holds every migration until the checkpoint: ~1 MB)
    disk = mounts.tmpfs(tmp_path / "disk", 1536)
    database = _initialised(cli, disk / "home", monkeypatch)
    before = db_snapshot(database)
    _fill(disk)
    result = cli("outbox", "run")
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert f"{database}: no space left for the database" in result.stderr
    assert "0 bytes free" in result.stderr
    assert "not a usable" not in result.stderr and "init" not in result.stderr
    assert "move" not in result.stderr
    (disk / "filler").unlink()
    assert db_snapshot(database) == before


def test_disk_full_during_outbox_run_stops_with_the_real_cause(
        cli, tmp_path, mounts, monkeypatch, console_script):
    """The database (--db) on a disk that fills up after some messages went out. (A run
    records results in batches, so the mailout is large enough for several.)"""
    disk = mounts.tmpfs(tmp_path / "disk", 8192)
    database = disk / "book.db"
    monkeypatch.setenv("PRESSCTL_DB", str(database))
    _initialised(cli, tmp_path / "home", monkeypatch)
    assert cli("orgs", "import", SAMPLES / "organizations.json").exit_code == 0
    assert cli("contacts", "import", SAMPLES / "contacts.csv").exit_code == 0
    people = tmp_path / "people.csv"
    people.write_text("Name,Email,Tags\n" + "".join(
        f"Journalist {i:04d},j{i:04d}@example.org,space\n" for i in range(600)))
    assert cli("contacts", "import", people).exit_code == 0
    created = cli("mailout", "create", RELEASE, "--at", "now", "--yes", "--json")
    assert created.exit_code == 0, created.stderr
    total = json.loads(created.stdout)[0]["recipients"]
    _fill(disk, leave=200 * 1024)  # room for the run to start and record a few sends
    # As cron runs it: a process of its own (one that could not release its lease on the
    # full disk leaves it to the next run only by exiting).
    result = subprocess.run([str(console_script), "outbox", "run"], capture_output=True,
                            text=True, check=False, timeout=120)
    assert result.returncode == 4, result.stderr
    _one_line(result.stderr)
    assert f"{database}: no space left for the database" in result.stderr
    assert "move" not in result.stderr
    delivered = list((tmp_path / "home" / "outbox" / "new").iterdir())
    assert 0 < len(delivered) < total  # it stopped during the run, not before or after
    # Space freed, the next run finishes: what went out before the disk filled (its
    # results are in the in-flight file) is recorded, never sent again, never unknown.
    (disk / "filler").unlink()
    again = subprocess.run([str(console_script), "outbox", "run"], capture_output=True,
                           text=True, check=False, timeout=120)
    assert again.returncode == 0, again.stderr
    names = [m.read_text().split("Delivered-To: ", 1)[1].split("\n", 1)[0]
             for m in (tmp_path / "home" / "outbox" / "new").iterdir()]
    assert len(names) == len(set(names)) == total
    shown = json.loads(cli("mailout", "show", "1", "--json").stdout)
    assert {row["state"] for row in shown["rows"]} == {"sent"}


def test_sqlite_size_limit_during_import_is_a_full_database_and_changes_nothing(
        cli, home, tmp_path, monkeypatch):
    """A real SQLITE_FULL without mounting anything: PRAGMA max_page_count."""
    opened = Store.open

    def limited(path, **options):
        store = opened(path, **options)
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages + 20}")
        return store

    before = db_snapshot(home)
    monkeypatch.setattr(Store, "open", limited)
    result = cli("contacts", "import", _big_contact_file(tmp_path / "big.json"))
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert "no space left for the database (database or disk is full" in result.stderr
    assert db_snapshot(home) == before


def test_a_full_database_inside_a_transaction_raises_storage_error_and_keeps_the_store_usable(
        tmp_path):
    store = Store.open(tmp_path / "book.db")
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages + 5}")
    many = [Contact(name=f"P{i}", emails=[f"p{i}@example.com"], notes="n" * 500,
                    created=NOW, updated=NOW) for i in range(2000)]
    with pytest.raises(StorageError) as raised, store.transaction():
        store.contacts.insert(many)
    assert raised.value.kind is StorageKind.FULL
    assert raised.value.cause == "database or disk is full"
    assert isinstance(raised.value.__cause__, sqlite3.OperationalError)
    assert not store.db.in_transaction
    assert store.contacts.count() == 0
    store.db.execute(f"PRAGMA max_page_count = {1 << 30}")
    with store.transaction():  # the lock was released and the connection is usable
        store.contacts.insert(many[:1])
    assert store.contacts.count() == 1
    store.close()


# -- read-only ---------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["contacts", "import", str(SAMPLES / "contacts.csv")],
    ["outbox", "run"],
], ids=["import", "outbox run"])
def test_a_read_only_file_system_is_named_as_such(cli, tmp_path, mounts, monkeypatch,
                                                  command):
    """Finding 9: a read-only file system before `outbox run` was "not a usable pressctl
    database ... move the file away"."""
    source = tmp_path / "home"
    _initialised(cli, source, monkeypatch)
    before = db_snapshot(source)
    point = mounts.read_only(source, tmp_path / "read-only")
    monkeypatch.setenv("PRESSCTL_HOME", str(point))
    result = cli(*command)
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert f"{point / 'pressctl.db'}: cannot write the database: the file system holding " \
        f"{point} is mounted read-only" in result.stderr
    assert "remount the file system read-write" in result.stderr
    assert "move" not in result.stderr and "not a usable" not in result.stderr
    assert db_snapshot(source) == before


# -- locked ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    ["contacts", "add", "Jane Doe", "--email", "jane@example.com"],
    ["contacts", "import", str(SAMPLES / "contacts.csv")],
    ["audiences", "add", "space", "tag:space"],
], ids=["add", "import", "audience"])
def test_a_database_locked_past_the_busy_timeout_is_reported_as_locked(
        cli, home, monkeypatch, command):
    """Another connection holds the write lock: after the busy timeout (lowered here),
    exit 4 saying so, instead of an unexpected OperationalError (exit 1)."""
    monkeypatch.setattr(pressctl.store.failures, "BUSY_TIMEOUT_MS", 200)
    before = db_snapshot(home)
    other = sqlite3.connect(home / "pressctl.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        result = cli(*command)
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert "the database is locked by another program (database is locked, after waiting " \
        "0.2 s)" in result.stderr
    assert "run the command again" in result.stderr and "move" not in result.stderr
    assert waited < 5  # the patched timeout, not the default 10 s
    assert db_snapshot(home) == before
    assert cli(*command).exit_code == 0  # once the lock is gone


# -- damaged -----------------------------------------------------------------------------

def _damage_page_of(database: Path, table: str) -> None:
    with sqlite3.connect(database) as connection:
        root = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        size = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(database, "r+b") as handle:
        handle.seek((root - 1) * size)
        handle.write(b"\xff" * size)


def test_a_damaged_database_says_to_keep_the_file_before_moving_it(sample_book, home):
    database = home / "pressctl.db"
    _damage_page_of(database, "contacts")
    damaged = database.read_bytes()
    result = sample_book("contacts", "list")  # a plain read: mapped by the CLI's handler
    assert result.exit_code == 4
    _one_line(result.stderr)
    message = result.stderr
    assert f"{database}: the database is damaged (database disk image is malformed)" in message
    assert "keep the file" in message and "copy them somewhere safe first" in message
    assert f"`sqlite3 {database} .recover`" in message
    assert message.index("keep the file") < message.index("move them away")
    assert database.read_bytes() == damaged  # nothing touched the evidence


def test_a_file_that_is_not_a_database_is_damaged_and_kept(cli, home):
    database = home / "pressctl.db"
    with open(database, "r+b") as handle:
        handle.write(b"not a database!!")  # over the SQLite header
    damaged = database.read_bytes()
    result = cli("outbox", "run")
    assert result.exit_code == 4
    _one_line(result.stderr)
    assert "file is not a database" in result.stderr
    assert "check --db / PRESSCTL_DB" in result.stderr
    assert result.stderr.index("keep the file") < result.stderr.index("move them away")
    assert database.read_bytes() == damaged


# -- the translation itself --------------------------------------------------------------

def _sqlite_error(code: int, message: str) -> sqlite3.Error:
    """What sqlite3 raises for a result code (the module sets these two attributes)."""
    err = sqlite3.OperationalError(message)
    err.sqlite_errorcode = code  # type: ignore[attr-defined]
    err.sqlite_errorname = f"code {code}"  # type: ignore[attr-defined]
    return err


FAULTS = [
    (13, "database or disk is full", StorageKind.FULL, "no space left"),
    (8, "attempt to write a readonly database", StorageKind.READ_ONLY, "cannot write"),
    (5, "database is locked", StorageKind.LOCKED, "locked by another program"),
    (11, "database disk image is malformed", StorageKind.DAMAGED, "is damaged"),
    (26, "file is not a database", StorageKind.DAMAGED, "not a SQLite database"),
    (10 | (12 << 8), "disk I/O error", StorageKind.IO, "the disk reported an error"),
]


@pytest.mark.parametrize(("code", "cause", "kind", "says"), FAULTS,
                         ids=[f[1] for f in FAULTS])
def test_only_a_damaged_database_is_ever_to_be_moved_away(tmp_path, code, cause, kind, says):
    found = storage_error(_sqlite_error(code, cause), tmp_path / "pressctl.db")
    assert found is not None and found.kind is kind and found.cause == cause
    assert found.exit_code == 4
    text = str(found)
    assert text.startswith(f"{tmp_path / 'pressctl.db'}: ") and says in text
    assert f"({cause}" in text  # SQLite's own words
    if kind is StorageKind.DAMAGED:
        assert text.index("keep the file") < text.index("move them away")
    else:
        assert "move" not in text and "init" not in text


@pytest.mark.parametrize("err", [
    _sqlite_error(19, "UNIQUE constraint failed: contacts.id"),  # a bug of ours
    _sqlite_error(1, "no such table: nope"),
    sqlite3.ProgrammingError("Cannot operate on a closed database."),  # no result code
    OSError("not sqlite's"),
], ids=["constraint", "sql", "closed", "other"])
def test_errors_that_are_bugs_stay_unexpected(tmp_path, err):
    assert storage_error(err, tmp_path / "pressctl.db") is None


def test_a_bug_in_a_transaction_stays_itself_and_is_rolled_back(tmp_path):
    store = Store.open(tmp_path / "book.db")
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        store.db.execute("INSERT INTO contacts (id, name, kind, created, updated) "
                         "VALUES (1, 'A', 'journalist', 'x', 'x')")
        store.db.execute("INSERT INTO contacts (id, name, kind, created, updated) "
                         "VALUES (1, 'B', 'journalist', 'x', 'x')")
    assert store.contacts.count() == 0
    store.close()


def test_a_foreign_sqlite_file_is_unusable_but_never_to_be_moved(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as other:  # another program's table, clashing with ours
        other.execute("CREATE TABLE contacts (something_else TEXT)")
    other.close()
    with pytest.raises(StorageError) as raised:
        Store.open(path)
    assert raised.value.kind is StorageKind.UNUSABLE
    assert "not a usable pressctl database" in str(raised.value)
    assert "move" not in str(raised.value)
