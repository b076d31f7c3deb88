"""Rendering a release into messages: one render per variant, then each recipient's copy.

A variant is what messages share: the language version, the embargo (the embargoed version
carries the notice, :func:`pressctl.releases.embargo.embargo_notice`) and the reader's
country (phone numbers are written as they would dial them). Each variant is rendered once
from the templates (:mod:`pressctl.releases.templating`, the only Jinja2 user) and its
render context; only the salutation, the addresses and the Message-ID are per recipient.
:func:`plan_messages` is what a mailout freezes; :func:`build_messages` builds the bytes of
a preview. Jinja2, icalendar and markdown-it are imported inside the functions that render.

An update or a cancellation of an invitation (an :class:`~pressctl.releases.events.
EventNotice`) is rendered the same way, with its notice stamped above what the templates
render (below the embargo notice, which stays first), a prefix to the Subject and the
notice's iTIP method in the calendar.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pressctl.book.contacts import find_contact
from pressctl.book.session import Book
from pressctl.config.branding import BrandingSettings, is_url
from pressctl.config.salutations import SalutationSettings
from pressctl.contacts.model import Contact, ContactFilter, Organization, in_language
from pressctl.contacts.phones import format_phone
from pressctl.errors import InvalidInput
from pressctl.releases.calendar import event_uid, invitation_template
from pressctl.releases.documents import Event, Release, ReleaseSet
from pressctl.releases.embargo import embargo_notice, format_clock, format_when
from pressctl.releases.messages import (
    SALUTATION,
    UNSUBSCRIBE,
    Attachment,
    MessageFactory,
    Sender,
    Variant,
    new_message_id,
)
from pressctl.releases.recipients import Recipient
from pressctl.releases.typography import code_in_html, typeset, typeset_html

if TYPE_CHECKING:  # templating imports jinja2: only the functions that render import it
    from pressctl.releases.events import EventNotice
    from pressctl.releases.images import Logo
    from pressctl.releases.templating import Templates

PREVIEW_TOKEN = "preview-token"  # previews never carry a real one-click unsubscribe token


@dataclass(frozen=True, slots=True)
class BuiltMessage:
    """One recipient's message, built: the bytes of the .eml."""

    recipient: Recipient
    raw: bytes
    attachments: int
    has_calendar: bool


def salutation(contact: Contact, language: str,
               settings: SalutationSettings | None = None) -> str:
    """The recipient's greeting in a message in ``language``: its rules (the contact's
    own, first name when allowed, config.toml's [salutations]) are
    pressctl.releases.salutations."""
    from pressctl.releases.salutations import greeting

    return greeting(contact, language, settings or SalutationSettings())


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One recipient's message, before it is built: its variant and personal parts."""

    recipient: Recipient
    variant: int  # index into Plan.variants
    salutation: str
    message_id: str


@dataclass(slots=True)
class Plan:
    """What a mailout freezes: the variants, rendered once each, and every message."""

    variants: list[tuple[Variant, Sender]]
    messages: list[PlannedMessage]
    domain: str


class MessagePlanner:
    """The variants of one release set, rendered as recipients need them, and each
    recipient's message planned on its own (:meth:`plan`), so that an audience of any
    size is planned without holding it (pressctl.releases.planning). Variants are
    numbered in the order recipients first need them. A release without a press officer
    to send from is refused when the planner is made."""

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


def plan_messages(book: Book, releases: ReleaseSet, recipients: list[Recipient],
                  templates: Templates, *, now: datetime, seed: str = "preview",
                  notice: EventNotice | None = None) -> Plan:
    """Render each variant (language version, embargo, reader's country) once and assign
    every recipient to one: all a mailout needs to build the messages later, byte for byte.
    The one-click unsubscribe token is not here: it names a mailout
    (pressctl.delivery.unsubscribe), so the mailout gives it when it stores its rows.

    ``notice`` makes the messages an update or a cancellation of the release's invitation
    (pressctl.releases.events): its iTIP method, and its notice stamped at the top."""
    planner = MessagePlanner(book, releases, templates, now=now, seed=seed, notice=notice)
    planned = [planner.plan(recipient) for recipient in recipients]
    return Plan(planner.variants, planned, planner.domain)


def build_messages(book: Book, releases: ReleaseSet, recipients: list[Recipient],
                   templates: Templates, *, now: datetime, seed: str = "preview",
                   notice: EventNotice | None = None) -> Iterator[BuiltMessage]:
    """Every recipient's message, rendered once per variant, for a preview: the one-click
    unsubscribe token is an obvious fake (PREVIEW_TOKEN), never a working one."""
    plan = plan_messages(book, releases, recipients, templates, now=now, seed=seed,
                         notice=notice)
    factories = [MessageFactory(variant, sender, domain=plan.domain)
                 for variant, sender in plan.variants]
    for message in plan.messages:
        variant = plan.variants[message.variant][0]
        raw = factories[message.variant].build(
            name=message.recipient.contact.name, address=message.recipient.address,
            salutation=message.salutation, now=now, message_id=message.message_id,
            unsubscribe_token=PREVIEW_TOKEN,
        )
        yield BuiltMessage(message.recipient, raw, len(variant.attachments),
                           variant.calendar is not None)


