"""The [smtp] table: how the relay is reached, and the one judge of its values."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from pressctl.errors import ConfigError


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

