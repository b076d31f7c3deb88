"""Delivery status notifications: which addresses failed, how badly, for which message.

Two kinds are read:

* RFC 3464 reports (``multipart/report; report-type=delivery-status``; Postfix, Gmail,
  Exchange, Sendmail, most servers today): the ``message/delivery-status`` part holds
  one block per recipient (Final-Recipient, Original-Recipient, Action, Status,
  Diagnostic-Code), and a ``message/rfc822`` or ``text/rfc822-headers`` part returns the
  original, whose Message-ID names the mailout row. The machine part is authoritative:
  when it is unreadable or names no recipient the report is a *problem* (shown to the
  user, nothing recorded), never guessed from the prose beside it; a forged or broken
  report must not mark an address bouncing.
* prose bounces (Exim, qmail, older Exchange and Gmail; see
  :mod:`pressctl.inbox.bounce_text`), recognised by their sender (MAILER-DAEMON,
  postmaster) or their subject ("Undelivered Mail...", "failure notice"), or by their
  sentences when the message is machine-made (a null Return-Path, Auto-Submitted): a
  person forwarding a bounce quotes the same sentences. A null Return-Path alone makes
  no bounce (out-of-office replies and read receipts are sent from ``<>`` too). One from
  MAILER-DAEMON that names no failed recipient is a *problem*.

Severity: HARD for a 5.x.x status, SOFT for 4.x.x (a full mailbox, a server down: it
may pass). A status missing or unreadable falls back to the Diagnostic-Code's code, then
SOFT: an address is marked bouncing at once only on a permanent code.

Only ``Action: failed`` recipients are bounces. ``delayed`` is a warning that the
server is still trying: it is not counted, not even as a soft bounce, since the same
message will end in either a delivery or a failure of its own, and counting both would
count one problem twice. ``delivered``, ``relayed`` and ``expanded`` are successes. A
block without Action but with a 5.x.x Status failed; any other block whose Action cannot
be read makes the report a problem.

The VERP token comes from the bounce's envelope recipient as the receiving server wrote
it (Delivered-To, X-Original-To, To) or from the Return-Path of the returned original.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import quopri
import re
from dataclasses import dataclass
from email.message import Message
from enum import StrEnum

from pressctl.contacts.emails import email_key
from pressctl.inbox import bounce_text
from pressctl.inbox.headers import (
    addresses,
    header,
    headers,
    local_parts,
    message_id,
    normalised_address,
    part_text,
    prose,
)
from pressctl.inbox.verp import verp_token

_STATUS_PARTS = ("message/delivery-status", "message/global-delivery-status")
_RETURNED_MESSAGES = ("message/rfc822", "message/global")
_RETURNED_HEADERS = ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers")
_ENVELOPE_RECIPIENTS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_STATUS = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"^\s*([45])\d\d(?![\d.])")
_FIELD = re.compile(r"^([A-Za-z0-9-]+)[ \t]*:(.*)$")


class Severity(StrEnum):
    """How bad a failure is for the address (RFC 3463 status class)."""

    HARD = "hard"  # 5.x.x: permanent (no such user, domain gone): mark it bouncing now
    SOFT = "soft"  # 4.x.x or no code: may pass (mailbox full, server down): count it


@dataclass(frozen=True, slots=True)
class Bounce:
    """One recipient a delivery failed for."""

    address: str  # the failed recipient, normalised as the book stores addresses
    status_code: str | None  # RFC 3463 "5.1.1"; None when the report gives none
    severity: Severity
    diagnostic: str  # the remote server's words ("550 5.1.1 User unknown"); may be ""
    original_message_id: str | None  # "<...>" of the message that bounced, when returned
    verp_token: str | None  # from the bounce's envelope recipient, when it carries one


@dataclass(frozen=True, slots=True)
class DeliveryNotice:
    """What one delivery notification says; ``problem`` when it cannot be read."""

    failed: tuple[Bounce, ...] = ()
    delayed: tuple[str, ...] = ()  # addresses still being tried (a warning only)
    delivered: tuple[str, ...] = ()  # delivered, relayed or expanded: successes
    problem: str | None = None
    delay_warning: bool = False  # a warning that delivery is late, and no failure


def read_delivery_notice(message: Message) -> DeliveryNotice | None:
    """What a delivery notification says, or None when ``message`` is not one."""
    if message.get_content_type() == "multipart/report":
        kind = message.get_param("report-type")
        if isinstance(kind, str) and kind.strip().lower() == "delivery-status":
            return _standard(message)
        return None  # a read receipt, an abuse report...: not about delivery
    return _prose(message)


# -- RFC 3464 ------------------------------------------------------------------------------


def _standard(message: Message) -> DeliveryNotice:
    parts = list(_parts(message))
    status = next((p for p in parts if p.get_content_type() in _STATUS_PARTS), None)
    if status is None:
        return DeliveryNotice(problem="a delivery report without its message/delivery-status "
                                      "part")
    recipients = [b for b in _field_blocks(_status_text(status))
                  if "final-recipient" in b or "original-recipient" in b]
    if not recipients:
        return DeliveryNotice(problem="a delivery report that names no recipient (no "
                                      "Final-Recipient field in its delivery-status part)")
    original = _returned_original(parts)
    original_id = message_id(header(original, "Message-ID")) if original is not None else None
    token = _token(message, original, "")
    failed: list[Bounce] = []
    delayed: list[str] = []
    delivered: list[str] = []
    for block in recipients:
        address = _recipient(block.get("final-recipient", "")) or \
            _recipient(block.get("original-recipient", ""))
        action = (block.get("action", "").split() or [""])[0].lower()
        diagnostic = block.get("diagnostic-code", "")
        code_text = diagnostic.partition(";")[2] if ";" in diagnostic else diagnostic
        status_code = _status_code(block.get("status", ""), code_text)
        if not action and status_code is not None and status_code.startswith("5"):
            action = "failed"  # no Action, but a permanent status says what happened
        if address is None:
            shown = block.get("final-recipient") or block.get("original-recipient")
            return DeliveryNotice(problem=f'a delivery report with an unreadable recipient '
                                          f'"{shown}"')
        if action == "failed":
            failed.append(Bounce(address, status_code, _severity(status_code, code_text),
                                 " ".join(code_text.split()), original_id, token))
        elif action == "delayed":
            delayed.append(address)
        elif action in ("delivered", "relayed", "expanded"):
            delivered.append(address)
        else:
            return DeliveryNotice(problem=f'a delivery report with no readable Action for '
                                          f'{address} ("{block.get("action", "")}")')
    return DeliveryNotice(tuple(failed), tuple(delayed), tuple(delivered),
                          delay_warning=bool(delayed) and not failed)


def _parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _status_text(part: Message) -> str:
    """The delivery-status part as text. Python splits it into header blocks as it
    parses; a part sent base64 or quoted-printable (some Exchange servers) is one block
    of encoded text that is decoded here."""
    payload = part.get_payload()
    if isinstance(payload, str):
        text = payload
    else:
        blocks = []
        for block in payload if isinstance(payload, list) else []:
            if not isinstance(block, Message):
                continue
            lines = [f"{name}: {value}" for name, value in block.raw_items()]
            body = block.get_payload()
            blocks.append("\n".join(lines) + ("\n" + body if isinstance(body, str) else ""))
        text = "\n\n".join(blocks)
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    try:
        if encoding == "base64":
            text = base64.b64decode(text.encode("ascii", "ignore")).decode("utf-8", "replace")
        elif encoding == "quoted-printable":
            text = quopri.decodestring(text.encode("utf-8")).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return ""
    return text


def _field_blocks(text: str) -> list[dict[str, str]]:
    """Blocks of "Name: value" fields separated by blank lines (RFC 3464 2.1), folded
    lines unfolded, names lower-cased; lines that are not fields are ignored."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
        elif line[0] in " \t" and last:
            current[last] += " " + line.strip()
        elif field := _FIELD.match(line):
            last = field.group(1).lower()
            current.setdefault(last, field.group(2).strip())
        else:
            last = ""
    if current:
        blocks.append(current)
    return blocks