def press_officers(book: Book, release: Release) -> list[Contact]:
    """The release's press officers: the contacts it lists, else its organisations'
    officers with an e-mail address, in the order of the organisations."""
    if release.contacts:
        return [find_contact(book.store, ref) for ref in release.contacts]
    officers = []
    for name in release.organizations:
        officers += [c for c in book.store.contacts.select(
            ContactFilter(kind="officer", organization=name, opted_out=None)) if c.emails]
    return officers


def sending_domain(book: Book, release: Release) -> str:
    """The domain messages of ``release`` are sent from: the host of its event's UID."""
    officers = _officers_with_an_address(book, release)
    return _sender(_sending_officer(officers), book).address.rpartition("@")[2]


def _officers_with_an_address(book: Book, release: Release) -> list[Contact]:
    officers = press_officers(book, release)
    if not any(officer.emails for officer in officers):
        raise InvalidInput(f"{release.path}: no press officer with an e-mail address to "
                           "send from", hint="add officers of the organisations (kind officer) "
                           "or list contacts")
    return officers


def _sending_officer(officers: list[Contact]) -> Contact:
    """The first listed officer with an e-mail address: the From and the ORGANIZER."""
    return next(officer for officer in officers if officer.emails)


def _sender(officer: Contact, book: Book, language: str | None = None) -> Sender:
    """From the configured sender, else the first press officer listed, "Name (ORG)", ORG
    being the organisation's short name in ``language`` ("ASC" in French, "CSA" in
    English), else its canonical one."""
    configured = book.settings.sender  # the [sender] table
    if configured.address:
        name = configured.name or officer.organization or configured.address
        address = configured.address
    else:
        org = book.store.orgs.find(officer.organization) if officer.organization else None
        label = ((org.label_in(language) if language else org.label) if org
                 else officer.organization)
        name = f"{officer.name} ({label})" if label else officer.name
        address = officer.emails[0]
    return Sender(name=name, address=address, reply_to=address,
                  list_unsubscribe_mailto=configured.list_unsubscribe or address,
                  unsubscribe_url=configured.unsubscribe_url)


def _variant(book: Book, release: Release, officers: list[Contact], templates: Templates,
             sender: Sender, reader_country: str | None, now: datetime,
             notice: EventNotice | None = None) -> Variant:
    from pressctl.releases.images import body_pictures, logo
    from pressctl.releases.inlining import NOTICES, finish_html
    from pressctl.releases.markdown import markdown_to_html, markdown_to_text
    from pressctl.releases.templating import template_name

    orgs = [book.store.orgs.find(name) for name in release.organizations]
    domain = sender.address.rpartition("@")[2]  # of the images' Content-IDs
    pictures = body_pictures(release, domain)  # ProblemsFound: a missing image is no <img>
    brand_logo = logo(book.settings.branding, domain)
    embargoed = embargo_notice(release.embargo, release.language) if release.embargo else None
    sending = _sending_officer(officers)
    context = {
        "release": {
            "reference": release.reference, "kind": release.kind,
            "language": release.language, "title": release.title,
            "subtitle": release.subtitle, "place": release.place,
            "date_text": _date_text(release.date, release.language),
        },
        "salutation": SALUTATION,
        "body_html": markdown_to_html(release.body, pictures.shown),  # Markup: safe HTML
        "body_text": markdown_to_text(release.body),
        "embargo_line": embargoed.text if embargoed else None,
        "event": _event_context(release, reader_country),
        "organizations": [_org_context(o, release.language) for o in orgs if o is not None],
        "contacts": [_contact_context(c, reader_country, release.language) for c in officers],
        "sender": {"name": sending.name, "organization": sending.organization},
        "branding": _branding_context(book.settings.branding, release.language, brand_logo,
                                      sending.organization or sender.name),
        "unsubscribe_url": UNSUBSCRIBE,  # the recipient's own link (MessageFactory.build)
        "notices": NOTICES,  # where the HTML templates want the notices below
    }
    language = release.language  # fr-CA uses the fr templates (template_name)
    known = {name for name, _, _ in templates.names()}
    if template_name(release.kind, language, "txt") not in known:
        language = "en"  # no templates in that language (add release.de.txt.j2...)
    text = templates.render(template_name(release.kind, language, "txt"), context)
    html = templates.render(template_name(release.kind, language, "html"), context)
    subject = release.title
    if notice is not None and release.event is not None:  # under the embargo notice
        changed = notice.stamp(release.language, release.event.title)
        subject = changed.subject_prefix + subject
        text = f"{changed.text}\n\n{text}"
        html = _stamp_html(html, changed.html)
    if embargoed:  # stamped here, whatever the templates do
        subject = embargoed.subject_prefix + subject
        text = f"{embargoed.text}\n\n{text}"
        html = _stamp_html(html, embargoed.html)
    # French no-break spaces, once the notices are in; the text part keeps the HTML's code
    subject = typeset(subject, release.language)
    text = typeset(text, release.language, keep=code_in_html(html))
    html = typeset_html(html, release.language)
    attachments = tuple(_attachment(release, name) for name in release.attachments)
    method = notice.method if notice is not None else "REQUEST"
    calendar = (_calendar(release, release.event, sending, sender, now, method)
                if release.event else None)
    html = finish_html(html)  # CSS inlined: Gmail and Outlook drop <style>
    images = tuple(image for image in ((brand_logo.part,) if brand_logo else ()) + pictures.parts
                   if image.url in html)  # an edited template may not show them all
    return Variant(subject=subject, text=text, html=html, language=release.language,
                   attachments=tuple(Attachment(*a) for a in attachments), calendar=calendar,
                   images=images)


