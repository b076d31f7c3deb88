"""A folder on an IMAP server -> its messages as raw bytes, as pressctl.inbox.mailboxes
gives those of a Maildir or an mbox: what `inbox import --imap` reads.

The folder is named by a URL: ``imaps://user@host[:port]/folder`` (TLS from the first
byte, port 993) or ``imap://user@host[:port]/folder`` (port 143, STARTTLS required: a
password never crosses the network in clear). The user may hold an "@" (``imaps://
press@cnes.fr@imap.cnes.fr/INBOX``) or be percent-encoded; the folder defaults to INBOX,
its hierarchy separator written as the server writes it (``INBOX/Presse``, or
``INBOX.Presse`` on some servers). A password is never part of the URL (it would be seen
in the process list and the shell's history): the caller passes it, read from a variable
or a command (pressctl.secrets), never from a prompt.

Read-only: the folder is opened with EXAMINE and the messages fetched with BODY.PEEK, so
that no flag changes (a message unread in the office's mail program stays unread). The
server's certificate and name are checked against the system's trusted authorities (the
standard library's default TLS context, not imaplib's, which checks nothing;
SSL_CERT_FILE names another bundle).

Faults: a server that cannot be reached, a certificate that does not verify, a refused
login are ConfigError (exit 4: the settings or the credentials are wrong); a URL that is
not one, or a folder the server does not have, InvalidInput (exit 3). Messages never
quote the password.

(This sits beside the book's use cases because its package is theirs; its place is next
to pressctl.inbox.mailboxes, whose job it shares.)
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pressctl.errors import ConfigError, InvalidInput
from pressctl.inbox.mailboxes import MailboxMessage

if TYPE_CHECKING:
    import imaplib

PORTS = {"imaps": 993, "imap": 143}
BATCH = 100  # messages fetched per command
TIMEOUT = 30.0  # seconds a connection waits for the server
_FORM = "imaps://user@host/folder (or imap://… with STARTTLS)"
_UID = re.compile(rb"\bUID (\d+)")


@dataclass(frozen=True, slots=True)
class ImapFolder:
    """Where the messages are: an IMAP folder and who reads it."""

    scheme: str  # "imaps" (TLS) or "imap" (STARTTLS)
    host: str
    port: int
    user: str
    folder: str

    @property
    def shown(self) -> str:
        """How messages name it (no password is ever in it)."""
        return f"{self.scheme}://{self.user}@{self.host}:{self.port}/{self.folder}"


def parse_imap_url(url: str) -> ImapFolder:
    """``imaps://user@host[:port]/folder`` -> ImapFolder; InvalidInput when it is not one,
    or when it holds a password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as err:
        raise InvalidInput(f'"{url}" is not an IMAP URL ({err})', hint=_FORM) from None
    if parts.scheme not in PORTS:
        raise InvalidInput(f'"{url}" is not an IMAP URL (it starts with "{parts.scheme}:")',
                           hint=_FORM)
    if parts.password is not None:
        raise InvalidInput("the IMAP URL holds a password: it would show in the process "
                           "list and the shell's history",
                           hint="remove it from the URL; set PRESSCTL_IMAP_PASSWORD or pass "
                                "--password-command")
    if not parts.hostname or not parts.username:
        raise InvalidInput(f'"{url}" names no {"host" if not parts.hostname else "user"}',
                           hint=_FORM)
    if parts.query or parts.fragment:
        raise InvalidInput(f'"{url}": an IMAP URL here has no "?" or "#" part', hint=_FORM)
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapFolder(parts.scheme, parts.hostname, port or PORTS[parts.scheme],
                      unquote(parts.username), folder)


