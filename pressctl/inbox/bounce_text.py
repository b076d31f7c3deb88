"""Bounces written as prose, for people: what the failed addresses and the reasons are.

Many servers still report a failure without the machine-readable part of RFC 3464:
Exim ("Mail delivery failed: returning message to sender", "This message was created
automatically by mail delivery software"), qmail ("failure notice", "I'm afraid I wasn't
able to deliver your message"), Exchange ("Undeliverable:", "Remote Server returned
'550 5.1.1 ...'"), Gmail ("Address not found", or "Delivery to the following recipient
failed permanently" in its older form) and Postfix's own text part ("<addr>: host ...
said: 550 5.1.1 ..."). They share a shape, which is what is read here rather than one
template per server (templates change with every version and language):

* the report comes first; the returned message, after a marker line ("------ This is a
  copy of the message", "--- Below this line is a copy of the message", "Original
  message headers:"...), is cut off so that its addresses are never taken for failures;
* each failed address is named in the report, and the reason follows it: the text from
  the line of an address's last mention to the next address's is that address's block,
  and the first enhanced status code in it (RFC 3463 ``5.1.1``, qmail's ``#5.1.1``) is
  its status; failing that a plain SMTP reply code (``550``) gives the class;
* the addresses of the bounce's own envelope and headers (the press office), of the
  daemons (MAILER-DAEMON, postmaster) and VERP addresses are never failed recipients.

A failure with no code at all is HARD only when the report says the error is permanent
("This is a permanent error", "failed permanently"), otherwise SOFT: an address is only
marked bouncing at once on clear evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pressctl.contacts.emails import email_key
from pressctl.inbox.headers import message_id, normalised_address, plain
from pressctl.inbox.verp import verp_token

DAEMONS = frozenset({"mailer-daemon", "mailerdaemon", "mail-daemon", "postmaster"})

# Subjects of failure reports, in plain form, matched at the start (no Re:/Fwd: prefix:
# a person forwarding a bounce to us is not a bounce).
_FAILURE_SUBJECTS = re.compile(
    r"^(?:undelivered mail|undeliverable|undelivered|mail delivery failed|"
    r"delivery status notification \(failure\)|failure notice|returned mail|"
    r"mail delivery failure|delivery failure|message not delivered|delivery has failed|"
    r"mail system error|non remis|non distribuable|unzustellbar|nicht zustellbar|"
    r"no se puede entregar|non recapitabile|onbestelbaar|impossible de remettre)")
_DELAY_SUBJECTS = re.compile(
    r"^(?:delayed mail|delivery status notification \(delay\)|delivery delayed|"
    r"warning: message .* delayed|message delayed|remise differee|zustellung verzogert)")
# Sentences of the reports' prose, in plain form.
_FAILURE_WORDS = (
    "this message was created automatically by mail delivery software",
    "i'm afraid i wasn't able to deliver", "i'm sorry to have to inform you",
    "delivery has failed to these recipients", "remote server returned",
    "address not found", "failed permanently", "your message wasn't delivered",
    "your message couldn't be delivered", "could not be delivered to one or more",
    "the following address(es) failed", "permanent fatal errors",
)
_DELAY_WORDS = (
    "this is a warning only", "has not yet been delivered", "still being retried",
    "delivery to the following recipients has been delayed",
    "delivery to the following recipient has been delayed", "will continue to try",
    "will keep trying", "will retry",
)
_PERMANENT = re.compile(r"\bpermanent(?:ly)?\b")

# Where the returned message (or its headers) starts in a prose bounce.
_COPY_MARKERS = re.compile(
    r"^[ \t]*(?:-{2,}[ \t]*(?:this is a copy of|below this line is a copy|original message|"
    r"the header of the original message|forwarded message|returned message)|"
    r"original message headers:|-{3,}[ \t]*original[ \t]+message)",
    re.IGNORECASE | re.MULTILINE)
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ENHANCED = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.:])([45])\d\d(?![\d.])")
_QUOTED_REPLY = re.compile(r"remote server returned\s*'(.*)'", re.IGNORECASE)
_ORIGINAL_ID = re.compile(r"^message-id:[ \t]*(?:\r?\n[ \t]+)?(\S.*)$",
                          re.IGNORECASE | re.MULTILINE)
_ORIGINAL_RETURN_PATH = re.compile(r"^return-path:[ \t]*(\S.*)$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class ProseFailure:
    """One failed address as a prose bounce names it."""

    address: str
    status_code: str | None  # "5.1.1"; None when the block has no enhanced code
    permanent: bool  # a 5 class, or no code but the report says "permanent"
    diagnostic: str


def is_failure_subject(subject: str) -> bool:
    """Whether a subject is a failure report's ("Undelivered Mail Returned to Sender")."""
    return bool(_FAILURE_SUBJECTS.match(plain(subject)))


