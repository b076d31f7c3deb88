"""The approval screen of `mailout create` and what answering it does, in-process (typer's
CliRunner): what the screen says (subjects, From, due times in the release's zone and the
user's, counts per phase and language, the first recipients, who is left out and why), the
--json summary in UTC, "n" exiting 6 with nothing stored, --at or --now on a terminal, and
the other confirmations that decline with the same code.

"On a terminal" is pressctl.cli.prompts.interactive (contacts_cmd._interactive for the
contacts group), replaced here as tests/book/test_optouts_forever.py does."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import REPO, db_snapshot, home_store
from mailing import embargoed_release

from pressctl.cli import approval_screen, prompts
from pressctl.contacts.emails import email_key

AT = "2099-09-21 09:00 Europe/Paris"  # the day before the lift (2099-09-22 11:30 Paris)
AUDIENCE = "tag:space or tag:health or tag:radiology"  # the release's own
ELODIE = "elodie.marchand@example.net"  # opted out in the sample (tags space, tech)
PRIYA = "p.raman@healthdesk.example.net"  # accepts embargoes
EN_SUBJECT = "CNES partners with French Radiology Society"
FR_SUBJECT = "Le CNES s'associe à la Société Française de Radiologie"


def _config(home: Path, timezone: str) -> None:
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert text.count("[display]\n") == 1
    config.write_text(text.replace("[display]\n", f'[display]\ntimezone = "{timezone}"\n'),
                      encoding="utf-8")


@pytest.fixture
def montreal(home: Path) -> Path:
    """The user reads clocks in Montreal; the release is written in Paris time."""
    _config(home, "America/Montreal")
    return home


@pytest.fixture
def bouncing(home: Path, sample_book) -> str:
    with home_store(home) as store, store.transaction():
        store.inbox.mark_bouncing(email_key(PRIYA), PRIYA, "2026-11-01T10:00:00Z",
                                  "550 5.1.1 user unknown", "2026-11-01T10:00:00Z")
    return PRIYA


@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(prompts, "interactive", lambda: True)


def _spaces(text: str) -> str:
    """French typography puts no-break spaces in "11 h 30": compared as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def _mailouts(cli) -> list[dict]:
    result = cli("mailout", "list", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _expected(cli) -> dict[str, dict[str, list[dict]]]:
    """Who is in which phase and language, worked out from `contacts list` (not from the
    code under test): the release's audience, opted-out contacts and contacts without an
    address left out; embargo_ok -> embargoed, else public; French speakers get fr."""
    contacts = json.loads(cli("contacts", "list", "--json").stdout)
    wanted = {"space", "health", "radiology"}
    phases: dict[str, dict[str, list[dict]]] = {"embargoed": {}, "public": {}}
    for contact in contacts:
        if not wanted & set(contact["tags"]) or contact["opted_out"] or not contact["emails"]:
            continue
        bases = [tag.split("-")[0] for tag in contact["languages"]]
        language = next((b for b in bases if b in ("en", "fr")), "en")
        phase = "embargoed" if contact["embargo_ok"] else "public"
        phases[phase].setdefault(language, []).append(contact)
    return phases


# --------------------------------------------------------------------------- the screen


def test_the_screen_names_subjects_sender_and_counts_per_phase_and_language(
        sample_book, montreal, tmp_path):
    cli = sample_book
    result = cli("mailout", "create", embargoed_release(tmp_path), "--at", AT, "--dry-run")
    assert result.exit_code == 0, result.stderr
    screen = _spaces(result.stderr)
    expected = _expected(cli)
    total = sum(len(c) for languages in expected.values() for c in languages.values())
    assert f"PR106-2020: approve {total} message(s)" in screen
    assert "From       Pascale Bresson (CNES) <pascale.bresson@cnes.fr>" in screen
    embargoed, public = screen.split("  Embargoed")[1].split("  Public")
    public = public.split("  To ")[0]
    assert f"{sum(len(c) for c in expected['embargoed'].values())} message(s)" in embargoed
    assert f"{sum(len(c) for c in expected['public'].values())} message(s)" in public
    for language, subject in (("en", f"EMBARGO 22 Sep 2099 11:30 CEST – {EN_SUBJECT}"),
                              ("fr", f"EMBARGO 22/09/2099 11 h 30 (heure de Paris) – "
                                     f"{FR_SUBJECT}")):
        count = len(expected["embargoed"][language])
        assert re.search(rf"^ +{language} +{count}  {re.escape(subject)}$", embargoed, re.M)
    for language, subject in (("en", EN_SUBJECT), ("fr", FR_SUBJECT)):
        count = len(expected["public"][language])
        assert re.search(rf"^ +{language} +{count}  {re.escape(subject)}$", public, re.M)
    assert "EMBARGO" not in public


def test_due_times_are_shown_in_the_release_zone_and_the_users(sample_book, montreal,
                                                                tmp_path):
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         "--dry-run")
    assert result.exit_code == 0, result.stderr
    embargoed, public = result.stderr.split("  Embargoed")[1].split("  Public")
    # 09:00 in Paris (CEST, UTC+2) is 03:00 in Montreal (EDT, UTC-4); the lift 11:30 is 05:30.
    assert "due 2099-09-21 09:00 CEST (Europe/Paris)" in embargoed
    assert "2099-09-21 03:00 EDT your time (America/Montreal)" in embargoed
    assert "due 2099-09-22 11:30 CEST (Europe/Paris)" in public
    assert "2099-09-22 05:30 EDT your time (America/Montreal)" in public
    assert "2099-09-21 03:00 EDT" in result.stdout  # the table too, in the user's zone
    assert "+00:00" not in result.stdout + result.stderr


