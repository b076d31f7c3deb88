"""A real, throw-away PostgreSQL server for the tests, started from the server binaries.

The ``postgres_server`` fixture (conftest) starts one per session, only when a test asks for
it; ``pg_url`` gives each test a fresh, empty database and drops it afterwards::

    def test_it(pg_url):               # "postgresql://pressctl@127.0.0.1:PORT/test_it_1_a3f09c"
        with psycopg.connect(pg_url) as connection:
            ...

    def test_two(postgres_server):
        url = postgres_server.new_database("other")
        ...
        postgres_server.drop_database(url)

How: ``initdb`` into a temporary folder (trust authentication: the server listens on
127.0.0.1 and on a unix socket in that folder only), ``pg_ctl -w start`` on a free port, without
fsync; ``pg_ctl stop -m immediate`` and the folder removed at the end of the session, on
failure too (fixture finalizer and ``atexit``). A small watchdog process does the same if the
test process dies without cleaning up (SIGTERM, SIGKILL, a CI timeout).

PostgreSQL refuses to run as root: as root (CI), the server runs as Debian's ``postgres`` user
(``nobody`` where there is none), through ``subprocess``'s ``user=``/``group=``, in a folder
owned by that user.

Where the binaries are, first found wins: ``$PRESSCTL_PG_BINDIR`` (only there, when set), the
newest ``/usr/lib/postgresql/*/bin`` (Debian, Ubuntu), ``pg_config --bindir``, ``initdb`` on
``PATH``. None: the fixtures skip the test with a reason, or fail it when
``PRESSCTL_REQUIRE_POSTGRES=1`` (CI sets it, so that a skipped PostgreSQL test cannot pass CI).
Servers from PostgreSQL 13 on (``DROP DATABASE ... WITH (FORCE)``).

This is test tooling, not product code: it lives in tests/ and pressctl never imports it.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import unquote, urlsplit

ENV_REQUIRE = "PRESSCTL_REQUIRE_POSTGRES"
ENV_BINDIR = "PRESSCTL_PG_BINDIR"
NOT_FOUND = ("no PostgreSQL server binaries (initdb/pg_ctl) found: "
             "install Debian's postgresql package")
DEBIAN_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "pressctl"
HOST = "127.0.0.1"
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
# Speed over durability: the cluster is thrown away at the end of the session.
SERVER_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")
START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it

# Runs in its own process: waits for the test process to close the pipe. EOF without a word
# means the test process died: stop the server and remove the folder.
_WATCHDOG = """\
import shutil, signal, subprocess, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
base, uid, gid, *stop = sys.argv[1:]
if not sys.stdin.buffer.read():
    kwargs = {} if uid == "-" else {"user": int(uid), "group": int(gid), "extra_groups": []}
    subprocess.run(stop, cwd=base, capture_output=True, timeout=60, **kwargs)
    shutil.rmtree(base, ignore_errors=True)
"""


# --- skip or fail ------------------------------------------------------------------------

def required(env: Mapping[str, str] | None = None) -> bool:
    """Whether a missing server must fail the run (``PRESSCTL_REQUIRE_POSTGRES=1``, as in CI)."""
    env = os.environ if env is None else env
    return env.get(ENV_REQUIRE, "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str = NOT_FOUND, env: Mapping[str, str] | None = None) -> NoReturn:
    """Skip the test that needs PostgreSQL, or fail it when PostgreSQL is required."""
    import pytest

    if required(env):
        pytest.fail(f"{reason} ({ENV_REQUIRE}=1: PostgreSQL tests may not be skipped)",
                    pytrace=False)
    pytest.skip(reason)


# --- finding the binaries ----------------------------------------------------------------

def has_server_binaries(folder: Path) -> bool:
    return all(os.access(folder / name, os.X_OK) and (folder / name).is_file()
               for name in SERVER_BINARIES)


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/9.6/bin`` -> (9, 6); a name that is not a version sorts last."""
    try:
        return tuple(int(part) for part in bindir.parent.name.split("."))
    except ValueError:
        return (-1,)


def _pg_config_bindir(path: str | None) -> Path | None:
    pg_config = shutil.which("pg_config", path=path)
    if pg_config is None:
        return None
    try:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 and done.stdout.strip() else None


