"""The opt-out use cases: opting contacts or addresses out, lifting an opt-out (the only
way, recorded), their history, and unsubscribe replies (to the List-Unsubscribe mailto)
turned into opt-outs.

An opt-out is kept by address in the suppression list, and every write of a contact keeps
it (see :mod:`pressctl.book.suppression`); only :func:`opt_in` lifts one, on the person's
request, and records when, why and what it lifted. A reply's sender is opted out: every
address of their contact if the book has one, and a suppression either way, so that the
address is never mailed even if it is imported again later. Bounces and automatic replies
are not requests: they are skipped and counted (an out-of-office must not cost a
journalist their releases, and MAILER-DAEMON is nobody).

Each opt-out and lift is recorded in the trail (pressctl.book.changes) with who did it,
in its transaction: on the contact, or on the address when no contact holds it.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path

from pressctl.book.changes import ChangeAction, NewChange, Subject, record, record_many
from pressctl.book.contacts import find_contact
from pressctl.book.forgotten import forgotten_keys
from pressctl.book.session import Book
from pressctl.book.suppression import one_address, opt_out_contact
from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.model import Contact
from pressctl.errors import InvalidInput, NotFound
from pressctl.inbox.automatic import Automatic
from pressctl.inbox.classify import Classified, Kind, classify
from pressctl.inbox.mailboxes import read_mailbox
from pressctl.store import Store
from pressctl.store.suppressions import OptIn, Suppression

# -- opting out ------------------------------------------------------------------------------


@dataclass(slots=True)
class OptOutResult:
    contacts: list[Contact]  # opted out (every address of each)
    addresses: list[str]  # suppressed without a contact: never mailed if added later


OPTOUT_REASON = "opted out with `pressctl contacts optout`"
UNSUBSCRIBE_REASON = "unsubscribe reply"


def opt_out(book: Book, refs: list[str], *, note: str | None = None) -> OptOutResult:
    """Opt contacts out: every address of each is suppressed for good, and the contact
    flagged. An e-mail address that is in no contact is suppressed too, so that it is
    never mailed if it is added later. Only `contacts optin` undoes this."""
    result = OptOutResult([], [])
    why = f": {note}" if note else ""
    with book.store.transaction():
        for ref in refs:
            try:
                contact = find_contact(book.store, ref)
            except NotFound:
                if "@" not in ref:
                    raise
                for found in clean_email_field(ref):
                    if forgotten_keys(book.store, [found.normalized]):
                        # Suppressed for good already, as a keyed hash: writing the
                        # address (or a trail entry naming it) would bring it back.
                        result.addresses.append(found.normalized)
                        continue
                    book.store.suppressions.suppress(email_key(found.normalized),
                                                     found.normalized, OPTOUT_REASON,
                                                     book.now, note)
                    result.addresses.append(found.normalized)
                    record(book, ChangeAction.OPT_OUT, Subject.ADDRESS, found.normalized,
                           f"opted out {found.normalized}, in no contact{why}")
                continue
            if any(c.id == contact.id for c in result.contacts):
                continue
            opt_out_contact(book.store, contact, OPTOUT_REASON, book.now, note)
            result.contacts.append(contact)
            record(book, ChangeAction.OPT_OUT, Subject.CONTACT, contact.stored_id,
                   f"opted out {contact.name}, every address{why}")
    return result


# -- lifting an opt-out ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptOutState:
    """What `contacts optin ADDRESS` would lift: the suppression of the address, and
    the contact holding it (whose flag may be all there is)."""

    address: str
    key: str
    suppression: Suppression | None
    contact: Contact | None


@dataclass(frozen=True, slots=True)
class OptInResult:
    optin: OptIn  # as recorded
    contact: Contact | None  # the contact holding the address, as it is now
    still_suppressed: list[str]  # its other addresses still opted out (it stays opted out)


def opt_out_state(store: Store, address: str) -> OptOutState:
    """The opt-out of one address; NotFound (exit 3) when it is not opted out."""
    normalized = one_address(address, hint="give the one address to opt back in")
    key = email_key(normalized)
    suppression = store.suppressions.suppressions_of([key]).get(key)
    owner = store.contacts.owners_of_email_keys([key]).get(key)
    contact = store.contacts.get(owner) if owner is not None else None
    if suppression is None and not (contact and contact.opted_out):
        raise NotFound(f"{normalized} is not opted out: there is nothing to lift",
                       hint="`pressctl contacts show ADDRESS` shows a contact's opt-outs")
    stored = [e for e in contact.emails if email_key(e) == key] if contact else []
    # the address as it was opted out (or stored), not as it was typed today
    shown = suppression.address if suppression else (stored or [normalized])[0]
    return OptOutState(shown, key, suppression, contact)


def opt_in(book: Book, address: str, note: str) -> OptInResult:
    """Lift the opt-out of one address, on the person's request: the suppression is
    deleted, the lift recorded (when, ``note``, what the suppression said), and the
    contact's flag cleared once none of its addresses is still suppressed."""
    note = note.strip()
    if not note:
        raise InvalidInput("an opt-in needs a note saying why",
                           hint='e.g. --note "asked by phone on 3 March to get releases again"')
    with book.store.transaction():
        state = opt_out_state(book.store, address)
        optin = book.store.suppressions.lift(state.key, state.address, state.suppression,
                                            note, book.now)
        contact, still = state.contact, []
        if contact is not None:
            held = book.store.suppressions.suppressions_of(email_key(e) for e in contact.emails)
            still = [s.address for s in held.values()]
            if not still:
                book.store.contacts.set_opted_out([contact.stored_id], False, book.now)
            contact = book.store.contacts.get(contact.stored_id)
        if contact is not None:
            record(book, ChangeAction.OPT_IN, Subject.CONTACT, contact.stored_id,
                   f"opted {state.address} back in: {note}")
        else:
            record(book, ChangeAction.OPT_IN, Subject.ADDRESS, state.address,
                   f"opted {state.address} back in: {note}")
    return OptInResult(optin, contact, still)