def test_a_user_in_the_release_zone_sees_the_time_once(sample_book, home, tmp_path):
    _config(home, "Europe/Paris")
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         "--dry-run")
    assert "due 2099-09-21 09:00 CEST (Europe/Paris), also your time" in result.stderr
    assert "your time (" not in result.stderr


def test_the_first_recipients_are_named_with_their_outlet(sample_book, montreal, tmp_path):
    cli = sample_book
    result = cli("mailout", "create", embargoed_release(tmp_path), "--at", AT, "--dry-run",
                 "--json")
    summary = json.loads(result.stdout)
    first = summary["first_recipients"]
    assert len(first) == 5 and summary["more"] == summary["messages"] - 5
    screen = cli("mailout", "create", embargoed_release(tmp_path, "again"), "--at", AT,
                 "--dry-run").stderr
    lines = [line.strip() for line in screen.split("  To ")[1].splitlines()][:6]
    assert lines[:5] == [f"{f['name']} <{f['address']}> ({f['outlet']})" for f in first]
    assert lines[5] == f"… and {summary['messages'] - 5} more"
    by_address = {c["emails"][0]: c for c in json.loads(cli("contacts", "list",
                                                              "--json").stdout) if c["emails"]}
    for entry in first:
        contact = by_address[entry["address"]]
        assert entry["outlet"] == (contact["outlet"] or contact["organization"])


def test_the_screen_says_who_is_left_out_and_why(sample_book, montreal, bouncing, tmp_path):
    cli = sample_book
    result = cli("mailout", "create", embargoed_release(tmp_path), "--at", AT, "--dry-run")
    assert result.exit_code == 0, result.stderr
    left = result.stderr.split("  Left out")[1]
    assert "1 opted out: never mailed" in left and f"Élodie Marchand <{ELODIE}>" in left
    assert "1 bouncing: counted above, but skipped when sending" in left
    assert (f"Priya Raman <{PRIYA}>: bouncing since 2026-11-01 (550 5.1.1 user unknown)"
            in left)
    refusing = sorted(c["name"] for languages in _expected(cli)["public"].values()
                      for c in languages)
    assert (f"{len(refusing)} do not accept embargoes: the public version at the lift "
            "instead") in left
    assert f"  {refusing[0]} <" in left and f"… and {len(refusing) - 5} more" in left


def test_with_no_public_the_screen_says_they_get_nothing(sample_book, montreal, tmp_path):
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         "--no-public", "--dry-run")
    count = sum(len(c) for c in _expected(sample_book)["public"].values())
    assert f"{count} do not accept embargoes: get nothing (--no-public)" in result.stderr
    assert "  Public" not in result.stderr


