"""VERP: a bounce address per recipient, so that a bounce says whom it is about.

A message to one journalist goes out with the envelope sender ``press+b.<token>@cnes.fr``
(the press office's address with ``+b.`` and the recipient's token added to its local
part). A bounce is sent to that address, and the token in it names the mailout row even
when the bounce is too mangled to quote the original Message-ID. The token is the one the
row already has (32 base64url characters, see :mod:`pressctl.delivery.unsubscribe`).

The relay must deliver ``press+anything@cnes.fr`` to the press office's mailbox (plus
addressing: Postfix's ``recipient_delimiter = +``, on by default at most providers).
Tokens are compared as written: base64url is case-sensitive, so a server that lowers
the case of local parts breaks the token, and the Message-ID is the fallback.
"""

from __future__ import annotations

import re

from pressctl.errors import InvalidInput

TOKEN_LENGTH = 32
MARK = "+b."  # between the sender's local part and the token

_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}")
_TOKEN_AT_END = re.compile(rf"\+b\.([A-Za-z0-9_-]{{{TOKEN_LENGTH}}})\Z")
# A dot-atom local part (RFC 5321 4.1.2), ASCII: a quoted or non-ASCII one cannot carry
# the suffix safely through every relay.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*"
                     r"[A-Za-z0-9])?)+")
_MAX_LOCAL = 64  # octets (RFC 5321 4.5.3.1.1)


def verp_sender(sender_address: str, token: str) -> str:
    """The envelope sender that carries ``token``: ``verp_sender("press@cnes.fr", t)`` is
    ``"press+b.<t>@cnes.fr"``. InvalidInput when the address cannot carry one."""
    if not _TOKEN.fullmatch(token):
        raise InvalidInput(f'"{token}" is not a bounce token '
                           f"({TOKEN_LENGTH} characters of A-Z, a-z, 0-9, - and _)")
    local, at, domain = sender_address.strip().rpartition("@")
    if not (at and _LOCAL.fullmatch(local) and _DOMAIN.fullmatch(domain)):
        raise InvalidInput(f'"{sender_address}" cannot carry a bounce token: it needs a plain '
                           "ASCII local part and a domain name",
                           hint="give the sender as local@domain, without quotes or a name")
    if _TOKEN_AT_END.search(local):
        raise InvalidInput(f'"{sender_address}" already carries a bounce token')
    carrying = f"{local}{MARK}{token}"
    if len(carrying) > _MAX_LOCAL:
        raise InvalidInput(f'"{sender_address}": its local part is too long to carry a bounce '
                           f"token ({len(carrying)} characters, {_MAX_LOCAL} at most)",
                           hint=f"use a sender whose part before @ has at most "
                                f"{_MAX_LOCAL - len(MARK) - TOKEN_LENGTH} characters")
    return f"{carrying}@{domain}"


def verp_token(address: str) -> str | None:
    """The token a VERP address carries (``press+b.<token>@cnes.fr``, or the same in
    ``Name <...>`` or angle brackets); None for any other address or a malformed token."""
    text = address.strip()
    if "<" in text:
        inner = text[text.rfind("<") + 1:]
        text = inner[:inner.find(">")] if ">" in inner else inner
    local, at, domain = text.strip().rpartition("@")
    if not at or not domain:
        return None
    found = _TOKEN_AT_END.search(local)
    return found.group(1) if found else None
