"""Where pressctl keeps its files, and the settings read from config.toml.

Each table of the file is parsed and validated once, here, into a frozen value:
:class:`DisplaySettings`, :class:`SenderSettings`, :class:`SmtpSettings` (whose
:meth:`~SmtpSettings.check` is the one judge of its values, security modes included) and
:class:`DeliverySettings` (the rate already parsed into limits), gathered in
:class:`Settings`. The environment is passed in (a mapping), never read here, so tests and
the CLI decide.

Where the book is, :class:`DatabaseLocation`: a SQLite file or a PostgreSQL URL, chosen
by ``--db`` > ``PRESSCTL_DB`` > config.toml's ``[database] url`` > the home's pressctl.db
(:func:`database_location`). :class:`Paths` is resolved before config.toml is read, so it
keeps ``database`` (a Path, as SQLite code has always used it) and the location ``--db`` /
``PRESSCTL_DB`` gave, if any; the config file's url is then weighed by
:func:`database_location`. A URL may hold a password: it is shown only through
:attr:`DatabaseLocation.masked`, and psycopg is never imported here (only the store does,
when it opens such a URL).
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

from pressctl.errors import ConfigError

CONFIG_NAME = "config.toml"
DATABASE_NAME = "pressctl.db"
TEMPLATES_DIR = "templates"
UNSUBSCRIBE_KEY_NAME = "unsubscribe.key"  # see pressctl.delivery.unsubscribe
PHONE_STYLES = ("auto", "international", "national", "house", "e164")

DEFAULT_CONFIG = """\
# pressctl configuration. Paths: `pressctl paths`.

[contacts]
# Region for phone numbers written without a country code, when neither the contact
# nor its organisation has a country (ISO 3166 alpha-2: FR, BE, GB, US...).
default_region = "FR"

[display]
# Your own country: its numbers are shown in national format ("01 44 76 75 39")
# when phone_style is "auto"; others in international format.
own_country = "FR"
# auto | international | national | house ("+33 (0)1 44 76 75 39") | e164
phone_style = "auto"

[sender]
# Messages come from the first press officer of the release unless you set an address
# here (e.g. the press office's shared mailbox).
# name = "CNES Press Office"
# address = "presse@cnes.fr"
# Where unsubscribe requests go (List-Unsubscribe mailto); default: the sender.
# list_unsubscribe = "unsubscribe@cnes.fr"
# A one-click unsubscribe page (RFC 8058), with {token} for the recipient:
# unsubscribe_url = "https://presse.cnes.fr/unsubscribe?t={token}"

[smtp]
# Without a host, `outbox run` delivers into a Maildir in the home (see [delivery]).
# host = "smtp.example.org"
# port = 587
# security = "starttls"       # starttls | tls (implicit, port 465) | plain (loopback only)
# username = "presse"
# password_env = "PRESSCTL_SMTP_PASSWORD"   # or: password_command = "pass show smtp"
# ca_file = "/etc/ssl/certs/my-ca.pem"      # an extra trusted CA; verification stays on
# connections = 2

[database]
# Without a url the book is pressctl.db in the home (SQLite). A team shares one PostgreSQL
# database (needs the driver: pip install 'pressctl[postgres]'); --db and PRESSCTL_DB
# override this url. libpq's PG* variables, ~/.pgpass and sslmode work as usual.
# url = "postgresql://presse@db.example.org:5432/press?sslmode=verify-full"
# password_env = "PRESSCTL_DB_PASSWORD"     # or: password_command = "pass show press-db"

