"""Release use cases: check a release file, choose its recipients, build every message.

A release may have translations (the same reference in other languages); each recipient
gets the version in their language when there is one, else the release's own. Messages
are rendered once per variant (language version, embargo, the reader's country for the
phone format) and only the per-recipient parts are filled in for each recipient.

The embargo rule lives in :func:`select_recipients`: the embargoed version goes only to
contacts who accept embargoes (``embargo_ok``); everyone else in the audience gets the
public version (:meth:`ReleaseSet.public`), which a mailout sends at the lift. It is not a
setting a release file can forget. All versions of a release must agree on the embargo,
instant and zone, or the set is refused.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path

from pressctl.book.contacts import Book, find_contact, find_contacts
from pressctl.contacts.model import Contact, ContactFilter, Organization
from pressctl.errors import InvalidInput, NotFound, Problem, ProblemsFound
from pressctl.releases.documents import Release

PREVIEW_TOKEN = "preview-token"  # previews never carry a real one-click unsubscribe token
MAX_ATTACHMENT = 15 * 1024 * 1024  # most relays refuse messages above 20-25 MB
WARN_ATTACHMENTS = 5 * 1024 * 1024


@dataclass(slots=True)
class ReleaseSet:
    """A release and its translations, by language."""

    main: Release
    versions: dict[str, Release]
    warnings: list[Problem] = field(default_factory=list)

    def version_for(self, languages: list[str]) -> Release:
        """The version in the first of ``languages`` we have ("fr-CA" takes "fr")."""
        for language in languages:
            for candidate in (language, language.split("-")[0]):
                if candidate in self.versions:
                    return self.versions[candidate]
        return self.main

    def public(self) -> ReleaseSet:
        """The same release once the embargo has lifted: no embargo, so no notice."""
        if all(version.embargo is None for version in self.versions.values()):
            return self
        versions = {language: dataclasses.replace(version, embargo=None, embargo_line=0)
                    for language, version in self.versions.items()}
        return ReleaseSet(versions[self.main.language], versions, self.warnings)


# -- reading and checking ------------------------------------------------------------------


def read_release(path: Path, today: date) -> tuple[Release | None, list[Problem], list[Problem]]:
    from pressctl.releases.release_file import parse_release

    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Problem(str(path), "no such release file")], []
    except (OSError, UnicodeDecodeError) as err:
        return None, [Problem(str(path), f"cannot read as UTF-8 text ({err})")], []
    return parse_release(text, str(path), today=today)


def load_release_set(path: Path, today: date) -> ReleaseSet:
    """The release at ``path`` with its translations; raises ProblemsFound on any error."""
    releases, errors, _ = _read_set(path, today)
    if errors:
        raise ProblemsFound(f"{path}: {len(errors)} problem(s)", errors,
                            hint="fix them; `pressctl release check` lists every one")
    assert releases is not None
    return releases


def _read_set(path: Path, today: date) -> tuple[ReleaseSet | None, list[Problem], list[Problem]]:
    """(the release set, None if there are errors; errors; warnings) of every file."""
    errors, warnings = [], []
    main, found, notes = read_release(path, today)
    errors += found
    warnings += notes
    versions: dict[str, Release] = {}
    if main is None:  # its translations are still read: a check lists their problems too
        for other, _ in _listed(path).get("translations", []):
            _, found, notes = read_release((path.parent / other).resolve(), today)
            errors += found
            warnings += notes
    else:
        versions[main.language] = main
        for language, other in main.translations.items():
            other_path = (path.parent / other).resolve()
            version, found, notes = read_release(other_path, today)
            errors += found
            warnings += notes
            if version is None:
                continue
            if version.reference != main.reference:
                errors.append(Problem(str(other_path), f'reference "{version.reference}" differs '
                                      f'from "{main.reference}" of {path.name}'))
            if version.language != language:
                errors.append(Problem(str(other_path), f'language is "{version.language}", '
                                      f'but {path.name} lists it as "{language}"'))
            errors += _embargo_disagreement(main, path, version, other_path)
            versions[version.language] = version
    if errors or main is None:
        return None, errors, warnings
    return ReleaseSet(main, versions, warnings), errors, warnings


def _embargo_disagreement(main: Release, main_path: Path, version: Release,
                          version_path: Path) -> list[Problem]:
    """A translation must lift when the main file does, in the same zone: else readers of
    one language could publish before the others, and the notices would disagree."""
    if version.embargo is None and main.embargo is None:
        return []
    if version.embargo is not None and main.embargo is not None:
        if version.embargo.same_as(main.embargo):
            return []
        where = f"{version_path}:{version.embargo_line}"
        same_moment = version.embargo.lift == main.embargo.lift
        why = (f"the same moment in another zone ({version.embargo.zone}, not "
               f"{main.embargo.zone}): the notices would name different zones"
               if same_moment else "every version of a release lifts at the same moment")
        return [Problem(where, f'embargo "{version.embargo}" differs from "{main.embargo}" in '
                               f"{main_path.name}: {why}; write the same embargo in both")]
    if version.embargo is not None:
        return [Problem(f"{version_path}:{version.embargo_line}",
                        f'embargo "{version.embargo}", but {main_path.name} has no embargo: '
                        "every version of a release lifts at the same moment; write the same "
                        "embargo in both, or none")]
    return [Problem(str(version_path), f'no embargo, but {main_path.name} is embargoed until '
                    f'"{main.embargo}": this version would go out at once; add embargo = '
                    f'"{main.embargo}"')]


def check_release(book: Book, path: Path, templates, today: date, *,
                  now: datetime | None = None) -> tuple[list[Problem], list[Problem]]:
    """Every problem of a release in one pass: (errors, warnings).

    The organisations, contacts and attachments of each file are checked even when other
    keys of the file are wrong; the messages are rendered (one per language version, with
    ``now``, default noon UTC on ``today``) only when nothing else is wrong.
    """
    releases, errors, warnings = _read_set(path, today)
    files = _listed_files(path)
    for where, listed in files:
        errors += _book_problems(book, where, listed)
        errors += _attachment_problems(where, listed)
        warnings += _attachment_warnings(where, listed)
    errors, warnings = _in_file_order(errors, files), _in_file_order(warnings, files)
    errors += templates.check()
    if releases is None:
        return errors, warnings
    if not errors:
        moment = now or datetime.combine(today, time(12), tzinfo=UTC)
        errors += _rendering_problems(book, releases, templates, moment)
    try:
        if not select_recipients(book, releases):
            warnings.append(Problem(str(path), "the audience selects nobody in the contact book"))
    except InvalidInput as err:  # e.g. a saved audience (@name) the book does not have
        errors.append(Problem(str(path), str(err)))
    return errors, warnings


def _rendering_problems(book: Book, releases: ReleaseSet, templates,
                        now: datetime) -> list[Problem]:
    """Build one message per language version (to one of its recipients, else to the
    sender), so that a template error in any language is found."""
    samples: dict[tuple[str, bool], Recipient] = {}  # (language, embargoed): one of each
    try:
        audience = select_recipients(book, releases)
    except InvalidInput:
        audience = []  # the audience's own problem is reported by check_release
    for recipient in audience:
        samples.setdefault((recipient.version.language, recipient.embargoed), recipient)
    sender = next((o for o in _officers(book, releases.main) if o.emails), None)
    for language, version in releases.versions.items():
        embargoed = version.embargo is not None
        if (language, embargoed) not in samples and sender is not None:
            samples[(language, embargoed)] = Recipient(sender, sender.emails[0], version,
                                                       embargoed)
    problems: list[Problem] = []
    for recipients in [[sample] for sample in samples.values()] or [[]]:
        try:
            for _ in build_messages(book, releases, recipients, templates, now=now):
                pass
        except InvalidInput as err:
            if Problem("", str(err)) not in problems:  # the same typo in two languages' use
                problems.append(Problem("", str(err)))
    return problems


def _in_file_order(problems: list[Problem], files: list[tuple[str, object]]) -> list[Problem]:
    """File by file (the release, then its translations), line by line."""
    order = {where: number for number, (where, _) in enumerate(files)}

    def place(problem: Problem) -> tuple[int, int]:
        where, _, line = problem.where.rpartition(":")
        if line.isdigit() and where in order:
            return order[where], int(line)
        return order.get(problem.where, len(order)), 0

    return sorted(problems, key=place)


def _listed_files(path: Path) -> list[tuple[str, dict[str, list[tuple[str, int]]]]]:
    """``(file as problems name it, what it lists)`` for the release and its translations."""
    listed = _listed(path)
    files = [(str(path), listed)]
    for other in listed.get("translations", []):
        other_path = (path.parent / other[0]).resolve()
        files.append((str(other_path), _listed(other_path)))
    return files


def _listed(path: Path) -> dict[str, list[tuple[str, int]]]:
    """The organisations, contacts, attachments and translations a release file names,
    each with its file line, read from the TOML alone, so that they are checked even when
    other keys are wrong (the release file reader returns no release then). Items the
    reader refuses (a link as attachment, a malformed address) are left to its report."""
    from pressctl.contacts.emails import clean_email_field
    from pressctl.errors import InvalidEmail
    from pressctl.releases.release_file import read_front_matter

    try:
        front = read_front_matter(path.read_text(encoding="utf-8-sig"))
        data = tomllib.loads(front.toml)
    except (OSError, UnicodeDecodeError, InvalidInput, tomllib.TOMLDecodeError):
        return {}
    texts = front.toml.split("\n")
    key_line = re.compile(r"\s*(?:\[|[A-Za-z0-9_\"'.-]+\s*=)")

    def line_of(key: str, item: str) -> int:
        start = next((n for n, text in enumerate(texts)
                      if re.match(rf"\s*{key}\s*=", text)), None)
        if start is None:
            return front.first_line - 1
        for n in range(start, len(texts)):
            if n > start and key_line.match(texts[n]):
                break
            if item in texts[n]:
                return front.first_line + n
        return front.first_line + start

    found: dict[str, list[tuple[str, int]]] = {}
    for key, store_as in (("organizations", "organizations"), ("organisations", "organizations"),
                          ("contacts", "contacts"), ("attachments", "attachments")):
        items = data.get(key)
        for item in items if isinstance(items, list) else []:
            if type(item) is int and item > 0 and key == "contacts":
                text = str(item)
            elif isinstance(item, str) and item.strip() and "://" not in item:
                text = item.strip()
            else:
                continue
            line = line_of(key, text)
            if key == "contacts" and isinstance(item, str):
                try:
                    addresses = clean_email_field(text)
                except InvalidEmail:
                    continue
                if len(addresses) != 1:
                    continue
                text = addresses[0].normalized
            kept = found.setdefault(store_as, [])
            if all(text.casefold() != seen.casefold() for seen, _ in kept):
                kept.append((text, line))
    translations = data.get("translations")
    found["translations"] = [(str(target).strip(), 0) for target in
                             (translations.values() if isinstance(translations, dict) else ())
                             if isinstance(target, str) and target.strip()]
    return found


def _book_problems(book: Book, where: str, listed: dict[str, list[tuple[str, int]]]
                   ) -> list[Problem]:
    problems = []
    for name, line in listed.get("organizations", []):
        if book.store.orgs.find(name) is None:
            problems.append(Problem(f"{where}:{line}", f'organisation "{name}" is not in the '
                                    "contact book (see `pressctl orgs list`)"))
    for ref, line in listed.get("contacts", []):
        try:
            find_contact(book.store, ref)
        except (NotFound, InvalidInput) as err:
            problems.append(Problem(f"{where}:{line}", f"contacts: {err}"))
    return problems


def _attachment_problems(where: str, listed: dict[str, list[tuple[str, int]]]) -> list[Problem]:
    problems = []
    for name, line in listed.get("attachments", []):
        attachment = Path(where).parent / name
        if not attachment.is_file():
            problems.append(Problem(f"{where}:{line}", f'attachment "{name}" does not exist'))
        elif attachment.stat().st_size > MAX_ATTACHMENT:
            problems.append(Problem(f"{where}:{line}", f'attachment "{name}" is larger than '
                                    f"{MAX_ATTACHMENT // 2**20} MB: link to it instead"))
    return problems


def _attachment_warnings(where: str, listed: dict[str, list[tuple[str, int]]]) -> list[Problem]:
    files = [Path(where).parent / name for name, _ in listed.get("attachments", [])]
    total = sum(f.stat().st_size for f in files if f.is_file())
    if total > WARN_ATTACHMENTS:
        return [Problem(where, f"attachments weigh {total / 2**20:.1f} MB per message: "
                        "many inboxes will refuse or delay them")]
    return []


# -- recipients ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Recipient:
    contact: Contact
    address: str
    version: Release
    embargoed: bool


def _slim(contact: Contact) -> Contact:
    """What a message needs of a recipient: a 100,000-recipient mailout keeps only this."""
    return Contact(name=contact.name, id=contact.id, kind=contact.kind,
                   country=contact.country, languages=contact.languages,
                   emails=contact.emails[:1], embargo_ok=contact.embargo_ok)


def select_recipients(book: Book, releases: ReleaseSet, audience: str | None = None,
                      only: list[str] | None = None) -> list[Recipient]:
    """Who receives the release, and which copy: the audience (never opted-out contacts,
    never contacts without an e-mail). For an embargoed release, contacts who accept
    embargoes get the embargoed version (``embargoed``), everyone else the public version."""
    from pressctl.releases.audience import parse_audience

    main = releases.main
    if only:
        chosen = find_contacts(book.store, only)  # once each, however often named
        for contact in chosen:
            if contact.opted_out:
                raise InvalidInput(f"#{contact.id} {contact.name} has opted out: never mailed")
            if not contact.emails:
                raise InvalidInput(f"#{contact.id} {contact.name} has no e-mail address",
                                   hint="add one with `pressctl contacts edit --add-email`")
    else:
        expression = parse_audience(audience or main.audience or "all",
                                    organizations=book.store.orgs.all(),
                                    saved=book.store.audiences.all())
        chosen = [_slim(c) for c in book.store.contacts.stream(ContactFilter(opted_out=False))
                  if expression.matches(c)]
    from pressctl.contacts.emails import email_key

    blocked = book.store.suppressions.opted_out_keys(email_key(c.emails[0]) for c in chosen if c.emails)
    public = releases.public()
    recipients = []
    for contact in chosen:
        if not contact.emails or email_key(contact.emails[0]) in blocked:
            continue  # no address, or an address that asked never to be mailed
        embargoed = main.embargo is not None and contact.embargo_ok
        version = (releases if embargoed else public).version_for(contact.languages)
        recipients.append(Recipient(contact, contact.emails[0], version, embargoed))
    return recipients


# -- building ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuiltMessage:
    recipient: Recipient
    raw: bytes
    attachments: int
    has_calendar: bool


SALUTATIONS = {"en": "Dear {name},", "fr": "Bonjour {name},"}


def salutation(contact: Contact, language: str) -> str:
    base = language.split("-")[0]  # "fr-CA" greets in French
    return SALUTATIONS.get(base, SALUTATIONS["en"]).format(name=contact.name)


@dataclass(frozen=True, slots=True)
class PlannedMessage:
    """One recipient's message, before it is built: its variant and personal parts."""

    recipient: Recipient
    variant: int  # index into Plan.variants
    salutation: str
    message_id: str