def test_the_screen_is_rich_on_a_colour_terminal_and_plain_with_no_color(
        sample_book, montreal, tmp_path, monkeypatch):
    monkeypatch.setattr(approval_screen, "_styled", lambda out: out.color)
    path = embargoed_release(tmp_path)
    coloured = sample_book("mailout", "create", path, "--at", AT, "--dry-run",
                           env={"NO_COLOR": None, "FORCE_COLOR": "1"})
    assert coloured.exit_code == 0, coloured.stderr
    assert "\x1b[" in coloured.stderr
    text = re.sub(r"\x1b\[[0-9;]*m", "", coloured.stderr)
    assert "Pascale Bresson (CNES) <pascale.bresson@cnes.fr>" in text
    assert "due 2099-09-21 09:00 CEST (Europe/Paris)" in text
    plain = sample_book("mailout", "create", path, "--at", AT, "--dry-run",
                        env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in plain.stderr
    assert "From       Pascale Bresson (CNES) <pascale.bresson@cnes.fr>" in plain.stderr


def test_quiet_and_json_print_no_screen(sample_book, tmp_path):
    path = embargoed_release(tmp_path)
    for args in (("-q", "mailout", "create", path, "--at", AT, "--dry-run"),
                 ("mailout", "create", path, "--at", AT, "--dry-run", "--json")):
        result = sample_book(*args)
        assert result.exit_code == 0 and "From " not in result.stderr, args


# --------------------------------------------------------------------------- --json


def test_the_dry_run_json_is_the_summary_in_utc(sample_book, montreal, bouncing, tmp_path):
    cli = sample_book
    before = db_snapshot(montreal)
    result = cli("mailout", "create", embargoed_release(tmp_path), "--at", AT, "--dry-run",
                 "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["from"] == {"name": "Pascale Bresson (CNES)",
                               "address": "pascale.bresson@cnes.fr"}
    assert summary["zone"] == "Europe/Paris"
    embargoed, public = summary["mailouts"]
    assert (embargoed["due"], public["due"]) == ("2099-09-21T07:00:00Z", "2099-09-22T09:30:00Z")
    expected = _expected(cli)
    for row, phase in ((embargoed, "embargoed"), (public, "public")):
        assert row["per_language"] == {lang: len(c) for lang, c in expected[phase].items()}
        assert row["recipients"] == sum(row["per_language"].values())
    assert _spaces(embargoed["subjects"]["fr"]).endswith(FR_SUBJECT)
    assert {k: _spaces(v) for k, v in public["subjects"].items()} == {"en": EN_SUBJECT,
                                                                      "fr": FR_SUBJECT}
    reasons = {(m["address"], m["reason"], m["gets"]) for m in summary["left_out_contacts"]}
    assert (ELODIE, "opted-out", "nothing") in reasons
    assert (PRIYA, "bouncing", "skipped-when-sending") in reasons
    assert {m["address"] for m in summary["left_out_contacts"]
            if m["reason"] == "no-embargo-consent"} == {
        c["emails"][0] for languages in expected["public"].values() for c in languages}
    assert db_snapshot(montreal) == before and _mailouts(cli) == []


def test_the_created_json_gives_due_times_in_utc(sample_book, tmp_path):
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    embargoed, public = json.loads(result.stdout)
    assert (embargoed["due"], public["due"]) == ("2099-09-21T07:00:00Z", "2099-09-22T09:30:00Z")
    assert [m["due_at"] for m in _mailouts(sample_book)] == [embargoed["due"], public["due"]]
    assert public["subjects"]["en"] == EN_SUBJECT


# --------------------------------------------------------------------------- answering


def test_declining_exits_6_and_stores_nothing(sample_book, home, terminal, tmp_path):
    before = db_snapshot(home)
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         input="n\n")
    assert result.exit_code == 6, result.stderr
    assert "Approve " in result.stderr and "? [y/N]" in result.stderr
    assert "Nothing approved: no mailout was stored." in result.stderr
    assert db_snapshot(home) == before and _mailouts(sample_book) == []


def test_end_of_input_at_the_question_is_a_no(sample_book, home, terminal, tmp_path):
    before = db_snapshot(home)
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         input="")
    assert result.exit_code == 6 and "Nothing approved" in result.stderr
    assert db_snapshot(home) == before


def test_accepting_stores_the_mailouts(sample_book, terminal, tmp_path):
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT,
                         input="y\n")
    assert result.exit_code == 0, result.stderr
    assert [m["phase"] for m in _mailouts(sample_book)] == ["embargoed", "public"]
    assert "Mailout #1 (embargoed)" in result.stderr


