"""pressctl.delivery.transport against real aiosmtpd servers on 127.0.0.1 (tests/smtp_fixtures.py)."""
# The fixtures are imported from smtp_fixtures, so test arguments "redefine" them:
# ruff: noqa: F811

from __future__ import annotations

import email.parser
import email.policy
import mailbox
import shlex
import socket
import stat
import sys
import traceback

import pytest
from smtp_fixtures import (  # noqa: F401  (pytest fixtures are used by name)
    AUTH_PASSWORD,
    AUTH_USER,
    auth_server,
    faulty_server,
    free_port,
    plain_auth_server,
    smtp_server,
    smtp_server_factory,
    starttls_server,
    tls_ca,
    tls_server,
)

import pressctl.config.smtp as config_module
import pressctl.delivery.transport.maildir as maildir_module
from pressctl.config import SmtpSettings
from pressctl.delivery.transport import (
    FileTransport,
    Outcome,
    RecordingTransport,
    SmtpTransport,
    check_smtp,
    resolve_password,
)
from pressctl.errors import ConfigError

SENDER = "presse@example.org"
PASSWORD_VAR = "PRESSCTL_SMTP_PASSWORD"
AUTH_ENV = {PASSWORD_VAR: AUTH_PASSWORD}


def message(to: str, subject: str = "Embargoed: launch on 12 March") -> bytes:
    """A small message with what SMTP must carry intact: 8-bit text, a line starting with
    a dot and a line that is only a dot (dot-stuffing), CRLF line ends."""
    return (f"From: Service de presse <{SENDER}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n\r\n"
            "Bonjour, le lancement est prévu à 10 h.\r\n.hidden if not stuffed\r\n.\r\n"
            "Fin.\r\n").encode()


def envelopes(server) -> list[tuple[str, list[str], bytes]]:
    return [(m.mail_from, m.rcpt_tos, m.data) for m in server.messages]


def auth_settings(server, **overrides) -> SmtpSettings:
    return server.settings(username=AUTH_USER, password_env=PASSWORD_VAR, **overrides)


# -- plain delivery, connection reuse ------------------------------------------------------


def test_three_messages_go_over_one_connection_and_arrive_intact(smtp_server):
    batch = [(f"journalist{i}@example.net", message(f"journalist{i}@example.net"))
             for i in range(3)]
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        outcomes = [transport.send(SENDER, to, data) for to, data in batch]

    assert outcomes == [Outcome("sent", 250, "2.0.0 OK queued")] * 3
    assert envelopes(smtp_server) == [(SENDER, [to], data) for to, data in batch]
    assert smtp_server.connections == 1
    assert smtp_server.handler.quits == 1  # close() said QUIT
    options = smtp_server.messages[0].mail_options
    assert "BODY=8BITMIME" in options and "SMTPUTF8" not in options


def test_bare_line_feeds_go_out_as_crlf(smtp_server):
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        outcome = transport.send(SENDER, "desk@example.net", b"Subject: lf\n\nline\nlast")
    assert outcome.status == "sent"
    assert envelopes(smtp_server) == [(SENDER, ["desk@example.net"],
                                       b"Subject: lf\r\n\r\nline\r\nlast\r\n")]


def test_a_restarted_server_is_reconnected_to(smtp_server):
    first, second = message("a@example.net"), message("b@example.net")
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        assert transport.send(SENDER, "a@example.net", first).status == "sent"
        smtp_server.restart()  # the open connection is closed by the server
        assert transport.send(SENDER, "b@example.net", second).status == "sent"
    assert envelopes(smtp_server) == [(SENDER, ["a@example.net"], first),
                                      (SENDER, ["b@example.net"], second)]
    assert smtp_server.connections == 2


