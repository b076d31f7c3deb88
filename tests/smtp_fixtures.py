"""Real SMTP servers for tests: aiosmtpd on 127.0.0.1, a free port, in a thread.

Use the pytest fixtures by importing them into a test module (they are not in conftest)::

    from smtp_fixtures import smtp_server, tls_ca  # noqa: F401  (pytest fixtures)

    def test_it(smtp_server):
        transport = SmtpTransport(smtp_server.settings(), {})
        ...
        assert smtp_server.messages[0].data == data

What the server received is in ``server.messages`` (:class:`Received`: envelope, data,
options, TLS, login); ``server.connections`` counts client connections (the controller's
own start-up probe excluded); ``server.restart()`` stops and starts it on the same port;
``server.settings(**overrides)`` gives matching ``SmtpSettings``.

Fault injection (:class:`FaultyHandler` with :class:`FaultySMTP`, the ``faulty_server``
fixture), chosen by words in the recipient address:

=============  =====================================================================
``tempfail``   451 to RCPT TO
``reject``     550 to RCPT TO
``deferdata``  451 to the end of DATA (message received, then refused)
``refusedata`` 554 to the end of DATA
``drop``       message fully received, then the connection is closed without reply
``cut``        354 to DATA, then the connection is closed while the client sends
=============  =====================================================================

:class:`SlowHandler` is a relay that answers MAIL FROM and the end of DATA slowly.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Self

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from pressctl.config import SmtpSettings

AUTH_USER = "press-office"
AUTH_PASSWORD = "correct horse battery staple"
SERVER_NAMES = ("localhost", "127.0.0.1")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # as the server got it: dot-unstuffed, CRLF line ends
    mail_options: list[str]
    tls: bool
    login: str | None  # the authenticated user, if any


class RecordingHandler:
    """Accepts everything and keeps it: ``messages``, and ``quits`` (QUIT commands seen)."""

    def __init__(self) -> None:
        self.messages: list[Received] = []
        self.quits = 0

    @staticmethod
    def received(server: SMTP, session, envelope) -> Received:
        login = getattr(session.auth_data, "login", None)  # Authenticator passes LoginPassword
        return Received(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos),
            data=bytes(envelope.original_content), mail_options=list(envelope.mail_options),
            tls=server.transport.get_extra_info("ssl_object") is not None,
            login=login.decode() if isinstance(login, bytes) else login)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(self.received(server, session, envelope))
        return "250 2.0.0 OK queued"

    async def handle_QUIT(self, server, session, envelope) -> str:
        self.quits += 1
        return "221 2.0.0 Bye"


class FaultyHandler(RecordingHandler):
    """RecordingHandler that misbehaves for some recipients (table in the module doc).
    ``dropped`` keeps the messages received by connections closed without a reply."""

    RCPT: ClassVar[dict[str, str]] = {"tempfail": "451 4.2.0 Mailbox busy, try later (tempfail)",
                                       "reject": "550 5.1.1 No such mailbox (reject)"}
    DATA: ClassVar[dict[str, str]] = {"deferdata": "451 4.3.0 Queue full, try later (deferdata)",
                                       "refusedata": "554 5.6.0 Content refused (refusedata)"}

    def __init__(self) -> None:
        super().__init__()
        self.dropped: list[Received] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        for word, reply in self.RCPT.items():
            if word in address:
                return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        rcpts = " ".join(envelope.rcpt_tos)
        if "drop" in rcpts:
            self.dropped.append(self.received(server, session, envelope))
            server.transport.abort()  # connection_lost() cancels this coroutine
            await asyncio.sleep(3600)
        for word, reply in self.DATA.items():
            if word in rcpts:
                return reply
        return await super().handle_DATA(server, session, envelope)


class FaultySMTP(SMTP):
    """aiosmtpd's SMTP, closing the connection right after 354 for a "cut" recipient."""

    async def smtp_DATA(self, arg: str) -> None:
        if self.envelope is not None and any("cut" in r for r in self.envelope.rcpt_tos):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            self.transport.abort()
            return
        await super().smtp_DATA(arg)


