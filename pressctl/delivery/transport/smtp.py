"""SMTP: the only smtplib user. See pressctl.delivery.transport for the contract."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from pressctl.config import TLS_HINT as _TLS_HINT
from pressctl.config import Security, SmtpSettings
from pressctl.delivery.transport.base import (
    INTERRUPTED,
    Commit,
    Following,
    LastMark,
    Outcome,
    Wire,
    _Closing,
    _envelope,
    _Failure,
    _wire,
)
from pressctl.errors import ConfigError
from pressctl.outbox.states import SendStatus
from pressctl.releases.headers import header_address, needs_smtputf8

if TYPE_CHECKING:  # imported when first needed: start-up time
    import smtplib
    import ssl

# BlockingIOError: a plain connection's kernel timeout ran out on a write (_kernel_timeouts)
_REASONS = (((TimeoutError, BlockingIOError), "timed out"),
            (ConnectionRefusedError, "connection refused"),
            (ConnectionResetError, "connection reset"),
            ((BrokenPipeError, ConnectionAbortedError), "connection closed by the server"))


# -- settings and password ----------------------------------------------------------------


def resolve_password(settings: SmtpSettings, env: Mapping[str, str]) -> str | None:
    """The SMTP password from ``env[password_env]`` or, when that variable is unset or
    empty, from ``password_command``; None when neither is configured. Never prompts
    (pressctl.secrets, shared with the database's password)."""
    from pressctl.secrets import secret_from  # here: a Maildir run never loads it

    return secret_from(settings.password_env, settings.password_command, env,
                       settings.timeout, "the SMTP password")


def _tls_context(s: SmtpSettings) -> ssl.SSLContext:
    import ssl

    context = ssl.create_default_context()  # system CAs, CERT_REQUIRED, check_hostname
    if not s.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif s.ca_file:
        try:
            context.load_verify_locations(cafile=s.ca_file)
        except FileNotFoundError:
            raise ConfigError(f"smtp ca_file {s.ca_file}: no such file") from None
        except (OSError, ssl.SSLError) as err:
            reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or err
            raise ConfigError(f"smtp ca_file {s.ca_file}: not usable as PEM CA certificates "
                              f"({reason})") from None
    return context


def _reason(err: BaseException) -> str:
    import smtplib
    import socket
    import ssl

    if isinstance(err, smtplib.SMTPServerDisconnected):
        inner = err.__context__  # smtplib raises it while handling the socket's error
        if isinstance(inner, OSError) and not isinstance(inner, smtplib.SMTPException):
            return _reason(inner)
        return "connection closed by the server"
    for kind, reason in _REASONS:
        if isinstance(err, kind):
            return reason
    if isinstance(err, socket.gaierror):
        return f"cannot resolve the host name ({err.strerror})"
    if isinstance(err, ssl.SSLError):
        return f"TLS error ({err.reason or err})"
    return getattr(err, "strerror", None) or str(err) or type(err).__name__


class _Ahead(NamedTuple):
    """The envelope of a connection's next message, sent with the final dot of the one
    before it (RFC 2920: a message's data may start a pipelined group)."""

    sender: str  # as the caller gave them
    recipient: str
    mail_from: str  # as they went out
    rcpt_to: str
    wire: Wire


class SmtpTransport(_Closing):
    """Delivers over one reused SMTP connection. Construction checks the settings and reads
    the password (ConfigError); the first :meth:`send` connects.

    ``send`` also takes a message in wire form (a Wire) and a ``following`` callable:
    when the relay offers PIPELINING, the next message's MAIL, RCPT and DATA go out with
    this one's final dot, so that each message costs one round trip instead of two. The
    dot's reply is still read before send() returns, and the next message's data only
    goes out in the next send(): a connection never has more than one final dot
    unanswered."""

    takes_wire = True

    def __init__(self, settings: SmtpSettings, env: Mapping[str, str]) -> None:
        settings.check()
        self.settings = settings
        self._password = resolve_password(settings, env) if settings.username else None
        self._context = None if settings.security == Security.PLAIN else _tls_context(settings)
        self._conn: smtplib.SMTP | None = None
        self._where = settings.where
        # interrupt() comes from another thread (a signal handler): it and the commit of a
        # message take this lock, so a message is either committed or abandoned, never both.
        self._lock = threading.Lock()
        self._stopping = False
        self._committed = False
        self._opening: smtplib.SMTP | None = None  # a connection _open() is setting up
        self._ahead: _Ahead | None = None  # an envelope sent ahead, its replies unread
        self._extensions: _Extensions | None = None  # those of the connection they name
        self._senders: dict[str, str] = {}  # envelope senders as they go out (ASCII)
        self._last_sent: tuple[bytes, Outcome] | None = None  # the last "sent" reply

    def __repr__(self) -> str:
        s = self.settings
        user = f", username={s.username!r}" if s.username else ""
        state = "connected" if self._conn is not None else "not connected"
        return f"<SmtpTransport {self._where} {s.security}{user}, {state}>"

    def send(self, sender: str, recipient: str, data: bytes | Wire, *, crlf: bool = False,
             commit: Commit | None = None, following: Following | None = None,
             meanwhile: Callable[[], None] | None = None) -> Outcome:
        ahead, self._ahead = self._ahead, None
        if (ahead is not None and ahead.wire is data and ahead.sender == sender
                and ahead.recipient == recipient):
            # The steady state: its envelope went out with the previous final dot, checked
            # there (_next_envelope sends none that needs SMTPUTF8).
            sent_ahead, utf8 = True, False
            mail_from, rcpt_to = ahead.mail_from, ahead.rcpt_to
        else:
            sent_ahead = False
            if ahead is not None:
                self._discard()  # the envelope that went out was another message's
            mail_from, envelope_to = _envelope(sender, recipient)
            if isinstance(envelope_to, Outcome):
                return envelope_to
            rcpt_to = envelope_to
            utf8 = needs_smtputf8(mail_from) or needs_smtputf8(rcpt_to)
        with self._lock:
            if self._stopping:
                return INTERRUPTED
            self._committed = False
        # all but the final dot, which goes on its own after the commit
        payload = data.body if isinstance(data, Wire) else _wire(data, crlf)[:-3]
        for _attempt in range(2):
            reused = self._conn is not None
            if not reused:
                sent_ahead = False
                try:
                    self._conn = self._open()
                except _Failure as failure:
                    return INTERRUPTED if self._stopping else failure.outcome
                _kernel_timeouts(self._conn, self.settings.timeout)
            outcome, dead_before_mail = self._transaction(mail_from, rcpt_to, payload, utf8,
                                                          commit, following, sent_ahead,
                                                          meanwhile)
            sent_ahead = False
            if not (dead_before_mail and reused) or self._stopping:
                break
        return outcome

    def interrupt(self) -> None:
        """Stop, from any thread: no new message; one whose final dot has not gone out is
        abandoned at once (its socket is shut down, so a blocked read returns and the
        server discards the unfinished message); one whose final dot went out still gets
        its reply read."""
        with self._lock:
            self._stopping = True
            conn = self._conn or self._opening
            if conn is not None and not self._committed and conn.sock is not None:
                # not connected (any more): nothing is waiting on it
                with contextlib.suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """QUIT (not after interrupt(): a stop must not wait for one more reply); errors
        are ignored, the connection is going away either way."""
        import smtplib

        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                if self._stopping or self._ahead is not None:  # QUIT would be message data
                    conn.close()
                else:
                    conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def _commit(self, commit: Commit | None) -> bool | LastMark:
        """Whether the final dot may go: False once interrupt() has come; the commit's
        mark, when it gave one, to set just before the dot."""
        with self._lock:
            if self._stopping:
                return False
            committed = commit() if commit is not None else True
            if committed is False:
                return False
            self._committed = True
            return True if committed is None else committed

    def _open(self, notes: list[str] | None = None) -> smtplib.SMTP:
        """Connect, EHLO, TLS, AUTH. ``notes`` collects what check_smtp shows."""
        import smtplib

        s, where = self.settings, self._where
        note = notes.append if notes is not None else (lambda line: None)
        conn: smtplib.SMTP | None = None
        try:  # the host goes to the constructor: smtplib checks the certificate against it
            if s.security == Security.TLS:
                conn = smtplib.SMTP_SSL(s.host, s.port, local_hostname=s.helo_name,
                                        timeout=s.timeout, context=self._context)
                note(self._tls_note(conn, f"connected to {where}, implicit TLS"))
            else:
                conn = smtplib.SMTP(s.host, s.port, local_hostname=s.helo_name,
                                    timeout=s.timeout)
                note(f"connected to {where}")
            # Commands and message data go out at once, not held back by Nagle's
            # algorithm waiting for the relay's delayed ACK (up to 40 ms a message).
            if conn.sock is not None:  # set by the constructor, which connects
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._opening = conn  # interrupt() can now cut EHLO, STARTTLS or AUTH short
                if self._stopping:
                    raise ConnectionAbortedError("stopped")
            conn.ehlo_or_helo_if_needed()
            if s.security == Security.STARTTLS and conn.has_extn("starttls"):
                conn.starttls(context=self._context)
                conn.ehlo_or_helo_if_needed()
                note(self._tls_note(conn, "STARTTLS"))
            elif s.security == Security.STARTTLS and s.username and not s.cleartext_allowed:
                raise ConfigError(
                    f"{where} does not offer STARTTLS: the password for {s.username!r} "
                    "would travel unencrypted, so pressctl does not log in",
                    hint=f"check host and port ({_TLS_HINT})")
            elif s.security != Security.TLS:
                note("no TLS: this session is not encrypted (loopback host)"
                     if s.security == Security.PLAIN else "STARTTLS not offered: not encrypted")
            greeting = (conn.ehlo_resp or conn.helo_resp or b"").split(b"\n")[0]
            note(f"EHLO {self._text(greeting)}: " + (", ".join(
                sorted(k.upper() for k in conn.esmtp_features)) or "no extensions (HELO)"))
            if s.username:
                self._login(conn)
                note(f"AUTH as {s.username}: accepted")
            return conn
        except ConfigError:
            if conn is not None:
                conn.close()
            raise
        except (smtplib.SMTPException, OSError) as err:
            if conn is not None:
                conn.close()
            problem = self._connect_problem(err)
        finally:
            self._opening = None
        raise problem  # outside the except: no chained context to print

    def _connect_problem(self, err: OSError) -> ConfigError | _Failure:
        """An untrusted certificate is configuration (exit 4); anything else that keeps a
        connection from being usable is an outage: "unreachable", no message offered."""
        import smtplib
        import ssl

        where = self._where
        if isinstance(err, ssl.SSLCertVerificationError):
            return ConfigError(f"{where}: the server's certificate is not trusted "
                               f"({err.verify_message})",
                               hint="set ca_file to the CA that signed it, or fix the server")
        code = None
        if isinstance(err, ssl.SSLError) and not isinstance(
                err, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)):
            cause = f"TLS handshake failed: {err.reason or err}; {_TLS_HINT}"
        elif isinstance(err, smtplib.SMTPResponseException):  # greeting, EHLO or STARTTLS
            code = err.smtp_code if err.smtp_code > 0 else None
            cause = f"{err.smtp_code} {self._text(err.smtp_error)}"
        else:
            cause = _reason(err)
        return _Failure(Outcome(SendStatus.UNREACHABLE, code, f"cannot reach {where} ({cause})"))

    def _login(self, conn: smtplib.SMTP) -> None:
        import smtplib

        s, hint = self.settings, None
        try:
            conn.login(s.username or "", self._password or "")
            return
        except smtplib.SMTPAuthenticationError as err:
            problem = (f"{self._where} refused the login for {s.username!r}: "
                       f"{err.smtp_code} {self._text(err.smtp_error)}")
            hint = f"check the password ({s.password_env or s.password_command})"
        except smtplib.SMTPNotSupportedError:
            problem = f"{self._where} does not offer AUTH on this connection"
            hint = "some servers offer it only over TLS; or drop the username"
        except smtplib.SMTPServerDisconnected:
            raise
        except smtplib.SMTPException as err:
            problem = f"{self._where}: cannot log in as {s.username!r} ({self._text(str(err))})"
        raise ConfigError(problem, hint=hint)

    def _transaction(self, mail_from: str, rcpt_to: str, payload: bytes, utf8: bool,
                     commit: Commit | None = None, following: Following | None = None,
                     sent_ahead: bool = False, meanwhile: Callable[[], None] | None = None
                     ) -> tuple[Outcome, bool]:
        """One MAIL/RCPT/DATA exchange -> (outcome, whether the connection was found dead
        before the server accepted anything: the case worth one reconnection).
        ``sent_ahead``: its envelope went out with the previous final dot: only its
        replies are read. ``meanwhile`` runs once the final dot is out, while the relay
        works on it (it must not raise: its caller keeps what goes wrong)."""
        import smtplib

        conn = self._conn
        assert conn is not None
        extensions = self._extensions_of(conn)
        if not sent_ahead:  # else its options went with the envelope (_next_envelope)
            options = []
            if utf8:
                if not extensions.smtputf8:
                    who = rcpt_to if needs_smtputf8(rcpt_to) else mail_from
                    return Outcome(SendStatus.PERMANENT, None,
                                   f"{self._where} does not support SMTPUTF8, "
                                   f"needed for {who} (non-ASCII before the @)"), False
                options.append("SMTPUTF8")
            options += self._size_options(conn, payload)
        self._stage = "MAIL FROM"
        try:
            if sent_ahead:
                replies = self._envelope_replies(conn)
            elif not utf8 and extensions.pipelining:
                replies = self._pipelined(conn, mail_from, rcpt_to, options)
            else:
                replies = self._stepwise(conn, mail_from, rcpt_to, options)
            mail_code, mail_reply = replies[0]
            if mail_code == 530:
                self._reset()
                raise ConfigError(f"{self._where} requires authentication or TLS first: "
                                  f"{mail_code} {self._text(mail_reply)}",
                                  hint="check username, password and security")
            if not (len(replies) == 3 and 200 <= mail_code < 300
                    and 200 <= replies[1][0] < 300 and replies[2][0] == 354):
                # strict=False: the stepwise envelope stops at the first refusal
                for index, ((code, reply), wanted) in enumerate(zip(replies, _EXPECTED,
                                                                    strict=False)):
                    if code not in wanted:  # a 421 to MAIL: the reused connection was dead
                        return self._refused(code, reply), index == 0 and code == 421
            self._stage = "the message"
            conn.send(payload)  # all but the final dot
            ahead = None
            if following is not None and extensions.pipelining:
                try:  # before the commit: the gap between the mark and the dot stays small
                    ahead = self._next_envelope(conn, following())
                except BaseException:
                    self._discard()  # the server drops a message that never ended
                    raise
            dot, sock = b".\r\n" + ahead[0] if ahead else b".\r\n", conn.sock
            if sock is None:
                raise smtplib.SMTPServerDisconnected("the connection closed")
            write, fd, size = _dot_writer(sock), sock.fileno(), len(dot)
            committed = self._commit(commit)
            if committed is False:
                self._discard()
                return INTERRUPTED, False
            if committed is not True:
                committed.set()  # nothing that lets another thread run from here to the
            sent = write(fd, dot, size, _NOW) if write is not None else 0  # write: _dot_writer
            if sent != size:  # TLS, or what the socket could not take at once
                sock.sendall(dot[max(sent, 0):])
            self._ahead = ahead[1] if ahead else None
            self._stage = "end of DATA"
            if meanwhile is not None:
                meanwhile()
            code, reply = _getreply(conn)
        except (smtplib.SMTPException, OSError) as err:
            self._discard()
            if self._stopping and not self._committed:
                return INTERRUPTED, False
            if self._stage == "end of DATA":
                return Outcome(SendStatus.UNKNOWN, None,
                               f"no reply to end of DATA ({_reason(err)}): "
                               "the message may have been delivered; do not resend it "
                               "automatically"), False
            return (Outcome(SendStatus.TRANSIENT, None, f"{_reason(err)} (at {self._stage})"),
                    self._stage == "MAIL FROM")
        if 200 <= code < 300:
            last = self._last_sent  # a relay that answers alike: one Outcome for all
            if last is None or last[0] != reply or last[1].code != code:
                last = self._last_sent = (reply, Outcome(SendStatus.SENT, code,
                                                         self._text(reply)))
            return last[1], False
        return self._refused(code, reply, reset=False), False

    def _stepwise(self, conn, mail_from: str, rcpt_to: str,
                  options: list[str]) -> list[tuple[int, bytes]]:
        """MAIL, RCPT, DATA one at a time, stopping at the first refusal."""
        replies = [conn.mail(mail_from, options)]
        if 200 <= replies[-1][0] < 300:
            self._stage = "RCPT TO"
            replies.append(conn.rcpt(rcpt_to))
            if 200 <= replies[-1][0] < 300:
                self._stage = "DATA"
                conn.putcmd("data")
                replies.append(conn.getreply())
        return replies

    def _pipelined(self, conn, mail_from: str, rcpt_to: str,
                   options: list[str]) -> list[tuple[int, bytes]]:
        """MAIL, RCPT and DATA in one write, then their three replies (RFC 2920): two
        round trips per message instead of four, with the same outcomes."""
        conn.send(_commands(mail_from, rcpt_to, options))
        return self._envelope_replies(conn)

    def _envelope_replies(self, conn) -> list[tuple[int, bytes]]:
        """The replies to a pipelined MAIL, RCPT and DATA."""
        mail = _getreply(conn)
        self._stage = "RCPT TO"
        rcpt = _getreply(conn)
        self._stage = "DATA"
        data = _getreply(conn)
        if data[0] == 354 and not (200 <= mail[0] < 300 and 200 <= rcpt[0] < 300):
            conn.send(b".\r\n")  # no valid envelope: close the empty message at once
            _getreply(conn)
        return [mail, rcpt, data]

    def _size_options(self, conn, payload: bytes) -> list[str]:
        extensions = self._extensions_of(conn)
        options = []
        if extensions.eightbitmime and not payload.isascii():
            options.append("BODY=8BITMIME")
        if extensions.size:
            options.append(f"SIZE={len(payload) + 3}")  # with the final dot, as before
        return options

    def _extensions_of(self, conn) -> _Extensions:
        """The extensions ``conn`` offers, looked up once per connection."""
        found = self._extensions
        if found is None or found.conn is not conn:
            found = self._extensions = _Extensions(
                conn, conn.has_extn("pipelining"), conn.has_extn("smtputf8"),
                conn.has_extn("8bitmime"), conn.has_extn("size"))
        return found

    def _next_envelope(self, conn, following: tuple[str, str, Wire] | None
                       ) -> tuple[bytes, _Ahead] | None:
        """The commands that start the next message, and what send() will check it by;
        None when it cannot go ahead (no next message, an address send() must refuse or
        that needs SMTPUTF8): it then goes the usual way."""
        if following is None:
            return None
        sender, recipient, wire = following
        mail_from = self._senders.get(sender)
        if mail_from is None:  # a sender not seen lately on this connection
            try:
                mail_from, _ = _envelope(sender, "x@example.org")
            except ConfigError:
                return None
            if needs_smtputf8(mail_from):
                return None
            if len(self._senders) >= SENDERS_KEPT:  # VERP: a sender per message
                self._senders.clear()
            self._senders[sender] = mail_from  # ASCII: it can go ahead
        try:
            rcpt_to = header_address(recipient)
        except ValueError:
            return None  # send() refuses it
        if needs_smtputf8(rcpt_to):
            return None
        return (_commands(mail_from, rcpt_to, self._size_options(conn, wire.body)),
                _Ahead(sender, recipient, mail_from, rcpt_to, wire))

    def _refused(self, code: int, reply: bytes, *, reset: bool = True) -> Outcome:
        if 500 <= code < 600:
            status = SendStatus.PERMANENT
        elif 400 <= code < 500 and code != 421:
            status = SendStatus.TRANSIENT
        else:  # 421: the server is closing; anything else: a confused dialogue
            self._discard()
            return Outcome(SendStatus.TRANSIENT, code if code > 0 else None, self._text(reply))
        if reset:
            self._reset()
        return Outcome(status, code, self._text(reply))

    def _reset(self) -> None:
        import smtplib

        try:
            if self._conn is not None:
                self._conn.rset()
        except (smtplib.SMTPException, OSError):
            self._discard()

    def _discard(self) -> None:
        conn, self._conn, self._ahead = self._conn, None, None
        if conn is not None:
            conn.close()

    def _text(self, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        text = " ".join(text.split())
        return text.replace(self._password, "***") if self._password else text

    def _tls_note(self, conn: smtplib.SMTP, how: str) -> str:
        import ssl

        checked = (f"verified for {self.settings.host}" if self.settings.verify
                   else "NOT verified (verify = false)")
        version = conn.sock.version() if isinstance(conn.sock, ssl.SSLSocket) else None
        return f"{how}: {version}, certificate {checked}"


_EXPECTED = (range(200, 300), range(200, 300), (354,))  # the replies to MAIL, RCPT, DATA
SENDERS_KEPT = 16  # envelope senders a connection remembers as they go out


class _Extensions(NamedTuple):
    """What a connection's EHLO offered, as the transaction asks for it."""

    conn: smtplib.SMTP
    pipelining: bool
    smtputf8: bool
    eightbitmime: bool
    size: bool


def _getreply(conn: smtplib.SMTP) -> tuple[int, bytes]:
    """smtplib's SMTP.getreply, with the same results and errors, without its debug and
    per-call set-up: a message reads four replies."""
    file = conn.file
    if file.__class__ is _Replies:  # the usual case: a one-line reply already read
        buffer = file._buffer
        end = buffer.find(b"\n") + 1
        if 0 < end <= _MAXLINE and conn.debuglevel <= 0:
            line = buffer[:end]
            if line[3:4] != b"-" and line[:3].isdigit():  # else the way below says what
                file._buffer = buffer[end:]
                return int(line[:3]), line[4:].strip(b" \t\r\n")
    if file is None or conn.debuglevel > 0:
        return conn.getreply()
    lines = []
    while True:
        try:
            line = file.readline(_MAXLINE + 1)
        except OSError as err:
            import smtplib

            conn.close()  # raised as smtplib does: _reason() reads the OSError it chains
            raise smtplib.SMTPServerDisconnected(  # noqa: B904
                "Connection unexpectedly closed: " + str(err))
        if not line or len(line) > _MAXLINE:
            import smtplib

            conn.close()
            if not line:
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            raise smtplib.SMTPResponseException(500, "Line too long.")
        lines.append(line[4:].strip(b" \t\r\n"))
        try:
            code = int(line[:3])
        except ValueError:
            return -1, b"\n".join(lines)
        if line[3:4] != b"-":
            return code, (lines[0] if len(lines) == 1 else b"\n".join(lines))


_MAXLINE = 8192  # smtplib's

# send(2) flags for a final dot: never block (the call holds the interpreter's lock), and
# a closed connection is an error, not a signal.
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)  # 0 where the system has no such flag
_NOW = _DONTWAIT | getattr(socket, "MSG_NOSIGNAL", 0)
_raw_send: Any = None  # see _dot_writer: libc's send, False where it cannot be loaded