def test_a_server_that_is_down_is_unreachable_and_nothing_was_offered(smtp_server):
    data = message("b@example.net")
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        assert transport.send(SENDER, "a@example.net", message("a@example.net")).status == "sent"
        smtp_server.stop()
        down = transport.send(SENDER, "b@example.net", data)
        smtp_server.start()
        again = transport.send(SENDER, "b@example.net", data)
    # "unreachable", not "transient": no message was offered, so no attempt is charged
    assert down == Outcome("unreachable", None,
                           f"cannot reach 127.0.0.1:{smtp_server.port} (connection refused)")
    assert again.status == "sent"
    assert [m.rcpt_tos for m in smtp_server.messages] == [["a@example.net"], ["b@example.net"]]


def test_a_server_that_never_greets_times_out_as_unreachable():
    with socket.socket() as silent:  # listens (the kernel accepts) but never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = SmtpSettings("127.0.0.1", silent.getsockname()[1], security="plain",
                                timeout=0.3)
        outcome = SmtpTransport(settings, {}).send(SENDER, "a@example.net", b"x\r\n")
        with pytest.raises(ConfigError, match="timed out"):
            check_smtp(settings, {})
    assert outcome.status == "unreachable" and outcome.code is None
    assert outcome.reply.endswith("(timed out)")


# -- TLS ------------------------------------------------------------------------------------


def test_starttls_is_used_when_offered(starttls_server):
    data = message("desk@example.net")
    with SmtpTransport(starttls_server.settings(), {}) as transport:
        assert transport.send(SENDER, "desk@example.net", data).status == "sent"
    assert envelopes(starttls_server) == [(SENDER, ["desk@example.net"], data)]
    assert starttls_server.messages[0].tls


def test_implicit_tls(tls_server):
    data = message("desk@example.net")
    with SmtpTransport(tls_server.settings(), {}) as transport:
        assert transport.send(SENDER, "desk@example.net", data).status == "sent"
    assert envelopes(tls_server) == [(SENDER, ["desk@example.net"], data)]
    assert tls_server.messages[0].tls


@pytest.mark.parametrize("kind", ["starttls", "tls"])
def test_a_certificate_from_an_unknown_ca_is_refused_until_ca_file_names_it(
        kind, smtp_server_factory):
    server = smtp_server_factory(tls=kind)
    data = message("desk@example.net")
    untrusting = SmtpTransport(server.settings(ca_file=None), {})
    with pytest.raises(ConfigError) as caught:
        untrusting.send(SENDER, "desk@example.net", data)
    assert "certificate is not trusted" in str(caught.value)
    assert "ca_file" in str(caught.value) and caught.value.exit_code == 4
    assert server.messages == []

    with SmtpTransport(server.settings(), {}) as trusting:  # ca_file = the test CA
        assert trusting.send(SENDER, "desk@example.net", data).status == "sent"
    assert envelopes(server) == [(SENDER, ["desk@example.net"], data)]


def test_a_certificate_for_another_host_is_refused(smtp_server_factory):
    server = smtp_server_factory(tls="tls", names=("mail.example.org",))
    with pytest.raises(ConfigError, match="mismatch"):
        SmtpTransport(server.settings(), {}).send(SENDER, "a@example.net", b"x\r\n")
    assert server.messages == []


def test_verify_false_accepts_an_unknown_certificate(smtp_server_factory):
    server = smtp_server_factory(tls="tls")
    with SmtpTransport(server.settings(ca_file=None, verify=False), {}) as transport:
        assert transport.send(SENDER, "a@example.net", b"Subject: x\r\n\r\nx\r\n").status == "sent"
    assert server.messages[0].tls and server.messages[0].data == b"Subject: x\r\n\r\nx\r\n"


def test_implicit_tls_against_a_plain_port_is_an_outage_that_names_the_ports(smtp_server):
    outcome = SmtpTransport(smtp_server.settings(security="tls"), {}).send(
        SENDER, "a@example.net", b"x\r\n")
    assert outcome.status == "unreachable"
    assert outcome.reply.startswith(f"cannot reach 127.0.0.1:{smtp_server.port} "
                                    "(TLS handshake failed")
    assert 'port 465 uses security "tls"' in outcome.reply
    assert smtp_server.messages == []


# -- AUTH and passwords ----------------------------------------------------------------------


