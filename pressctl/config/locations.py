"""Where the files are (:class:`Paths`) and where the book is (:class:`DatabaseLocation`):
a SQLite file or a PostgreSQL URL, chosen by ``--db`` > ``PRESSCTL_DB`` > config.toml's
``[database] url`` > the home's pressctl.db (:func:`database_location`).

:class:`Paths` is resolved before config.toml is read, so it keeps ``database`` (a Path, as
SQLite code has always used it) and the location ``--db`` / ``PRESSCTL_DB`` gave, if any;
the config file's url is then weighed by :func:`database_location`. A URL may hold a
password: it is shown only through :attr:`DatabaseLocation.masked`, and psycopg is never
imported here (only the store does, when it opens such a URL).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.config.defaults import CONFIG_NAME, DATABASE_NAME, TEMPLATES_DIR, UNSUBSCRIBE_KEY_NAME
from pressctl.errors import ConfigError

if TYPE_CHECKING:
    from pressctl.config.settings import Settings

SQLITE_SCHEME = "sqlite"
POSTGRES_SCHEMES = ("postgresql", "postgres")
LOCATION_HINT = ("use a file path, sqlite:///absolute/path.db, sqlite:relative/path.db or "
                 "postgresql://user@host:5432/dbname")
POSTGRES_INSTALL_HINT = "install the PostgreSQL driver: pip install 'pressctl[postgres]'"
DATABASE_PASSWORD_TIMEOUT = 30.0  # seconds a [database] password_command may take
# "scheme:" at the start of a location; two letters at least, so that "C:" stays a path
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")
# Query parameters whose value is never shown (libpq's password, sslpassword, ...)
_SECRET_PARAMETERS = ("pass", "pwd", "secret", "token")


@dataclass(frozen=True, slots=True, repr=False)
class DatabaseLocation:
    """Where the book is: a SQLite file (``path``) or a PostgreSQL URL (``url``, with
    ``password_env`` / ``password_command`` as in [smtp]). Exactly one of ``path`` and
    ``url`` is set.

    The URL may hold a password: messages, output and repr() use :attr:`masked`; only
    :meth:`conninfo`, for the driver, gives it whole."""

    path: Path | None = None
    url: str | None = None
    password_env: str | None = None  # the name of the variable holding the password
    password_command: str | None = None  # prints the password on its first line

    def __post_init__(self) -> None:
        if (self.path is None) == (self.url is None):
            raise ValueError("a DatabaseLocation is a file or a URL, not both or neither")

    @property
    def is_postgres(self) -> bool:
        return self.url is not None

    @property
    def masked(self) -> str:
        """The form to show: the file's path, or the URL without its password (in the
        user part or a query parameter)."""
        return str(self.path) if self.url is None else mask_url(self.url)

    def conninfo(self, env: Mapping[str, str]) -> str:
        """What the store hands to psycopg.connect: the URL as given (libpq then reads its
        PG* variables, ~/.pgpass and sslmode itself), plus the password of
        ``password_env`` / ``password_command`` when one is configured. Never prompts; a
        failing command is a ConfigError naming its exit status only."""
        if self.url is None:
            raise ValueError(f"{self.path} is a SQLite file, not a PostgreSQL URL")
        from pressctl.secrets import secret_from

        password = secret_from(self.password_env, self.password_command, env,
                               DATABASE_PASSWORD_TIMEOUT, "the database password",
                               command_label="[database] password_command")
        if password is None:
            return self.url
        from urllib.parse import quote

        # A query parameter beats the URL's own user:password (libpq reads it last).
        sep = "" if self.url.endswith(("?", "&")) else "&" if "?" in self.url else "?"
        return f"{self.url}{sep}password={quote(password, safe='')}"

    def __str__(self) -> str:
        return self.masked

    def __repr__(self) -> str:
        return f"DatabaseLocation({self.masked!r})"


def mask_url(url: str) -> str:
    """``url`` with the password of its user part and the values of its secret query
    parameters replaced by ``***``: postgresql://anne:***@host/db?password=***."""
    head, sep, rest = url.partition("://")
    if not sep:
        head, rest = "", url
    main, question, query = rest.partition("?")
    at = main.rfind("@")  # the last @: a password may hold an unencoded @ (or /)
    if at >= 0:
        user, colon, _ = main[:at].partition(":")
        if colon:
            main = f"{user}:***{main[at:]}"
    if question:
        query = "&".join(_mask_parameter(part) for part in query.split("&"))
    return f"{head}{sep}{main}{question}{query}"


def _mask_parameter(part: str) -> str:
    from urllib.parse import unquote

    key, equals, _ = part.partition("=")
    if equals and any(word in unquote(key).lower() for word in _SECRET_PARAMETERS):
        return f"{key}=***"
    return part


def parse_database(text: str, *, base: Path, where: str) -> DatabaseLocation:
    """A location as --db, PRESSCTL_DB or [database] url write it: a file path,
    ``sqlite:///absolute/path``, ``sqlite:relative/path`` (relative to ``base``) or a
    ``postgresql://`` / ``postgres://`` URL. ``where`` names the source in messages.
    Raises ConfigError for an unknown scheme, a URL without a database name, or a
    PostgreSQL URL without the psycopg driver installed."""
    match = _SCHEME.match(text)
    if match is None:
        return DatabaseLocation(path=_file(text, base))
    scheme, rest = match.group(1).lower(), text[match.end():]
    if scheme == SQLITE_SCHEME:
        return DatabaseLocation(path=_file(_sqlite_path(rest, where), base))
    if scheme in POSTGRES_SCHEMES:
        _check_postgres_url(text, rest, where)
        return DatabaseLocation(url=text)
    raise ConfigError(f"{where}: unknown database scheme {scheme + ':'!r} (pressctl keeps its "
                      "book in SQLite or PostgreSQL)",
                      hint=f"{LOCATION_HINT}; a file whose name holds a colon: ./{scheme}:...")


