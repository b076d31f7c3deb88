"""`pressctl invite rsvps` through the CLI: the attendance list of a press conference
whose answers came back through `inbox import` (an invitation delivered to aiosmtpd, the
iTIP samples of tests/data/inbox turned into answers). The use case and its renderings
are pinned in tests/book/test_rsvps.py; here, the command's table, CSV, JSON and errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from returned_mail import ANTOINE, LUCIE, book_with_journalists, maildir, rsvp, send
from smtp_fixtures import smtp_server  # noqa: F401  (pytest fixture)

from pressctl.book.inbox import import_inbox


@pytest.fixture
def answered(book, tmp_path, smtp_server):  # noqa: F811
    book = book_with_journalists(book, tmp_path)
    sent = send(book, tmp_path, smtp_server)
    assert sent.uid is not None
    report = import_inbox(book, maildir(
        tmp_path / "answers",
        rsvp(sent.uid, "a1", attendee=LUCIE, partstat="ACCEPTED", dtstamp="20300303T100000Z"),
        rsvp(sent.uid, "a2", attendee=ANTOINE, partstat="DECLINED",
             dtstamp="20300303T110000Z")))
    assert report.answers == 2
    return sent


def test_invite_rsvps_prints_the_list_and_the_counts(cli, answered):
    result = cli("invite", "rsvps", "PR301-2030")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    lucie = next(line for line in lines if "Lucie" in line)
    antoine = next(line for line in lines if "Antoine" in line)
    assert "accepted" in lucie and "declined" in antoine
    assert lines.index(lucie) < lines.index(antoine)  # accepted first, for the door
    assert "1 accepted" in result.stderr and "1 declined" in result.stderr


def test_invite_rsvps_as_csv_and_json_for_scripts_and_spreadsheets(cli, answered):
    table = cli("invite", "rsvps", "PR301-2030", "--format", "csv")
    assert table.exit_code == 0, table.stderr
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    answers = {row["name"]: row["answer"] for row in rows}
    assert any("Lucie" in name and answer == "accepted" for name, answer in answers.items())
    assert "@" not in table.stdout  # shared with the speakers: no addresses
    data = json.loads(cli("invite", "rsvps", str(answered.mailout_id), "--json").stdout)
    assert data["uid"] == answered.uid  # the mailout id names the same event


def test_invite_rsvps_refuses_an_unknown_reference_and_format(cli, answered):
    unknown = cli("invite", "rsvps", "PR999-2099")
    assert unknown.exit_code == 3 and "PR999-2099" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad = cli("invite", "rsvps", "PR301-2030", "--format", "xlsx")
    assert bad.exit_code == 3 and "--format csv" in bad.stderr