@pytest.mark.parametrize("source", ["variable", "command"])
def test_login_over_starttls_with_the_password_from_env_or_a_command(source, auth_server):
    if source == "variable":
        settings, env = auth_settings(auth_server), AUTH_ENV
    else:
        command = shlex.join([sys.executable, "-c", f"print({AUTH_PASSWORD!r})"])
        settings = auth_server.settings(username=AUTH_USER, password_command=command)
        env = {}
    data = message("desk@example.net")
    with SmtpTransport(settings, env) as transport:
        assert transport.send(SENDER, "desk@example.net", data).status == "sent"
    assert envelopes(auth_server) == [(SENDER, ["desk@example.net"], data)]
    received = auth_server.messages[0]
    assert received.tls and received.login == AUTH_USER
    assert auth_server.authenticator.attempts == [(AUTH_USER, True)]


def test_a_wrong_password_is_a_config_error_that_never_shows_it(auth_server):
    wrong = "Wrong-Pass-4242"
    transport = SmtpTransport(auth_settings(auth_server), {PASSWORD_VAR: wrong})
    with pytest.raises(ConfigError) as caught:
        transport.send(SENDER, "desk@example.net", message("desk@example.net"))
    error = caught.value
    assert error.exit_code == 4
    assert f"refused the login for '{AUTH_USER}': 535" in str(error)
    assert PASSWORD_VAR in str(error)  # the hint says where the password came from
    shown = [str(error), repr(error), repr(transport),
             "".join(traceback.format_exception(error))]
    assert not any(wrong in text for text in shown)
    attempts = auth_server.authenticator.attempts  # smtplib tries PLAIN, then LOGIN
    assert attempts and all(attempt == (AUTH_USER, False) for attempt in attempts)
    assert auth_server.messages == []


def test_authentication_required_but_not_configured_is_a_config_error(auth_server):
    transport = SmtpTransport(auth_server.settings(), {})
    with pytest.raises(ConfigError, match="requires authentication or TLS first: 530"):
        transport.send(SENDER, "desk@example.net", b"x\r\n")
    assert auth_server.messages == []


@pytest.mark.parametrize("security", ["plain", "starttls"])
def test_login_without_tls_is_allowed_on_loopback(security, plain_auth_server):
    data = message("desk@example.net")
    settings = auth_settings(plain_auth_server, security=security)
    with SmtpTransport(settings, AUTH_ENV) as transport:
        assert transport.send(SENDER, "desk@example.net", data).status == "sent"
    received = plain_auth_server.messages[0]
    assert (received.mail_from, received.rcpt_tos, received.data) == (
        SENDER, ["desk@example.net"], data)
    assert not received.tls and received.login == AUTH_USER


def test_no_login_without_starttls_on_a_remote_host(plain_auth_server, monkeypatch):
    # The servers live on 127.0.0.1; this test tells the settings the host is remote.
    monkeypatch.setattr(config_module, "is_loopback", lambda host: False)
    settings = auth_settings(plain_auth_server, security="starttls")
    transport = SmtpTransport(settings, AUTH_ENV)
    with pytest.raises(ConfigError, match="does not offer STARTTLS") as caught:
        transport.send(SENDER, "desk@example.net", b"x\r\n")
    assert AUTH_PASSWORD not in str(caught.value)
    with pytest.raises(ConfigError, match="does not offer STARTTLS"):
        check_smtp(settings, AUTH_ENV)
    assert plain_auth_server.authenticator.attempts == []
    assert plain_auth_server.messages == []


def test_plain_security_is_refused_for_a_remote_host_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket, "create_connection", no_network)
    settings = SmtpSettings("smtp.example.org", 25, security="plain", username="press",
                            password_env="PW")
    for attempt in (lambda: SmtpTransport(settings, {"PW": "pw-Secret-1"}),
                    lambda: check_smtp(settings, {"PW": "pw-Secret-1"})):
        with pytest.raises(ConfigError) as caught:
            attempt()
        assert 'smtp.example.org:25: security "plain"' in str(caught.value)
        assert caught.value.exit_code == 4 and "pw-Secret-1" not in str(caught.value)


