"""The delivery commands around `outbox run`: smtp test, outbox cron, opt-outs from
unsubscribe replies and of addresses the book does not have."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from pathlib import Path

from smtp_fixtures import AUTH_PASSWORD, AUTH_USER


def _config(home: Path, server, **extra) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {server.port}",
             f'security = "{server.security}"', f'ca_file = "{server.ca_file}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_smtp_test_checks_tls_and_login_and_sends(cli, home, auth_server):
    _config(home, auth_server, username=AUTH_USER, password_env="SMTP_PASSWORD")
    result = cli("smtp", "test", "--to", "check@example.org",
                 env={"SMTP_PASSWORD": AUTH_PASSWORD})
    assert result.exit_code == 0, result.stderr
    assert "certificate verified" in result.stdout and AUTH_PASSWORD not in result.stdout
    assert [m.rcpt_tos for m in auth_server.messages] == [["check@example.org"]]


def test_smtp_test_with_a_wrong_password_is_exit_4_without_the_password(cli, home,
                                                                       auth_server):
    _config(home, auth_server, username=AUTH_USER, password_env="SMTP_PASSWORD")
    result = cli("smtp", "test", env={"SMTP_PASSWORD": "wrong-secret"})
    assert result.exit_code == 4
    assert result.stderr.count("\n") == 1 and "wrong-secret" not in result.stderr


def test_smtp_test_with_an_untrusted_certificate(cli, home, smtp_server_factory, tmp_path):
    server = smtp_server_factory(tls="tls")
    _config(home, server)
    (home / "config.toml").write_text((home / "config.toml").read_text().replace(
        f'ca_file = "{server.ca_file}"', ""), encoding="utf-8")
    result = cli("smtp", "test")
    assert result.exit_code == 4 and "certificate" in result.stderr


def test_smtp_test_without_smtp_says_where_mail_goes(cli, home):
    result = cli("smtp", "test")
    assert result.exit_code == 0 and "Maildir" in result.stdout


def test_outbox_cron_prints_an_absolute_line(cli, home):
    result = cli("outbox", "cron")
    assert result.exit_code == 0
    line = result.stdout.strip()
    assert line.startswith("* * * * * /") and line.endswith("outbox run")
    assert f"--home {home}" in line


def _reply(sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "pascale.bresson@cnes.fr"
    message["Subject"] = "unsubscribe"
    message.set_content("Please remove me.")
    return message


def test_optouts_import_from_a_maildir_and_an_mbox(sample_book, home, tmp_path):
    cli = sample_book
    box = mailbox.Maildir(tmp_path / "unsubscribe", create=True)
    box.add(_reply("Claire Fontaine <Claire.Fontaine@gazette-espace.example.org>"))
    box.add(_reply("stranger@example.net"))
    result = cli("optouts", "import", tmp_path / "unsubscribe", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["messages"] == 2
    assert report["contacts"] == ["Claire.Fontaine@gazette-espace.example.org"]
    assert report["unknown"] == ["stranger@example.net"]
    claire = json.loads(cli("contacts", "show", "claire.fontaine@gazette-espace.example.org",
                            "--json").stdout)
    assert claire["opted_out"] is True
    # The stranger, imported later, is never mailed: the suppression outlives the book.
    cli("contacts", "add", "A Stranger", "--email", "stranger@example.net", "--tag", "space")
    preview = cli("release", "preview", Path(__file__).parent.parent.parent / "examples" /
                  "PR106-2020.en.md", "--all", "--json")
    assert preview.exit_code == 0
    assert "stranger@example.net" not in {r["recipient"].split("<")[1].rstrip(">")
                                          for r in json.loads(preview.stdout)}
    mbox = mailbox.mbox(tmp_path / "replies.mbox", create=True)
    mbox.add(_reply("ethan.caldwell@capitol-science.example.com"))
    mbox.flush()
    assert cli("optouts", "import", tmp_path / "replies.mbox").exit_code == 0
    assert json.loads(cli("contacts", "show", "ethan.caldwell@capitol-science.example.com",
                          "--json").stdout)["opted_out"] is True


def test_optouts_import_of_something_else_is_exit_3(cli, tmp_path):
    (tmp_path / "folder").mkdir()
    result = cli("optouts", "import", tmp_path / "folder")
    assert result.exit_code == 3 and "Maildir" in result.stderr


def test_optout_of_an_unknown_address_is_remembered(cli, book):
    result = cli("contacts", "optout", "someone@example.org")
    assert result.exit_code == 0 and "never mailed if added later" in result.stderr
    assert book.store.suppressions.opted_out_keys(["someone@example.org"]) == {"someone@example.org"}
    assert cli("contacts", "optout", "#99").exit_code == 3


def test_outbox_run_json_says_what_the_run_did(sample_book, tmp_path):
    """`outbox run --json`: the counts on stdout, whatever else the run says (issue 11)."""
    from mailing import release_now

    quiet = sample_book("outbox", "run", "--json")
    assert quiet.exit_code == 0, quiet.stderr
    nothing = json.loads(quiet.stdout)
    assert (nothing["mailouts"], nothing["sent"], nothing["ok"]) == ([], 0, True)
    created = sample_book("mailout", "create", release_now(tmp_path), "--yes", "--json")
    assert created.exit_code == 0, created.stderr
    ran = sample_book("outbox", "run", "--json")
    assert ran.exit_code == 0, ran.stderr
    report = json.loads(ran.stdout)
    assert report["sent"] > 0 and report["failed"] == 0 and report["ok"] is True
    assert report["problem"] is None and len(report["mailouts"]) >= 1


def test_outbox_run_json_with_the_relay_down_still_reports_and_exits_5(sample_book, home,
                                                                        tmp_path):
    import socket

    from mailing import release_now

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n', encoding="utf-8")
    assert sample_book("mailout", "create", release_now(tmp_path), "--yes").exit_code == 0
    ran = sample_book("outbox", "run", "--json")
    assert ran.exit_code == 5, ran.stderr
    report = json.loads(ran.stdout)
    assert report["ok"] is False and report["sent"] == 0 and report["waiting"] > 0
    assert "cannot reach" in report["unreachable"] and report["problem"]
    assert "Traceback" not in ran.stderr


def test_smtp_test_json_lists_each_step_and_the_relay(cli, home, auth_server):
    _config(home, auth_server, username=AUTH_USER, password_env="SMTP_PASSWORD")
    result = cli("smtp", "test", "--to", "check@example.org", "--json",
                 env={"SMTP_PASSWORD": AUTH_PASSWORD})
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["sent_to"] == "check@example.org"
    assert any("certificate verified" in step for step in report["steps"])
    assert report["dkim"] is None and AUTH_PASSWORD not in result.stdout
    wrong = cli("smtp", "test", "--json", env={"SMTP_PASSWORD": "not-it"})
    assert wrong.exit_code == 4 and wrong.stdout == ""  # a failure: one line, no JSON
