"""Planning and building messages one recipient at a time, for audiences of any size.

:func:`pressctl.releases.rendering.plan_messages` plans a list of recipients and returns
every planned message in a list; a preview or a mailout for 300,000 contacts would hold
them all. :class:`MessagePlanner` takes the same steps one recipient at a time: each
variant (language version, embargo, reader's country) is rendered the first time a
recipient needs it, in the order the recipients come, so the variants are numbered as
``plan_messages`` numbers them and every message is the same, byte for byte
(tests/releases/test_planning.py holds it to that). Nothing per recipient is kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from pressctl.book.session import Book
from pressctl.releases.documents import ReleaseSet
from pressctl.releases.messages import MessageFactory, Sender, Variant, new_message_id
from pressctl.releases.recipients import Recipient
from pressctl.releases.rendering import (
    PREVIEW_TOKEN,
    BuiltMessage,
    PlannedMessage,
    _officers_with_an_address,
    _sender,
    _sending_officer,
    _variant,
    salutation,
)
from pressctl.releases.typography import typeset

if TYPE_CHECKING:
    from pressctl.releases.events import EventNotice
    from pressctl.releases.templating import Templates


class MessagePlanner:
    """The variants of one release set, rendered as recipients need them, and each
    recipient's message planned on its own (:meth:`plan`). Made as ``plan_messages``
    starts: a release without a press officer to send from is refused at once."""

    def __init__(self, book: Book, releases: ReleaseSet, templates: Templates, *,
                 now: datetime, seed: str = "preview",
                 notice: EventNotice | None = None) -> None:
        self.book = book
        self.releases = releases
        self.templates = templates
        self.now = now
        self.seed = seed
        self.notice = notice
        self.officers = _officers_with_an_address(book, releases.main)
        self.sender = _sender(_sending_officer(self.officers), book)
        self.domain = self.sender.address.rpartition("@")[2]
        self.variants: list[tuple[Variant, Sender]] = []
        self._numbers: dict[tuple[str, bool, str | None], int] = {}

    def plan(self, recipient: Recipient) -> PlannedMessage:
        key = (recipient.version.path, recipient.embargoed, recipient.contact.country)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self.variants)
            # the same address; the name in the version's language: "Name (ASC)" in French
            spoken = _sender(_sending_officer(self.officers), self.book,
                             recipient.version.language)
            self.variants.append((_variant(self.book, recipient.version, self.officers,
                                           self.templates, spoken, recipient.contact.country,
                                           self.now, self.notice), spoken))
        contact = recipient.contact
        language = recipient.version.language
        return PlannedMessage(
            recipient, number,
            typeset(salutation(contact, language, self.book.settings.salutations), language),
            new_message_id(f"{self.seed}/{self.releases.main.reference}/{contact.id}",
                           self.domain))


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