[delivery]
# rate = "50/s, 600/min"      # the relay's limits, never exceeded
# max_attempts = 5            # transient failures (4xx, dropped connections) retried
# give_up_after = "24h"       # after its due time, a message not yet delivered fails
# maildir = "outbox"          # relative to the home
"""


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


class Security(StrEnum):
    """How an SMTP session is protected."""

    STARTTLS = "starttls"  # upgraded when the server offers it (ports 587, 25)
    TLS = "tls"  # implicit TLS from the first byte (port 465)
    PLAIN = "plain"  # never encrypted: loopback hosts only


SECURITY_MODES = tuple(Security)
TLS_HINT = 'port 465 uses security "tls", ports 587 and 25 use "starttls"'


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The [smtp] table. :meth:`check` is the one place its values are judged, and
    :attr:`cleartext_allowed` says where a session may go unencrypted."""

    host: str
    port: int = 587
    security: Security = Security.STARTTLS
    username: str | None = None
    password_env: str | None = None  # the name of the variable holding the password
    password_command: str | None = None  # prints the password on its first line
    ca_file: str | None = None  # an extra trusted CA (PEM)
    verify: bool = True
    timeout: float = 30.0
    helo_name: str = "localhost"
    connections: int = 1  # parallel connections of one run

    def __post_init__(self) -> None:
        # A known mode written as text (config.toml, tests) becomes its member; an unknown
        # one is kept as written, for check() to refuse with the file's context.
        if self.security in SECURITY_MODES:
            object.__setattr__(self, "security", Security(self.security))

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def cleartext_allowed(self) -> bool:
        """Whether a session, password included, may go unencrypted: only to a loopback
        host, where nothing crosses a network (security "plain", or a STARTTLS the server
        does not offer)."""
        return is_loopback(self.host)

    def check(self) -> None:
        """Raise ConfigError when these settings could not work or would be unsafe."""
        where = f"smtp {self.where}"
        if not self.host or any(c.isspace() for c in self.host):
            raise ConfigError(f"smtp host {self.host!r} is not a host name")
        if not 0 < self.port < 65536:
            raise ConfigError(f"{where}: port must be between 1 and 65535")
        if self.security not in SECURITY_MODES:
            raise ConfigError(f"{where}: security {self.security!r} is not one of "
                              + ", ".join(SECURITY_MODES))
        if self.security == Security.PLAIN and not self.cleartext_allowed:
            raise ConfigError(f'{where}: security "plain" (no TLS) is refused for a remote host',
                              hint=f"use starttls or tls ({TLS_HINT}); plain is for localhost only")
        if not self.timeout > 0:
            raise ConfigError(f"{where}: timeout must be a positive number of seconds")
        if not 1 <= self.connections <= 16:
            raise ConfigError(f"{where}: connections must be between 1 and 16")
        has_password = bool(self.password_env or self.password_command)
        if self.username and not has_password:
            raise ConfigError(f"{where}: username {self.username!r} is set but no password source",
                              hint="set password_env (a variable name) or password_command")
        if has_password and not self.username:
            raise ConfigError(f"{where}: a password source is set but no username")


def is_loopback(host: str) -> bool:
    """"localhost" or a loopback IP, by its text alone (never resolved)."""
    name = host.strip("[]").rstrip(".").lower()
    try:
        return name == "localhost" or ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """The [delivery] table; its ``rate`` is parsed once, into ``limits``."""

    # window seconds -> most messages in any such window (pressctl.outbox.ratelimit);
    # empty: no limit
    limits: dict[float, int] = field(default_factory=dict)
    max_attempts: int = 5
    give_up_after: timedelta = timedelta(hours=24)
    maildir: str = "outbox"  # relative to the home, when there is no [smtp] host


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """The [display] table: how phone numbers are shown."""

    own_country: str = "FR"  # its numbers are shown in national format with style "auto"
    phone_style: str = "auto"  # one of PHONE_STYLES


@dataclass(frozen=True, slots=True)
class SenderSettings:
    """The [sender] table: who messages come from (None: the release's press officer)."""

    name: str | None = None
    address: str | None = None  # normalised
    list_unsubscribe: str | None = None  # the List-Unsubscribe mailto; None: the sender
    unsubscribe_url: str | None = None  # an https URL with {token} (RFC 8058 one-click)


