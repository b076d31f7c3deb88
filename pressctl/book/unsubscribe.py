"""One-click unsubscribe (RFC 8058): the opt-out of the person a mailout's token names.

The token of a List-Unsubscribe URL names one recipient of one mailout. Here it is found
in the mailout rows (pressctl.store.tokens), verified, and the opt-out recorded exactly as
an unsubscribe reply's is (pressctl.book.optouts.import_optouts): the address suppressed
for good, every address of the contact holding it opted out when the book has one, and
one entry in the trail by the book's actor, in the same transaction.

How a token is made and checked is delivery's business (pressctl.delivery.unsubscribe:
an HMAC under the home's secret key, which the book never sees), and the book sits below
delivery: so the caller passes ``verify(mailout_id, address, token)``, which says whether
the token is that address's in that mailout (a constant-time comparison of the HMAC
recomputed). A row whose token does not verify (a token of the old sequential scheme,
or the key replaced since) is not believed.

Answers never depend on the address: an unknown token and one that does not verify are
the same :class:`InvalidToken`, and a second request for the same token changes nothing
and returns the same outcome as far as the person can tell.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from pressctl.book.changes import ChangeAction, NewChange, Subject, record_many
from pressctl.book.session import Book
from pressctl.book.suppression import opt_out_contact
from pressctl.contacts.emails import email_key
from pressctl.errors import NotFound
from pressctl.store.tokens import TokenHolder

# (mailout id, address, token) -> True when the token is that address's in that mailout
Verify = Callable[[int, str, str], bool]

ONE_CLICK_REASON = "one-click unsubscribe"
MAX_TOKEN = 128  # characters: longer is no token of ours, and is not looked up


class InvalidToken(NotFound):
    """A token that names nobody: unknown, or not verifying (exit 3). The message says
    nothing about any address."""

    def __init__(self) -> None:
        super().__init__("this unsubscribe link is not valid",
                         hint="it may have been cut short; reply to the message to unsubscribe")


class OneClickOutcome(StrEnum):
    OPTED_OUT = "opted out"  # recorded now
    ALREADY = "already opted out"  # nothing to change: a second click, or opted out before


@dataclass(frozen=True, slots=True)
class OneClickResult:
    outcome: OneClickOutcome
    mailout_id: int  # the mailout the token names
    contact_id: int | None  # the contact holding the address, if the book has one


def token_holder(book: Book, token: str, verify: Verify) -> TokenHolder:
    """The recipient ``token`` names, verified; InvalidToken when it names nobody. Reads
    only (the confirmation page a GET shows)."""
    try:
        return _verified(book, token, verify)
    except InvalidToken:
        raise
    except Exception as err:  # a read outside a transaction: translate storage faults
        book.store.database.raise_storage_error(err)
        raise


def opt_out_by_token(book: Book, token: str, verify: Verify) -> OneClickResult:
    """Opt out the recipient ``token`` names, as an unsubscribe reply would (see the
    module's docstring), in one transaction; InvalidToken changes nothing. Idempotent:
    when the address is suppressed and its contact (if any) opted out already, nothing
    is written and the outcome is ALREADY."""
    with book.store.transaction():
        holder = _verified(book, token, verify)
        address = holder.address
        key = email_key(address)
        owner = book.store.contacts.owners_of_email_keys([key]).get(key)
        contact = book.store.contacts.get(owner) if owner is not None else None
        suppressed = key in book.store.suppressions.suppressions_of([key])
        contact_id = contact.stored_id if contact is not None else None
        if suppressed and (contact is None or contact.opted_out):
            return OneClickResult(OneClickOutcome.ALREADY, holder.mailout_id, contact_id)
        where = f"mailout #{holder.mailout_id}, {holder.reference}"
        book.store.suppressions.suppress(key, address, ONE_CLICK_REASON, book.now,
                                         f"from {where}")
        if contact is not None:
            opt_out_contact(book.store, contact, ONE_CLICK_REASON, book.now, f"from {where}")
            change = NewChange(ChangeAction.OPT_OUT, Subject.CONTACT, contact.stored_id,
                               f"{ONE_CLICK_REASON} ({where}): every address opted out")
        else:
            change = NewChange(ChangeAction.OPT_OUT, Subject.ADDRESS, address,
                               f"{ONE_CLICK_REASON} ({where}): opted out, in no contact")
        record_many(book, [change])
    return OneClickResult(OneClickOutcome.OPTED_OUT, holder.mailout_id, contact_id)


def _verified(book: Book, token: str, verify: Verify) -> TokenHolder:
    if not token or len(token) > MAX_TOKEN:
        raise InvalidToken()
    for holder in book.store.tokens.holders(token):
        if verify(holder.mailout_id, holder.address, token):
            return holder
    raise InvalidToken()
