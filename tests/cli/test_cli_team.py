"""A team on one book (issue 9), through the CLI: the acting user (--as, PRESSCTL_USER,
the login name), `pressctl log`, who did what to a mailout, and two officers editing one
contact at once from two processes (one wins, one is refused with exit 3, nothing lost).
Every test runs on SQLite and on PostgreSQL (the `home` fixture)."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import db_snapshot, home_store
from mailing import release_now

from pressctl.cli.views import format_local

PARIS = ZoneInfo("Europe/Paris")
JANE = ("contacts", "add", "Jane Doe", "--email", "jane@example.com", "--role", "Reporter")


@pytest.fixture
def paris(monkeypatch):
    """This process's local zone is Paris (times are shown in the local zone)."""
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield PARIS
    monkeypatch.undo()
    time.tzset()


def _ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def _log(cli, *args, env=None) -> list[dict]:
    return json.loads(_ok(cli("log", "--json", *args, env=env)).stdout)


def _paris_hhmm(at: str) -> str:
    moment = datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return f"{moment.astimezone(PARIS):%H:%M}"


# -- the acting user ------------------------------------------------------------------------------

def test_the_actor_is_as_then_pressctl_user_then_the_login_name(cli):
    login = {"PRESSCTL_USER": None, "LOGNAME": "carol", "USER": "carol"}
    _ok(cli("--as", "anne", *JANE, env={"PRESSCTL_USER": "bob"}))
    _ok(cli("contacts", "tag", "space", "1", env={"PRESSCTL_USER": "bob"}))
    _ok(cli("contacts", "tag", "health", "1", env=login))
    _ok(cli("contacts", "untag", "health", "1", env={**login, "PRESSCTL_USER": ""}))
    assert [(e["actor"], e["action"]) for e in _log(cli)] == [
        ("anne", "add"), ("bob", "tag"), ("carol", "tag"), ("carol", "untag")]


def test_the_actor_s_surrounding_spaces_are_dropped(cli):
    _ok(cli("--as", "  Anne-Sophie Müller ", *JANE))
    assert _log(cli)[0]["actor"] == "Anne-Sophie Müller"


@pytest.mark.parametrize(("name", "said"), [
    ("anne\nbob", '--as "anne\\nbob" is not one line of printable text'),
    ("anne\x1b[2J", '--as "anne\\x1b[2J" is not one line of printable text'),
    ("a" * 65, f'--as "{"a" * 65}" is 65 characters long (at most 64)'),
    ("", '--as "" is empty'),
])
def test_a_bad_as_is_refused_with_exit_3_and_changes_nothing(cli, home, name, said):
    before = db_snapshot(home)
    result = cli("--as", name, *JANE)
    assert result.exit_code == 3
    assert result.stderr.startswith(f"Error: {said} (give the name of who is acting: one line")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert db_snapshot(home) == before


@pytest.mark.parametrize("variable", ["PRESSCTL_USER", "LOGNAME"])
def test_a_bad_pressctl_user_or_login_name_is_refused_with_exit_4(cli, home, variable):
    before = db_snapshot(home)
    env = {"PRESSCTL_USER": None, "LOGNAME": None, "USER": None, "LNAME": None,
           "USERNAME": None, variable: "anne\tbob"}
    result = cli(*JANE, env=env)
    assert result.exit_code == 4
    where = "PRESSCTL_USER" if variable == "PRESSCTL_USER" else "the login name"
    assert result.stderr.startswith(f'Error: {where} "anne\\tbob" is not one line of '
                                    "printable text (set ")
    assert db_snapshot(home) == before
    assert _ok(cli("--as", "anne", *JANE, env=env))  # --as wins over a bad environment


# -- pressctl log --------------------------------------------------------------------------------------