@dataclass(frozen=True, slots=True)
class Settings:
    """config.toml, one value per table; the defaults when there is no file."""

    default_region: str = "FR"  # [contacts]: the region of numbers without a country code
    display: DisplaySettings = field(default_factory=DisplaySettings)
    sender: SenderSettings = field(default_factory=SenderSettings)
    smtp: SmtpSettings | None = None  # None: deliver into the Maildir of the home
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    database: DatabaseLocation | None = None  # [database] url; None: pressctl.db


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


def load_settings(path: Path) -> Settings:
    """Read config.toml; a missing file means the defaults."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Settings()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read ({err.strerror})") from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}", hint="fix the TOML syntax") from err
    return _settings_from(data, path)


_KNOWN = {
    "contacts": {"default_region"},
    "display": {"own_country", "phone_style"},
    "sender": {"name", "address", "list_unsubscribe", "unsubscribe_url"},
    "smtp": {"host", "port", "security", "username", "password_env", "password_command",
             "ca_file", "verify", "timeout", "connections"},
    "delivery": {"rate", "max_attempts", "give_up_after", "maildir"},
    "database": {"url", "password_env", "password_command"},
}
_SMTP_TYPES: dict[str, type | tuple[type, ...]] = {
    "host": str, "port": int, "security": str, "username": str, "password_env": str,
    "password_command": str, "ca_file": str, "verify": bool, "timeout": (int, float),
    "connections": int}


def _settings_from(data: dict, path: Path) -> Settings:
    for section, values in data.items():
        if section not in _KNOWN or not isinstance(values, dict):
            raise ConfigError(
                f"{path}: unknown section [{section}]",
                hint=f"known sections: {', '.join(sorted(_KNOWN))}",
            )
        for key in values:
            if key not in _KNOWN[section]:
                raise ConfigError(
                    f"{path}: unknown key {key!r} in [{section}]",
                    hint=f"known keys: {', '.join(sorted(_KNOWN[section]))}",
                )
    contacts = data.get("contacts", {})
    display = data.get("display", {})
    region = _region(contacts.get("default_region", "FR"), path, "contacts.default_region")
    own = _region(display.get("own_country", region), path, "display.own_country")
    style = display.get("phone_style", "auto")
    if style not in PHONE_STYLES:
        raise ConfigError(
            f"{path}: display.phone_style {style!r} is not one of {', '.join(PHONE_STYLES)}"
        )
    sender = data.get("sender", {})
    return Settings(
        default_region=region,
        display=DisplaySettings(own_country=own, phone_style=style),
        sender=SenderSettings(
            name=_text(sender, "name", path),
            address=_address(sender, "address", path),
            list_unsubscribe=_address(sender, "list_unsubscribe", path),
            unsubscribe_url=_unsubscribe_url(sender, path),
        ),
        smtp=_smtp(data.get("smtp"), path),
        delivery=_delivery(data.get("delivery", {}), path),
        database=_database(data.get("database"), path),
    )


def _database(table: dict | None, path: Path) -> DatabaseLocation | None:
    if not table:
        return None
    for key, value in table.items():
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{path}: database.{key} must be text")
    if "url" not in table:
        raise ConfigError(f"{path}: [database] needs a url",
                          hint='e.g. url = "postgresql://presse@db.example.org/press"')
    location = parse_database(table["url"].strip(), base=path.parent, where=f"{path}: database.url")
    secret = {k: table[k] for k in ("password_env", "password_command") if k in table}
    if secret and location.url is None:
        raise ConfigError(f"{path}: database.{next(iter(secret))} is for a PostgreSQL url; "
                          "a SQLite file has no password")
    return DatabaseLocation(url=location.url, **secret) if secret else location


def _smtp(table: dict | None, path: Path) -> SmtpSettings | None:
    if not table:
        return None
    for key, value in table.items():
        if not isinstance(value, _SMTP_TYPES[key]) or isinstance(value, bool) != (key == "verify"):
            raise ConfigError(f"{path}: smtp.{key} has the wrong type ({value!r})")
    if not table.get("host"):
        raise ConfigError(f"{path}: [smtp] needs a host", hint='e.g. host = "smtp.example.org"')
    settings = SmtpSettings(**table)
    try:
        settings.check()
    except ConfigError as err:
        raise ConfigError(f"{path}: {err.message}", hint=err.hint) from None
    return settings


def _delivery(table: dict, path: Path) -> DeliverySettings:
    values: dict = {}
    if "rate" in table:
        from pressctl.errors import InvalidInput
        from pressctl.outbox.ratelimit import parse_limits

        try:
            values["limits"] = parse_limits(str(table["rate"]))
        except InvalidInput as err:
            raise ConfigError(f"{path}: delivery.rate: {err}") from err
    if "max_attempts" in table:
        if not isinstance(table["max_attempts"], int) or not 1 <= table["max_attempts"] <= 50:
            raise ConfigError(f"{path}: delivery.max_attempts must be a number from 1 to 50")
        values["max_attempts"] = table["max_attempts"]
    if "give_up_after" in table:
        age = _parse_age(table["give_up_after"])
        if age is None or not timedelta(minutes=1) <= age <= timedelta(days=30):
            raise ConfigError(f"{path}: delivery.give_up_after must be a duration from 1 minute "
                              "to 30 days", hint='e.g. "24h", "90m", "2d", "1d 12h"')
        values["give_up_after"] = age
    if "maildir" in table:
        values["maildir"] = str(table["maildir"])
    return DeliverySettings(**values)


_DURATION = re.compile(r"\s*(\d+)\s*(days?|d|hours?|h|minutes?|min|m)\s*")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def _parse_age(text: object) -> timedelta | None:
    """ "24h", "90m", "2d", "1d 12h" -> timedelta; None when it is not such a duration.
    (A longer span than an event's length, pressctl.times.parse_duration: days, no "1h30".)"""
    if not isinstance(text, str) or not text.strip():
        return None
    total, position = timedelta(0), 0
    while position < len(text):
        match = _DURATION.match(text, position)
        if not match:
            return None
        total += timedelta(**{_DURATION_UNITS[match.group(2)[0]]: int(match.group(1))})
        position = match.end()
    return total


def _text(section: dict, key: str, path: Path) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n"):
        raise ConfigError(f"{path}: sender.{key} must be one line of text")
    return value.strip()


def _address(section: dict, key: str, path: Path) -> str | None:
    from pressctl.contacts.emails import clean_email_field
    from pressctl.errors import InvalidEmail

    value = _text(section, key, path)
    if value is None:
        return None
    try:
        found = clean_email_field(value)
    except InvalidEmail as err:
        raise ConfigError(f"{path}: sender.{key}: {err.reason}") from err
    if len(found) != 1:
        raise ConfigError(f"{path}: sender.{key} must be one e-mail address")
    return found[0].normalized


def _unsubscribe_url(section: dict, path: Path) -> str | None:
    value = _text(section, "unsubscribe_url", path)
    if value is not None and (not value.startswith("https://") or "{token}" not in value):
        raise ConfigError(f"{path}: sender.unsubscribe_url must be an https:// URL with {{token}}",
                          hint='e.g. "https://presse.example.org/unsubscribe?t={token}"')
    return value


def _region(value: object, path: Path, key: str) -> str:
    from pressctl.contacts.regions import known_region

    if not isinstance(value, str) or not known_region(value.strip().upper()):
        raise ConfigError(
            f"{path}: {key} {value!r} is not an ISO 3166 region code",
            hint="use two letters such as FR, BE, GB or US",
        )
    return value.strip().upper()


def write_private_file(path: Path, content: str | bytes) -> None:
    """Write atomically (temp file + rename) with mode 0600: the files hold personal data.
    Text is written as UTF-8, as given (no newline translation)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_config(path: Path) -> bool:
    """Create the default config file if missing; True when it was created."""
    if path.exists():
        return False
    write_private_file(path, DEFAULT_CONFIG)
    return True