def _stamp_html(html: str, notice_html: str) -> str:
    """Put the notice first among the notices, inside the column where the template says
    ({{ notices }}), else first in the body, whatever the template wrote before it."""
    from pressctl.releases.inlining import stamp

    return stamp(html, notice_html)


def _branding_context(branding: BrandingSettings, language: str, brand_logo: Logo | None,
                      owner: str) -> dict[str, Any]:
    """The [branding] table in ``language``: the logo's cid: URL, the colour, the footer and
    the privacy line (a page's URL, or a sentence)."""
    privacy = branding.privacy_for(language)
    shown = None
    if brand_logo is not None:
        shown = {"src": brand_logo.part.url, "width": brand_logo.width,
                 "height": brand_logo.height, "alt": owner}
    return {"logo": shown, "color": branding.color, "footer": branding.footer_for(language),
            "privacy": privacy if privacy and not is_url(privacy) else None,
            "privacy_url": privacy if privacy and is_url(privacy) else None}


def _attachment(release: Release, name: str) -> tuple[str, str, bytes]:
    path = Path(release.path).parent / name
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.name, content_type, path.read_bytes()


def _calendar(release: Release, event: Event, officer: Contact, sender: Sender,
              now: datetime, method: str = "REQUEST") -> Callable[[str, str], bytes]:
    domain = sender.address.rpartition("@")[2]
    template = invitation_template(
        event, uid=event_uid(release.reference, domain), summary=event.title,
        description=f"{release.title} ({release.reference})",
        organizer_name=officer.name, organizer_email=sender.address, now=now,
        language=release.language, method=method,
    )
    return template.for_attendee


_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
}


def _date_text(day: date, language: str) -> str:
    months = _MONTHS.get(language.split("-")[0], _MONTHS["en"])
    first = "1er" if day.day == 1 and months is _MONTHS["fr"] else str(day.day)  # le 1er juin
    return f"{first} {months[day.month - 1]} {day.year}"


def _event_context(release: Release, reader_country: str | None) -> dict[str, Any] | None:
    from pressctl.releases.templating import ShownPhone

    event = release.event
    if event is None:
        return None
    same_day = event.end.date() == event.start.date()
    return {
        "title": event.title,
        "when_text": format_when(event.start, release.language),
        "end_text": (format_clock(event.end, release.language) if same_day
                     else format_when(event.end, release.language)),
        "zone": None,  # when_text names the zone already
        "venue": event.venue, "url": event.url, "meeting_id": event.meeting_id,
        "passcode": event.passcode,
        "dial_in": [ShownPhone(format_phone(p, "auto", reader_country), p.e164, p.extension)
                    for p in event.dial_in],
        "rsvp": event.rsvp,
        "rsvp_deadline_text": (format_when(event.rsvp_deadline, release.language)
                               if event.rsvp_deadline else None),
    }


def _org_context(org: Organization, language: str) -> dict[str, Any]:
    """name and short_name stay the canonical names (by_organization matches contacts with
    them); full_name, short, label and of are the forms in the message's language."""
    about = (in_language(org.about, language) or org.about.get("en")
             or next(iter(org.about.values()), None))
    return {"name": org.name, "short_name": org.short_name, "website": org.website,
            "about": about, "full_name": org.name_in(language), "short": org.short_in(language),
            "label": org.label_in(language), "of": org.of_in(language)}


def _contact_context(contact: Contact, reader_country: str | None,
                     language: str | None = None) -> dict[str, Any]:
    from pressctl.releases.templating import ShownPhone

    # The role in the reader's language ("Press officer" in the English version), else as
    # written.
    role = contact.role_in(language) if language else contact.role
    return {
        "name": contact.name, "role": role, "organization": contact.organization,
        "phones": [ShownPhone(format_phone(p, "auto", reader_country), p.e164, p.extension)
                   for p in contact.phones if p.type != "fax"],
        "emails": list(contact.emails[:1]),
    }