# --------------------------------------------------------------------------- when


def test_on_a_terminal_when_must_be_said(sample_book, home, terminal, tmp_path):
    before = db_snapshot(home)
    for extra in ((), ("--yes",)):
        result = sample_book("mailout", "create", embargoed_release(tmp_path, f"r{len(extra)}"),
                             *extra, input="y\n")
        assert result.exit_code == 2, result.stderr
        assert "say when: --at" in result.stderr and "--now" in result.stderr
    assert db_snapshot(home) == before


def test_now_on_a_terminal_sends_at_once(sample_book, terminal, tmp_path):
    started = datetime.now(UTC).replace(microsecond=0)
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--now",
                         input="y\n")
    assert result.exit_code == 0, result.stderr
    embargoed, public = _mailouts(sample_book)
    due = datetime.fromisoformat(embargoed["due_at"])
    assert started - timedelta(seconds=1) <= due <= datetime.now(UTC) + timedelta(seconds=1)
    assert public["due_at"] == "2099-09-22T09:30:00Z"
    assert "No --at given" not in result.stderr


def test_at_and_now_together_are_refused(sample_book, home, tmp_path):
    before = db_snapshot(home)
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--at", AT, "--now",
                         "--yes")
    assert result.exit_code == 2 and "give --at or --now, not both" in result.stderr
    assert db_snapshot(home) == before


def test_off_a_terminal_no_at_means_now_and_says_so(sample_book, tmp_path):
    # Scripts and cron (no terminal, --yes) keep working: they approve "now", and are told.
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--yes")
    assert result.exit_code == 0, result.stderr
    assert "No --at given: due now" in result.stderr
    assert len(_mailouts(sample_book)) == 2


def test_a_dry_run_on_a_terminal_needs_no_when(sample_book, terminal, tmp_path):
    result = sample_book("mailout", "create", embargoed_release(tmp_path), "--dry-run")
    assert result.exit_code == 0 and "No --at given: due now" in result.stderr


# --------------------------------------------------------------------------- other questions


def test_declining_contacts_remove_exits_6_and_removes_nothing(sample_book, home, monkeypatch):
    from pressctl.cli import contacts_cmd

    monkeypatch.setattr(contacts_cmd, "_interactive", lambda: True)
    before = db_snapshot(home)
    result = sample_book("contacts", "remove", PRIYA, input="n\n")
    assert result.exit_code == 6 and "Nothing removed." in result.stderr
    assert "Remove #" in result.stderr
    assert db_snapshot(home) == before


def _invitation(tmp_path: Path) -> Path:
    """The seed invitation in 2099, without embargo, to tag:radiology."""
    for language in ("en", "fr"):
        text = (REPO / "examples" / f"PR106-2020.{language}.md").read_text(encoding="utf-8")
        text = text.replace("2020-09-2", "2099-09-2").replace(f'audience = "{AUDIENCE}"',
                                                              'audience = "tag:radiology"')
        text = text.replace('embargo = "2099-09-22 11:30 Europe/Paris"\n', "")
        (tmp_path / f"PR106-2020.{language}.md").write_text(text, encoding="utf-8")
    return tmp_path / "PR106-2020.en.md"


def test_declining_an_invitation_update_exits_6_and_stores_nothing(sample_book, home,
                                                                   terminal, tmp_path):
    path = _invitation(tmp_path)
    assert sample_book("mailout", "create", path, "--now", "--yes").exit_code == 0
    sent = sample_book("outbox", "run")  # into the home's Maildir (a test home has no [smtp])
    assert sent.exit_code == 0, sent.stderr
    for version in (path, path.with_name("PR106-2020.fr.md")):
        text = version.read_text(encoding="utf-8")
        version.write_text(text.replace('start = "2099-09-22 11:30 Europe/Paris"',
                                        'start = "2099-09-22 14:00 Europe/Paris"'),
                           encoding="utf-8")
    before = db_snapshot(home)
    result = sample_book("invite", "update", path, input="n\n")
    assert result.exit_code == 6, result.stderr
    assert "Send the update to" in result.stderr
    assert "Nothing approved: no mailout was stored." in result.stderr
    assert db_snapshot(home) == before