@pytest.mark.parametrize(("settings", "problem"), [
    (SmtpSettings("smtp.example.org", security="ssl"), "security 'ssl' is not one of"),
    (SmtpSettings("smtp.example.org", port=0), "port must be"),
    (SmtpSettings("smtp.example.org", username="press"), "no password source"),
    (SmtpSettings("smtp.example.org", password_env="PW"), "no username"),
    (SmtpSettings("smtp.example.org", ca_file="/nonexistent/ca.pem"), "no such file"),
])
def test_invalid_settings_are_config_errors(settings, problem):
    with pytest.raises(ConfigError, match=problem):
        SmtpTransport(settings, {"PW": "x"})


def test_the_repr_never_shows_the_password():
    settings = SmtpSettings("smtp.example.org", username="press", password_env="PW")
    transport = SmtpTransport(settings, {"PW": "pw-Secret-2"})
    assert "pw-Secret-2" not in repr(transport) and "pw-Secret-2" not in repr(settings)
    assert "smtp.example.org:587" in repr(transport)


def command(code: str) -> str:
    return shlex.join([sys.executable, "-c", code])


@pytest.mark.parametrize(("settings", "env", "expected"), [
    (SmtpSettings("h", username="u", password_env="PW"), {"PW": "from env"}, "from env"),
    (SmtpSettings("h", username="u", password_command=command("print('s3cret'); print(2)")),
     {}, "s3cret"),
    # an unset variable falls back to the command
    (SmtpSettings("h", username="u", password_env="PW", password_command=command(
        "print('from command')")), {}, "from command"),
    # the command's environment is the mapping given, not the process's
    (SmtpSettings("h", username="u", password_command=command(
        "import os; print(os.environ['VAULT'])")), {"VAULT": "via mapping"}, "via mapping"),
    # stdin is closed: a command that asks gets nothing instead of waiting
    (SmtpSettings("h", username="u", password_command=command(
        "import sys; print(sys.stdin.read() or 'no prompt')")), {}, "no prompt"),
    (SmtpSettings("h"), {"PW": "unused"}, None),
])
def test_resolve_password(settings, env, expected):
    assert resolve_password(settings, env) == expected


@pytest.mark.parametrize(("settings", "problem"), [
    (SmtpSettings("h", password_env="PW"), "the SMTP password variable PW is not set"),
    (SmtpSettings("h", password_command=command(
        "import sys; print('s3cret' + '-leak'); sys.exit('gpg: ' + 'half' + '-secret')")),
     "failed: exit status 1 ("),
    (SmtpSettings("h", password_command="/nonexistent/pass-helper show smtp"),
     "failed: program '/nonexistent/pass-helper' not found"),
    (SmtpSettings("h", password_command=command("pass")), "its first output line is empty"),
    (SmtpSettings("h", password_command="pass 'unclosed"), "No closing quotation"),
])
def test_password_problems_name_the_source_never_the_output(settings, problem):
    with pytest.raises(ConfigError) as caught:
        resolve_password(settings, {"PW": ""})
    assert problem in str(caught.value)
    assert (settings.password_env or settings.password_command) in str(caught.value)
    shown = "".join(traceback.format_exception(caught.value))
    assert "s3cret-leak" not in shown
    assert "half-secret" not in shown  # finding 10: a failing command's stderr was copied


# -- failures reported by the server ----------------------------------------------------------


def test_rcpt_4xx_is_transient_5xx_permanent_and_the_connection_is_kept(faulty_server):
    ok = message("ok@example.net")
    with SmtpTransport(faulty_server.settings(), {}) as transport:
        tempfail = transport.send(SENDER, "tempfail@example.net", message("tempfail"))
        reject = transport.send(SENDER, "reject@example.net", message("reject"))
        delivered = transport.send(SENDER, "ok@example.net", ok)
    assert tempfail == Outcome("transient", 451, "4.2.0 Mailbox busy, try later (tempfail)")
    assert reject == Outcome("permanent", 550, "5.1.1 No such mailbox (reject)")
    assert delivered.status == "sent"
    assert envelopes(faulty_server) == [(SENDER, ["ok@example.net"], ok)]
    assert faulty_server.connections == 1