def test_log_lists_who_did_what_newest_last_in_local_time(cli, paris):
    _ok(cli("--as", "anne", *JANE))
    _ok(cli("--as", "bob", "contacts", "edit", "1", "--role", "Editor"))
    _ok(cli("--as", "carol", "audiences", "add", "space", "tag:space"))
    entries = _log(cli)
    assert [(e["actor"], e["action"], e["subject"], e["subject_id"]) for e in entries] == [
        ("anne", "add", "contact", "1"), ("bob", "edit", "contact", "1"),
        ("carol", "save", "audience", "space")]
    assert entries[1]["summary"] == "edited: role"
    text = _ok(cli("log")).stdout.splitlines()
    assert text[0].split("\t") == ["when", "who", "action", "subject", "summary"]
    first = text[1].split("\t")
    at = datetime.strptime(entries[0]["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert first == [format_local(at, PARIS), "anne", "add", "contact #1",
                     "added Jane Doe"]
    assert text[3].split("\t")[3:] == ["@space", "saved @space: tag:space"]


def test_log_of_one_contact_by_id_email_or_name(cli):
    _ok(cli("--as", "anne", *JANE))
    _ok(cli("--as", "anne", "contacts", "add", "John Roe", "--email", "john@example.org"))
    _ok(cli("--as", "bob", "contacts", "tag", "space", "1", "2"))
    for ref in ("1", "#1", "jane@example.com", "Jane Doe"):
        assert [(e["actor"], e["action"]) for e in _log(cli, "--contact", ref)] == [
            ("anne", "add"), ("bob", "tag")]
    _ok(cli("--as", "carol", "contacts", "remove", "2", "--yes"))
    assert [e["action"] for e in _log(cli, "--contact", "2")] == ["add", "tag", "remove"]
    gone = cli("log", "--contact", "john@example.org")
    assert gone.exit_code == 3 and "no contact with e-mail john@example.org" in gone.stderr


@pytest.mark.parametrize(("since", "found"), [
    ("2000-01-01", 1), ("2000-01-01T00:00:00Z", 1), ("2000-01-01T01:00+01:00", 1),
    ("2000-01-01 09:00 Europe/Paris", 1), ("2h", 1), ("90m", 1), ("3d", 1),
    ("2099-01-01", 0), ("2099-01-01 09:00 UTC", 0),
])
def test_log_since_a_time_a_date_or_a_while_ago(cli, since, found):
    _ok(cli(*JANE))
    assert len(_log(cli, "--since", since)) == found


@pytest.mark.parametrize(("since", "said"), [
    ("yesterday", "not a date and time"),
    ("2026-11-23 09:00", "no time zone"),
    ("2026-11-23T09:00", "no time zone or offset"),
    ("2026-02-30", "not a real date"),
    ("2026-11-23 09:00 CET", "is an ambiguous abbreviation"),
])
def test_log_refuses_a_since_it_cannot_read_with_exit_3(cli, since, said):
    _ok(cli(*JANE))
    result = cli("log", "--since", since)
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.startswith(f'Error: --since "{since}": ')
    assert said in result.stderr and '"2026-11-23 09:00 Europe/Paris"' in result.stderr


def test_log_of_an_empty_book_says_so(cli):
    result = _ok(cli("log"))
    assert result.stdout == "" and "No change recorded" in result.stderr
    assert _log(cli) == []


# -- versions, shown and checked --------------------------------------------------------------------

def test_contacts_show_prints_the_version_and_the_last_change(cli, paris):
    _ok(cli("--as", "anne", *JANE))
    _ok(cli("--as", "bob", "contacts", "edit", "1", "--role", "Editor"))
    shown = json.loads(_ok(cli("contacts", "show", "1", "--json")).stdout)
    assert shown["version"] == 2
    assert (shown["last_change"]["actor"], shown["last_change"]["action"]) == ("bob", "edit")
    text = _ok(cli("contacts", "show", "1")).stdout
    assert re.search(r"^version +2$", text, re.M)  # the label column's width may grow
    at = datetime.strptime(shown["last_change"]["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert re.search(r"^last change +edit by bob at ", text, re.M)
    assert f"at {format_local(at, PARIS)}: edited: role" in text


def test_contacts_edit_if_version_refuses_a_stale_version_with_exit_3(cli, home, paris):
    _ok(cli("--as", "anne", *JANE))
    _ok(cli("--as", "bob", "contacts", "edit", "1", "--role", "Editor"))
    before = db_snapshot(home)
    stale = cli("--as", "anne", "contacts", "edit", "1", "--notes", "x", "--if-version", "1")
    at = _log(cli)[-1]["at"]
    assert stale.exit_code == 3
    assert stale.stderr == (f"Error: contact #1 was changed by bob at {_paris_hhmm(at)} since "
                            "you read it; show it again and retry\n")
    assert db_snapshot(home) == before
    _ok(cli("--as", "anne", "contacts", "edit", "1", "--notes", "x", "--if-version", "2"))
    assert json.loads(_ok(cli("contacts", "show", "1", "--json")).stdout)["version"] == 3


def test_orgs_show_and_edit_if_version(cli, home, paris):
    _ok(cli("--as", "anne", "orgs", "add", "Centre national d'études spatiales", "--short",
            "CNES"))
    _ok(cli("--as", "bob", "orgs", "edit", "CNES", "--country", "FR"))
    shown = json.loads(_ok(cli("orgs", "show", "CNES", "--json")).stdout)
    assert shown["version"] == 2 and shown["last_change"]["actor"] == "bob"
    before = db_snapshot(home)
    stale = cli("--as", "anne", "orgs", "edit", "CNES", "--country", "BE", "--if-version", "1")
    assert stale.exit_code == 3
    assert stale.stderr.startswith("Error: organisation #1 CNES was changed by bob at ")
    assert db_snapshot(home) == before


# -- mailouts: who approved, paused, resumed, cancelled ---------------------------------------------------

def test_mailout_show_says_who_approved_paused_resumed_and_cancelled_it(sample_book, tmp_path,
                                                                       paris):
    cli = sample_book
    _ok(cli("--as", "anne", "mailout", "create", release_now(tmp_path), "--at", "in 2h",
            "--yes"))
    _ok(cli("--as", "bob", "mailout", "pause", "1"))
    _ok(cli("--as", "carol", "mailout", "resume", "1"))
    _ok(cli("--as", "dave", "mailout", "cancel", "1"))
    shown = json.loads(_ok(cli("mailout", "show", "1", "--json")).stdout)
    assert [(c["actor"], c["action"]) for c in shown["changes"]] == [
        ("anne", "approve"), ("bob", "pause"), ("carol", "resume"), ("dave", "cancel")]
    lines = [" ".join(line.split()) for line in _ok(cli("mailout", "show", "1")).stdout
             .splitlines()]
    for label, actor in (("approved", "anne"), ("paused", "bob"), ("resumed", "carol"),
                         ("cancelled", "dave")):
        change = next(c for c in shown["changes"] if c["actor"] == actor)
        at = datetime.strptime(change["at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert f"{label} by {actor} at {format_local(at, PARIS)}" in lines


# -- two officers, two processes, one contact ------------------------------------------------------------

def _edit_paused_between_read_and_write(env: dict[str, str], argv: list[str], read, go,
                                        results) -> None:
    """Officer A, in a process of its own: `pressctl contacts edit`, paused after it has
    read the contact and before it writes, until the test says go. The pause is this
    child's own patch of the core: the product has no hook for it."""
    os.environ.clear()
    os.environ.update(env)
    time.tzset()
    from typer.testing import CliRunner

    from pressctl.book import contacts
    from pressctl.cli.app import build_app

    write = contacts._write_edit

    def paused(*args, **kwargs):
        read.set()
        if not go.wait(60):
            raise RuntimeError("the test never said go")
        return write(*args, **kwargs)

    contacts._write_edit = paused
    result = CliRunner().invoke(build_app(argv), argv)
    results.put((result.exit_code, result.stdout, result.stderr))


@pytest.mark.subprocess
def test_two_concurrent_edits_of_one_contact_one_wins_one_is_refused_nothing_lost(
        cli, home, console_script):
    _ok(cli("--as", "carol", *JANE))
    env = {**os.environ, "TZ": "Europe/Paris"}
    spawn = multiprocessing.get_context("spawn")
    read, go, results = spawn.Event(), spawn.Event(), spawn.Queue()
    anne = spawn.Process(target=_edit_paused_between_read_and_write, args=(
        env, ["--as", "anne", "contacts", "edit", "1", "--role", "Editor (anne)",
              "--notes", "anne was here"], read, go, results))
    anne.start()
    try:
        assert read.wait(60), "officer A never read the contact"
        bob = subprocess.run([str(console_script), "--as", "bob", "contacts", "edit",
                              "jane@example.com", "--role", "Editor (bob)"],
                             env=env, capture_output=True, text=True, timeout=60, check=False)
        assert bob.returncode == 0, bob.stderr
        go.set()
        code, out, err = results.get(timeout=60)
    finally:
        go.set()
        anne.join(60)
    bob_at = _log(cli)[-1]["at"]
    assert code == 3 and out == ""
    assert err == (f"Error: contact #1 was changed by bob at {_paris_hhmm(bob_at)} since you "
                   "read it; show it again and retry\n")
    with home_store(home) as store:
        jane = store.contacts.get(1)
        assert (jane.role, jane.notes) == ("Editor (bob)", None)  # bob's, nothing of anne's
        assert store.contacts.version(1) == 2
    assert [(e["actor"], e["action"]) for e in _log(cli, "--contact", "1")] == [
        ("carol", "add"), ("bob", "edit")]
