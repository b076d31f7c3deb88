"""Unsubscribe replies (to the List-Unsubscribe mailto) turned into opt-outs.

A reply's sender is opted out: their contact if the book has one, and a suppression
either way, so that the address is never mailed even if it is imported again later.
"""

from __future__ import annotations

import email.policy
import email.utils
import mailbox
from pathlib import Path

from pressctl.book import Book
from pressctl.emails import clean_email_field, email_key
from pressctl.errors import InvalidEmail, InvalidInput


def _messages(path: Path):
    if (path / "cur").is_dir() or (path / "new").is_dir():
        box = mailbox.Maildir(path, factory=None, create=False)
    elif path.is_file():
        box = mailbox.mbox(path, create=False)
    else:
        raise InvalidInput(f"{path}: neither a Maildir (with cur/ and new/) nor an mbox file")
    for key in box.keys():
        yield key, box.get_bytes(key)


def import_optouts(book: Book, path: Path) -> dict:
    report: dict = {"messages": 0, "contacts": [], "unknown": [], "unreadable": []}
    addresses: dict[str, str] = {}
    for key, raw in _messages(path):
        report["messages"] += 1
        message = email.message_from_bytes(raw, policy=email.policy.default)
        sender = message.get("Reply-To") or message.get("From") or ""
        found = email.utils.getaddresses([str(sender)])
        try:
            cleaned = clean_email_field(found[0][1]) if found and found[0][1] else []
        except InvalidEmail as err:
            report["unreadable"].append(f"{path}: message {key}: {err}")
            continue
        if not cleaned:
            report["unreadable"].append(f"{path}: message {key}: no sender address")
            continue
        addresses[email_key(cleaned[0].normalized)] = cleaned[0].normalized
    with book.store.transaction():
        owners = book.store.owners_of_email_keys(addresses)
        book.store.set_opted_out(set(owners.values()), True, book.now)
        for key, address in addresses.items():
            book.store.suppress(key, address, "unsubscribe reply", book.now)
            (report["contacts"] if key in owners else report["unknown"]).append(address)
    return report
