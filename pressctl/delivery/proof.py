"""Proofs: `pressctl release proof FILE --to ADDRESS [--as CONTACT]` delivers the real
message one recipient would get to the press officer's own address, before approval.

Real: who gets which copy is decided exactly as `mailout create` decides it now
(:func:`pressctl.delivery.mailouts.plan_mailouts`: the audience, opt-outs, the embargo
rule, the recipient's language), the copy is rendered by the mailout's own renderer
(:func:`pressctl.releases.rendering.plan_messages`) and encoded by the same
:class:`~pressctl.releases.messages.MessageFactory`, with the recipient's salutation,
phones as they would dial them, the attachments and the calendar part (same UID), then
handed to the configured transport (SMTP from [smtp], else the home's Maildir).

What differs, and why:

* Subject: "[PROOF] " first (once, even when the title starts with it already); a
  header ``X-Pressctl-Proof`` names the release, the contact and the copy.
* To, the envelope recipient and the calendar's ATTENDEE are the officer's address, never
  the journalist's: an officer who clicks "Accept" in the proof answers as themselves, so
  `inbox import` can never record an RSVP for the journalist. The envelope sender is the
  plain sender address (no VERP token): a bounce of a proof names no mailout row.
* Message-ID: a new one per proof (never the one the real message will carry).
* The one-click unsubscribe URL carries :data:`PROOF_TOKEN`, which can never verify: a
  real token is 32 base64url characters (an HMAC of a mailout row,
  pressctl.delivery.unsubscribe); this one holds dots, so the page refuses it before
  looking anything up, and no mailout row holds it. Following the link opts nobody out.
  (The List-Unsubscribe mailto is kept as is: a reply to it comes from the officer's
  address, so it could only ever opt out the officer.)

Nothing is written to the book: no mailout, no row, no entry in the recipient's history
and no entry in the trail (pressctl.book.changes records changes a person made to the
book; a proof changes nothing in it, and counting it there would put a send in the
journalist's history that never reached them). A proof is not counted by the relay's rate
limit either: it is one message.

Who can be proofed: a recipient the mailout would send a message to. A contact who would
get nothing (opted out, no e-mail address, a suppressed address, not in the audience) is
refused (exit 3) with the reason, with no way around it but ``audience`` (the same
override `mailout create --audience` takes): proofing a message nobody will receive
proves nothing. The address the proof goes to must be valid and must not be a
journalist's (or anyone's in the book who is not a press officer): a proof of an
embargoed release sent to a journalist by a slip of the keyboard would break the embargo.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pressctl.book.contacts import find_contact
from pressctl.book.session import Book
from pressctl.contacts.emails import clean_email_field, email_key
from pressctl.contacts.model import Contact
from pressctl.delivery.mailouts import PlannedMailout, plan_mailouts
from pressctl.delivery.run import Transports
from pressctl.errors import DeliveryFailed, InvalidEmail, InvalidInput, Problem
from pressctl.outbox.states import SendStatus
from pressctl.releases.headers import header_address
from pressctl.releases.messages import MessageFactory, Variant
from pressctl.releases.recipients import Recipient
from pressctl.releases.rendering import plan_messages
from pressctl.times import iso

if TYPE_CHECKING:  # templating imports jinja2
    from pressctl.releases.templating import Templates

PROOF_PREFIX = "[PROOF] "
PROOF_HEADER = "X-Pressctl-Proof"
# Never a real token: those are 32 base64url characters, which hold no dot.
PROOF_TOKEN = "proof.copy.not.a.token"

_NOT_HEADER_SAFE = re.compile(r"[^ -~]")  # printable ASCII only in our own header


@dataclass(frozen=True, slots=True)
class ProofReport:
    """What :func:`send_proof` sent, to whom, as whom."""

    reference: str
    to: str  # the officer's address, where the proof went
    contact_id: int
    contact_name: str
    address: str  # the journalist's address, where the real message will go
    chosen: bool  # named with --as; False: the first recipient of the audience
    language: str  # of the copy
    embargoed: bool  # the embargoed copy (else the public one)
    calendar: bool
    attachments: int
    subject: str  # as sent, "[PROOF] " included
    message_id: str
    via: str  # the transport ("smtp host:port (starttls)", "Maildir ...")
    reply: str  # the server's reply, or the file written
    warnings: tuple[Problem, ...] = ()

    @property
    def copy(self) -> str:
        return "embargoed" if self.embargoed else "public"

    def summary(self) -> str:
        """One line: what was sent to whom as whom."""
        who = f"#{self.contact_id} {self.contact_name} <{self.address}>"
        if not self.chosen:
            who += " (the first of the audience; choose with --as)"
        parts = [f"{self.copy} copy", self.language]
        if self.calendar:
            parts.append("with the invitation")
        if self.attachments:
            parts.append(f"{self.attachments} attachment(s)")
        return (f"Sent the proof of {self.reference} to {self.to} as {who}: "
                f"{', '.join(parts)}; via {self.via}")


def send_proof(book: Book, path: Path, *, to: str, as_contact: str | None,
               templates: Templates, transports: Transports, now: datetime,
               audience: str | None = None) -> ProofReport:
    """Deliver to ``to`` the message the contact ``as_contact`` (an id, e-mail or exact
    name; None: the first recipient of the audience) would get from `mailout create` now,
    marked as a proof (see the module docstring). InvalidInput (exit 3) for a bad ``to``,
    an unknown or ambiguous contact, or one who would get nothing; DeliveryFailed (exit 5)
    when the transport does not take the message; ConfigError (exit 4) from the
    transport's settings (password, TLS, login)."""
    officer = proof_address(book, to)
    plans = plan_mailouts(book, path, at=None, audience=audience, now=now)
    releases = plans[0].releases
    plan, recipient = _recipient(book, plans, as_contact, path, audience)
    seed = f"proof/{iso(now)}/{secrets.token_hex(8)}"  # a Message-ID of its own, each time
    planned = plan_messages(book, plan.releases, [recipient], templates, now=now, seed=seed)
    variant, sender = planned.variants[0]
    message = planned.messages[0]
    proof = dataclasses.replace(variant, subject=proof_subject(variant.subject))
    raw = MessageFactory(proof, sender, domain=planned.domain).build(
        name="", address=officer, salutation=message.salutation, now=now,
        message_id=message.message_id,
        unsubscribe_token=PROOF_TOKEN if sender.unsubscribe_url else "")
    raw = _proof_header(releases.main.reference, recipient, variant) + raw
    reply = _deliver(transports, sender.address, officer, raw)
    contact = recipient.contact
    return ProofReport(
        reference=releases.main.reference, to=officer, contact_id=contact.stored_id,
        contact_name=contact.name, address=recipient.address,
        chosen=as_contact is not None, language=recipient.version.language,
        embargoed=recipient.embargoed, calendar=variant.calendar is not None,
        attachments=len(variant.attachments), subject=proof.subject,
        message_id=message.message_id, via=transports.via, reply=reply,
        warnings=tuple(releases.warnings))


