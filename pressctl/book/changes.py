"""Who did what (issue 9, a team on one book): the acting user's name, the entries every
change records, the trail `pressctl log` lists, and the refusal of an edit that another
write overtook.

Every use case that changes contacts, organisations, saved audiences or mailouts records
its entries with :func:`record` inside its own transaction: a failed change records
nothing, and no change is committed without its entry. The SQL is pressctl.store.changes.

An edit reads a contact (or an organisation) and its version without holding the write
lock, then writes only over that version; when another write came in between, the edit is
refused with :class:`EditConflict` (exit 3), which names who changed it and when, from the
trail: "contact #12 was changed by anne at 10:42 since you read it; show it again and
retry". Nothing of the refused edit is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pressctl.book.session import Book
from pressctl.errors import InvalidInput
from pressctl.store.changes import Change, ChangeAction, NewChange, Subject

__all__ = ["Change", "ChangeAction", "EditConflict", "NewChange", "Subject", "actor_problem",
           "edit_conflict", "record", "record_many", "shown_time", "trail"]

MAX_ACTOR = 64  # characters of an actor's name
UNKNOWN_ACTOR = "unknown"  # when no login name can be found


# -- the acting user ------------------------------------------------------------------------


def actor_problem(name: str) -> str | None:
    """What is wrong with an actor's name (one line of printable text, at most 64
    characters, surrounding spaces ignored), or None when it is fine."""
    text = name.strip()
    if not text:
        return "is empty"
    if not text.isprintable():  # line breaks, tabs, control characters, lone surrogates
        return "is not one line of printable text"
    if len(text) > MAX_ACTOR:
        return f"is {len(text)} characters long (at most {MAX_ACTOR})"
    return None


def shown_name(name: str) -> str:
    """A name as a message may print it: what is not printable escaped, long ones cut."""
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name)
    return text if len(text) <= 70 else text[:67] + "..."


# -- recording ------------------------------------------------------------------------------


def record(book: Book, action: ChangeAction, subject: Subject, subject_id: int | str,
           summary: str) -> None:
    """One entry by the book's actor, at the command's time (inside the transaction)."""
    record_many(book, [NewChange(action, subject, subject_id, summary)])


def record_many(book: Book, changes: Iterable[NewChange]) -> int:
    """Entries by the book's actor, at the command's time (inside the transaction)."""
    return book.store.changes.record(book.now, book.actor, changes)


def trail(book: Book, *, contact: str | None = None, since: datetime | None = None,
          ) -> list[Change]:
    """The trail, newest last: of one contact (an id, also of a removed contact; an
    e-mail address or an exact name, as other commands take them) and from ``since``."""
    subject_id = None
    if contact is not None:
        text = contact.strip().lstrip("#")
        if text.isdigit():
            subject_id = int(text)  # a removed contact's trail stays readable by its id
        else:
            from pressctl.book.contacts import find_contact  # it records through here

            subject_id = find_contact(book.store, contact).stored_id
    return book.store.changes.trail(
        subject=Subject.CONTACT if subject_id is not None else None, subject_id=subject_id,
        since=_iso(since) if since is not None else None)


# -- conflicts ------------------------------------------------------------------------------


class EditConflict(InvalidInput):
    """An edit refused because another write changed (or removed) what it read (exit 3).
    ``last`` is the trail's latest entry about it: who, and when."""

    def __init__(self, message: str, *, last: Change | None, removed: bool) -> None:
        super().__init__(message)
        self.last = last
        self.removed = removed


def edit_conflict(book: Book, subject: Subject, subject_id: int, label: str, *,
                  removed: bool = False) -> EditConflict:
    """The refusal of an edit of ``label`` ("contact #12") that another write overtook,
    naming who changed it and when (in the book's zone) from the trail."""
    last = book.store.changes.last_of(subject, subject_id)
    by = f" by {last.actor} at {shown_time(book, last.at)}" if last else ""
    if removed:
        return EditConflict(f"{label} was removed{by} since you read it", last=last,
                            removed=True)
    return EditConflict(f"{label} was changed{by} since you read it; show it again and retry",
                        last=last, removed=False)


def shown_time(book: Book, at: str) -> str:
    """A stored time as a message shows it, in the book's zone: "10:42" on the day of the
    command, else "2026-11-21 10:42"."""
    moment = _parse_iso(at).astimezone(book.zone)
    today = _parse_iso(book.now).astimezone(book.zone).date()
    return f"{moment:%H:%M}" if moment.date() == today else f"{moment:%Y-%m-%d %H:%M}"


def _parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