class Authenticator:
    """aiosmtpd authenticator accepting one user and password; ``attempts`` keeps
    (login, accepted) for every AUTH."""

    def __init__(self, user: str = AUTH_USER, password: str = AUTH_PASSWORD) -> None:
        self.user, self.password = user, password
        self.attempts: list[tuple[str, bool]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        login = auth_data.login.decode()
        ok = login == self.user and auth_data.password.decode() == self.password
        self.attempts.append((login, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


class _Controller(Controller):
    def __init__(self, owner: SmtpServer, **kwargs) -> None:
        self.owner = owner
        super().__init__(owner.handler, **kwargs)

    def factory(self) -> SMTP:
        smtp = self.owner.smtp_class(self.handler, **self.SMTP_kwargs)
        self.owner._opened.append(smtp)
        return smtp


class SmtpServer:
    """One aiosmtpd server on 127.0.0.1. ``security`` says what the server speaks (for
    :meth:`settings`): "plain", "starttls" (pass tls_context) or "tls" (pass ssl_context).
    Other keyword arguments go to aiosmtpd's SMTP (require_starttls, authenticator,
    auth_require_tls, auth_required, enable_SMTPUTF8...)."""

    def __init__(self, handler=None, *, security: str = "plain", ca_file: str | None = None,
                 smtp_class: type[SMTP] = SMTP, ssl_context: ssl.SSLContext | None = None,
                 **smtp_kwargs) -> None:
        self.handler = handler if handler is not None else RecordingHandler()
        self.security = security
        self.ca_file = ca_file
        self.smtp_class = smtp_class
        self.port = free_port()
        self._ssl_context = ssl_context
        self._kwargs = {"server_hostname": "localhost", **smtp_kwargs}  # no FQDN lookup
        self._opened: list[SMTP] = []
        self._controller: _Controller | None = None
        self._earlier = 0  # connections of previous runs

    @property
    def connections(self) -> int:
        """Client connections accepted since the first start (probes excluded)."""
        return self._earlier + len(self._opened)

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def authenticator(self) -> Authenticator | None:
        return self._kwargs.get("authenticator")

    def settings(self, **overrides) -> SmtpSettings:
        values = {"host": "127.0.0.1", "port": self.port, "security": self.security,
                  "ca_file": self.ca_file, "timeout": 10.0}
        return SmtpSettings(**{**values, **overrides})

    def start(self) -> Self:
        assert self._controller is None, "already running"
        controller = _Controller(self, hostname="127.0.0.1", port=self.port,
                                 ssl_context=self._ssl_context, **self._kwargs)
        controller.start()
        self._opened.clear()  # start() made one probe connection of its own
        self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening and close every client connection (clients see EOF)."""
        controller, self._controller = self._controller, None
        if controller is None:
            return
        self._earlier += len(self._opened)
        opened, self._opened = list(self._opened), []

        def close_all() -> None:
            for smtp in opened:
                if smtp.transport is not None:
                    smtp.transport.close()

        controller.loop.call_soon_threadsafe(close_all)
        controller.stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass
class TlsFiles:
    """A trustme CA (written to ``ca_file``) issuing server certificates."""

    ca: trustme.CA
    ca_file: str
    _contexts: dict = field(default_factory=dict)

    def server_context(self, names: tuple[str, ...] = SERVER_NAMES) -> ssl.SSLContext:
        if names not in self._contexts:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.ca.issue_cert(*names).configure_cert(context)
            self._contexts[names] = context
        return self._contexts[names]


@pytest.fixture(scope="session")
def tls_ca(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    ca = trustme.CA()
    path = Path(tmp_path_factory.mktemp("tls")) / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return TlsFiles(ca, str(path))


@pytest.fixture
def smtp_server_factory(tls_ca: TlsFiles) -> Iterator:
    """``make(handler=None, *, tls=None|"starttls"|"tls", names=SERVER_NAMES, **kwargs)``
    -> a started :class:`SmtpServer`; all are stopped after the test."""
    servers: list[SmtpServer] = []

    def make(handler=None, *, tls: str | None = None, names=SERVER_NAMES, **kwargs):
        if tls == "starttls":
            kwargs.setdefault("tls_context", tls_ca.server_context(names))
        elif tls == "tls":
            kwargs.setdefault("ssl_context", tls_ca.server_context(names))
        server = SmtpServer(handler, security=tls or "plain",
                            ca_file=tls_ca.ca_file if tls else None, **kwargs)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def smtp_server(smtp_server_factory) -> SmtpServer:
    """Plain SMTP (no TLS, no AUTH), SMTPUTF8 on."""
    return smtp_server_factory()


@pytest.fixture
def starttls_server(smtp_server_factory) -> SmtpServer:
    """STARTTLS offered and required before MAIL."""
    return smtp_server_factory(tls="starttls", require_starttls=True)


@pytest.fixture
def tls_server(smtp_server_factory) -> SmtpServer:
    """Implicit TLS (like port 465)."""
    return smtp_server_factory(tls="tls")


@pytest.fixture
def auth_server(smtp_server_factory) -> SmtpServer:
    """STARTTLS required; AUTH (AUTH_USER / AUTH_PASSWORD) offered only over TLS and
    required before MAIL."""
    return smtp_server_factory(tls="starttls", require_starttls=True,
                               authenticator=Authenticator(), auth_require_tls=True,
                               auth_required=True)


@pytest.fixture
def plain_auth_server(smtp_server_factory) -> SmtpServer:
    """No TLS at all; AUTH offered without it (acceptable on loopback only)."""
    return smtp_server_factory(authenticator=Authenticator(), auth_require_tls=False)


@pytest.fixture
def faulty_server(smtp_server_factory) -> SmtpServer:
    """Plain SMTP with the faults of the module doc."""
    return smtp_server_factory(FaultyHandler(), smtp_class=FaultySMTP)


class SlowHandler(RecordingHandler):
    """A relay slow to answer MAIL FROM (``mail_delay`` seconds) and the end of DATA
    (``data_delay``): the stop tests' "relay that answers in 2 s". Each message is
    recorded when its final dot arrives, BEFORE the delayed 250, so a message the client
    abandons before its final dot is never recorded and one whose final dot went out
    always is. ``mail_times`` keeps when each MAIL FROM arrived (time.monotonic)."""

    def __init__(self, delay: float = 2.0, *, mail_delay: float | None = None,
                 data_delay: float | None = None) -> None:
        super().__init__()
        self.mail_delay = delay if mail_delay is None else mail_delay
        self.data_delay = delay if data_delay is None else data_delay
        self.mail_times: list[float] = []

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        import time

        self.mail_times.append(time.monotonic())
        await asyncio.sleep(self.mail_delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(self.received(server, session, envelope))
        await asyncio.sleep(self.data_delay)
        return "250 2.0.0 OK queued (slowly)"


class PipeliningHandler(FaultyHandler):
    """FaultyHandler whose server also offers PIPELINING (RFC 2920), as Postfix does:
    aiosmtpd reads commands one by one, so pipelined commands simply queue up."""

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]


@pytest.fixture
def pipelining_server(smtp_server_factory) -> SmtpServer:
    """Plain SMTP offering PIPELINING, with the faults of the module doc."""
    return smtp_server_factory(PipeliningHandler(), smtp_class=FaultySMTP)