def _file(text: str, base: Path) -> Path:
    path = Path(text).expanduser()
    return path if path.is_absolute() else (base / path).absolute()


def _sqlite_path(rest: str, where: str) -> str:
    if rest.startswith("//"):  # sqlite:///abs/path: an empty host, then the path
        rest = rest[2:]
        if rest and not rest.startswith("/"):
            raise ConfigError(f"{where}: a sqlite: URL names a file, not a host",
                              hint=LOCATION_HINT)
    if not rest:
        raise ConfigError(f"{where}: the sqlite: URL names no file", hint=LOCATION_HINT)
    return rest


def _check_postgres_url(url: str, rest: str, where: str) -> None:
    shown = mask_url(url)
    if not rest.startswith("//"):
        raise ConfigError(f"{where}: {shown} is not a PostgreSQL URL", hint=LOCATION_HINT)
    main, _, query = rest[2:].partition("?")
    after_user = main[main.rfind("@") + 1:]
    _, slash, dbname = after_user.partition("/")
    named = bool(slash and dbname) or any(
        part.startswith("dbname=") and len(part) > len("dbname=") for part in query.split("&"))
    if not named:
        raise ConfigError(f"{where}: {shown} names no database",
                          hint="add its name after the host: postgresql://user@host:5432/dbname")
    from importlib.util import find_spec  # finds psycopg without importing it

    if find_spec("psycopg") is None:
        raise ConfigError(f"{where}: {shown} is a PostgreSQL database, and its driver "
                          "(psycopg) is not installed", hint=POSTGRES_INSTALL_HINT)


@dataclass(frozen=True, slots=True)
class Paths:
    home: Path | None  # None when platform directories are used
    config_file: Path
    # The SQLite file: --db's / PRESSCTL_DB's, else the home's (or the platform's)
    # pressctl.db. With a PostgreSQL URL, or a [database] url in config.toml, the book is
    # elsewhere: ask database_location().
    database: Path
    templates_dir: Path
    unsubscribe_key: Path  # the secret of one-click tokens (pressctl.delivery.unsubscribe)
    # What --db or PRESSCTL_DB chose (a file or a URL); None: config.toml or the default
    database_option: DatabaseLocation | None = None

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL URL --db or PRESSCTL_DB gave (with its password, if written in
        it: show :attr:`DatabaseLocation.masked` instead)."""
        return self.database_option.url if self.database_option else None

    @property
    def delivery_dir(self) -> Path:
        """Where the outbox log and the default Maildir live: the home, else the folder of
        the database."""
        return self.home or self.database.parent

    def as_dict(self, location: DatabaseLocation | None = None) -> dict[str, str | None]:
        """What `pressctl paths` shows; ``location`` is the database in use (see
        database_location()), masked: never a password."""
        location = location or self.database_option or DatabaseLocation(path=self.database)
        return {
            "home": str(self.home) if self.home else None,
            "config": str(self.config_file),
            "database": location.masked,
            "templates": str(self.templates_dir),
            "unsubscribe_key": str(self.unsubscribe_key),
        }


def resolve_paths(
    env: Mapping[str, str], home: Path | None = None, db: Path | str | None = None
) -> Paths:
    """--home beats PRESSCTL_HOME beats the platform directories; --db beats PRESSCTL_DB.
    ``db`` (or PRESSCTL_DB) is a file path or a URL (see parse_database); a relative path
    is taken from the current folder."""
    home = home or (Path(env["PRESSCTL_HOME"]) if env.get("PRESSCTL_HOME") else None)
    option = None
    if db is not None:
        option = parse_database(str(db), base=Path.cwd(), where="--db")
    elif env.get("PRESSCTL_DB"):
        option = parse_database(env["PRESSCTL_DB"], base=Path.cwd(), where="PRESSCTL_DB")
    if home is not None:
        home = home.expanduser().absolute()
        config_dir = data_dir = home
    else:
        import platformdirs  # only when no home is given: keeps start-up lean

        config_dir = Path(platformdirs.user_config_dir("pressctl", appauthor=False))
        data_dir = Path(platformdirs.user_data_dir("pressctl", appauthor=False))
    return Paths(
        home=home,
        config_file=config_dir / CONFIG_NAME,
        database=(option.path if option and option.path else data_dir / DATABASE_NAME),
        templates_dir=config_dir / TEMPLATES_DIR,
        unsubscribe_key=config_dir / UNSUBSCRIBE_KEY_NAME,
        database_option=option,
    )


def database_location(paths: Paths, settings: Settings) -> DatabaseLocation:
    """Where the book is: --db > PRESSCTL_DB (both in ``paths.database_option``) >
    config.toml's [database] url > the home's (or the platform's) pressctl.db."""
    return paths.database_option or settings.database or DatabaseLocation(path=paths.database)

