"""`pressctl contacts duplicates [--json]` and `pressctl contacts merge KEEP OTHER...
[--yes]` from the command line (exit codes, stdout and stderr apart), and the issue's
round trip: exporting a book and importing it back with `--on-duplicate update` adds no
second contact without an e-mail. Both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import db_snapshot

from pressctl.cli import prompts
from pressctl.errors import EXIT_DECLINED, EXIT_INVALID, EXIT_USAGE

SEED_003 = Path(__file__).resolve().parents[1] / "data" / "extract" / "seed003_contacts.txt"


def ok(result):
    assert result.exit_code == 0, result.stderr
    return result


def listed(cli) -> list[str]:
    return [line.split("\t")[1] for line in
            ok(cli("contacts", "list")).stdout.splitlines()[1:]]


def test_a_csv_round_trip_adds_no_second_contact_without_email(cli, tmp_path):
    """The issue's "Camille Roux": no e-mail, a phone; exported, then imported back."""
    ok(cli("contacts", "add", "Camille Roux", "--phone", "01 44 76 75 00", "--outlet",
           "Le Courrier"))
    ok(cli("contacts", "add", "Jane Roe", "--email", "jane@example.com"))
    exported = ok(cli("contacts", "export", "--format", "csv")).stdout
    path = tmp_path / "book.csv"
    path.write_text(exported, encoding="utf-8")
    result = ok(cli("contacts", "import", path, "--on-duplicate", "update"))
    assert "Imported 0 new contact(s), updated 2" in result.stderr
    assert listed(cli) == ["Camille Roux", "Jane Roe"]
    refused = cli("contacts", "import", path)  # --on-duplicate fail: says who, exit 3
    assert refused.exit_code == EXIT_INVALID
    assert "name and phone +33144767500 match contact #1 Camille Roux" in refused.stderr


def test_extract_import_twice_gives_no_duplicate(cli):
    """The issue's example: seed 003 names Pascale Bresson with a phone and no e-mail."""
    ok(cli("contacts", "extract", SEED_003, "--import"))
    again = cli("contacts", "extract", SEED_003, "--import")
    assert again.exit_code == EXIT_INVALID
    assert "name and phone +33144767539 match contact" in again.stderr
    ok(cli("contacts", "extract", SEED_003, "--import", "--on-duplicate", "skip"))
    ok(cli("contacts", "extract", SEED_003, "--import", "--on-duplicate", "update"))
    assert listed(cli).count("Pascale Bresson") == 1


def test_add_names_the_stored_person(cli):
    ok(cli("contacts", "add", "Camille Roux", "--phone", "01 44 76 75 00"))
    result = cli("contacts", "add", "ROUX Camille", "--phone", "+33 1 44 76 75 00")
    assert result.exit_code == EXIT_INVALID
    assert "name and phone +33144767500 match contact #1 Camille Roux" in result.stderr
    skipped = ok(cli("contacts", "add", "ROUX Camille", "--phone", "+33144767500",
                     "--on-duplicate", "skip"))
    assert "Skipped contact #1 Camille Roux" in skipped.stderr


def test_no_likely_duplicates_exits_0_and_says_so(cli):
    ok(cli("contacts", "add", "Jane Roe", "--email", "jane@example.com"))
    result = ok(cli("contacts", "duplicates"))
    assert result.stdout == ""
    assert "no likely duplicates" in result.stderr
    assert json.loads(ok(cli("contacts", "duplicates", "--json")).stdout) == []


def _two_roes(cli) -> None:
    ok(cli("contacts", "add", "Jane Roe", "--email", "jane.roe@nasa.example", "--org", "NASA",
           "--phone", "+1 301 555 0142"))
    ok(cli("contacts", "add", "J. Roe", "--email", "jroe@example.org", "--org", "NASA"))
    ok(cli("contacts", "add", "Marie Dupont", "--email", "marie@example.com"))


def test_duplicates_lists_each_group_with_its_reasons_and_merge_line(cli):
    _two_roes(cli)
    result = ok(cli("contacts", "duplicates"))
    assert result.stdout.splitlines() == [
        "1. same organisation NASA; similar names (initials)",
        "   #1 Jane Roe | NASA | jane.roe@nasa.example",
        "   #2 J. Roe | NASA | jroe@example.org",
        "   merge: pressctl contacts merge 1 2",
    ]
    assert "1 group(s) of likely duplicates" in result.stderr
    [group] = json.loads(ok(cli("contacts", "duplicates", "--json")).stdout)
    assert group["reasons"] == ["same organisation NASA", "similar names (initials)"]
    assert [(c["id"], c["emails"], c["phones"]) for c in group["contacts"]] == [
        (1, ["jane.roe@nasa.example"], ["+13015550142"]), (2, ["jroe@example.org"], [])]


def test_merge_refuses_without_yes_when_not_on_a_terminal(cli, home):
    _two_roes(cli)
    before = db_snapshot(home)
    result = cli("contacts", "merge", "1", "2")
    assert result.exit_code == EXIT_USAGE
    assert "--yes" in result.stderr
    assert db_snapshot(home) == before


def test_merge_on_a_terminal_shows_what_it_will_do_and_asks(cli, home, monkeypatch):
    _two_roes(cli)
    monkeypatch.setattr(prompts, "interactive", lambda: True)
    before = db_snapshot(home)
    declined = cli("contacts", "merge", "1", "jroe@example.org", input="n\n")
    assert declined.exit_code == EXIT_DECLINED
    assert "Keep #1 Jane Roe; merge into it and remove:" in declined.stderr
    assert "#2 J. Roe (jroe@example.org)" in declined.stderr
    assert "Nothing merged." in declined.stderr
    assert db_snapshot(home) == before
    done = ok(cli("contacts", "merge", "1", "jroe@example.org", input="y\n"))
    assert "Merged #2 into contact #1 Jane Roe" in done.stderr
    assert listed(cli) == ["Jane Roe", "Marie Dupont"]


@pytest.mark.parametrize(("args", "message"), [
    (["1", "9"], "no contact #9"),
    (["1", "1"], "the one kept"),
    (["9", "1"], "no contact #9"),
])
def test_a_refused_merge_exits_3_and_changes_nothing(cli, home, args, message):
    _two_roes(cli)
    before = db_snapshot(home)
    result = cli("contacts", "merge", *args, "--yes")
    assert result.exit_code == EXIT_INVALID
    assert message in result.stderr
    assert db_snapshot(home) == before


def test_merge_yes_json_reports_the_merged_contact(cli):
    _two_roes(cli)
    ok(cli("contacts", "optout", "jroe@example.org"))
    result = ok(cli("contacts", "merge", "1", "2", "--yes", "--json"))
    report = json.loads(result.stdout)
    assert (report["kept"], report["merged"]) == (1, [2])
    assert report["contact"]["opted_out"] is True
    assert [n["address"] for n in report["opted_out"]] == ["jroe@example.org"]
    assert "no likely duplicates" in ok(cli("contacts", "duplicates")).stderr
