"""Where pressctl keeps its files, and the settings read from config.toml.

The environment is passed in (a mapping), never read here, so tests and the CLI decide.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pressctl.errors import ConfigError

CONFIG_NAME = "config.toml"
DATABASE_NAME = "pressctl.db"
TEMPLATES_DIR = "templates"
UNSUBSCRIBE_KEY_NAME = "unsubscribe.key"  # see pressctl.unsubscribe
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

[delivery]
# rate = "50/s, 600/min"      # the relay's limits, never exceeded
# max_attempts = 5            # transient failures (4xx, dropped connections) retried
# maildir = "outbox"          # relative to the home
"""


@dataclass(frozen=True, slots=True)
class Paths:
    home: Path | None  # None when platform directories are used
    config_file: Path
    database: Path
    templates_dir: Path
    unsubscribe_key: Path  # the secret of one-click unsubscribe tokens (pressctl.unsubscribe)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "home": str(self.home) if self.home else None,
            "config": str(self.config_file),
            "database": str(self.database),
            "templates": str(self.templates_dir),
            "unsubscribe_key": str(self.unsubscribe_key),
        }


@dataclass(frozen=True, slots=True)
class Settings:
    default_region: str = "FR"
    own_country: str = "FR"
    phone_style: str = "auto"
    sender_name: str | None = None
    sender_address: str | None = None
    list_unsubscribe: str | None = None
    unsubscribe_url: str | None = None
    smtp: dict | None = None  # the [smtp] table, checked; None: deliver to the Maildir
    rate: str | None = None
    max_attempts: int = 5
    maildir: str = "outbox"


def resolve_paths(
    env: Mapping[str, str], home: Path | None = None, db: Path | None = None
) -> Paths:
    """--home beats PRESSCTL_HOME beats the platform directories; --db beats PRESSCTL_DB."""
    home = home or (Path(env["PRESSCTL_HOME"]) if env.get("PRESSCTL_HOME") else None)
    if db is None and env.get("PRESSCTL_DB"):
        db = Path(env["PRESSCTL_DB"])
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
        database=(db.expanduser().absolute() if db else data_dir / DATABASE_NAME),
        templates_dir=config_dir / TEMPLATES_DIR,
        unsubscribe_key=config_dir / UNSUBSCRIBE_KEY_NAME,
    )


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
    "delivery": {"rate", "max_attempts", "maildir"},
}
_SMTP_TYPES = {"host": str, "port": int, "security": str, "username": str,
               "password_env": str, "password_command": str, "ca_file": str, "verify": bool,
               "timeout": (int, float), "connections": int}


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
        default_region=region, own_country=own, phone_style=style,
        sender_name=_text(sender, "name", path),
        sender_address=_address(sender, "address", path),
        list_unsubscribe=_address(sender, "list_unsubscribe", path),
        unsubscribe_url=_unsubscribe_url(sender, path),
        smtp=_smtp(data.get("smtp"), path),
        **_delivery(data.get("delivery", {}), path),
    )


def _smtp(table: dict | None, path: Path) -> dict | None:
    if not table:
        return None
    for key, value in table.items():
        if not isinstance(value, _SMTP_TYPES[key]) or isinstance(value, bool) != (key == "verify"):
            raise ConfigError(f"{path}: smtp.{key} has the wrong type ({value!r})")
    if not table.get("host"):
        raise ConfigError(f"{path}: [smtp] needs a host", hint='e.g. host = "smtp.example.org"')
    if table.get("security", "starttls") not in ("starttls", "tls", "plain"):
        raise ConfigError(f"{path}: smtp.security must be starttls, tls or plain")
    if not 1 <= table.get("connections", 1) <= 16:
        raise ConfigError(f"{path}: smtp.connections must be between 1 and 16")
    return dict(table)


def _delivery(table: dict, path: Path) -> dict:
    values: dict = {}
    if "rate" in table:
        from pressctl.errors import InvalidInput
        from pressctl.ratelimit import parse_limits

        try:
            parse_limits(str(table["rate"]))
        except InvalidInput as err:
            raise ConfigError(f"{path}: delivery.rate: {err}") from err
        values["rate"] = str(table["rate"])
    if "max_attempts" in table:
        if not isinstance(table["max_attempts"], int) or not 1 <= table["max_attempts"] <= 50:
            raise ConfigError(f"{path}: delivery.max_attempts must be a number from 1 to 50")
        values["max_attempts"] = table["max_attempts"]
    if "maildir" in table:
        values["maildir"] = str(table["maildir"])
    return values


def _text(section: dict, key: str, path: Path) -> str | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n"):
        raise ConfigError(f"{path}: sender.{key} must be one line of text")
    return value.strip()


def _address(section: dict, key: str, path: Path) -> str | None:
    from pressctl.emails import clean_email_field
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
    from pressctl.regions import known_region

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
