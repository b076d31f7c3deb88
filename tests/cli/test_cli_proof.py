"""`pressctl release proof FILE --to ADDRESS [--as CONTACT]` through typer's CliRunner, against
a real SMTP server on loopback and the home's Maildir: exit codes, stdout and stderr apart,
and what the server received (only ever the officer's copy)."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
from pathlib import Path

import pytest
from conftest import db_snapshot
from mailing import embargoed_release

OFFICER = "pascale.bresson@cnes.fr"
CLAIRE = "claire.fontaine@gazette-espace.example.org"  # #5, fr, accepts embargoes
ANAIS = "anais.gauthier@sante-hebdo.example.org"  # #7, fr, does not accept embargoes


@pytest.fixture
def embargoed(tmp_path: Path) -> Path:
    """The example release (en + fr, embargo, press conference) moved to 2099."""
    return embargoed_release(tmp_path, "release")


@pytest.fixture
def relay(sample_book, home: Path, smtp_server):
    """The sample book with config.toml pointing at the aiosmtpd server."""
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_server.port}\nsecurity = "plain"\n',
        encoding="utf-8")
    return smtp_server


def one_line_error(result, code: int, text: str) -> None:
    assert result.exit_code == code, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert text in result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


def test_proof_sends_the_contacts_copy_to_the_officer_and_says_so_in_one_line(
        sample_book, relay, embargoed):
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", CLAIRE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"Sent the proof of PR106-2020 to {OFFICER} as #5 Claire Fontaine <{CLAIRE}>: "
        f"embargoed copy, fr, with the invitation; via smtp 127.0.0.1:{relay.port} (plain)\n")
    [received] = relay.messages
    assert received.rcpt_tos == [OFFICER]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert str(message["Subject"]).startswith("[PROOF] EMBARGO")
    assert "Bonjour Claire Fontaine," in message.get_body(("plain",)).get_content()


def test_proof_without_as_names_the_first_of_the_audience(sample_book, relay, embargoed):
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["contact"]["chosen"] is False and shown["to"] == OFFICER
    assert shown["copy"] in ("embargoed", "public") and shown["calendar"] is True
    assert shown["subject"].startswith("[PROOF] ")
    [received] = relay.messages
    assert received.rcpt_tos == [OFFICER]
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Message-ID"] == shown["message_id"]
    assert f"contact #{shown['contact']['id']}," in message["X-Pressctl-Proof"]


def test_proof_json_tells_the_public_copy_of_who_does_not_accept_embargoes(
        sample_book, relay, embargoed):
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", ANAIS, "--json")
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["contact"] == {"id": 7, "name": "Anaïs Gauthier", "email": ANAIS,
                                "chosen": True}
    assert (shown["copy"], shown["language"]) == ("public", "fr")
    assert not shown["subject"].startswith("[PROOF] EMBARGO")


def test_invite_proof_is_the_same_command(sample_book, relay, embargoed):
    result = sample_book("invite", "proof", embargoed, "--to", OFFICER, "--as", "5")
    assert result.exit_code == 0, result.stderr
    assert [m.rcpt_tos for m in relay.messages] == [[OFFICER]]


def test_the_global_as_names_who_acts_and_the_commands_as_whose_copy(sample_book, relay,
                                                                     embargoed):
    result = sample_book("--as", "anne", "release", "proof", embargoed, "--to", OFFICER,
                         "--as", CLAIRE)
    assert result.exit_code == 0, result.stderr
    assert f"as #5 Claire Fontaine <{CLAIRE}>" in result.stdout


def test_proof_records_nothing(sample_book, relay, home, embargoed):
    before = db_snapshot(home)
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", CLAIRE)
    assert result.exit_code == 0, result.stderr
    assert db_snapshot(home) == before
    assert sample_book("mailout", "list", "--json").stdout.strip() == "[]"


def test_proof_without_smtp_lands_in_the_homes_maildir(sample_book, home, embargoed):
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", CLAIRE)
    assert result.exit_code == 0, result.stderr
    assert f"via Maildir {home / 'outbox'}" in result.stdout
    box = mailbox.Maildir(home / "outbox", factory=None, create=False)
    [key] = box.keys()
    message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
    assert message["Delivered-To"] == OFFICER
    assert str(message["Subject"]).startswith("[PROOF] ")


@pytest.mark.parametrize(("to", "text"), [
    ("pascale.bresson@", "the proof address is not valid"),
    (CLAIRE, f"{CLAIRE} is the address of #5 Claire Fontaine (journalist)"),
])
def test_a_bad_to_is_refused_with_exit_3(sample_book, relay, embargoed, to, text):
    result = sample_book("release", "proof", embargoed, "--to", to, "--as", CLAIRE)
    one_line_error(result, 3, text)
    assert relay.messages == []


@pytest.mark.parametrize(("who", "text"), [
    ("nobody@example.org", "no contact with e-mail nobody@example.org"),
    ("#999", "no contact #999"),
    ("elodie.marchand@example.net", "#8 Élodie Marchand has opted out"),
])
def test_an_unknown_or_unmailed_as_is_refused_with_exit_3(sample_book, relay, embargoed, who,
                                                          text):
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", who)
    one_line_error(result, 3, text)
    assert relay.messages == []


def test_a_relay_that_is_down_exits_5_with_one_line(sample_book, relay, embargoed):
    relay.stop()
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", CLAIRE)
    one_line_error(result, 5, f"Error: the proof to {OFFICER} was not delivered (unreachable")
    assert "cannot reach 127.0.0.1" in result.stderr


def test_a_missing_smtp_password_exits_4(sample_book, home, auth_server, embargoed):
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {auth_server.port}\nsecurity = "starttls"\n'
        f'ca_file = "{auth_server.ca_file}"\nusername = "press-office"\n'
        'password_env = "SMTP_PASSWORD"\n', encoding="utf-8")
    result = sample_book("release", "proof", embargoed, "--to", OFFICER, "--as", CLAIRE)
    one_line_error(result, 4, "SMTP_PASSWORD")
    assert auth_server.messages == []


def test_to_is_required(sample_book, embargoed):
    result = sample_book("release", "proof", embargoed, "--as", CLAIRE)
    assert result.exit_code == 2 and "--to" in result.stderr


def test_proof_help_has_an_example(cli):
    result = cli("release", "proof", "--help")
    assert result.exit_code == 0
    assert "Example: pressctl release proof PR106-2020.en.md --to" in result.stdout