@dataclass(slots=True)
class Plan:
    variants: list  # [(messages.Variant, messages.Sender)], rendered once each
    messages: list[PlannedMessage]
    domain: str


def plan_messages(book: Book, releases: ReleaseSet, recipients: list[Recipient], templates,
                  *, now: datetime, seed: str = "preview") -> Plan:
    """Render each variant (language version, embargo, reader's country) once and assign
    every recipient to one: all a mailout needs to build the messages later, byte for byte.
    The one-click unsubscribe token is not here: it names a mailout (pressctl.delivery.unsubscribe),
    so the mailout gives it when it stores its rows."""
    from pressctl.releases.messages import new_message_id

    officers = _officers(book, releases.main)
    if not any(officer.emails for officer in officers):
        raise InvalidInput(f"{releases.main.path}: no press officer with an e-mail address to "
                           "send from", hint="add officers of the organisations (kind officer) "
                           "or list contacts")
    sender = _sender(_sending_officer(officers), book)
    domain = sender.address.rpartition("@")[2]
    variants: list = []
    numbers: dict[tuple, int] = {}
    planned = []
    for recipient in recipients:
        key = (recipient.version.path, recipient.embargoed, recipient.contact.country)
        if key not in numbers:
            numbers[key] = len(variants)
            variants.append((_variant(book, recipient.version, officers, templates, sender,
                                      recipient.contact.country, now), sender))
        contact = recipient.contact
        planned.append(PlannedMessage(
            recipient, numbers[key], salutation(contact, recipient.version.language),
            new_message_id(f"{seed}/{releases.main.reference}/{contact.id}", domain),
        ))
    return Plan(variants, planned, domain)


