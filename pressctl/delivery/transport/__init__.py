"""Delivering bytes: SMTP (smtp.py, the only smtplib user; smtp_check.py for `pressctl smtp
test`), a Maildir or .eml folder (maildir.py), a recorder (recorder.py); base.py holds what
they share.

Each transport has ``send(sender, recipient, data, commit=...) -> Outcome`` (one message,
one recipient, CRLF ``data`` from pressctl.releases.messages), ``interrupt()`` and ``close()``, and
is a context manager.

* ``Outcome.status`` is a SendStatus (pressctl.outbox.states, the one list of them).
  "sent" only after the server's 2xx to the end of DATA; "transient" (4xx after MAIL FROM,
  a connection dropped during the transaction) may be retried; "permanent" (5xx) not;
  "unknown": the whole message went out but no reply to the end of DATA came back, it may
  have been delivered: never resend it automatically. Two outcomes mean the message was
  never offered, so no attempt is charged: "unreachable" (no usable connection: refused,
  DNS, timeout, TLS handshake, a 4xx greeting) and "interrupted" (:meth:`interrupt` came
  before the final dot). ``code`` is None when no reply explains it.
* ``commit()`` is called when everything but the final dot has gone out and been
  accepted: the caller records there that the message is about to be complete (see
  pressctl.delivery.inflight). After :meth:`interrupt` no commit happens: the connection is
  dropped instead, and the server discards the unfinished message.
* What would fail every message raises ConfigError (exit 4): bad settings, no password,
  refused login, untrusted certificate, no STARTTLS while a password would go unencrypted
  to a remote host, 530 to MAIL FROM.
* SmtpTransport reuses its connection and reconnects once when a reused one proves dead
  at MAIL FROM (closed, or 421). One transport per thread.
* "starttls" upgrades when offered and logs in without it only on loopback ("localhost" or
  a loopback IP, never resolved); "tls" is implicit TLS (465); "plain" is loopback-only.
  Certificates and names are checked against the system CAs plus ``ca_file``.
* The password: ``env[password_env]``, else the first stdout line of ``password_command``
  (no shell, stdin closed, new session so it cannot prompt, ``env`` as its environment).
  Never in a repr or an error; server replies are scrubbed of it. Of a failing command only
  the exit status is told: its output, stderr included, may hold the secret.
* Envelope addresses go through headers.header_address (IDNA); SMTPUTF8 only for a
  non-ASCII local part; bare CR/LF become CRLF. smtplib's putcmd/getreply/send replace
  sendmail() to tell a drop while sending (transient) from one after (unknown). smtplib,
  ssl and subprocess are imported when first needed (start-up time).
* FileTransport adds Return-Path and Delivered-To (as a delivery agent does) and writes
  Maildir (LF, tmp/ then new/) or .eml (CRLF) files, 0600 in 0700 folders it creates,
  created exclusively and hard-linked into place: never overwritten, even by a frozen clock.
"""

from pressctl.delivery.transport.base import INTERRUPTED, Outcome, Transport, TransportFactory
from pressctl.delivery.transport.maildir import FileTransport
from pressctl.delivery.transport.recorder import RecordingTransport
from pressctl.delivery.transport.smtp import SmtpTransport, resolve_password
from pressctl.delivery.transport.smtp_check import check_smtp

__all__ = ["INTERRUPTED", "FileTransport", "Outcome", "RecordingTransport", "SmtpTransport",
           "Transport", "TransportFactory", "check_smtp", "resolve_password"]
