"""What `pressctl smtp test` shows: connect, EHLO, TLS, AUTH and, if asked, one small test
message, over an SmtpTransport (smtp.py)."""

from __future__ import annotations

from collections.abc import Mapping

from pressctl.config import SmtpSettings
from pressctl.delivery.transport.base import Outcome, _envelope, _Failure
from pressctl.delivery.transport.smtp import SmtpTransport
from pressctl.errors import ConfigError
from pressctl.outbox.states import SendStatus
from pressctl.releases.headers import header_address


def check_smtp(settings: SmtpSettings, env: Mapping[str, str], *, send_to: str | None = None,
               sender: str | None = None) -> list[str]:
    """What `pressctl smtp test` shows: connect, EHLO, TLS, AUTH and, with ``send_to``, one
    small test message (from ``sender``, else the username when it is an address).
    Returns human lines; any failure is a one-line ConfigError."""
    transport = SmtpTransport(settings, env)
    lines: list[str] = []
    try:
        try:
            conn = transport._conn = transport._open(lines)
        except _Failure as failure:
            raise ConfigError(failure.outcome.reply, hint="check host, port and security") from None
        lines.append("SMTPUTF8 (non-ASCII before the @): "
                     + ("supported" if conn.has_extn("smtputf8") else "not supported"))
        if send_to:
            user = settings.username or ""
            sender = sender or (user if "@" in user else None)
            if not sender:
                raise ConfigError("the test message needs a sender address")
            mail_from, rcpt_to = _envelope(sender, send_to)
            if isinstance(rcpt_to, Outcome):
                raise ConfigError(rcpt_to.reply)
            outcome = transport.send(sender, send_to, _test_message(mail_from, rcpt_to))
            said = f"{outcome.code} {outcome.reply}" if outcome.code else outcome.reply
            if outcome.status != SendStatus.SENT:
                raise ConfigError(f"the test message to {send_to} was not accepted "
                                  f"({outcome.status}): {said}")
            lines.append(f"test message to {send_to}: {said}")
    finally:
        transport.close()
    return lines


def _test_message(sender: str, recipient: str) -> bytes:
    from email.utils import formatdate, make_msgid

    domain = header_address("x@" + sender.rpartition("@")[2])[2:]  # IDNA
    return "\r\n".join([
        f"From: {sender}", f"To: {recipient}", "Subject: pressctl SMTP test",
        f"Date: {formatdate(usegmt=True)}", f"Message-ID: {make_msgid('smtptest', domain)}",
        "MIME-Version: 1.0", 'Content-Type: text/plain; charset="us-ascii"', "",
        "This message was sent by `pressctl smtp test`. You can delete it.", "",
    ]).encode("utf-8")