def build_messages(book: Book, releases: ReleaseSet, recipients: list[Recipient], templates,
                   *, now: datetime, seed: str = "preview") -> Iterator[BuiltMessage]:
    """Every recipient's message, rendered once per variant, for a preview: the one-click
    unsubscribe token is an obvious fake (PREVIEW_TOKEN), never a working one."""
    from pressctl.releases.messages import MessageFactory

    plan = plan_messages(book, releases, recipients, templates, now=now, seed=seed)
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


def _officers(book: Book, release: Release) -> list[Contact]:
    if release.contacts:
        return [find_contact(book.store, ref) for ref in release.contacts]
    officers = []
    for name in release.organizations:
        officers += [c for c in book.store.contacts.select(
            ContactFilter(kind="officer", organization=name, opted_out=None)) if c.emails]
    return officers


def _sending_officer(officers: list[Contact]) -> Contact:
    """The first listed officer with an e-mail address: the From and the ORGANIZER."""
    return next(officer for officer in officers if officer.emails)


def _sender(officer: Contact, book: Book):
    """From the configured sender, else the first press officer listed, "Name (ORG)"."""
    from pressctl.releases.messages import Sender

    settings = book.settings
    if settings.sender_address:
        name = settings.sender_name or officer.organization or settings.sender_address
        address = settings.sender_address
    else:
        org = book.store.orgs.find(officer.organization) if officer.organization else None
        label = (org.short_name or org.name) if org else officer.organization
        name = f"{officer.name} ({label})" if label else officer.name
        address = officer.emails[0]
    return Sender(name=name, address=address, reply_to=address,
                  list_unsubscribe_mailto=settings.list_unsubscribe or address,
                  unsubscribe_url=settings.unsubscribe_url)


