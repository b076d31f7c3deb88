"""Mail that a program wrote, not a person: out-of-office replies and their kin.

An out-of-office reply must never cost a journalist their releases, nor be listed as a
reply to follow up. It is recognised by the headers RFC 3834 and the mail programs set
(``Auto-Submitted: auto-replied``, ``X-Autoreply``, ``X-Autorespond``, ``Precedence:
auto_reply``) or, since Outlook and many webmails set none of them, by its subject in
the languages a press office meets ("Automatic reply", "Réponse automatique",
"Abwesenheitsnotiz", "Respuesta automática"...), matched at the start after any
"Re:"/"AW:" prefix, accents and case ignored.

Other machine-made mail (``Auto-Submitted: auto-generated`` or ``auto-notified``, a null
Return-Path, ``Precedence: bulk``/``junk``/``list``, a report that is not about
delivery) is no person's reply either: it is counted with the automatic replies under
its own :class:`Automatic` reason.
"""

from __future__ import annotations

import re
from email.message import Message
from enum import StrEnum

from pressctl.inbox.headers import bare_subject, header


class Automatic(StrEnum):
    """Why a message counts as automatic (kind AUTO_REPLY): counted, then ignored."""

    OUT_OF_OFFICE = "out-of-office"  # an absence or other automatic reply (RFC 3834)
    DELAY_WARNING = "delay-warning"  # "still trying to deliver": not a bounce (see dsn)
    READ_RECEIPT = "read-receipt"  # an MDN (RFC 8098): opened, not answered
    DELIVERY_REPORT = "delivery-report"  # a DSN of success (delivered, relayed)
    AUTO_GENERATED = "auto-generated"  # any other machine-made message


# Starts of automatic-reply subjects, in plain form (see headers.plain).
_ABSENCE_SUBJECT = re.compile(
    r"^(?:"
    # English
    r"out of (?:the )?office|ooo\b|automatic reply|auto[- ]?reply|auto[- ]?response|"
    r"autoresponder|vacation (?:reply|notice|message|response)|away from (?:the |my )?office|"
    r"on (?:annual )?leave|absence notice|"
    # French
    r"reponse automatique|absente? du bureau|absence du bureau|message d'absence|"
    r"avis d'absence|absente? jusqu|en conges?\b|"
    # German
    r"abwesenheitsnotiz|abwesenheitsnachricht|abwesenheit|automatische antwort|"
    r"ich bin (?:nicht im buro|abwesend)|"
    # Spanish, Italian, Portuguese
    r"respuesta automatica|fuera de (?:la )?oficina|ausente|fuori (?:sede|ufficio)|"
    r"risposta automatica|assente|resposta automatica|fora do escritorio|"
    # Dutch, Scandinavian, Polish
    r"automatisch antwoord|afwezig|niet aanwezig|afwezigheidsmelding|autosvar|franvaro|"
    r"fravaer|poza biurem|odpowiedz automatyczna|automatyczna odpowiedz)")


def is_out_of_office(message: Message) -> bool:
    """An absence notice or other automatic reply to a message we sent."""
    auto_submitted = _first_word(header(message, "Auto-Submitted"))
    precedence = _first_word(header(message, "Precedence"))
    return (auto_submitted == "auto-replied" or precedence == "auto_reply"
            or "X-Autoreply" in message or "X-Autorespond" in message
            or bool(_ABSENCE_SUBJECT.match(bare_subject(header(message, "Subject")))))


def is_read_receipt(message: Message) -> bool:
    """A message disposition notification (RFC 8098): a read receipt, never a bounce."""
    return message.get_content_type() == "multipart/report" and \
        _report_type(message) == "disposition-notification"


def is_machine_made(message: Message) -> bool:
    """Written by a program: Auto-Submitted other than "no", a null Return-Path (the
    sender of notifications, RFC 5321 4.5.5), bulk precedence, or any report."""
    auto_submitted = _first_word(header(message, "Auto-Submitted"))
    return (auto_submitted not in ("", "no")
            or header(message, "Return-Path").replace(" ", "") == "<>"
            or _first_word(header(message, "Precedence")) in ("bulk", "junk", "list")
            or message.get_content_type() == "multipart/report")


def _first_word(value: str) -> str:
    return (value.split(";")[0].split() or [""])[0].lower()


def _report_type(message: Message) -> str:
    kind = message.get_param("report-type")
    return kind.strip().lower() if isinstance(kind, str) else ""
