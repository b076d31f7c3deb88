"""`pressctl invite update` and `pressctl invite cancel`, in-process (typer's CliRunner):
exit codes, stdout and stderr apart, the approval flow of `mailout create` (a summary,
--yes off a terminal, --dry-run), and what `outbox run` then delivers into the home's
Maildir, read back with email and icalendar."""

from __future__ import annotations

import email
import email.policy
import json
import mailbox
from pathlib import Path

import pytest
from conftest import REPO, db_snapshot
from icalendar import Calendar

UID = "pr106-2020-event@cnes.fr"
EN_READER = "p.raman@healthdesk.example.net"


@pytest.fixture
def invitation(tmp_path: Path) -> Path:
    """The seed invitation in 2099, without embargo, to tag:radiology (5 contacts)."""
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        text = text.replace("2020-09-2", "2099-09-2").replace(
            'audience = "tag:space or tag:health or tag:radiology"', 'audience = "tag:radiology"')
        text = text.replace('embargo = "2099-09-22 11:30 Europe/Paris"\n', "")
        (tmp_path / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return tmp_path / "PR106-2020.en.md"


def edit_both(path: Path, old: str, new: str) -> None:
    for version in (path, path.with_name("PR106-2020.fr.md")):
        text = version.read_text(encoding="utf-8")
        version.write_text(text.replace(old, new), encoding="utf-8")


def move_to_14h(path: Path) -> None:
    edit_both(path, 'start = "2099-09-22 11:30 Europe/Paris"',
              'start = "2099-09-22 14:00 Europe/Paris"')


def sent_invitation(cli, path: Path) -> None:
    assert cli("mailout", "create", path, "--yes").exit_code == 0
    result = cli("outbox", "run")
    assert result.exit_code == 0, result.stderr


def delivered(home: Path) -> dict[str, list]:
    """Every message in the home's Maildir, by recipient, in the order of their SEQUENCE."""
    found: dict[str, list] = {}
    box = mailbox.Maildir(home / "outbox", create=False)
    for key in box.iterkeys():
        message = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
        found.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
    return {address: sorted(messages, key=lambda m: calendar_of(m)[2])
            for address, messages in found.items()}


def calendar_of(message):
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), str(event["UID"]), event.decoded("SEQUENCE"), event


def test_update_then_cancel_from_the_command_line(sample_book, home, invitation):
    cli = sample_book
    sent_invitation(cli, invitation)
    move_to_14h(invitation)
    result = cli("invite", "update", invitation, "--yes")
    assert result.exit_code == 0, result.stderr
    assert "0 -> 1" in result.stdout and "time: Tuesday 22 September 2099, 14:00" in result.stdout
    assert "(update, SEQUENCE 1): 5 message(s)" in result.stderr
    assert cli("outbox", "run").exit_code == 0
    result = cli("invite", "cancel", invitation, "--note", "Postponed to October.", "--yes",
                 "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["kind"], answer["uid"], answer["sequence"], answer["previous_sequence"],
            answer["note"], answer["recipients"]) == (
        "cancel", UID, 2, 1, "Postponed to October.", 5)
    assert cli("outbox", "run").exit_code == 0
    invitation_, update, cancellation = delivered(home)[EN_READER]
    assert calendar_of(invitation_)[:3] == ("REQUEST", UID, 0)
    assert calendar_of(update)[:3] == ("REQUEST", UID, 1)
    assert "- New time: Tuesday 22 September 2099, 14:00 CEST – 15:00" in \
        update.get_body(("plain",)).get_content()
    method, uid, sequence, event = calendar_of(cancellation)
    assert (method, uid, sequence, str(event["STATUS"])) == ("CANCEL", UID, 2, "CANCELLED")
    assert "Postponed to October." in cancellation.get_body(("plain",)).get_content()
    assert len(delivered(home)) == 5  # the same five people, three messages each
    assert {len(messages) for messages in delivered(home).values()} == {3}