def _variant(book: Book, release: Release, officers: list[Contact], templates, sender,
             reader_country: str | None, now: datetime):
    from pressctl.releases.embargo import embargo_notice
    from pressctl.releases.messages import SALUTATION, Attachment, Variant
    from pressctl.releases.templating import markdown_to_html, markdown_to_text, template_name

    orgs = [book.store.orgs.find(name) for name in release.organizations]
    notice = embargo_notice(release.embargo, release.language) if release.embargo else None
    sending = _sending_officer(officers)
    context = {
        "release": {
            "reference": release.reference, "kind": release.kind,
            "language": release.language, "title": release.title,
            "subtitle": release.subtitle, "place": release.place,
            "date_text": _date_text(release.date, release.language),
        },
        "salutation": SALUTATION,
        "body_html": markdown_to_html(release.body),  # Markup: safe HTML from the body
        "body_text": markdown_to_text(release.body),
        "embargo_line": notice.text if notice else None,
        "event": _event_context(release, reader_country),
        "organizations": [_org_context(o, release.language) for o in orgs if o is not None],
        "contacts": [_contact_context(c, reader_country) for c in officers],
        "sender": {"name": sending.name, "organization": sending.organization},
    }
    language = release.language  # fr-CA uses the fr templates (template_name)
    known = {name for name, _, _ in templates.names()}
    if template_name(release.kind, language, "txt") not in known:
        language = "en"  # no templates in that language (add release.de.txt.j2...)
    text = templates.render(template_name(release.kind, language, "txt"), context)
    html = templates.render(template_name(release.kind, language, "html"), context)
    subject = release.title
    if notice:  # stamped here, whatever the templates do
        subject = notice.subject_prefix + subject
        text = f"{notice.text}\n\n{text}"
        html = _stamp_html(html, notice.html)
    attachments = tuple(_attachment(release, name) for name in release.attachments)
    calendar = _calendar(release, sending, sender, now) if release.event else None
    return Variant(subject=subject, text=text, html=html, language=release.language,
                   attachments=tuple(Attachment(*a) for a in attachments), calendar=calendar)