@pytest.mark.parametrize(("recipient", "expected"), [
    ("deferdata@example.net", Outcome("transient", 451,
                                      "4.3.0 Queue full, try later (deferdata)")),
    ("refusedata@example.net", Outcome("permanent", 554, "5.6.0 Content refused (refusedata)")),
])
def test_a_refusal_at_the_end_of_data_is_classified_by_code(recipient, expected, faulty_server):
    ok = message("ok@example.net")
    with SmtpTransport(faulty_server.settings(), {}) as transport:
        assert transport.send(SENDER, recipient, message(recipient)) == expected
        assert transport.send(SENDER, "ok@example.net", ok).status == "sent"
    assert envelopes(faulty_server) == [(SENDER, ["ok@example.net"], ok)]
    assert faulty_server.connections == 1


def test_no_reply_after_the_whole_message_is_unknown_and_the_next_send_reconnects(
        faulty_server):
    dropped, ok = message("drop@example.net"), message("ok@example.net")
    with SmtpTransport(faulty_server.settings(), {}) as transport:
        outcome = transport.send(SENDER, "drop@example.net", dropped)
        after = transport.send(SENDER, "ok@example.net", ok)
    assert outcome.status == "unknown" and outcome.code is None
    assert outcome.reply.startswith("no reply to end of DATA")
    assert "do not resend" in outcome.reply
    # why "unknown" matters: the server did get the whole message
    assert [(m.rcpt_tos, m.data) for m in faulty_server.handler.dropped] == [
        (["drop@example.net"], dropped)]
    assert after.status == "sent"
    assert envelopes(faulty_server) == [(SENDER, ["ok@example.net"], ok)]
    assert faulty_server.connections == 2


def test_a_drop_while_the_message_is_sent_is_transient(faulty_server):
    # 16 MB: far more than socket buffers hold, so the client is still sending at the drop
    big = b"Subject: big\r\n\r\n" + b"x" * 998 + b"\r\n" * 1 + (b"y" * 76 + b"\r\n") * 210_000
    ok = message("ok@example.net")
    with SmtpTransport(faulty_server.settings(), {}) as transport:
        outcome = transport.send(SENDER, "cut@example.net", big)
        after = transport.send(SENDER, "ok@example.net", ok)
    assert outcome.status == "transient" and outcome.code is None, outcome
    assert outcome.reply.endswith("(at the message)")
    assert faulty_server.handler.dropped == []
    assert after.status == "sent"
    assert envelopes(faulty_server) == [(SENDER, ["ok@example.net"], ok)]
    assert faulty_server.connections == 2


# -- addresses -------------------------------------------------------------------------------


def test_a_utf8_local_part_is_sent_with_smtputf8(smtp_server):
    data = message("jérôme@example.org")
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        assert transport.send(SENDER, "jérôme@example.org", data).status == "sent"
    assert envelopes(smtp_server) == [(SENDER, ["jérôme@example.org"], data)]
    assert "SMTPUTF8" in smtp_server.messages[0].mail_options


def test_an_idna_domain_needs_no_smtputf8(smtp_server):
    data = message("jean@xn--exmple-cua.de")
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        assert transport.send(SENDER, "jean@exämple.de", data).status == "sent"
    assert envelopes(smtp_server) == [(SENDER, ["jean@xn--exmple-cua.de"], data)]
    assert "SMTPUTF8" not in smtp_server.messages[0].mail_options