@dataclass(frozen=True, slots=True)
class OptOutHistory:
    """A contact's opt-outs as they stand, and every lift of one of its addresses."""

    suppressions: list[Suppression]
    optins: list[OptIn]


def opt_out_history(store: Store, contact: Contact) -> OptOutHistory:
    keys = [email_key(e) for e in contact.emails]
    held = store.suppressions.suppressions_of(keys)
    return OptOutHistory([held[k] for k in keys if k in held], store.suppressions.optins_of(keys))


# -- unsubscribe replies -----------------------------------------------------------------------


class Skipped(StrEnum):
    """Why a message in the unsubscribe folder is not an unsubscribe request."""

    BOUNCE = "bounce"  # a delivery status notification or other machine-made message
    AUTO_REPLY = "auto-reply"  # an out-of-office or other automatic reply
    RSVP = "rsvp"  # an answer to an invitation (`inbox import` records it)


# Subjects of automatic replies as mail programs write them (Outlook, Exchange, Notes,
# Gmail, Thunderbird...), matched at the start, after any "Re:"/"AW:" and accents dropped.
_AUTO_SUBJECT = re.compile(
    r"^(?:\[?(?:re|aw|sv|vs|antw|wg|fw|fwd|tr|rif|r|rv)\s*:\s*)*\[?\s*(?:"
    r"out of (?:the )?office|ooo\b|automatic reply|auto[- ]?reply|auto[- ]?response|"
    r"autoresponder|vacation (?:reply|notice|message)|away from (?:the )?office|"
    r"reponse automatique|absent du bureau|absence du bureau|message d'absence|"
    r"abwesenheitsnotiz|abwesenheit|automatische antwort|"
    r"fuori sede|fuori ufficio|risposta automatica|"
    r"respuesta automatica|fuera de la oficina|ausente|"
    r"resposta automatica|fora do escritorio|"
    r"automatisch antwoord|afwezig|niet aanwezig|"
    r"autosvar|franvaro|poza biurem|odpowiedz automatyczna)",
)
_DAEMONS = ("mailer-daemon", "postmaster")


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def skipped_because(message: EmailMessage) -> Skipped | None:
    """Why this message is not an unsubscribe request, or None when it is one."""
    if message.get_content_type() == "multipart/report":  # RFC 6522: DSN, MDN
        return Skipped.BOUNCE
    senders = email.utils.getaddresses([str(message.get("From") or ""),
                                        str(message.get("Sender") or "")])
    if any(address.partition("@")[0].casefold() in _DAEMONS for _, address in senders):
        return Skipped.BOUNCE
    if str(message.get("Return-Path") or "").strip() == "<>":  # the null sender of bounces
        return Skipped.BOUNCE
    auto_submitted = str(message.get("Auto-Submitted") or "").strip().casefold()
    if (auto_submitted.startswith("auto-replied") or "X-Autoreply" in message
            or "X-Autorespond" in message
            or str(message.get("Precedence") or "").strip().casefold() == "auto_reply"
            or _AUTO_SUBJECT.match(_plain(str(message.get("Subject") or "")))):
        return Skipped.AUTO_REPLY
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":  # auto-generated
        return Skipped.BOUNCE
    return None


@dataclass(frozen=True, slots=True)
class SkippedMessage:
    message: str  # "PATH: message KEY"
    sender: str
    subject: str
    why: Skipped


@dataclass(slots=True)
class ReplyImport:
    """What `optouts import` did with a folder of replies."""

    messages: int = 0
    contacts: list[str] = field(default_factory=list)  # senders whose contact opted out
    unknown: list[str] = field(default_factory=list)  # senders not in the book: suppressed
    unreadable: list[str] = field(default_factory=list)
    skipped: list[SkippedMessage] = field(default_factory=list)

    @property
    def bounces(self) -> int:
        return sum(1 for s in self.skipped if s.why is Skipped.BOUNCE)

    @property
    def auto_replies(self) -> int:
        return sum(1 for s in self.skipped if s.why is Skipped.AUTO_REPLY)


