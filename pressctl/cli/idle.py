"""`pressctl outbox run` with nothing to do, answered before typer, the book or a transport
is imported: cron runs it every minute, and most minutes there is nothing to send.

The console script (pressctl.cli.launcher) asks :func:`answer` first. It answers True
(nothing to do: exit 0, silent, as the full path would) only when every step below is
sure; anything else (an unusual command line, a missing home or book, a PostgreSQL book,
a name the full path would refuse, a config.toml not known to be valid, work in the
book) sends the command down the full path, which does and says what it always did.

* The command line is the cron form, `pressctl [GLOBAL OPTIONS] outbox run`, its options
  among --home, --db, --as (each once, with a value) and -q/--quiet, --no-color,
  --debug. --verbose and --json print a report: the full path writes it.
* The home, config file and database are found as pressctl.config.locations finds them
  (--home > PRESSCTL_HOME; --db > PRESSCTL_DB > [database] url > the home's pressctl.db).
  Without a home (the platform's folders: platformdirs costs ~15 ms to import), or with
  a URL (postgresql://, sqlite:), the full path runs: a PostgreSQL book needs psycopg,
  whose import alone (~110 ms) costs more than the whole answer. The crontab line of
  `pressctl outbox cron` names its home.
* Who is acting (--as, PRESSCTL_USER, the login name) passes the check of
  pressctl.book.changes.actor_problem, or the full path refuses it as it does.
* config.toml is valid, and this pressctl's migrations are known, without importing the
  config parser (it pulls in phonenumbers and email-validator, ~70 ms) or the store
  (~50 ms): the first run that meets a config.toml, on its way to the full path,
  validates it with the full path's own parser (:func:`renew_stamp`) and writes a stamp
  beside it (:data:`STAMP_NAME`): the digest of the file, the migrations of the code that
  validated it, and whether it names a [database] url. An invalid file gets no stamp (the
  full path reports it, every run). The stamp counts only while the file and the code
  are the same (pressctl's version and its config and migrations modules, by size and
  modification time); it is safe to delete.
* No in-flight file of a dead run is left beside the book, and the book itself, opened
  read-only, has no work (pressctl.store.idle).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing's own costs an import this module is here to avoid
if TYPE_CHECKING:
    from pressctl.config.settings import Settings

STAMP_NAME = ".outbox-idle"
_STAMP_HEADER = "pressctl: config.toml checked for `outbox run` (pressctl.cli.idle; safe to delete)"
_FLAGS = {"-q": "--quiet", "--quiet": "--quiet", "--no-color": "--no-color",
          "--debug": "--debug"}  # as written -> the option (typer: -q is --quiet)
_VALUED = ("--home", "--db", "--as")
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_ACTOR = 64  # pressctl.book.changes.MAX_ACTOR (a test keeps the two equal)


class Place:
    """Where the cron form's files are: the config file, the stamp beside it, the SQLite
    book (absolute paths, as text) and whether --db or PRESSCTL_DB chose it."""

    __slots__ = ("config_dir", "config_file", "database", "db_given", "stamp")

    def __init__(self, config_dir: str, database: str, db_given: bool) -> None:
        self.config_dir = config_dir
        self.config_file = os.path.join(config_dir, "config.toml")
        self.stamp = os.path.join(config_dir, STAMP_NAME)
        self.database = database
        self.db_given = db_given


class Verdict:
    """What :func:`check` found: ``reason`` is None when there is nothing to do, else why
    the full path runs; ``stale`` is the place whose stamp is missing or out of date."""

    __slots__ = ("reason", "stale")

    def __init__(self, reason: str | None, stale: Place | None = None) -> None:
        self.reason = reason
        self.stale = stale

    @property
    def idle(self) -> bool:
        return self.reason is None


def answer(args: list[str], env: Mapping[str, str]) -> bool:
    """True when `pressctl ARGS` is the cron form of `outbox run` and there is nothing to
    do; else False, after renewing the stamp when that was what was missing."""
    verdict = check(args, env)
    if verdict.stale is not None:
        from contextlib import suppress

        with suppress(Exception):  # at best a stamp: without one, the full path runs
            renew_stamp(verdict.stale)
    return verdict.idle


def check(args: list[str], env: Mapping[str, str], now: str | None = None) -> Verdict:
    """Whether `pressctl ARGS` has nothing to do (see the module docstring); ``now`` (UTC,
    "2026-11-22T09:30:00Z") defaults to the clock. Never raises: a surprise here is one
    more reason for the full path."""
    try:
        return _check(args, env, now)
    except Exception as err:  # the full path knows what to say about it
        return Verdict(f"unexpected {type(err).__name__}: {err}")


def _check(args: list[str], env: Mapping[str, str], now: str | None) -> Verdict:
    options = cron_options(args)
    if options is None:
        return Verdict("not the cron form of `outbox run`")
    place = locate(options, env)
    if isinstance(place, str):
        return Verdict(place)
    problem = actor_problem(options, env)
    if problem:
        return Verdict(problem)
    stamp = read_stamp(place)
    if stamp is None:
        return Verdict("config.toml was not checked by this pressctl yet", stale=place)
    migrations, names_url = stamp
    if names_url and not place.db_given:
        return Verdict("config.toml names the database by its url")
    if not os.path.isfile(place.database):
        return Verdict("no database file: the full path says what to do")
    journals = place.database + "-inflight"
    if os.path.lexists(journals) and (not os.path.isdir(journals) or os.listdir(journals)):
        return Verdict("a dead run left its in-flight files")
    when = now or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return Verdict(_store_idle().pending_work(place.database, when, migrations))


# -- the command line ---------------------------------------------------------------------


def cron_options(args: list[str]) -> dict[str, str] | None:
    """The global options of `pressctl [OPTIONS] outbox run` as typer would read them
    (--home, --db and --as with their values; the flags, which change nothing when there
    is nothing to do), or None for any other command line, or one this is not sure of: an
    option twice, an empty value or one that starts with "-", anything after `run`."""
    if args[-2:] != ["outbox", "run"]:
        return None
    found: dict[str, str] = {}
    words = args[:-2]
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        if word in _FLAGS:
            name, value = _FLAGS[word], ""
        else:
            name, equals, value = word.partition("=")
            if name not in _VALUED:
                return None
            if not equals:
                if position == len(words):
                    return None
                value = words[position]
                position += 1
            if not value or value.startswith("-"):
                return None
        if name in found:
            return None
        found[name] = value
    return found


# -- where the files are --------------------------------------------------------------------


def locate(options: Mapping[str, str], env: Mapping[str, str]) -> Place | str:
    """The files pressctl.config.resolve_paths would find, or why this leaves it to the
    full path (a URL, no home given, a "~" to expand, a home that is not a folder)."""
    home = options.get("--home") or env.get("PRESSCTL_HOME") or None
    db = options.get("--db") or env.get("PRESSCTL_DB") or None
    database = None
    if db is not None:
        if _has_scheme(db):
            return "the database is given by URL (PostgreSQL, or sqlite:)"
        database = _absolute(db)
        if database is None:
            return "the database path starts with ~"
    if home is None:  # platformdirs would find them: its import alone costs ~15 ms
        return "no home given: the platform's folders are left to the full path"
    folder = _absolute(home)
    if folder is None:
        return "the home starts with ~"
    if not os.path.isdir(folder):
        return "no home folder at --home / PRESSCTL_HOME: the full path says so"
    return Place(folder, database or os.path.join(folder, "pressctl.db"),
                 db_given=db is not None)


def _has_scheme(text: str) -> bool:
    """Whether ``text`` starts with "scheme:" as pressctl.config.locations reads it (two
    characters at least, so that "C:" stays a path)."""
    scheme, colon, _ = text.partition(":")
    return bool(colon) and len(scheme) >= 2 and scheme[0].isascii() and scheme[0].isalpha() \
        and set(scheme) <= _SCHEME_CHARS


def _absolute(text: str) -> str | None:
    """``text`` taken from the current folder, as Path(text).absolute() does; None when
    it starts with "~" (expanding it is left to the full path)."""
    if text.startswith("~"):
        return None
    return text if os.path.isabs(text) else os.path.join(os.getcwd(), text)


# -- who is acting --------------------------------------------------------------------------


def actor_problem(options: Mapping[str, str], env: Mapping[str, str]) -> str | None:
    """Why the full path must judge who is acting, or None when the name is fine: --as,
    else PRESSCTL_USER, else the login name (pressctl.cli.context.State.actor)."""
    name = options.get("--as")
    if name is None:
        name = env.get("PRESSCTL_USER") or next(
            (env[v] for v in ("LOGNAME", "USER", "LNAME", "USERNAME") if env.get(v)), None)
    if name is None:
        name = _password_database_name()
    text = name.strip()
    if not text or not text.isprintable() or len(text) > MAX_ACTOR:
        return "the name of who is acting would be refused"
    return None


def _password_database_name() -> str:
    """The login name as getpass.getuser() finds it when no variable names it, "unknown"
    when there is none (pressctl.cli.context.login_name)."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid())[0]
    except Exception:  # no entry for this uid, or no password database here
        return "unknown"