def test_smtputf8_missing_on_the_server_is_a_permanent_failure(smtp_server_factory):
    server = smtp_server_factory(enable_SMTPUTF8=False)
    ok = message("ok@example.net")
    with SmtpTransport(server.settings(), {}) as transport:
        refused = transport.send(SENDER, "jérôme@example.org", message("jérôme@example.org"))
        after = transport.send(SENDER, "ok@example.net", ok)
    assert refused.status == "permanent" and refused.code is None
    assert after.status == "sent"
    assert "does not support SMTPUTF8, needed for jérôme@example.org" in refused.reply
    assert envelopes(server) == [(SENDER, ["ok@example.net"], ok)]


def test_an_unusable_recipient_is_permanent_without_touching_the_server(smtp_server):
    with SmtpTransport(smtp_server.settings(), {}) as transport:
        outcome = transport.send(SENDER, "desk@example.net\r\nRCPT TO:<x@example.net>", b"x")
    assert outcome.status == "permanent" and "not a plain e-mail address" in outcome.reply
    assert smtp_server.messages == [] and smtp_server.connections == 0


# -- check_smtp ------------------------------------------------------------------------------


def test_check_smtp_reports_each_step_and_sends_a_test_message(auth_server):
    lines = check_smtp(auth_settings(auth_server), AUTH_ENV, send_to="desk@example.net",
                       sender=SENDER)
    assert lines[0] == f"connected to 127.0.0.1:{auth_server.port}"
    assert any(line.startswith("STARTTLS: TLSv1") and line.endswith(
        "certificate verified for 127.0.0.1") for line in lines)
    assert f"AUTH as {AUTH_USER}: accepted" in lines
    assert "SMTPUTF8 (non-ASCII before the @): supported" in lines
    assert lines[-1] == "test message to desk@example.net: 250 2.0.0 OK queued"
    [received] = auth_server.messages
    assert (received.mail_from, received.rcpt_tos) == (SENDER, ["desk@example.net"])
    assert received.tls and received.login == AUTH_USER
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(received.data)
    assert (parsed["From"], parsed["To"], parsed["Subject"]) == (
        SENDER, "desk@example.net", "pressctl SMTP test")
    assert parsed["Message-ID"].endswith("@example.org>")


def test_check_smtp_without_a_recipient_sends_nothing(starttls_server):
    lines = check_smtp(starttls_server.settings(), {})
    assert "STARTTLS not offered" not in " ".join(lines)
    assert any(line.startswith("EHLO localhost: ") and "8BITMIME" in line for line in lines)
    assert starttls_server.messages == []
    assert starttls_server.connections == 1 and starttls_server.handler.quits == 1


def test_check_smtp_failures_are_one_config_error_line(auth_server, smtp_server_factory):
    nobody = SmtpSettings("127.0.0.1", free_port(), security="plain")
    untrusted = smtp_server_factory(tls="tls").settings(ca_file=None)
    cases = [
        (nobody, {}, "cannot reach 127.0.0.1:"),
        (untrusted, {}, "certificate is not trusted"),
        (auth_settings(auth_server), {PASSWORD_VAR: "Wrong-Pass-77"}, "refused the login"),
        (auth_settings(auth_server), {}, f"variable {PASSWORD_VAR} is not set"),
    ]
    for settings, env, problem in cases:
        with pytest.raises(ConfigError) as caught:
            check_smtp(settings, env, send_to="desk@example.net", sender=SENDER)
        assert problem in str(caught.value) and "\n" not in str(caught.value)
        assert caught.value.exit_code == 4
        assert "Wrong-Pass-77" not in str(caught.value)
    with pytest.raises(ConfigError, match=rf"cannot reach 127\.0\.0\.1:{nobody.port} \(connection refused\)"):
        check_smtp(nobody, {})
    assert auth_server.messages == []


def test_check_smtp_says_when_the_test_message_is_refused(faulty_server):
    with pytest.raises(ConfigError, match=r"was not accepted \(permanent\): 550 5\.1\.1"):
        check_smtp(faulty_server.settings(), {}, send_to="reject@example.net", sender=SENDER)
    assert faulty_server.messages == []