def candidate_bindirs(env: Mapping[str, str] | None = None,
                      roots: Iterable[Path] = (DEBIAN_ROOT,)) -> list[Path]:
    """Where to look, in order (see the module's docstring)."""
    env = os.environ if env is None else env
    explicit = env.get(ENV_BINDIR, "")
    if explicit:
        return [Path(explicit)]
    found: list[Path] = []
    for root in roots:
        found += sorted(root.glob("*/bin"), key=_version_key, reverse=True)
    path = env.get("PATH", "")
    from_pg_config = _pg_config_bindir(path)
    if from_pg_config is not None:
        found.append(from_pg_config)
    initdb = shutil.which("initdb", path=path)
    if initdb is not None:
        found += [Path(initdb).parent, Path(initdb).resolve().parent]
    return list(dict.fromkeys(found))


def find_bindir(env: Mapping[str, str] | None = None,
                roots: Iterable[Path] = (DEBIAN_ROOT,)) -> Path | None:
    """The folder holding initdb, pg_ctl and postgres, or None."""
    return next((d for d in candidate_bindirs(env, roots) if has_server_binaries(d)), None)


# --- who runs the server -----------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """The unprivileged user the server runs as when the tests run as root."""

    name: str
    uid: int
    gid: int


def server_account() -> Account | None:
    """None when we are not root (the server runs as us); else ``postgres``, else ``nobody``."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return Account(name, entry.pw_uid, entry.pw_gid)
    raise RuntimeError("running as root and there is neither a 'postgres' nor a 'nobody' user "
                       "to run PostgreSQL as (it refuses to run as root)")


def _traversable(folder: Path) -> bool:
    """Whether any user can reach ``folder`` (the server's user must reach its own folder)."""
    return all(os.stat(part).st_mode & 0o001 for part in (folder, *folder.parents))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _server_env() -> dict[str, str]:
    """Our environment without libpq's PG* variables (PGDATA, PGPORT... would steer pg_ctl)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


# --- the server --------------------------------------------------------------------------

class PostgresServer:
    """One running throw-away cluster. Start it with :meth:`start`; stop it with :meth:`stop`.

    ``dsn`` is the superuser's URL of the ``postgres`` database over TCP; ``socket_dsn`` the
    same over the unix socket; ``new_database(prefix)`` / ``drop_database(url)`` make and
    remove an empty database of one's own.
    """

    def __init__(self, bindir: Path, base: Path, account: Account | None) -> None:
        self.bindir = bindir
        self.base = base  # the temporary folder: data/, server.log and the unix socket
        self.data_dir = base / "data"
        self.log_path = base / "server.log"
        self.socket_dir = base
        self.account = account
        self.user = SUPERUSER
        self.host = HOST
        self.port = 0
        self.version = 0  # server_version_num, e.g. 150018
        self._names = itertools.count(1)
        self._lock = threading.Lock()
        self._admin: Any = None  # psycopg.Connection, autocommit, to the postgres database
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._running = False
        self._owner = os.getpid()  # a forked child's atexit must not stop our server

    # URLs

    @property
    def dsn(self) -> str:
        return self.url("postgres")

    @property
    def socket_dsn(self) -> str:
        return f"postgresql://{self.user}@/postgres?host={self.socket_dir}&port={self.port}"

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{dbname}"

    # life cycle

    @classmethod
    def start(cls, bindir: Path) -> PostgresServer:
        """initdb + pg_ctl start; raises RuntimeError (with the server's output) on failure."""
        account = server_account()
        parent = Path(tempfile.gettempdir())
        if account is not None and not _traversable(parent):
            parent = Path("/tmp")
        base = Path(tempfile.mkdtemp(prefix="pressctl-pg-", dir=parent))
        server = cls(bindir, base, account)
        atexit.register(server.stop)
        try:
            if account is not None:
                os.chown(base, account.uid, account.gid)
            server._start_watchdog()
            server._initdb()
            server._pg_ctl_start()
            server.version = server._admin_connection().info.server_version
        except BaseException:
            server.stop()
            raise
        return server

    def stop(self) -> None:
        """Stop the server at once (``-m immediate``) and remove its folder; idempotent."""
        atexit.unregister(self.stop)
        if os.getpid() != self._owner:
            return
        with self._lock:
            if self._admin is not None:
                self._admin.close()
                self._admin = None
        if self._running:
            self._running = False
            self._run(self._stop_command(), check=False)
        shutil.rmtree(self.base, ignore_errors=True)
        if self._watchdog is not None:
            watchdog, self._watchdog = self._watchdog, None
            assert watchdog.stdin is not None
            with contextlib.suppress(OSError):
                watchdog.stdin.write(b"stopped")  # cleaned up already: nothing for it to do
                watchdog.stdin.close()
            try:
                watchdog.wait(timeout=10)
            except subprocess.TimeoutExpired:
                watchdog.kill()

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # databases

    def new_database(self, prefix: str = "test", *, template: str | None = None) -> str:
        """Create a database with a unique name starting with ``prefix``; its URL. Empty,
        or a copy of the database ``template`` (which must have no connection open)."""
        from psycopg import sql

        stem = re.sub(r"[^a-z0-9_]+", "_", prefix.lower()).strip("_")[:40] or "test"
        name = f"{stem}_{next(self._names)}_{secrets.token_hex(3)}"
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template))
        self._admin_execute(statement)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of ``url`` (one of ours), closing connections still open to it."""
        from psycopg import sql

        parts = urlsplit(url)
        name = unquote(parts.path.lstrip("/"))
        if parts.port != self.port or not name or name in ("postgres", "template0",
                                                            "template1"):
            raise ValueError(f"not a database made by new_database on this server: {url}")
        self._admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                            .format(sql.Identifier(name)))

    # internals

    def _admin_connection(self) -> Any:
        import psycopg

        if self._admin is None or self._admin.closed:
            self._admin = psycopg.connect(self.dsn, autocommit=True, connect_timeout=10)
        return self._admin

    def _admin_execute(self, statement: Any) -> None:
        import psycopg

        with self._lock:
            try:
                self._admin_connection().execute(statement)
            except psycopg.OperationalError:
                if self._admin is None or not self._admin.closed:
                    raise
                self._admin_connection().execute(statement)  # a test broke it: once more

    def _run(self, argv: list[str], *, check: bool = True,
             **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run a server tool as the server's user (pg_ctl and initdb refuse root)."""
        if self.account is not None:
            kwargs |= {"user": self.account.uid, "group": self.account.gid,
                       "extra_groups": []}
        done = subprocess.run(argv, cwd=self.base, env=_server_env(), capture_output=True,
                              text=True, timeout=120, **kwargs)
        if check and done.returncode != 0:
            raise RuntimeError(f"{shlex.join(argv)} failed ({done.returncode}):\n"
                               f"{done.stdout}{done.stderr}")
        return done

    def _tool(self, name: str) -> str:
        return str(self.bindir / name)

    def _stop_command(self) -> list[str]:
        return [self._tool("pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate",
                "-w"]

    def _start_watchdog(self) -> None:
        ids = ["-", "-"] if self.account is None else [str(self.account.uid),
                                                       str(self.account.gid)]
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(self.base), *ids, *self._stop_command()],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=_server_env())

    def _initdb(self) -> None:
        common = [self._tool("initdb"), "-D", str(self.data_dir), "-U", self.user,
                  "--auth=trust", "-E", "UTF8", "--no-sync"]
        try:  # C.UTF-8: byte order, but lower()/upper() know accented letters
            self._run([*common, "--locale=C.UTF-8"])
        except RuntimeError:  # a system without C.UTF-8 (initdb removed what it made)
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self._run([*common, "--no-locale"])

    def _pg_ctl_start(self) -> None:
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = _free_port()
            options = " ".join([f"-k {shlex.quote(str(self.socket_dir))}", f"-p {self.port}",
                                f"-c listen_addresses={HOST}",
                                *(f"-c {setting}" for setting in SERVER_SETTINGS)])
            done = self._run([self._tool("pg_ctl"), "start", "-w", "-t", "60",
                              "-D", str(self.data_dir), "-l", str(self.log_path),
                              "-o", options],
                             check=False, start_new_session=True)  # Ctrl-C is for pytest
            if done.returncode == 0:
                self._running = True
                return
            self._run(self._stop_command(), check=False)  # half started, if at all
            if attempt == START_ATTEMPTS:
                raise RuntimeError(f"PostgreSQL did not start ({self.bindir}):\n"
                                   f"{done.stdout}{done.stderr}\n{self._log_tail()}")
            time.sleep(0.1)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def start_for_tests(env: Mapping[str, str] | None = None) -> PostgresServer:
    """The fixture's start: a running server, or skip/fail (see :func:`unavailable`)."""
    bindir = find_bindir(env)
    if bindir is None:
        unavailable(NOT_FOUND + _searched(env), env)
    return PostgresServer.start(bindir)


def _searched(env: Mapping[str, str] | None) -> str:
    places = candidate_bindirs(env)
    where = ", ".join(map(str, places)) if places else f"{DEBIAN_ROOT}/*/bin, PATH"
    return f" (looked in {where}; {ENV_BINDIR} names another folder)"


if __name__ == "__main__":  # `python tests/pg_server.py`: a server for a manual session
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with start_for_tests() as running:
        print(running.dsn, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
