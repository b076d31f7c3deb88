"""Saved audiences: named filters a release refers to as ``@name``. Saving and removing
one is recorded in the trail with who did it (pressctl.book.changes)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pressctl.book.changes import ChangeAction, Subject, record
from pressctl.book.session import Book
from pressctl.contacts.model import Contact, ContactFilter
from pressctl.errors import InvalidInput, NotFound
from pressctl.releases.audience import Audience, parse_audience

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True, slots=True)
class SavedAudience:
    name: str  # without its @
    expression: str
    members: int  # contacts it selects now (opted-out contacts never are)


def normal_name(name: str) -> str:
    """"@Space-FR" -> "space-fr": how a saved audience is named and stored."""
    return name.strip().lstrip("@").lower()


def as_expression(text: str) -> str:
    """What `audiences show` was given: a bare word is a saved name, anything else a
    filter ("tag:space", "@space-fr", "kind:journalist and lang:fr")."""
    return text if " " in text or ":" in text or text.startswith("@") else f"@{text}"


def listing(book: Book) -> list[SavedAudience]:
    """Every saved audience with how many contacts it selects now."""
    return [SavedAudience(name, text, len(members(book, resolve(book, f"@{name}"))))
            for name, text in book.store.audiences.all().items()]


def resolve(book: Book, expression: str) -> Audience:
    return parse_audience(expression, organizations=book.store.orgs.all(),
                          saved=book.store.audiences.all())


def save(book: Book, name: str, expression: str) -> SavedAudience:
    """Save (or replace) an audience after checking it against the book."""
    name = normal_name(name)
    if not _NAME.fullmatch(name):
        raise InvalidInput(f'audience name "{name}"',
                           hint="use lower-case letters, digits, - and _ (e.g. space-fr)")
    with book.store.transaction():
        saved = book.store.audiences.all()
        before = saved.get(name)
        saved[name] = expression  # checked as it will be used, loops included
        audience = parse_audience(f"@{name}", organizations=book.store.orgs.all(), saved=saved)
        book.store.audiences.save(name, expression, book.now)
        verb = "saved" if before is None else "replaced"
        record(book, ChangeAction.SAVE, Subject.AUDIENCE, name, f"{verb} @{name}: {expression}")
    return SavedAudience(name, expression, len(members(book, audience)))


def remove(book: Book, name: str) -> str:
    """Remove a saved audience (refused while another uses it); returns its name."""
    name = normal_name(name)
    with book.store.transaction():
        users = [other for other, text in book.store.audiences.all().items()
                 if other != name and re.search(rf"@{re.escape(name)}\b", text)]
        if users:
            raise InvalidInput(f'audience "{name}" is used by {", ".join(users)}',
                               hint="change those first")
        if not book.store.audiences.delete(name):
            raise NotFound(f'no saved audience "{name}"', hint="see `pressctl audiences list`")
        record(book, ChangeAction.REMOVE, Subject.AUDIENCE, name, f"removed @{name}")
    return name


def members(book: Book, audience: Audience) -> list[Contact]:
    return [c for c in book.store.contacts.stream(ContactFilter(opted_out=False))
            if audience.matches(c)]