@dataclass(frozen=True, slots=True)
class UnsubscribeRequest:
    """One person asking to be taken off the list: their address, and the note the
    opt-out keeps ("reply of <its Date>", else where the message was)."""

    address: str
    note: str


@dataclass(slots=True)
class OptedOutSenders:
    contacts: list[str] = field(default_factory=list)  # senders whose contact opted out
    unknown: list[str] = field(default_factory=list)  # senders in no contact: suppressed


def request_note(date: str, where: str) -> str:
    """The note an unsubscribe request's opt-out keeps: its Date header as written."""
    return f"reply of {date.strip()}" if date.strip() else where


def opt_out_senders(book: Book, requests: Mapping[str, UnsubscribeRequest],
                    source: Path | str) -> OptedOutSenders:
    """Inside the caller's transaction: opt out the sender of each request (by e-mail
    key): the address suppressed for good, and every address of the contact holding it
    when the book has one; one trail entry each, naming ``source`` (the mailbox)."""
    done = OptedOutSenders()
    entries: list[NewChange] = []
    owners = book.store.contacts.owners_of_email_keys(requests)
    # Senders who asked to be forgotten are suppressed for good already, as keyed
    # hashes: their address is neither written again nor named in the trail.
    forgotten = forgotten_keys(book.store, [r.address for r in requests.values()])
    for key, request in requests.items():
        address, note = request.address, request.note
        if key in forgotten:
            done.unknown.append(address)
            continue
        book.store.suppressions.suppress(key, address, UNSUBSCRIBE_REASON, book.now, note)
        if key in owners:
            contact = book.store.contacts.get(owners[key])
            assert contact is not None
            opt_out_contact(book.store, contact, UNSUBSCRIBE_REASON, book.now,
                            f"reply from {address}")
            done.contacts.append(address)
            entries.append(NewChange(ChangeAction.OPT_OUT, Subject.CONTACT, contact.stored_id,
                                     f"unsubscribe reply from {address} ({note}) in "
                                     f"{source}: every address opted out"))
        else:
            done.unknown.append(address)
            entries.append(NewChange(ChangeAction.OPT_OUT, Subject.ADDRESS, address,
                                     f"unsubscribe reply from {address} ({note}) in "
                                     f"{source}: opted out, in no contact"))
    record_many(book, entries)
    return done


def _skipped_kind(found: Classified) -> Skipped:
    """Why a message the inbox reader sorted is no request, in this command's words."""
    if found.kind is Kind.RSVP:
        return Skipped.RSVP
    if found.kind is Kind.AUTO_REPLY and found.automatic is Automatic.OUT_OF_OFFICE:
        return Skipped.AUTO_REPLY
    return Skipped.BOUNCE  # a bounce, a delivery report, other machine-made mail


def import_optouts(book: Book, path: Path) -> ReplyImport:
    """Opt out the sender of every unsubscribe reply in a Maildir or mbox; skip and count
    bounces, automatic replies and answers to invitations. One transaction: all or
    nothing.

    The mailbox is the List-Unsubscribe address's: a person's message there is a
    request, whatever its words. Messages are read and sorted as `inbox import` reads
    them (pressctl.inbox.mailboxes and classify: the sender is the From address); one is
    a request when the inbox reader finds a person's message (an unsubscribe request or
    a reply) and :func:`skipped_because` finds no sign of automatic mail either (its
    signals are stricter in places: "[Out of Office]", MAILER-DAEMON without a report).
    `inbox import` acts on the other kinds too."""
    report = ReplyImport()
    requests: dict[str, UnsubscribeRequest] = {}
    for stored in read_mailbox(path):
        report.messages += 1
        where = f"{path}: message {stored.key}"
        found = classify(stored.raw)
        message = email.message_from_bytes(stored.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        why = skipped_because(message)
        if why is None and found.kind in (Kind.UNSUBSCRIBE, Kind.HUMAN_REPLY) \
                and found.sender is not None:
            note = request_note(str(message.get("Date") or ""), where)
            requests.setdefault(email_key(found.sender), UnsubscribeRequest(found.sender, note))
        elif why is None and found.kind is Kind.UNREADABLE:
            report.unreadable.append(f"{where}: {found.reason}")
        else:
            report.skipped.append(SkippedMessage(where, str(message.get("From") or ""),
                                                 str(message.get("Subject") or ""),
                                                 why or _skipped_kind(found)))
    with book.store.transaction():
        done = opt_out_senders(book, requests, path)
    report.contacts, report.unknown = done.contacts, done.unknown
    return report
