"""Where pressctl keeps its files, and the settings read from config.toml.

- pressctl.config.defaults: the files' names and the config.toml `init` writes;
- pressctl.config.locations: :class:`Paths` and where the book is
  (:class:`DatabaseLocation`, :func:`database_location`);
- pressctl.config.settings: :class:`Settings`, each table parsed and validated once into
  a frozen value (:func:`load_settings`);
- pressctl.config.smtp and pressctl.config.dkim: the [smtp] and [dkim] tables;
- pressctl.config.files: the files pressctl writes for itself (0600, atomically).

It imports errors, secrets and the pure domains (contacts, outbox) only. The environment
is passed in (a mapping), never read here.
"""

from pressctl.config.defaults import (
    CONFIG_NAME,
    DATABASE_NAME,
    DEFAULT_CONFIG,
    PHONE_STYLES,
    TEMPLATES_DIR,
    UNSUBSCRIBE_KEY_NAME,
)
from pressctl.config.dkim import DkimSettings, parse_dkim
from pressctl.config.files import ensure_config, write_private_file
from pressctl.config.locations import (
    DatabaseLocation,
    Paths,
    database_location,
    mask_url,
    parse_database,
    resolve_paths,
)
from pressctl.config.settings import (
    DeliverySettings,
    DisplaySettings,
    InboxSettings,
    SenderSettings,
    Settings,
    load_settings,
)
from pressctl.config.smtp import SECURITY_MODES, TLS_HINT, Security, SmtpSettings, is_loopback

__all__ = [
    "CONFIG_NAME", "DATABASE_NAME", "DEFAULT_CONFIG", "PHONE_STYLES", "SECURITY_MODES",
    "TEMPLATES_DIR", "TLS_HINT", "UNSUBSCRIBE_KEY_NAME", "DatabaseLocation",
    "DeliverySettings", "DisplaySettings", "DkimSettings", "InboxSettings", "Paths", "Security",
    "SenderSettings", "Settings", "SmtpSettings", "database_location", "ensure_config",
    "is_loopback", "load_settings", "mask_url", "parse_database", "parse_dkim",
    "resolve_paths", "write_private_file",
]
