"""`pressctl contacts history` and the last entries of `contacts show`, through the CLI
(exit codes, stdout and stderr apart): an invitation and a release delivered for real
(aiosmtpd on loopback), then a bounce, an answer and a reply imported with `pressctl inbox
import`. Both backends.

The sends are dated 2030; the bounce and the bouncing mark are dated by the import's own
clock (today: `inbox import` never dates a bounce in the future), so they come last.
"""

from __future__ import annotations

import json
import os

import pytest
from conftest import db_snapshot, home_store
from returned_mail import (
    JEAN,
    LUCIE,
    book_with_journalists,
    from_sample,
    hard_bounce,
    maildir,
    rsvp,
    send,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.session import Book
from pressctl.cli.context import display_zone, local_time
from pressctl.config import Settings

HEADER = "when\tkind\treference\tmailout\taddress\tdetail"
KINDS = ["reply", "release", "rsvp", "invitation", "bouncing", "bounce"]


@pytest.fixture
def history(cli, home, tmp_path, smtp_server):  # noqa: F811
    """Jean Martin: PR301-2030's invitation (2 March), PR302-2030 (5 March), his answer,
    his reply, a hard bounce of the invitation; imported by `inbox import`."""
    from datetime import UTC, datetime

    with home_store(home) as store:
        book = book_with_journalists(Book(store, Settings(), "2030-06-01T09:00:00Z"),
                                     tmp_path)
        invitation = send(book, tmp_path, smtp_server)
        release = send(book, tmp_path, smtp_server, "PR302-2030", event=False,
                       at=datetime(2030, 3, 5, 8, 0, tzinfo=UTC))
    assert invitation.uid is not None
    reply = from_sample("human-reply.eml", {
        "<d4c0473feca7a8da3a323d15ba6ed8a1.pressctl@cnes.fr>": release.rows[JEAN].message_id,
        "Date: Mon, 23 Nov 2026 11:02:09 +0100": "Date: Wed, 6 Mar 2030 11:00:00 +0100"})
    folder = maildir(tmp_path / "returned", hard_bounce(invitation.rows[JEAN], "hard-1"),
                     rsvp(invitation.uid, "answer-1", attendee=JEAN, partstat="ACCEPTED"),
                     reply)
    result = cli("inbox", "import", folder)
    assert result.exit_code == 0, result.stderr
    return invitation


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _json(cli, *args):
    return json.loads(_ok(cli(*args, "--json")).stdout)


def test_history_json_is_a_list_of_typed_entries_newest_first(cli, history):
    entries = _json(cli, "contacts", "history", JEAN)
    assert [e["kind"] for e in entries] == KINDS
    assert [e["at"] for e in entries] == sorted((e["at"] for e in entries), reverse=True)
    reply, release, answer, invite, marked, bounce = entries
    assert reply == {"kind": "reply", "at": "2030-03-06T10:00:00Z", "address": JEAN,
                     "subject": "Re: Lancement de SWOT-2 : conférence de presse",
                     "reference": "PR302-2030", "mailout": release["mailout"]}
    assert (release["reference"], release["phase"], release["state"], release["at"]) == (
        "PR302-2030", "single", "sent", "2030-03-05T08:00:00Z")
    assert release["reply"].startswith("250") and release["event_uid"] is None
    assert answer == {"kind": "rsvp", "at": "2030-03-03T13:15:02Z",
                      "event_uid": history.uid, "answer": "accepted", "address": JEAN,
                      "comment": None, "reference": "PR301-2030"}
    assert invite == {"kind": "invitation", "at": "2030-03-02T08:00:00Z",
                      "reference": "PR301-2030", "phase": "single",
                      "mailout": history.mailout_id, "address": JEAN, "state": "sent",
                      "reply": history.rows[JEAN].reply, "event_uid": history.uid}
    assert (bounce["severity"], bounce["status_code"], bounce["reference"],
            bounce["mailout"]) == ("hard", "5.1.1", "PR301-2030", history.mailout_id)
    assert bounce["diagnostic"].startswith("550 5.1.1 <j.martin@lemonde.example>")
    assert (marked["since"], marked["reason"], marked["cleared_by"]) == (
        bounce["at"], bounce["diagnostic"], None)


def test_history_prints_one_line_per_entry_with_a_kind_column(cli, history):
    entries = _json(cli, "contacts", "history", JEAN)
    result = _ok(cli("contacts", "history", JEAN))
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    cells = [line.split("\t") for line in lines[1:]]
    assert [c[1] for c in cells] == KINDS
    zone = display_zone(Settings(), dict(os.environ))  # TZ, else the system's zone
    assert [c[0] for c in cells] == [local_time(e["at"], zone) for e in entries]
    assert cells[3][2:5] == ["PR301-2030", f"#{history.mailout_id}", JEAN]
    assert cells[3][5] == f"sent ({history.rows[JEAN].reply})"
    assert cells[2][5] == f"accepted (event {history.uid})"
    assert cells[5][5].startswith("hard bounce 5.1.1: 550 5.1.1")
    assert result.stderr.startswith("6 entries for contact #")
    assert result.stderr.rstrip().endswith("Jean Martin")


def test_contacts_show_gives_the_last_three_entries_under_a_history_heading(cli, history):
    everything = _json(cli, "contacts", "history", JEAN)
    shown = _json(cli, "contacts", "show", JEAN)
    assert shown["history"] == everything[:3]
    lines = _ok(cli("contacts", "show", JEAN)).stdout.splitlines()
    at = lines.index("History")
    assert lines[at - 1] == "" and lines[at + 1] == HEADER
    assert [line.split("\t")[1] for line in lines[at + 2:at + 5]] == KINDS[:3]
    assert lines[at + 5:] == [f"pressctl contacts history {shown['id']} for all"]


def test_contacts_show_of_a_contact_with_no_history_says_so(cli, history):
    cli("contacts", "add", "Zoé Nouvelle", "--email", "zoe@nouvelle.example")
    assert _json(cli, "contacts", "show", "zoe@nouvelle.example")["history"] == []
    lines = _ok(cli("contacts", "show", "zoe@nouvelle.example")).stdout.splitlines()
    assert lines[-2:] == ["History", "nothing sent to or heard from this contact yet"]
    assert _json(cli, "contacts", "history", "zoe@nouvelle.example") == []


def test_history_follows_rows_sent_to_an_address_edited_since(cli, history):
    before = _json(cli, "contacts", "history", JEAN)
    _ok(cli("contacts", "edit", JEAN, "--add-email", "jean.martin@lemonde.example",
            "--remove-email", JEAN))
    after = _json(cli, "contacts", "history", "jean.martin@lemonde.example")
    [cleared] = [e for e in after if e["kind"] == "bouncing-cleared"]  # dated today
    assert (cleared["address"], cleared["cleared_how"]) == (
        JEAN, "address removed from its contact")
    # every row, bounce, answer and reply to the old address
    assert [e for e in after if e is not cleared] == before


def test_history_of_each_person_is_their_own(cli, history):
    lucie = _json(cli, "contacts", "history", LUCIE)
    assert [(e["kind"], e["reference"], e["address"]) for e in lucie] == [
        ("release", "PR302-2030", LUCIE), ("invitation", "PR301-2030", LUCIE)]


@pytest.mark.parametrize(("ref", "message"), [
    ("nobody@nowhere.example", "Error: no contact with e-mail nobody@nowhere.example"),
    ("999", "Error: no contact #999"),
    ("Nobody At All", "Error: no contact named"),
])
def test_history_of_an_unknown_contact_exits_3_and_prints_nothing(cli, history, home, ref,
                                                                  message):
    before = db_snapshot(home)
    for args in (("contacts", "history", ref), ("contacts", "history", ref, "--json")):
        result = cli(*args)
        assert result.exit_code == 3
        assert result.stdout == ""
        assert result.stderr.startswith(message)
    assert db_snapshot(home) == before
