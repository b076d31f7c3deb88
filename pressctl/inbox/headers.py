"""An incoming message's headers, addresses, Message-IDs and prose, read defensively.

What comes back is written by every mail program there is, and some of it is broken.
Python's parser (policy.default) decodes headers for us but can still raise on a header
it cannot make sense of; every reader here falls back to the header's raw text instead,
so that one odd message never stops the reading of a whole mailbox.

Addresses are normalised by :mod:`pressctl.contacts.emails` (domain lower-cased, local
part kept as written), as the book stores them. Message-IDs keep their text and get
their angle brackets: ``abc@x`` and ``<abc@x>`` are the same id.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import email.utils
import html
import re
import unicodedata
from datetime import UTC, datetime
from email.message import EmailMessage, Message

from pressctl.contacts.emails import clean_email_field
from pressctl.errors import InvalidEmail

# What Python's header parser is known to raise on headers it cannot read (a registered
# defect is the rule, these are the exceptions that escape it).
_PARSER_ERRORS = (email.errors.MessageError, ValueError, LookupError, TypeError,
                  AttributeError, AssertionError)

_ID_IN_BRACKETS = re.compile(r"<([^<>\s]+)>")
_BARE_ID = re.compile(r"[^<>\s@]+@[^<>\s@]+")
_TAGS_AS_BREAKS = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h\d)\b[^>]*>", re.IGNORECASE)
_INVISIBLE_BLOCKS = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# "Re:", "AW:", "Fwd:", "TR:" ... as mail programs in many languages prefix subjects,
# with Outlook's "[2]" counters and "[EXTERNAL]"-style tags that gateways add.
_SUBJECT_PREFIXES = re.compile(
    r"^(?:\s*(?:\[[^\]]{1,20}\]|(?:re|aw|sv|vs|antw|wg|fw|fwd|tr|rif|r|rv|res|enc|odp|ref)"
    r"\s*(?:\[\d+\])?\s*:))+\s*")


def parse_message(raw: bytes) -> EmailMessage:
    """The message, parsed with the standard library's modern policy."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # policy.default's message factory
    return message


def header(message: Message, name: str) -> str:
    """The decoded text of the first ``name`` header, unfolded; "" when there is none."""
    values = headers(message, name)
    return values[0] if values else ""


def headers(message: Message, name: str) -> list[str]:
    """The decoded, unfolded text of every ``name`` header, in order."""
    try:
        found = message.get_all(name) or []
        values = [str(value) for value in found]
    except _PARSER_ERRORS:
        values = [value for key, value in message.raw_items() if key.lower() == name.lower()]
    return [" ".join(value.split()) for value in values]


def addresses(text: str) -> list[str]:
    """Every readable address of a header's text (``Name <a@b>, c@d``), normalised."""
    try:
        pairs = email.utils.getaddresses([text])
    except _PARSER_ERRORS:
        return []
    found: list[str] = []
    for _, address in pairs:
        normalised = normalised_address(address)
        if normalised is not None and normalised not in found:
            found.append(normalised)
    return found


def normalised_address(text: str) -> str | None:
    """One address as the book stores it, or None when ``text`` is not exactly one."""
    if not text.strip() or "@" not in text:
        return None
    try:
        cleaned = clean_email_field(text)
    except InvalidEmail:
        return None
    return cleaned[0].normalized if len(cleaned) == 1 else None


def local_parts(text: str) -> list[str]:
    """The local parts of a header's addresses, case-folded, valid or not (``MAILER-DAEMON``
    with no domain at all is how some servers sign)."""
    try:
        pairs = email.utils.getaddresses([text])
    except _PARSER_ERRORS:
        return []
    return [address.rpartition("@")[0].casefold() if "@" in address else address.casefold()
            for _, address in pairs if address]


def message_id(text: str) -> str | None:
    """The Message-ID in a header's text, in angle brackets; None when there is none."""
    found = message_ids(text)
    return found[0] if found else None


def message_ids(text: str) -> tuple[str, ...]:
    """Every Message-ID of an In-Reply-To or References header, in order, each once.
    Ids without their brackets (some programs drop them) are read too."""
    inner = _ID_IN_BRACKETS.findall(text) or _BARE_ID.findall(text)
    return tuple(dict.fromkeys(f"<{token}>" for token in inner if "@" in token))


def parse_date(text: str) -> datetime | None:
    """A Date header as an aware datetime in UTC; None when absent or unreadable.
    ``-0000`` (UTC, zone unknown: RFC 5322 3.3) and a missing zone are read as UTC."""
    if not text.strip():
        return None
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def plain(text: str) -> str:
    """``text`` case-folded, accents dropped and spaces collapsed: for matching words
    ("Réponse automatique" -> "reponse automatique")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def bare_subject(subject: str) -> str:
    """The subject in :func:`plain` form without its reply and forward prefixes."""
    return _SUBJECT_PREFIXES.sub("", plain(subject))


def prose(message: Message) -> str:
    """The human-readable text of a message: its text/plain parts joined (the text of
    its HTML parts when it has no plain text), never the text of a message it carries
    (a returned original is not the report's prose)."""
    plain_parts: list[str] = []
    html_parts: list[str] = []
    _collect_text(message, plain_parts, html_parts)
    if plain_parts:
        return "\n".join(plain_parts)
    return "\n".join(_html_to_text(part) for part in html_parts)


def _collect_text(part: Message, plain_parts: list[str], html_parts: list[str]) -> None:
    if part.is_multipart():
        if part.get_content_maintype() == "message":
            return  # an attached message (message/rfc822...): someone else's text
        payload = part.get_payload()
        for sub in payload if isinstance(payload, list) else []:
            if isinstance(sub, Message):
                _collect_text(sub, plain_parts, html_parts)
        return
    kind = part.get_content_type()
    if kind == "text/plain":
        plain_parts.append(part_text(part))
    elif kind == "text/html":
        html_parts.append(part_text(part))


def part_text(part: Message) -> str:
    """A leaf part's text, decoded from its transfer encoding and charset; an unknown
    or wrong charset is read as UTF-8 with replacement characters rather than raise."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def _html_to_text(markup: str) -> str:
    markup = _INVISIBLE_BLOCKS.sub(" ", markup)
    markup = _TAGS_AS_BREAKS.sub("\n", markup)
    return html.unescape(_TAG.sub(" ", markup))
