"""Planning and building messages one recipient at a time, for audiences of any size.

:func:`pressctl.releases.rendering.plan_messages` returns every planned message in a
list; a preview or a mailout for 300,000 contacts would hold them all. Both go through
:class:`pressctl.releases.rendering.MessagePlanner`, one recipient at a time; here the
messages are built as they are asked for, so every message is the same, byte for byte
(tests/releases/test_planning.py holds it to that), and nothing per recipient is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from pressctl.book.session import Book
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.messages import MessageFactory
from pressctl.releases.recipients import Recipient
from pressctl.releases.rendering import PREVIEW_TOKEN, BuiltMessage, MessagePlanner

if TYPE_CHECKING:
    from pressctl.releases.events import EventNotice
    from pressctl.releases.templating import Templates


def stream_messages(book: Book, releases: ReleaseSet, recipients: Iterable[Recipient],
                    templates: Templates, *, now: datetime, seed: str = "preview",
                    notice: EventNotice | None = None) -> Iterator[BuiltMessage]:
    """:func:`pressctl.releases.rendering.build_messages` as the recipients come: each
    message is built when it is asked for and kept by nobody here."""
    planner = MessagePlanner(book, releases, templates, now=now, seed=seed, notice=notice)
    factories: list[MessageFactory] = []
    for recipient in recipients:
        message = planner.plan(recipient)
        while len(factories) < len(planner.variants):  # a variant rendered just now
            variant, sender = planner.variants[len(factories)]
            factories.append(MessageFactory(variant, sender, domain=planner.domain))
        variant = planner.variants[message.variant][0]
        raw = factories[message.variant].build(
            name=recipient.contact.name, address=recipient.address,
            salutation=message.salutation, now=now, message_id=message.message_id,
            unsubscribe_token=PREVIEW_TOKEN)
        yield BuiltMessage(recipient, raw, len(variant.attachments),
                           variant.calendar is not None)