# -- files and recording ---------------------------------------------------------------------


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_maildir_delivery(tmp_path):
    folder = tmp_path / "out" / "Maildir"
    batch = {to: message(to) for to in ("a@example.net", "jérôme@example.org")}
    with FileTransport(folder) as transport:
        outcomes = [transport.send(SENDER, to, data) for to, data in batch.items()]
    assert [(o.status, o.code) for o in outcomes] == [("sent", 250)] * 2
    assert {mode(folder / sub) for sub in ("", "tmp", "new", "cur")} == {0o700}
    assert list((folder / "tmp").iterdir()) == []
    files = sorted((folder / "new").iterdir())
    assert sorted(o.reply for o in outcomes) == [str(f) for f in files]
    assert {mode(f) for f in files} == {0o600}

    parse = email.parser.BytesParser(policy=email.policy.default).parse
    box = mailbox.Maildir(folder, factory=parse, create=False)
    by_recipient = {m["Delivered-To"]: m for m in box}
    assert sorted(by_recipient) == sorted(batch)
    for to in batch:
        assert by_recipient[to]["Return-Path"] == f"<{SENDER}>"
        assert by_recipient[to].get_content().startswith("Bonjour, le lancement est prévu")
    written = {f.read_bytes().split(b"\n", 2)[1]: f.read_bytes() for f in files}
    for to, data in batch.items():
        head = f"Return-Path: <{SENDER}>\nDelivered-To: {to}\n".encode()
        assert written[f"Delivered-To: {to}".encode()] == head + data.replace(b"\r\n", b"\n")


def test_maildir_names_never_clash_even_with_a_frozen_clock(tmp_path, monkeypatch):
    monkeypatch.setattr(maildir_module.time, "time", lambda: 1_700_000_000.25)
    folder = tmp_path / "Maildir"
    first, second = FileTransport(folder, fsync=False), FileTransport(folder, fsync=False)
    for i in range(3):  # same pid, same clock, same counters: names collide, files do not
        assert first.send(SENDER, f"a{i}@example.net", b"one\r\n").status == "sent"
        assert second.send(SENDER, f"b{i}@example.net", b"two\r\n").status == "sent"
    files = list((folder / "new").iterdir())
    assert len(files) == 6 and all(f.name.startswith("1700000000.M250000P") for f in files)
    assert sorted(f.read_bytes().split(b"\n")[1] for f in files) == sorted(
        f"Delivered-To: {p}{i}@example.net".encode() for p in "ab" for i in range(3))


def test_eml_files_keep_crlf(tmp_path):
    folder = tmp_path / "previews"
    data = message("desk@example.net")
    outcome = FileTransport(folder, maildir=False).send(SENDER, "desk@example.net", data)
    [path] = folder.iterdir()
    assert outcome == Outcome("sent", 250, str(path))
    assert path.name.endswith("-desk@example.net.eml") and mode(path) == 0o600
    assert mode(folder) == 0o700
    head = f"Return-Path: <{SENDER}>\r\nDelivered-To: desk@example.net\r\n".encode()
    assert path.read_bytes() == head + data


def test_a_disk_write_failure_is_transient(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the Maildir should be")
    outcome = FileTransport(blocker).send(SENDER, "a@example.net", b"x\r\n")
    assert outcome.status == "transient" and outcome.code is None
    assert outcome.reply.startswith(f"cannot write to {blocker}")


def test_recording_transport_records_and_fails_on_demand():
    recorder = RecordingTransport({"gone@example.net": Outcome("permanent", 550, "no user")})
    recorder.fail("busy@example.net", Outcome("transient", 451, "busy"))
    with recorder:
        outcomes = [recorder.send(SENDER, to, b"x\r\n")
                    for to in ("ok@example.net", "gone@example.net", "busy@example.net")]
    assert [o.status for o in outcomes] == ["sent", "permanent", "transient"]
    assert recorder.sent == [(SENDER, "ok@example.net", b"x\r\n")]
    assert [(to, o.code) for _, to, o in recorder.attempts] == [
        ("ok@example.net", 250), ("gone@example.net", 550), ("busy@example.net", 451)]
    assert recorder.closed