def _dot_writer(sock: socket.socket) -> Callable[[int, bytes, int, int], int] | None:
    """How a final dot goes out right after its in-flight mark: libc's send(2) through
    ctypes.PyDLL, which keeps the interpreter's lock during the call. socket.sendall gives
    the lock up before its system call, and a thread giving it up while another asks for
    it waits until that one has it: a kill in that wait would find the row marked in
    flight and its dot not sent. Called with MSG_DONTWAIT it never blocks; the transport
    sends what it could not take at once with sendall. None for a TLS socket (the SSL
    layer writes), or where it cannot be loaded."""
    global _raw_send
    if type(sock) is not socket.socket or not _DONTWAIT:
        return None
    if _raw_send is None:
        try:
            import ctypes

            send = ctypes.PyDLL(None, use_errno=True).send
            send.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int)
            send.restype = ctypes.c_ssize_t
            _raw_send = send
        except (ImportError, OSError, AttributeError):
            _raw_send = False
    return cast("Callable[[int, bytes, int, int], int]", _raw_send) if _raw_send else None


def _kernel_timeouts(conn: smtplib.SMTP, timeout: float) -> None:
    """A plain (not TLS) connection, once open: its socket blocks, with the kernel's own
    timeouts on each read and write (SO_RCVTIMEO, SO_SNDTIMEO), and its replies are read
    by a :class:`_Replies` over it. Python's socket timeout waits in a ``poll`` before
    each read and write: three system calls of a message's six. A read or write that
    times out still ends as "timed out" (_reason; _Replies raises TimeoutError), and
    interrupt() still cuts a blocked read short (a socket shut down reads as closed).
    Left as it is when the system refuses the options, and for TLS (an SSL socket
    reads through its own layer)."""
    import struct

    sock, file = conn.sock, conn.file
    if type(sock) is not socket.socket or file is None:
        return
    seconds = int(timeout)
    micro = int((timeout - seconds) * 1_000_000) or (0 if seconds else 1)  # 0 0: forever
    limit = struct.pack("ll", seconds, micro)  # a struct timeval
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
        for option in (socket.SO_RCVTIMEO, socket.SO_SNDTIMEO):  # as the kernel keeps them
            kept = struct.unpack("ll", sock.getsockopt(socket.SOL_SOCKET, option, len(limit)))
            if not 0 < kept[0] + kept[1] / 1_000_000 <= timeout + 0.02:
                return  # Python's socket timeout stays
    except OSError:
        return
    # Whatever came after the last reply read stays for the next read, and so does an
    # error the socket reported meanwhile (a reset): raised where it would have been.
    left: list[bytes] = []
    error: OSError | None = None
    try:
        sock.settimeout(0.0)
        while chunk := file.read1(_CHUNK):
            left.append(chunk)
        sock.settimeout(None)  # blocking: the kernel's timeouts apply
    except OSError as err:
        error = err
        with contextlib.suppress(OSError):
            sock.settimeout(timeout)  # _Replies reads through Python's timeout as well
    file.close()  # the socket stays open (conn.sock)
    conn.file = _Replies(sock, b"".join(left), error)


