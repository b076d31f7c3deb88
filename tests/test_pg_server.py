"""The throw-away PostgreSQL server of the tests (tests/pg_server.py) really works: databases
that take and give back rows, independent of each other, a server on loopback only, never as
root, gone at the end (killed test process included), and skipped only where allowed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import REPO
from pg_server import (
    ENV_BINDIR,
    ENV_REQUIRE,
    NOT_FOUND,
    SUPERUSER,
    PostgresServer,
    find_bindir,
    unavailable,
)

HERE = Path(__file__).resolve()


def _refuses_connections(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _wait_until(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


# --- the databases -----------------------------------------------------------------------

def test_a_test_database_is_empty_and_gives_back_what_was_written(pg_url):
    with psycopg.connect(pg_url) as connection:
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables"
            " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").fetchone()
        assert tables == (0,)
        assert connection.execute("SELECT current_user").fetchone() == (SUPERUSER,)
        connection.execute("CREATE TABLE contact (id serial PRIMARY KEY, name text NOT NULL)")
        connection.cursor().executemany("INSERT INTO contact (name) VALUES (%s)",
                                        [("Zoë Ångström",), ("Émile Durand",)])
    with psycopg.connect(pg_url) as connection:  # committed, seen by a new connection
        rows = connection.execute("SELECT id, name, lower(name) FROM contact ORDER BY id")
        assert rows.fetchall() == [(1, "Zoë Ångström", "zoë ångström"),
                                   (2, "Émile Durand", "émile durand")]
        assert connection.execute("SHOW server_encoding").fetchone() == ("UTF8",)


def test_two_test_databases_are_independent(pg_url, postgres_server):
    other = postgres_server.new_database("other")
    try:
        assert other != pg_url
        for url, name in ((pg_url, "first"), (other, "second")):
            with psycopg.connect(url) as connection:
                connection.execute("CREATE TABLE contact (name text)")
                connection.execute("INSERT INTO contact VALUES (%s)", (name,))
        for url, name in ((pg_url, "first"), (other, "second")):
            with psycopg.connect(url) as connection:
                assert connection.execute("SELECT name FROM contact").fetchall() == [(name,)]
    finally:
        postgres_server.drop_database(other)


def test_database_names_are_unique_and_valid_whatever_the_prefix(postgres_server):
    prefixes = ["test_x[sqlite-Émile]", "", "x" * 200, "DROP DATABASE postgres; --", "a"]
    urls = [postgres_server.new_database(prefix) for prefix in prefixes]
    try:
        assert len(set(urls)) == len(urls)
        for url in urls:
            name = url.rsplit("/", 1)[1]
            assert len(name) <= 63 and name.replace("_", "").isalnum() and name.isascii()
            with psycopg.connect(url) as connection:
                assert connection.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        for url in urls:
            postgres_server.drop_database(url)


def test_dropping_a_database_closes_the_connections_left_open(postgres_server):
    url = postgres_server.new_database("left_open")
    name = url.rsplit("/", 1)[1]
    forgotten = psycopg.connect(url)  # a test that forgot to close its connection
    try:
        postgres_server.drop_database(url)
    finally:
        forgotten.close()
    with psycopg.connect(postgres_server.dsn) as admin:
        found = admin.execute("SELECT count(*) FROM pg_database WHERE datname = %s", (name,))
        assert found.fetchone() == (0,)


def test_only_our_own_databases_can_be_dropped(postgres_server):
    with pytest.raises(ValueError, match="not a database made by new_database"):
        postgres_server.drop_database(postgres_server.dsn)
    with pytest.raises(ValueError, match="not a database made by new_database"):
        postgres_server.drop_database("postgresql://pressctl@127.0.0.1:1/elsewhere")


# --- the server --------------------------------------------------------------------------

def test_the_server_listens_on_loopback_only_and_on_its_own_socket(postgres_server):
    with psycopg.connect(postgres_server.dsn) as connection:
        assert connection.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        sockets = connection.execute("SHOW unix_socket_directories").fetchone()
        assert sockets == (str(postgres_server.socket_dir),)
    with psycopg.connect(postgres_server.socket_dsn) as connection:
        assert connection.info.host == str(postgres_server.socket_dir)
        assert connection.execute("SELECT 1").fetchone() == (1,)


def test_the_server_never_runs_as_root(postgres_server):
    owner = postgres_server.data_dir.stat().st_uid
    if os.geteuid() == 0:
        assert postgres_server.account is not None
        assert owner == postgres_server.account.uid != 0
    else:
        assert postgres_server.account is None and owner == os.geteuid()


def test_a_stopped_server_leaves_nothing_behind(postgres_server):
    server = PostgresServer.start(postgres_server.bindir)
    port, base = server.port, server.base
    with psycopg.connect(server.dsn) as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    server.stop()
    server.stop()  # idempotent: the fixture's finalizer and atexit may both call it
    assert not base.exists()
    assert _refuses_connections(port)


def test_a_killed_test_process_leaves_no_server_behind(postgres_server):
    """SIGKILL (a CI timeout) runs no finalizer and no atexit: the watchdog stops the server."""
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import os, signal, sys; from pathlib import Path; import pg_server;"
         f"server = pg_server.PostgresServer.start(Path({str(postgres_server.bindir)!r}));"
         "print(server.port, server.base, flush=True); sys.stdin.read();"
         "os.kill(os.getpid(), signal.SIGKILL)"],
        cwd=HERE.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        port_text, base_text = child.stdout.readline().split()
        port, base = int(port_text), Path(base_text)
        assert not _refuses_connections(port)
        child.stdin.close()  # go on: kill yourself
        assert child.wait(timeout=30) == -signal.SIGKILL
        assert _wait_until(lambda: not base.exists())
        assert _refuses_connections(port)
    finally:
        child.kill()
        child.wait()


# --- finding the binaries ----------------------------------------------------------------

def _fake_bindir(folder: Path, names=("initdb", "pg_ctl", "postgres")) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_text("#!/bin/sh\n")
        (folder / name).chmod(0o755)
    return folder


def test_the_newest_debian_server_is_chosen(tmp_path):
    root = tmp_path / "usr-lib-postgresql"
    for version in ("9.6", "13", "16"):
        _fake_bindir(root / version / "bin")
    _fake_bindir(root / "17" / "bin", names=("pg_ctl",))  # only the client part of 17
    env = {"PATH": str(tmp_path / "empty")}
    assert find_bindir(env, roots=[root]) == root / "16" / "bin"


def test_initdb_on_the_path_is_found(tmp_path):
    bindir = _fake_bindir(tmp_path / "opt" / "pg" / "bin")
    env = {"PATH": os.pathsep.join([str(tmp_path / "empty"), str(bindir)])}
    assert find_bindir(env, roots=[tmp_path / "none"]) == bindir
    assert find_bindir({"PATH": str(tmp_path / "empty")}, roots=[tmp_path / "none"]) is None


def test_the_bindir_variable_is_the_only_place_looked_at_when_set(tmp_path):
    chosen = _fake_bindir(tmp_path / "chosen")
    debian = _fake_bindir(tmp_path / "debian" / "15" / "bin")
    assert find_bindir({ENV_BINDIR: str(chosen)}, roots=[tmp_path / "debian"]) == chosen
    assert find_bindir({ENV_BINDIR: str(tmp_path / "empty")}, roots=[debian.parent.parent]) \
        is None


# --- skip, or fail when PostgreSQL is required -------------------------------------------

@pytest.mark.parametrize("env", [{}, {ENV_REQUIRE: ""}, {ENV_REQUIRE: "0"}])
def test_without_a_server_postgres_tests_skip_with_the_reason(env):
    with pytest.raises(pytest.skip.Exception, match="install Debian's postgresql package"):
        unavailable(NOT_FOUND, env)


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_without_a_server_postgres_tests_fail_when_postgres_is_required(value):
    with pytest.raises(pytest.fail.Exception, match=f"{re.escape(NOT_FOUND)}.*{ENV_REQUIRE}=1"):
        unavailable(NOT_FOUND, {ENV_REQUIRE: value})


def _pytest_without_binaries(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != ENV_REQUIRE}
    environment |= {ENV_BINDIR: str(tmp_path / "no-binaries-here"), **env}
    test = f"{HERE}::test_a_test_database_is_empty_and_gives_back_what_was_written"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           test], cwd=REPO, env=environment, capture_output=True, text=True,
                          timeout=120)


def test_a_ci_run_without_a_server_fails_instead_of_skipping(tmp_path):
    ci = _pytest_without_binaries(tmp_path, **{ENV_REQUIRE: "1"})
    assert ci.returncode == 1, ci.stdout
    assert NOT_FOUND in ci.stdout and f"{ENV_REQUIRE}=1" in ci.stdout
    assert "1 error" in ci.stdout and "passed" not in ci.stdout


def test_a_local_run_without_a_server_skips_with_the_reason(tmp_path):
    local = _pytest_without_binaries(tmp_path)
    assert local.returncode == 0, local.stdout
    assert "1 skipped" in local.stdout and NOT_FOUND in local.stdout