def _recipient(value: str) -> str | None:
    """The address of ``rfc822; a@b`` (or ``utf-8;`` of RFC 6533); None otherwise."""
    kind, _, address = value.partition(";")
    if kind.strip().lower() not in ("rfc822", "utf-8") or not address.strip():
        return None
    return normalised_address(address.strip().strip("<>"))


def _status_code(status: str, diagnostic: str) -> str | None:
    found = _STATUS.match(status) or _ENHANCED.search(diagnostic)
    return ".".join(found.groups()) if found else None


def _severity(status_code: str | None, diagnostic: str) -> Severity:
    if status_code is not None:
        return Severity.HARD if status_code.startswith("5") else Severity.SOFT
    reply = _REPLY_CODE.match(diagnostic)
    return Severity.HARD if reply and reply.group(1) == "5" else Severity.SOFT


def _returned_original(parts: list[Message]) -> Message | None:
    """The returned message, or its headers, as a message to read headers from."""
    for part in parts:
        kind = part.get_content_type()
        if kind in _RETURNED_MESSAGES:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        elif kind in _RETURNED_HEADERS:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]  # message/global-headers: parsed as a message already
            return email.parser.HeaderParser(policy=email.policy.default).parsestr(
                part_text(part))
    return None


def _token(message: Message, original: Message | None, quoted_return_path: str) -> str | None:
    """The VERP token of the bounce's envelope recipient, or of the original's sender."""
    candidates = [text for name in _ENVELOPE_RECIPIENTS for text in headers(message, name)]
    if original is not None:
        candidates += headers(original, "Return-Path")
    candidates.append(quoted_return_path)
    for text in candidates:
        for piece in re.split(r"[,\s]+", text):
            token = verp_token(piece)
            if token is not None:
                return token
    return None