@pytest.mark.parametrize("command", [("update",), ("cancel", "--note", "Sorry.")])
def test_an_invitation_never_sent_is_refused_with_exit_3(sample_book, home, invitation,
                                                         command):
    before = db_snapshot(home)
    result = sample_book("invite", *command, invitation, "--yes")
    assert result.exit_code == 3 and result.stdout == ""
    assert "was never sent" in result.stderr
    assert f"send it first with `pressctl mailout create {invitation}`" in result.stderr
    assert db_snapshot(home) == before


def test_nothing_changed_is_refused_with_exit_3(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    before = db_snapshot(home)
    result = sample_book("invite", "update", invitation, "--yes")
    assert result.exit_code == 3
    assert "nothing has changed in the event since SEQUENCE 0 was sent" in result.stderr
    assert db_snapshot(home) == before


def test_a_second_cancel_is_refused_with_exit_3(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    assert sample_book("invite", "cancel", invitation, "--yes").exit_code == 0
    before = db_snapshot(home)
    result = sample_book("invite", "cancel", invitation, "--yes")
    assert result.exit_code == 3 and "is already cancelled" in result.stderr
    result = sample_book("mailout", "create", invitation, "--yes")
    assert result.exit_code == 3 and "was cancelled" in result.stderr
    assert db_snapshot(home) == before


def test_without_yes_off_a_terminal_nothing_is_approved(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    move_to_14h(invitation)
    before = db_snapshot(home)
    result = sample_book("invite", "update", invitation)
    assert result.exit_code == 2 and "pass --yes to approve the update" in result.stderr
    result = sample_book("invite", "cancel", invitation)
    assert result.exit_code == 2 and "pass --yes to approve the cancellation" in result.stderr
    assert db_snapshot(home) == before


def test_a_dry_run_shows_the_update_and_stores_nothing(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    move_to_14h(invitation)
    before = db_snapshot(home)
    result = sample_book("invite", "update", invitation, "--dry-run", "--json")
    assert result.exit_code == 0 and "Dry run: nothing stored" in result.stderr
    answer = json.loads(result.stdout)
    assert (answer["sequence"], answer["recipients"], answer["phase"]) == (1, 5, "single")
    assert answer["changes"]["fr"] == [{"what": "time", "value": (
        "mardi 22 septembre 2099 à 14 h 00 (heure de Paris) – 15 h 00")}]
    assert db_snapshot(home) == before


def test_an_opted_out_recipient_is_listed_as_skipped(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    assert sample_book("contacts", "optout", EN_READER).exit_code == 0
    move_to_14h(invitation)
    result = sample_book("invite", "update", invitation, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["recipients"] == 4
    assert answer["skipped"] == [{"name": "Priya Raman", "address": EN_READER,
                                  "reason": "opted out since the invitation"}]


def test_the_acting_user_approves_the_update(sample_book, home, invitation):
    sent_invitation(sample_book, invitation)
    move_to_14h(invitation)
    result = sample_book("--as", "anne", "invite", "update", invitation, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    mailout_id = json.loads(result.stdout)["id"]
    shown = json.loads(sample_book("mailout", "show", mailout_id, "--json").stdout)
    [approval] = shown["changes"]
    assert (approval["actor"], approval["action"]) == ("anne", "approve")
    assert approval["summary"].startswith("approved the update of PR106-2020's event, "
                                          "SEQUENCE 1")


def test_an_old_file_with_sequence_is_warned_and_still_sent(sample_book, home, invitation):
    edit_both(invitation, 'meeting_id = "979 8149 5219"',
              'meeting_id = "979 8149 5219"\nsequence = 2')
    result = sample_book("mailout", "create", invitation, "--yes")
    assert result.exit_code == 0
    assert "event.sequence = 2 is no longer needed" in result.stderr
    assert sample_book("outbox", "run").exit_code == 0
    [message] = delivered(home)[EN_READER]
    assert calendar_of(message)[2] == 2


def test_the_commands_have_an_example_in_their_help(sample_book):
    for command in ("update", "cancel"):
        result = sample_book("invite", command, "--help")
        assert result.exit_code == 0 and f"pressctl invite {command} " in result.stdout