def read_imap(where: ImapFolder, password: str, *,
              timeout: float = TIMEOUT) -> Iterator[MailboxMessage]:
    """Every message of the folder, oldest first (by UID), without changing a flag. The
    connection is made when the first message is asked for, and closed at the end."""
    connection = _connect(where, password, timeout)
    try:
        status, found = connection.select(quoted_folder(where.folder), readonly=True)
        if status != "OK":
            raise InvalidInput(f"{where.shown}: the server has no folder "
                               f'"{where.folder}" ({_said(found)})',
                               hint="name a folder as your mail program shows its path, "
                                    "e.g. INBOX/Presse or INBOX.Presse")
        status, found = connection.uid("SEARCH", "ALL")
        uids = found[0].split() if status == "OK" and found and found[0] else []
        for start in range(0, len(uids), BATCH):
            batch = b",".join(uids[start:start + BATCH]).decode("ascii")
            status, data = connection.uid("FETCH", batch, "(BODY.PEEK[])")
            if status != "OK":
                raise ConfigError(f"{where.shown}: the server would not give the messages "
                                  f"({_said(data)})")
            for item in data:
                if isinstance(item, tuple) and (uid := _UID.search(item[0])):
                    yield MailboxMessage(f"UID {uid.group(1).decode('ascii')}", item[1])
    except OSError as err:  # the connection dropped while reading
        raise ConfigError(f"{where.shown}: the connection failed while reading "
                          f"({_why(err)})") from None
    finally:
        _close(connection)


def _connect(where: ImapFolder, password: str, timeout: float) -> imaplib.IMAP4:
    import imaplib
    import ssl

    # imaplib's own default context checks no certificate: this one checks the chain
    # against the system's authorities, and the host name.
    context = ssl.create_default_context()
    address = f"{where.host}:{where.port}"
    try:
        if where.scheme == "imaps":
            connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(where.host, where.port,
                                                          ssl_context=context, timeout=timeout)
        else:
            connection = imaplib.IMAP4(where.host, where.port, timeout=timeout)
    except OSError as err:
        raise ConfigError(f"cannot reach the IMAP server {address} ({_why(err)})",
                          hint=_certificate_hint(err)) from None
    except imaplib.IMAP4.error as err:
        raise ConfigError(f"{address} does not answer as an IMAP server ({err})") from None
    try:
        if where.scheme == "imap":
            if "STARTTLS" not in connection.capabilities:
                raise ConfigError(f"{address} offers no STARTTLS: the password would cross "
                                  "the network in clear", hint="use imaps:// (port 993)")
            connection.starttls(ssl_context=context)
        connection.login(where.user, password)
    except imaplib.IMAP4.error as err:
        _close(connection)
        raise ConfigError(f"{address} refused the login of {where.user} ({_said([err])})",
                          hint="check the user in the URL and PRESSCTL_IMAP_PASSWORD or "
                               "--password-command") from None
    except OSError as err:
        _close(connection)
        raise ConfigError(f"cannot talk to the IMAP server {address} ({_why(err)})",
                          hint=_certificate_hint(err)) from None
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: Any) -> None:
    # logout() closes the socket whatever the server answers; after a fault, the fault
    # that brought us here is the one reported.
    with suppress(Exception):
        connection.logout()


def quoted_folder(folder: str) -> str:
    """A folder name as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3)."""
    text = _modified_utf7(folder)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _modified_utf7(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode("ascii").rstrip("=")
                       .replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _said(data: Any) -> str:
    """What the server said, as text, one line (imaplib's errors carry it as bytes)."""
    items = [arg for item in (data or []) if item is not None
             for arg in (item.args if isinstance(item, Exception) else [item])]
    parts = [item.decode("utf-8", "replace") if isinstance(item, bytes) else str(item)
             for item in items]
    return " ".join(" ".join(parts).split())[:200] or "no reason given"


def _why(err: OSError) -> str:
    return (getattr(err, "verify_message", None) or getattr(err, "reason", None)
            or err.strerror or str(err) or type(err).__name__)


def _certificate_hint(err: OSError) -> str | None:
    if getattr(err, "verify_message", None):  # ssl.SSLCertVerificationError
        return ("the server's certificate is not trusted here: install its authority, or "
                "point SSL_CERT_FILE at a bundle that holds it")
    return None