# -- the stamp ------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """pressctl's version and the size and time of the modules whose answers the stamp
    keeps (the config parser's, the migrations'): a new version, or an edited module,
    makes every stamp out of date."""
    from pressctl import __version__

    parts = [__version__]
    config = os.path.join(_PACKAGE, "config")
    files = sorted(os.path.join(config, name) for name in os.listdir(config)
                   if name.endswith(".py"))
    for path in [*files, os.path.join(_PACKAGE, "store", "migrations.py")]:
        stat = os.stat(path)
        parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    import hashlib

    return hashlib.sha256("\n".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def config_digest(config_file: str) -> str | None:
    """The SHA-256 of config.toml, "none" when there is none (the defaults), or None when
    it cannot be read (the full path says why)."""
    try:
        with open(config_file, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return "none"
    except OSError:
        return None
    import hashlib

    return hashlib.sha256(data).hexdigest()


def stamp_text(fingerprint: str, digest: str, migrations: list[str], names_url: bool) -> str:
    return (f"{_STAMP_HEADER}\ncode {fingerprint}\nconfig {digest}\n"
            f"database {'url' if names_url else 'file'}\nmigrations {' '.join(migrations)}\n")


def read_stamp(place: Place) -> tuple[list[str], bool] | None:
    """(the migrations, whether config.toml names a [database] url) when the stamp holds
    for this config.toml and this code; else None."""
    try:
        with open(place.stamp, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    digest = config_digest(place.config_file)
    if digest is None or len(lines) != 5 or lines[0] != _STAMP_HEADER:
        return None
    if lines[1] != f"code {code_fingerprint()}" or lines[2] != f"config {digest}":
        return None
    database, migrations = lines[3], lines[4].split(" ")
    if database not in ("database url", "database file") or migrations[0] != "migrations" \
            or len(migrations) < 2:
        return None
    return migrations[1:], database == "database url"


def renew_stamp(place: Place) -> None:
    """Validate config.toml as the full path does and, when it is valid, write the stamp
    beside it. A config.toml that is not valid gets none (the full path reports it);
    a folder that does not exist or cannot be written stays as it is."""
    from pressctl.store.migrations import MIGRATIONS

    fingerprint = code_fingerprint()
    write_checked_stamp(
        place, place.stamp, config_digest,
        lambda digest, settings: stamp_text(fingerprint, digest, [m.name for m in MIGRATIONS],
                                            settings.database is not None))


def write_checked_stamp(place: Place, stamp: str,
                        state: Callable[[str], str | None],
                        text: Callable[[str, Settings], str]) -> None:
    """The one way a fast path's stamp is written (this run's and `contacts list`'s):
    config.toml is validated by the full path's own parser, and the stamp, ``text`` of
    the file's ``state`` and its settings, is written only when the file is valid and
    its state did not change while it was read. Nothing is written into a folder that
    does not exist; one that cannot be written leaves every later run on the full path."""
    from contextlib import suppress
    from pathlib import Path

    from pressctl.config import load_settings, write_private_file
    from pressctl.errors import PressctlError

    if not os.path.isdir(place.config_dir):
        return
    before = state(place.config_file)
    try:
        settings = load_settings(Path(place.config_file))
    except PressctlError:
        return
    if before is None or state(place.config_file) != before:
        return  # changed while being read: the next run checks it again
    with suppress(OSError):
        write_private_file(Path(stamp), text(before, settings))


def _store_idle():
    """pressctl.store.idle, loaded from its file: importing it by name would first run
    pressctl.store's __init__, which imports every query module (~50 ms). It imports only
    the standard library."""
    if "pressctl.store" in sys.modules:
        from pressctl.store import idle

        return idle
    from importlib.machinery import SourceFileLoader
    from types import ModuleType

    name = "pressctl.store.idle"
    loader = SourceFileLoader(name, os.path.join(_PACKAGE, "store", "idle.py"))
    module = ModuleType(name)
    module.__file__ = loader.path
    loader.exec_module(module)
    return module
