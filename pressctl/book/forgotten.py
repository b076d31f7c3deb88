"""The people who asked to be forgotten (`contacts forget`): the keyed hash that stands in
for each of their addresses, and the refusal of an address that asked to be forgotten
when a command would bring it back (`contacts add`, `contacts edit --add-email`,
`contacts import`).

A forgotten address is kept only as a token, ``forgotten-`` and 24 hex digits of an
HMAC-SHA256 of its e-mail key, in the suppression list. The HMAC's secret is kept in the
book itself (``book_secrets``, created by the first `forget`), beside the suppressions it
protects: the token must be computed the same way for as long as the suppression exists,
on every machine sharing the book, whatever happens to a home. The price: whoever holds a
copy of the database can test whether a given address was forgotten (never list them).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

from pressctl.contacts.emails import email_key
from pressctl.errors import InvalidInput
from pressctl.store import Store

PREFIX = "forgotten-"
DIGITS = 24  # hex digits of the HMAC kept: 96 bits, no two addresses alike in any book
FORGOTTEN = "an address that asked to be forgotten was skipped"
FORGOTTEN_HINT = ("this person asked to be erased from the book (`pressctl contacts forget`); "
                  "only a keyed hash of the address is kept, so that it never comes back")


def token(key: bytes, kind: str, text: str) -> str:
    """The token standing for ``text``: the same for the same text and secret, anywhere.
    ``kind`` keeps an address, a phone and a person from ever sharing one."""
    digest = hmac.new(key, f"{kind}\n{text}".encode(), hashlib.sha256).hexdigest()
    return PREFIX + digest[:DIGITS]


def address_token(key: bytes, address: str) -> str:
    """The token of an e-mail address, by its e-mail key (whatever its case)."""
    return token(key, "address", email_key(address))


def forgotten_keys(store: Store, addresses: Iterable[str]) -> set[str]:
    """Which of these addresses asked to be forgotten, as e-mail keys."""
    key = store.gdpr.forget_key()
    if key is None:  # nobody was ever forgotten in this book
        return set()
    tokens = {address_token(key, a): email_key(a) for a in addresses}
    return {tokens[t] for t in store.gdpr.forgotten(tokens)}


def refuse_forgotten(store: Store, addresses: Iterable[str], what: str) -> None:
    """InvalidInput (exit 3) when one of these addresses asked to be forgotten: ``what``
    says what was not done ("contact not added")."""
    if forgotten_keys(store, addresses):
        raise InvalidInput(f"{what}: {FORGOTTEN}", hint=FORGOTTEN_HINT)