def proof_subject(subject: str) -> str:
    """``subject`` with "[PROOF] " first, never twice."""
    if subject.startswith(PROOF_PREFIX.strip()):
        return subject
    return PROOF_PREFIX + subject


def proof_address(book: Book, to: str) -> str:
    """The officer's address, cleaned as the book cleans addresses: exactly one valid
    address, and not the address of a contact who is not a press officer."""
    try:
        found = clean_email_field(to)
    except InvalidEmail as err:
        raise InvalidInput(f"the proof address is not valid: {err}",
                           hint="give your own e-mail address with --to") from None
    if len(found) != 1:
        raise InvalidInput(f'the proof address "{to}" holds {len(found)} addresses',
                           hint="give exactly one: your own, with --to")
    address = found[0].normalized
    try:
        header_address(address)
    except ValueError:
        raise InvalidInput(f'the proof address "{to}" cannot be written in a header',
                           hint="give a plain address (no quoted local part)") from None
    key = email_key(address)
    owner_id = book.store.contacts.owners_of_email_keys([key]).get(key)
    owner = book.store.contacts.get(owner_id) if owner_id is not None else None
    if owner is not None and owner.kind != "officer":
        raise InvalidInput(f"{address} is the address of #{owner.id} {owner.name} "
                           f"({owner.kind}): a proof goes to your own address",
                           hint="give your own address with --to")
    return address