def is_failure_report(subject: str, text: str) -> bool:
    """Whether a message's subject or prose reads like a failure report."""
    words = plain(text)
    return is_failure_subject(subject) or any(w in words for w in _FAILURE_WORDS)


def is_delay_warning(subject: str, text: str) -> bool:
    """Whether a message's subject or prose says delivery is only late, still tried."""
    words = plain(text)
    return bool(_DELAY_SUBJECTS.match(plain(subject))) or any(w in words for w in _DELAY_WORDS)


def failures(text: str, *, ours: frozenset[str]) -> list[ProseFailure]:
    """The failed addresses a prose report names, each once, in the order of the report;
    ``ours`` holds the email keys of addresses that cannot have failed (the press
    office's own, as the bounce and the returned message name them)."""
    report = report_part(text)
    mentions: dict[str, tuple[str, int]] = {}  # key -> (address, offset of its last mention)
    for found in _ADDRESS.finditer(report):
        address = normalised_address(found.group().rstrip("."))
        if address is None or _not_a_recipient(address, ours):
            continue
        mentions[email_key(address)] = (address, found.start())
    ordered = sorted(mentions.values(), key=lambda item: item[1])
    permanent_report = bool(_PERMANENT.search(plain(report)))
    result = []
    for index, (address, offset) in enumerate(ordered):
        start = report.rfind("\n", 0, offset) + 1
        end = len(report)
        if index + 1 < len(ordered):
            end = report.rfind("\n", 0, ordered[index + 1][1]) + 1
        block = report[start:max(end, offset)]
        result.append(_read_block(address, block, permanent_report))
    return result


def report_part(text: str) -> str:
    """The report without the returned message that follows it."""
    marker = _COPY_MARKERS.search(text)
    return text[:marker.start()] if marker else text


def returned_part(text: str) -> str:
    """The returned message (or its headers) that a prose report quotes; "" when none."""
    marker = _COPY_MARKERS.search(text)
    return text[marker.end():] if marker else ""


def quoted_message_id(text: str) -> str | None:
    """The Message-ID of the original as the prose quotes it after the copy marker."""
    found = _ORIGINAL_ID.search(returned_part(text))
    return message_id(found.group(1)) if found else None


def quoted_return_path(text: str) -> str:
    """The Return-Path of the original as the prose quotes it; "" when it does not."""
    found = _ORIGINAL_RETURN_PATH.search(returned_part(text))
    return found.group(1).strip() if found else ""


def _not_a_recipient(address: str, ours: frozenset[str]) -> bool:
    local = address.rpartition("@")[0].casefold()
    return local in DAEMONS or email_key(address) in ours or verp_token(address) is not None


def _read_block(address: str, block: str, permanent_report: bool) -> ProseFailure:
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    for line in lines:
        code = _ENHANCED.search(line)
        if code:
            return ProseFailure(address, code.group(0), code.group(1) == "5", _diagnostic(line))
    for line in lines:
        reply = _REPLY_CODE.search(line)
        if reply:
            return ProseFailure(address, None, reply.group(1) == "5", _diagnostic(line))
    # No code: the first line that says more than the address itself.
    bare = {address.casefold(), f"<{address.casefold()}>", f"<{address.casefold()}>:"}
    said = next((line for line in lines if line.casefold() not in bare), "")
    return ProseFailure(address, None, permanent_report, _diagnostic(said))


def _diagnostic(line: str) -> str:
    quoted = _QUOTED_REPLY.search(line)
    return " ".join((quoted.group(1) if quoted else line).split())
