"""`pressctl contacts export-person` and `pressctl contacts forget` through the CLI (exit
codes, stdout and stderr apart), on both backends. The history is real: an invitation
delivered to a real SMTP server (aiosmtpd on loopback), then a bounce, an answer and a
reply read back by `pressctl inbox import`. After `forget`, the book is searched whole:
every value through SQL, and on SQLite the raw bytes of the file, -wal and -shm."""

from __future__ import annotations

import json
import stat

import pytest
from conftest import db_snapshot, home_store
from person_search import assert_absent
from returned_mail import (
    JEAN,
    NINA,
    book_with_journalists,
    hard_bounce,
    human_reply,
    maildir,
    release_file,
    rsvp,
    send,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.forgotten import FORGOTTEN
from pressctl.book.session import Book
from pressctl.config import Settings

NAME = "Jean Martin"
SECOND = "jean.martin@proton.example"
PHONE = "+33612345678"


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


@pytest.fixture
def jean(cli, home, tmp_path, smtp_server):  # noqa: F811
    """Jean Martin (two addresses, a phone, tags) was sent the invitation PR301-2030; his
    bounce, answer and reply were imported, then he opted out; the outbox log names him."""
    with home_store(home) as store:
        book = book_with_journalists(Book(store, Settings(), "2030-06-01T09:00:00Z"),
                                     tmp_path)
        _ok(cli("contacts", "edit", JEAN, "--add-email", SECOND, "--add-phone", PHONE))
        _ok(cli("contacts", "tag", "science", JEAN))
        sent = send(book, tmp_path, smtp_server)
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"),
                     rsvp(sent.uid, "answer-1", partstat="ACCEPTED", attendee=JEAN),
                     human_reply(sent.rows[JEAN], "reply-1"))
    _ok(cli("inbox", "import", folder))
    _ok(cli("contacts", "optout", JEAN, "--note", "asked by phone"))
    (home / "outbox.log").write_text(f"2030-03-02T08:00:09Z run r1: 3 sent, 1 failed\n"
                                     f"  {JEAN}: 550 5.1.1 unknown\n", encoding="utf-8")
    return sent


def test_forget_without_yes_says_what_would_change_and_changes_nothing(cli, home, jean):
    before = db_snapshot(home)
    result = cli("contacts", "forget", JEAN)
    assert result.exit_code == 2
    assert "nothing was erased" in result.stderr and "--yes" in result.stderr
    table = dict(line.split("\t") for line in result.stdout.splitlines()[1:])
    assert (int(table["contacts"]) >= 1, table["contact_emails"], table["contact_phones"],
            table["mailout_rows"]) == (True, "2", "1", "1")
    assert db_snapshot(home) == before
    assert JEAN in (home / "outbox.log").read_text(encoding="utf-8")


def test_forget_yes_erases_them_from_the_whole_database_and_the_log(cli, home, jean):
    result = _ok(cli("contacts", "forget", JEAN, "--yes"))
    assert result.stderr.startswith(f"Forgot contact #{jean.rows[JEAN].contact_id} {NAME}: ")
    assert "2 address(es) kept only as keyed hashes" in result.stderr
    assert "Backups" in result.stderr
    with home_store(home) as store:
        assert_absent(store, [NAME, JEAN, SECOND, PHONE])
        assert store.mailouts.counts(jean.mailout_id) == {"sent": 4}
    assert JEAN not in (home / "outbox.log").read_text(encoding="utf-8")
    assert cli("contacts", "show", JEAN).exit_code == 3
    _ok(cli("contacts", "show", NINA))


def test_forget_json_gives_the_counts(cli, jean):
    report = json.loads(_ok(cli("contacts", "forget", JEAN, "--yes", "--json")).stdout)
    assert report["dry_run"] is False and report["hashes"] == 2
    assert report["changed"]["contact_emails"] == 2 and report["log_lines"] == 1
    assert report["compaction"]["complete"] is True


def test_a_later_import_skips_the_forgotten_address_says_so_and_imports_the_rest(
        cli, jean, tmp_path):
    _ok(cli("contacts", "forget", JEAN, "--yes"))
    people = tmp_path / "again.csv"
    people.write_text(f"Name,Email\n{NAME},{JEAN.upper()}\nZoé Lenoir,z.lenoir@lib.example\n",
                      encoding="utf-8")
    result = _ok(cli("contacts", "import", people))
    assert f"Warning: {people}:2: {FORGOTTEN}\n" in result.stderr
    assert "Imported 1 new contact(s)" in result.stderr
    assert "skipped 1 row(s) of people who asked to be forgotten" in result.stderr
    again = json.loads(_ok(cli("contacts", "import", people, "--json",
                               "--on-duplicate", "skip")).stdout)
    assert again["forgotten"] == [f"{people}:2: {FORGOTTEN}"]
    assert _ok(cli("contacts", "show", "z.lenoir@lib.example")).stdout
    refused = cli("contacts", "add", "J. Martin", "--email", SECOND)
    assert refused.exit_code == 3 and FORGOTTEN in refused.stderr


def test_forget_an_unknown_contact_exits_3(cli, jean):
    result = cli("contacts", "forget", "nobody@example.org", "--yes")
    assert result.exit_code == 3 and "no contact" in result.stderr


def test_forget_of_an_officer_whose_mailout_is_still_to_be_sent_exits_3_until_cancelled(
        cli, home, jean, tmp_path):
    created = json.loads(_ok(cli("mailout", "create", release_file(tmp_path, "PR302-2030"),
                                 "--yes", "--json")).stdout)
    mailout_id = str(created[0]["id"])
    before = db_snapshot(home)
    result = cli("contacts", "forget", "pascale.bresson@cnes.fr", "--yes")
    assert result.exit_code == 3 and "still to be sent" in result.stderr
    assert f"pressctl mailout cancel {mailout_id}" in result.stderr
    assert db_snapshot(home) == before
    _ok(cli("mailout", "cancel", mailout_id))
    done = _ok(cli("contacts", "forget", "pascale.bresson@cnes.fr", "--yes"))
    assert "Warning: they were a press officer of CNES" in done.stderr
    with home_store(home) as store:
        assert_absent(store, ["Pascale Bresson", "pascale.bresson@cnes.fr"])


# -- export-person ----------------------------------------------------------------------------


def test_export_person_writes_a_private_json_file_of_everything(cli, jean, tmp_path):
    out = tmp_path / "jean.json"
    result = _ok(cli("contacts", "export-person", JEAN, "--out", out))
    assert result.stdout == "" and f"Wrote {out}" in result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["contact"]["emails"] == [JEAN, SECOND]
    assert [p["e164"] for p in data["contact"]["phones"]] == [PHONE]
    assert [r["reference"] for r in data["mailouts"]] == ["PR301-2030"]
    assert data["bounces"] and data["rsvps"] and data["replies"] and data["opt_outs"]
    assert data["generated_at"].endswith("Z") and data["book"]["schema"]


def test_export_person_to_stdout(cli, jean):
    data = json.loads(_ok(cli("contacts", "export-person", JEAN, "--out", "-")).stdout)
    assert data["contact"]["name"] == NAME


def test_export_person_of_an_unknown_contact_exits_3_and_writes_nothing(cli, jean, tmp_path):
    out = tmp_path / "nobody.json"
    result = cli("contacts", "export-person", "#999", "--out", out)
    assert result.exit_code == 3 and not out.exists()


def test_export_person_needs_out(cli, jean):
    assert cli("contacts", "export-person", JEAN).exit_code == 2
