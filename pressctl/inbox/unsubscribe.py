"""Requests to be taken off the list, as people and mail programs write them.

Every message pressctl sends names a mailto in List-Unsubscribe with the subject
"unsubscribe"; mail programs send exactly that, people write it in their own language.
A message is a request when its subject, after any "Re:"/"Fwd:" prefix and with accents
and case ignored, starts with one of the words below, or when it was sent to one of the
unsubscribe addresses the caller names (To, Cc, or the envelope recipient the receiving
server recorded in Delivered-To or X-Original-To).
"""

from __future__ import annotations

import re
from email.message import Message

from pressctl.contacts.emails import email_key
from pressctl.inbox.headers import addresses, bare_subject, header, headers

_REQUEST_SUBJECT = re.compile(
    r"^(?:"
    r"unsubscribe|unsubscription|remove me|please remove|opt[- ]?out|"  # English
    r"desinscription|desinscrire|desinscrivez|se desabonner|me desabonner|desabonnement|"
    r"desabonner|"  # French
    r"abmelden|abbestellen|austragen|abmeldung|"  # German
    r"cancelar (?:la )?suscripcion|darse de baja|dar de baja|baja\b|"  # Spanish
    r"annulla(?:re)? (?:l'|la )?iscrizione|disiscrizione|cancellami|"  # Italian
    r"cancelar (?:a )?inscricao|descadastrar|"  # Portuguese
    r"uitschrijven|afmelden"  # Dutch
    r")\b")
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def is_unsubscribe_request(message: Message, unsubscribe_addresses: frozenset[str]) -> bool:
    """Whether ``message`` asks to be taken off the list (by subject or by address)."""
    if _REQUEST_SUBJECT.match(bare_subject(header(message, "Subject"))):
        return True
    if not unsubscribe_addresses:
        return False
    wanted = {email_key(a) for a in unsubscribe_addresses}
    return any(email_key(address) in wanted
               for name in _RECIPIENT_HEADERS for text in headers(message, name)
               for address in addresses(text))
