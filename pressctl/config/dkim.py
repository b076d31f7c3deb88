"""The [dkim] table: who signs the messages (d=), with which published key (s=), the
private key's source and the header fields signed. Parsed here without importing dkimpy
or cryptography (start-up stays lean); the signer is pressctl.delivery.dkim."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pressctl.errors import ConfigError

SIGNED_HEADERS = ("from", "to", "subject", "date", "message-id", "mime-version",
                  "content-type", "content-language", "reply-to", "list-unsubscribe",
                  "list-unsubscribe-post")
# Fields relays add or rewrite on the way: signing them would break every signature.
NEVER_SIGNED = frozenset({"dkim-signature", "received", "return-path", "bcc", "resent-bcc"})
KNOWN_KEYS = ("domain", "selector", "key_file", "key_command", "headers")

_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_FIELD_NAME = re.compile(r"[!-9;-~]+\Z")  # printable ASCII but ":" (RFC 5322)


@dataclass(frozen=True, slots=True)
class DkimSettings:
    """The [dkim] table: who signs (``domain``, d=), with which published key
    (``selector``, s=), the private key's source (exactly one of ``key_file``, absolute,
    and ``key_command``) and the header fields signed (lower case)."""

    domain: str  # in ASCII (IDNA) form, lower case
    selector: str
    key_file: Path | None = None
    key_command: str | None = None  # prints the private key
    headers: tuple[str, ...] = SIGNED_HEADERS

    def __post_init__(self) -> None:
        if (self.key_file is None) == (self.key_command is None):
            raise ValueError("DkimSettings take a key_file or a key_command, not both or neither")

    @property
    def record_name(self) -> str:
        """Where receivers look the public key up: ``selector._domainkey.domain``."""
        return f"{self.selector}._domainkey.{self.domain}"


def parse_dkim(table: object, where: str, config_dir: Path) -> DkimSettings | None:
    """The [dkim] table of the config file ``where`` checked into settings; None when it
    is absent or empty. A relative key_file is taken from ``config_dir``."""
    if not table:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: dkim must be a table", hint="write it as [dkim]")
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r} in [dkim]",
                              hint=f"known keys: {', '.join(KNOWN_KEYS)}")
        if key != "headers" and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}: dkim.{key} must be text",
                              hint=f'write it in quotes, e.g. {key} = "{_SAMPLES[key]}"')
    for key in ("domain", "selector"):
        if key not in table:
            raise ConfigError(f"{where}: [dkim] needs a {key}", hint=_EXAMPLE)
    domain = domain_name(table["domain"])
    if domain is None:
        raise ConfigError(f"{where}: dkim.domain {table['domain']!r} is not a domain name",
                          hint='the domain of your From addresses, e.g. domain = "cnes.fr"')
    selector = selector_name(table["selector"], domain)
    if selector is None:
        raise ConfigError(f"{where}: dkim.selector {table['selector']!r} is not a selector",
                          hint="letters, digits and hyphens, dot-separated labels, e.g. "
                               'selector = "press2026"')
    sources = [key for key in ("key_file", "key_command") if key in table]
    if len(sources) != 1:
        said = "both key_file and key_command" if sources else "no key_file or key_command"
        raise ConfigError(f"{where}: [dkim] has {said}",
                          hint="give one: key_file (made by `pressctl dkim keygen`) or "
                               "key_command (prints the key)")
    key_file = None
    if "key_file" in table:
        key_file = Path(table["key_file"].strip()).expanduser()
        key_file = key_file if key_file.is_absolute() else config_dir / key_file
    headers = _headers(table.get("headers", SIGNED_HEADERS), where)
    return DkimSettings(domain=domain, selector=selector, key_file=key_file,
                        key_command=table.get("key_command"), headers=headers)


_SAMPLES = {"domain": "cnes.fr", "selector": "press2026", "key_file": "dkim-press2026.pem",
            "key_command": "pass show dkim/press2026"}
_EXAMPLE = ('e.g. domain = "cnes.fr", selector = "press2026", key_file = "dkim-press2026.pem" '
            "(`pressctl dkim keygen` prints these lines)")


def _headers(value: object, where: str) -> tuple[str, ...]:
    if (not isinstance(value, (list, tuple)) or not value
            or not all(isinstance(name, str) for name in value)):
        raise ConfigError(f"{where}: dkim.headers must be a list of header field names",
                          hint='e.g. headers = ["from", "to", "subject", "date"]')
    names = tuple(dict.fromkeys(name.strip().lower() for name in value))
    for name in names:
        if not _FIELD_NAME.match(name):
            raise ConfigError(f"{where}: dkim.headers: {name!r} is not a header field name",
                              hint='e.g. "list-unsubscribe" (without the colon)')
        if name in NEVER_SIGNED:
            raise ConfigError(f"{where}: dkim.headers: {name} must not be signed",
                              hint="relays add or change it, which would break every signature")
    if "from" not in names:
        raise ConfigError(f"{where}: dkim.headers must include from",
                          hint="RFC 6376: the From field is always signed")
    return names


def domain_name(text: str) -> str | None:
    """``text`` as a domain name in ASCII (IDNA) lower case, or None when it is not one
    (at least two labels, no IP address, no underscore)."""
    name = text.strip().rstrip(".").lower()
    if not name.isascii():
        import idna  # IDNA 2008 + UTS 46, as MessageFactory writes From domains

        try:
            name = idna.encode(name, uts46=True).decode("ascii")
        except UnicodeError:  # idna.IDNAError is one
            return None
    labels = name.split(".")
    if (len(name) > 253 or len(labels) < 2 or labels[-1].isdigit()
            or not all(_LABEL.match(label) for label in labels)):
        return None
    return name


def selector_name(text: str, domain: str) -> str | None:
    """``text`` as a DKIM selector (dot-separated DNS labels), lower case, or None."""
    name = text.strip().lower()
    if (not name or not all(_LABEL.match(label) for label in name.split("."))
            or len(f"{name}._domainkey.{domain}") > 253):
        return None
    return name