# -- the recipient ------------------------------------------------------------------------------


def _recipient(book: Book, plans: list[PlannedMailout], as_contact: str | None, path: Path,
               audience: str | None) -> tuple[PlannedMailout, Recipient]:
    """The mailout that would send the chosen contact a message, and their copy in it."""
    sends: dict[int, tuple[PlannedMailout, Recipient]] = {}
    for plan in plans:
        for recipient in plan.recipients:
            sends[recipient.contact.stored_id] = (plan, recipient)
    last = plans[-1]  # the public phase covers the whole audience, in its order
    order = last.covers if last.covers is not None else last.recipients
    if as_contact is None:
        first = next((r for r in order if r.contact.stored_id in sends), None)
        if first is None:
            raise InvalidInput(f"{path}: nobody to send to, so nobody to proof",
                               hint="check the audience and opt-outs")
        return sends[first.contact.stored_id]
    contact = find_contact(book.store, as_contact)
    if contact.stored_id in sends:
        return sends[contact.stored_id]
    raise _gets_nothing(book, contact, plans[0], audience)


def _gets_nothing(book: Book, contact: Contact, plan: PlannedMailout,
                  audience: str | None) -> InvalidInput:
    """Why the mailout would send ``contact`` nothing."""
    who = f"#{contact.id} {contact.name}"
    if contact.opted_out:
        return InvalidInput(f"{who} has opted out: never mailed, so there is no copy to proof")
    if not contact.emails:
        return InvalidInput(f"{who} has no e-mail address: there is no copy to proof",
                            hint="add one with `pressctl contacts edit --add-email`")
    if book.store.suppressions.opted_out_keys([email_key(contact.emails[0])]):
        return InvalidInput(f"{who}: {contact.emails[0]} asked never to be mailed, so there "
                            "is no copy to proof")
    expression = audience or plan.releases.main.audience or "all"
    return InvalidInput(f"{who} is not in the audience ({expression}) of "
                        f"{plan.releases.main.reference}: they would get nothing",
                        hint="proof as one of the audience, or pass --audience as "
                             "`mailout create --audience` would")


# -- the message and its delivery -----------------------------------------------------------


def _proof_header(reference: str, recipient: Recipient, variant: Variant) -> bytes:
    contact = recipient.contact
    copy = "embargoed" if recipient.embargoed else "public"
    value = (f"copy of {reference} for contact #{contact.id}, {copy}, "
             f"{variant.language}; never sent to the contact")
    return f"{PROOF_HEADER}: {_NOT_HEADER_SAFE.sub('?', value)}\r\n".encode("ascii")


def _deliver(transports: Transports, sender: str, officer: str, raw: bytes) -> str:
    """Hand the proof to one new transport; the transport's words when it is refused."""
    if transports.sign is not None:  # signed as the real message would be
        raw = transports.sign(raw)
    transport = transports.make()
    try:
        outcome = transport.send(sender, officer, raw, crlf=True)
    finally:
        transport.close()
    if outcome.status != SendStatus.SENT:
        said = f"{outcome.code} {outcome.reply}" if outcome.code else outcome.reply
        hint = ("check the relay with `pressctl smtp test`"
                if outcome.status == SendStatus.UNREACHABLE else None)
        raise DeliveryFailed(f"the proof to {officer} was not delivered ({outcome.status}, "
                             f"via {transports.via}): {said}", hint=hint)
    return outcome.reply
