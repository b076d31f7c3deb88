"""The settings read from config.toml, each table parsed and validated once into a frozen
value: :class:`DisplaySettings`, :class:`SenderSettings`, :class:`SmtpSettings`
(pressctl.config.smtp), :class:`DeliverySettings` (the rate already parsed into limits),
:class:`DkimSettings` (pressctl.config.dkim), :class:`BrandingSettings`
(pressctl.config.branding) and the [database] location, gathered in
:class:`Settings`. The environment is passed in (a mapping), never read here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pressctl.config.branding import KNOWN_KEYS as BRANDING_KEYS
from pressctl.config.branding import BrandingSettings, parse_branding
from pressctl.config.defaults import CSV_DIALECTS, PHONE_STYLES
from pressctl.config.dkim import KNOWN_KEYS, DkimSettings, parse_dkim
from pressctl.config.locations import DatabaseLocation, parse_database
from pressctl.config.salutations import KNOWN_KEYS as SALUTATION_KEYS
from pressctl.config.salutations import SalutationSettings, parse_salutations
from pressctl.config.smtp import SmtpSettings
from pressctl.errors import ConfigError


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """The [delivery] table; its ``rate`` is parsed once, into ``limits``."""

    # window seconds -> most messages in any such window (pressctl.outbox.ratelimit);
    # empty: no limit
    limits: dict[float, int] = field(default_factory=dict)
    max_attempts: int = 5
    give_up_after: timedelta = timedelta(hours=24)
    maildir: str = "outbox"  # relative to the home, when there is no [smtp] host
    verp: bool = False  # a bounce address per recipient (pressctl.inbox.verp)
    # sender processes over SMTP (pressctl.delivery.processes); None: min(2, cores)
    processes: int | None = None


@dataclass(frozen=True, slots=True)
class InboxSettings:
    """The [inbox] table: when soft bounces (4.x.x) make an address bouncing."""

    soft_bounces: int = 3  # this many soft bounces ...
    soft_days: int = 30  # ... within this many days


@dataclass(frozen=True, slots=True)
class DisplaySettings:
    """The [display] table: how phone numbers and times are shown."""

    own_country: str = "FR"  # its numbers are shown in national format with style "auto"
    phone_style: str = "auto"  # one of PHONE_STYLES
    timezone: str | None = None  # an IANA zone for times on screen; None: the system's

    def zone(self) -> tzinfo:
        """The zone times are shown in: ``timezone``, else the system's local zone."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return system_zone()


def system_zone() -> tzinfo:
    """The system's zone, with its daylight-saving rules (/etc/localtime), else its current
    offset (a zone without rules: right today, an hour off across a change)."""
    try:
        with open("/etc/localtime", "rb") as file:
            return ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError):
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else UTC


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
    csv_dialect: str = "standard"  # [contacts]: `contacts export --format csv`: or "excel"
    display: DisplaySettings = field(default_factory=DisplaySettings)
    sender: SenderSettings = field(default_factory=SenderSettings)
    smtp: SmtpSettings | None = None  # None: deliver into the Maildir of the home
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    database: DatabaseLocation | None = None  # [database] url; None: pressctl.db
    dkim: DkimSettings | None = None  # [dkim]; None: messages are not signed
    inbox: InboxSettings = field(default_factory=InboxSettings)
    branding: BrandingSettings = field(default_factory=BrandingSettings)  # [branding]
    salutations: SalutationSettings = field(default_factory=SalutationSettings)  # [salutations]

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
    "contacts": {"default_region", "csv_dialect"},
    "display": {"own_country", "phone_style", "timezone"},
    "sender": {"name", "address", "list_unsubscribe", "unsubscribe_url"},
    "smtp": {"host", "port", "security", "username", "password_env", "password_command",
             "ca_file", "verify", "timeout", "connections"},
    "delivery": {"rate", "max_attempts", "give_up_after", "maildir", "verp",
                 "processes"},
    "database": {"url", "password_env", "password_command"},
    "dkim": set(KNOWN_KEYS),  # checked again, with its hints, by parse_dkim
    "inbox": {"soft_bounces", "soft_days"},
    "branding": set(BRANDING_KEYS),  # checked again, with its hints, by parse_branding
    "salutations": SALUTATION_KEYS,  # style and languages: checked by parse_salutations
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
    dialect = contacts.get("csv_dialect", "standard")
    if dialect not in CSV_DIALECTS:
        raise ConfigError(f"{path}: contacts.csv_dialect {dialect!r} is not one of "
                          f"{', '.join(CSV_DIALECTS)}",
                          hint='"excel": semicolons, UTF-8 with BOM, CRLF (French Excel)')
    own = _region(display.get("own_country", region), path, "display.own_country")
    style = display.get("phone_style", "auto")
    if style not in PHONE_STYLES:
        raise ConfigError(
            f"{path}: display.phone_style {style!r} is not one of {', '.join(PHONE_STYLES)}"
        )
    zone = _timezone(display.get("timezone"), path)
    sender = data.get("sender", {})
    return Settings(
        default_region=region,
        csv_dialect=dialect,
        display=DisplaySettings(own_country=own, phone_style=style, timezone=zone),
        sender=SenderSettings(
            name=_text(sender, "name", path),
            address=_address(sender, "address", path),
            list_unsubscribe=_address(sender, "list_unsubscribe", path),
            unsubscribe_url=_unsubscribe_url(sender, path),
        ),
        smtp=_smtp(data.get("smtp"), path),
        delivery=_delivery(data.get("delivery", {}), path),
        database=_database(data.get("database"), path),
        dkim=parse_dkim(data.get("dkim"), str(path), path.parent),
        inbox=_inbox(data.get("inbox", {}), path),
        branding=parse_branding(data.get("branding"), str(path), path.parent),
        salutations=parse_salutations(data.get("salutations"), str(path)),
    )


def _timezone(value: object, path: Path) -> str | None:
    if value is None:
        return None
    hint = 'an IANA zone name such as "Europe/Paris" or "America/Montreal"'
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}: display.timezone must be a zone name", hint=hint)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"{path}: display.timezone {value!r} is not a known time zone",
                          hint=hint) from err
    return value


def _inbox(table: dict, path: Path) -> InboxSettings:
    values = {}
    for key, low, high, example in (("soft_bounces", 1, 100, 3), ("soft_days", 1, 365, 30)):
        if key in table:
            value = table[key]
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ConfigError(f"{path}: inbox.{key} must be a whole number from {low} to "
                                  f"{high}", hint=f"e.g. {key} = {example}")
            values[key] = value
    return InboxSettings(**values)


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
    if "verp" in table:
        if not isinstance(table["verp"], bool):
            raise ConfigError(f"{path}: delivery.verp must be true or false")
        values["verp"] = table["verp"]
    if "processes" in table:
        count = table["processes"]
        if count != "auto" and (type(count) is not int or not 1 <= count <= 16):
            raise ConfigError(f"{path}: delivery.processes must be \"auto\" or a number "
                              "from 1 to 16", hint="1 keeps every connection in one process")
        values["processes"] = None if count == "auto" else count
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


