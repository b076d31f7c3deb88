"""One-click unsubscribe tokens (RFC 8058) that nobody can guess or forge.

A token is an HMAC-SHA256 of (mailout id, the address's e-mail key) under a secret key
kept in the home (``unsubscribe.key``, 0600), created by `pressctl init`. It names one
recipient of one mailout; the page behind ``unsubscribe_url`` hands it back, and the row
holding it (``mailout_rows.token``) says which address asked. The old token, the
sequential contact id, let anyone unsubscribe anyone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from pressctl.contacts.emails import email_key
from pressctl.errors import ConfigError

TOKEN_LENGTH = 32  # base64url characters: 192 bits of the HMAC


def ensure_key(path: Path) -> bool:
    """Create the secret key file (0600, 256 random bits) unless it exists; True when
    created. Created exclusively, so two first runs cannot write two different keys."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    except OSError as err:
        raise ConfigError(f"{path}: cannot create the unsubscribe key ({err.strerror})") from err
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return True


def load_key(path: Path) -> bytes:
    """The secret key; a missing, unreadable or empty file is a configuration error."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(f"no unsubscribe key at {path}",
                          hint="run `pressctl init` (it creates the key and keeps the rest)"
                          ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: cannot read the unsubscribe key ({err})") from None
    if len(text) < 32:
        raise ConfigError(f"{path}: the unsubscribe key is too short",
                          hint="move the file away and run `pressctl init` to make a new one")
    return text.encode("ascii")


def unsubscribe_token(key: bytes, mailout_id: int, address: str) -> str:
    """The token of ``address`` in mailout ``mailout_id``: URL-safe, fixed length."""
    message = f"{mailout_id}\n{email_key(address)}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:TOKEN_LENGTH]