# -- prose bounces -------------------------------------------------------------------------


def _prose(message: Message) -> DeliveryNotice | None:
    subject = header(message, "Subject")
    text = prose(message)
    senders = local_parts(header(message, "From")) + local_parts(header(message, "Sender"))
    from_daemon = any(local in bounce_text.DAEMONS for local in senders)
    auto_submitted = (header(message, "Auto-Submitted").split(";")[0].split() or ["no"])[0]
    machine = from_daemon or auto_submitted.lower() != "no" or \
        header(message, "Return-Path").replace(" ", "") == "<>"
    # The subject alone, or the prose of a machine-made message: a person who forwards a
    # bounce ("Fwd: Undelivered Mail...") quotes the same sentences, and asks for help.
    if not (from_daemon or bounce_text.is_failure_subject(subject)
            or machine and (bounce_text.is_failure_report(subject, text)
                            or bounce_text.is_delay_warning(subject, text))):
        return None
    parts = _parts(message)
    original = _returned_original(parts) if parts else None
    if bounce_text.is_delay_warning(subject, text) and not bounce_text.is_failure_subject(subject):
        found = bounce_text.failures(text, ours=_ours(message, original))
        return DeliveryNotice(delayed=tuple(f.address for f in found), delay_warning=True)
    found = bounce_text.failures(text, ours=_ours(message, original))
    if not found:
        who = "MAILER-DAEMON or postmaster" if from_daemon else "a failure report"
        return DeliveryNotice(problem=f"reads as a bounce ({who}) but names no failed "
                                      "recipient")
    original_id = (message_id(header(original, "Message-ID")) if original is not None
                   else None) or bounce_text.quoted_message_id(text)
    token = _token(message, original, bounce_text.quoted_return_path(text))
    return DeliveryNotice(failed=tuple(
        Bounce(f.address, f.status_code, Severity.HARD if f.permanent else Severity.SOFT,
               f.diagnostic, original_id, token) for f in found))


def _ours(message: Message, original: Message | None) -> frozenset[str]:
    """Email keys of the press office's addresses: the bounce's recipients and the
    returned original's sender, which a prose report may name but which never failed."""
    texts = [text for name in (*_ENVELOPE_RECIPIENTS, "Cc", "Reply-To")
             for text in headers(message, name)]
    if original is not None:
        texts += headers(original, "From") + headers(original, "Return-Path")
    return frozenset(email_key(a) for text in texts for a in addresses(text))