def _stamp_html(html: str, notice_html: str) -> str:
    """Put the notice first in the body, whatever the template wrote before it."""
    lower = html.lower()
    start = lower.find("<body")
    if start >= 0:
        end = html.find(">", start) + 1
        return html[:end] + notice_html + html[end:]
    return notice_html + html


def _attachment(release: Release, name: str) -> tuple[str, str, bytes]:
    import mimetypes

    path = Path(release.path).parent / name
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return path.name, content_type, path.read_bytes()


def _calendar(release: Release, officer: Contact, sender, now: datetime):
    from pressctl.releases.calendar import event_uid, invitation_template

    event = release.event
    domain = sender.address.rpartition("@")[2]
    template = invitation_template(
        event, uid=event_uid(release.reference, domain), summary=event.title,
        description=f"{release.title} ({release.reference})",
        organizer_name=officer.name, organizer_email=sender.address, now=now,
        language=release.language,
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


def _event_context(release: Release, reader_country: str | None) -> dict | None:
    from pressctl.contacts.phones import format_phone
    from pressctl.releases.embargo import format_clock, format_when
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


def _org_context(org: Organization, language: str) -> dict:
    about = org.about.get(language) or org.about.get("en") or next(iter(org.about.values()), None)
    return {"name": org.name, "short_name": org.short_name, "website": org.website,
            "about": about}


def _contact_context(contact: Contact, reader_country: str | None) -> dict:
    from pressctl.contacts.phones import format_phone
    from pressctl.releases.templating import ShownPhone

    return {
        "name": contact.name, "role": contact.role, "organization": contact.organization,
        "phones": [ShownPhone(format_phone(p, "auto", reader_country), p.e164, p.extension)
                   for p in contact.phones if p.type != "fax"],
        "emails": list(contact.emails[:1]),
    }