_CHUNK = 65536  # bytes read at a time


class _Replies:
    """A plain connection's ``conn.file`` (see _kernel_timeouts): the replies' lines read
    straight from its blocking socket, as smtplib and _getreply read them from a buffered
    socket file (``readline(limit)``: up to a newline, ``limit`` bytes or the end)."""

    __slots__ = ("_sock", "_buffer", "_error")

    def __init__(self, sock: socket.socket, buffered: bytes,
                 error: OSError | None = None) -> None:
        self._sock, self._buffer, self._error = sock, buffered, error

    def readline(self, limit: int = -1) -> bytes:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n") + 1
            if end and (limit < 0 or end <= limit):
                self._buffer = buffer[end:]
                return buffer[:end]
            if 0 <= limit <= len(buffer):
                self._buffer = buffer[limit:]
                return buffer[:limit]
            if self._error is not None:  # met while draining the socket file
                error, self._error = self._error, None
                raise error
            try:
                chunk = self._sock.recv(_CHUNK)
            except BlockingIOError:  # SO_RCVTIMEO ran out: as a socket timeout says it
                raise TimeoutError("timed out") from None
            if not chunk:  # closed (or shut down by interrupt())
                self._buffer = b""
                return buffer
            buffer = self._buffer = buffer + chunk

    def close(self) -> None:
        self._buffer = b""


def _commands(mail_from: str, rcpt_to: str, options: list[str]) -> bytes:
    """MAIL, RCPT and DATA in one write. Both addresses went through
    headers.header_address: plain, no <>, no spaces."""
    extra = " " + " ".join(options) if options else ""
    return (f"MAIL FROM:<{mail_from}>{extra}\r\nRCPT TO:<{rcpt_to}>\r\nDATA\r\n"
            .encode("ascii"))
