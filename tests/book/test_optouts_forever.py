"""Opt-outs are forever (issue 7, finding 3), through the CLI: an opt-out is kept by
address, survives `contacts remove`, re-adding, `--on-duplicate update` and CSV/vCard
round trips, is said whenever an opted-out address comes back, and only
`contacts optin ADDRESS --yes --note TEXT` lifts it, on the record."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import SAMPLES, db_snapshot
from mailing import release_now

MATHIEU = "m.lefevre-roux@courrier-sciences.example.com"
MATHIEU_HOME = "mathieu.lr@example.net"  # his second address
CLAIRE = "claire.fontaine@gazette-espace.example.org"


def _smtp_config(home: Path, server) -> None:
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "plain"\n',
        encoding="utf-8")


def _said(stderr: str) -> str:
    """A usage error as one line (typer draws it in a box, wrapped)."""
    return " ".join(stderr.replace("│", " ").split())


def _show(cli, ref: str) -> dict:
    result = cli("contacts", "show", ref, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _audience(cli, expression: str = "tag:space") -> set[str]:
    result = cli("audiences", "show", expression, "--json")
    assert result.exit_code == 0, result.stderr
    return {address.lower() for c in json.loads(result.stdout) for address in c["emails"]}


def _preview_recipients(cli, release: Path) -> set[str]:
    result = cli("release", "preview", release, "--all", "--json")
    assert result.exit_code == 0, result.stderr
    return {r["recipient"].split("<")[1].rstrip(">").lower() for r in json.loads(result.stdout)}


# -- the regression of finding 3, end to end --------------------------------------------------


def test_an_opt_out_outlives_remove_and_re_adding_and_nothing_is_delivered_to_it(
        sample_book, home, smtp_server, tmp_path):
    cli = sample_book
    release = release_now(tmp_path)
    everyone = _preview_recipients(cli, release)
    assert MATHIEU in everyone  # the first address of each contact is the one mailed

    assert cli("contacts", "optout", MATHIEU, "--note", "asked by phone").exit_code == 0
    removed = cli("contacts", "remove", MATHIEU, "--yes")
    assert removed.exit_code == 0 and "opt-out is kept" in removed.stderr

    # The same person comes back, by a file or by hand: the book says they opted out.
    added = cli("contacts", "add", "Mathieu Lefèvre-Roux", "--email", MATHIEU.upper(),
                "--tag", "space", "--json")
    assert added.exit_code == 0, added.stderr
    assert f"{MATHIEU} is opted out since" in added.stderr
    assert "opted out with `pressctl contacts optout`; asked by phone" in added.stderr
    assert f"`pressctl contacts optin {MATHIEU} --yes --note TEXT`" in added.stderr
    body = json.loads(added.stdout)
    assert body["contact"]["opted_out"] is True
    [notice] = body["opted_out"]
    assert (notice["address"], notice["note"], notice["contact"]) == (
        MATHIEU, "asked by phone", body["contact"]["id"])
    # His second address, opted out with the first, cannot come back on its own either.
    personal = cli("contacts", "add", "M. L.-R.", "--email", MATHIEU_HOME, "--tag", "space")
    assert personal.exit_code == 0 and f"{MATHIEU_HOME} is opted out" in personal.stderr

    members = _audience(cli)
    assert MATHIEU not in members and MATHIEU_HOME not in members
    assert CLAIRE in members
    expected = everyone - {MATHIEU}
    assert _preview_recipients(cli, release) == expected

    _smtp_config(home, smtp_server)
    created = cli("mailout", "create", release, "--yes", "--json")
    assert created.exit_code == 0, created.stderr
    ran = cli("outbox", "run")
    assert ran.exit_code == 0, ran.stderr
    received = [rcpt.lower() for m in smtp_server.messages for rcpt in m.rcpt_tos]
    assert sorted(received) == sorted(expected)  # the others get theirs, once
    headers = {message_from_bytes(m.data, policy=default_policy)["To"].addresses[0]
               .addr_spec.lower() for m in smtp_server.messages}
    assert MATHIEU not in headers and MATHIEU_HOME not in headers


# -- round trips and merges ----------------------------------------------------------------------


def _rewrite_csv(text: str, column: str, value: str) -> str:
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and column in rows[0]
    for row in rows:
        row[column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_csv_round_trip_saying_not_opted_out_keeps_the_opt_out(sample_book, tmp_path):
    cli = sample_book
    assert cli("contacts", "optout", CLAIRE).exit_code == 0
    exported = cli("contacts", "export", "--format", "csv", "--tag", "space")
    assert exported.exit_code == 0
    path = tmp_path / "space.csv"
    path.write_text(_rewrite_csv(exported.stdout, "opted_out", "false"), encoding="utf-8")

    # merged into the book as it is
    merged = cli("contacts", "import", path, "--on-duplicate", "update", "--json")
    assert merged.exit_code == 0, merged.stderr
    report = json.loads(merged.stdout)
    assert {n["address"] for n in report["opted_out"]} >= {
        CLAIRE, "elodie.marchand@example.net"}
    assert _show(cli, CLAIRE)["opted_out"] is True
    assert _show(cli, "elodie.marchand@example.net")["opted_out"] is True

    # and into a book that forgot them
    assert cli("contacts", "remove", CLAIRE, "Élodie Marchand", "--yes").exit_code == 0
    again = cli("contacts", "import", path, "--on-duplicate", "skip")
    assert again.exit_code == 0, again.stderr
    assert f"{CLAIRE} is opted out since" in again.stderr
    assert "address(es) opted out: never mailed" in again.stderr
    assert _show(cli, CLAIRE)["opted_out"] is True
    assert _show(cli, "elodie.marchand@example.net")["opted_out"] is True
    assert CLAIRE not in _audience(cli)


def test_a_csv_without_an_opted_out_column_keeps_the_opt_out(sample_book, tmp_path):
    cli = sample_book
    assert cli("contacts", "optout", CLAIRE).exit_code == 0
    assert cli("contacts", "remove", CLAIRE, "--yes").exit_code == 0
    path = tmp_path / "plain.csv"
    path.write_text(f"Name,Email,Tags\nClaire Fontaine,{CLAIRE},space\n", encoding="utf-8")
    result = cli("contacts", "import", path, "--json")
    assert result.exit_code == 0, result.stderr
    [notice] = json.loads(result.stdout)["opted_out"]
    assert (notice["where"], notice["address"]) == (f"{path}:2", CLAIRE)
    assert notice["lift"] == f"pressctl contacts optin {CLAIRE} --yes --note TEXT"
    assert _show(cli, CLAIRE)["opted_out"] is True


def test_a_vcard_round_trip_without_the_opt_out_keeps_it(sample_book, tmp_path):
    cli = sample_book
    assert cli("contacts", "optout", CLAIRE).exit_code == 0
    exported = cli("contacts", "export", "--format", "vcard", "--tag", "space")
    assert exported.exit_code == 0
    assert "X-PRESSCTL-OPTED-OUT" in exported.stdout
    stripped = "".join(line for line in exported.stdout.splitlines(keepends=True)
                       if not line.startswith("X-PRESSCTL-OPTED-OUT"))
    path = tmp_path / "space.vcf"
    path.write_text(stripped, encoding="utf-8")
    assert cli("contacts", "remove", CLAIRE, "--yes").exit_code == 0

    result = cli("contacts", "import", path, "--on-duplicate", "update", "--json")
    assert result.exit_code == 0, result.stderr
    assert CLAIRE in {n["address"] for n in json.loads(result.stdout)["opted_out"]}
    assert _show(cli, CLAIRE)["opted_out"] is True
    assert CLAIRE not in _audience(cli)


def test_on_duplicate_update_of_an_added_contact_keeps_the_opt_out(sample_book):
    cli = sample_book
    assert cli("contacts", "optout", CLAIRE).exit_code == 0
    result = cli("contacts", "add", "Claire F.", "--email", CLAIRE, "--on-duplicate", "update")
    assert result.exit_code == 0, result.stderr
    assert f"{CLAIRE} is opted out since" in result.stderr
    assert _show(cli, CLAIRE)["opted_out"] is True


def test_an_address_added_to_an_opted_out_contact_is_never_mailed(sample_book):
    cli = sample_book
    assert cli("contacts", "optout", CLAIRE).exit_code == 0
    edited = cli("contacts", "edit", CLAIRE, "--add-email", "claire@example.org")
    assert edited.exit_code == 0, edited.stderr
    assert "claire@example.org is opted out since" in edited.stderr
    assert cli("contacts", "remove", CLAIRE, "--yes").exit_code == 0
    again = cli("contacts", "add", "Claire", "--email", "claire@example.org", "--tag", "space")
    assert again.exit_code == 0 and "claire@example.org is opted out" in again.stderr
    assert "claire@example.org" not in _audience(cli)


# -- only `contacts optin` lifts an opt-out ------------------------------------------------------


def test_optout_undo_is_refused_and_points_at_optin(sample_book, home):
    cli = sample_book
    before = db_snapshot(home)
    result = cli("contacts", "optout", "--undo", "elodie.marchand@example.net")
    assert result.exit_code == 2
    assert "use `pressctl contacts optin ADDRESS --yes --note TEXT`" in _said(result.stderr)
    assert db_snapshot(home) == before


def test_optin_without_yes_off_a_terminal_is_refused(sample_book, home):
    cli = sample_book
    before = db_snapshot(home)
    result = cli("contacts", "optin", "elodie.marchand@example.net", "--note", "asked")
    assert result.exit_code == 2 and "pass --yes" in _said(result.stderr)
    assert db_snapshot(home) == before


@pytest.mark.parametrize(("args", "code", "says"), [
    ((), 2, "--note"),  # the note is required: it is the record of why
    (("--note", "   "), 3, "needs a note"),
])
def test_optin_needs_a_note(sample_book, home, args, code, says):
    before = db_snapshot(home)
    result = sample_book("contacts", "optin", "elodie.marchand@example.net", "--yes", *args)
    assert result.exit_code == code and says in _said(result.stderr)
    assert db_snapshot(home) == before


@pytest.mark.parametrize(("address", "says"), [
    (CLAIRE, f"{CLAIRE} is not opted out"),
    ("nobody@example.org", "nobody@example.org is not opted out"),
    ("not an address", "not an address"),
    ("a@example.org, b@example.org", "not one e-mail address"),
])
def test_optin_of_an_address_that_is_not_opted_out_is_exit_3(sample_book, home, address,
                                                              says):
    before = db_snapshot(home)
    result = sample_book("contacts", "optin", address, "--yes", "--note", "asked")
    assert result.exit_code == 3
    assert says in result.stderr and result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    assert db_snapshot(home) == before


def test_optin_lifts_the_opt_out_and_records_it(sample_book, home):
    cli = sample_book
    elodie = "elodie.marchand@example.net"
    assert elodie not in _audience(cli)
    result = cli("contacts", "optin", elodie.upper(), "--yes",
                 "--note", "asked by e-mail on 3 March", "--json")
    assert result.exit_code == 0, result.stderr
    lifted = json.loads(result.stdout)
    assert (lifted["address"], lifted["note"], lifted["contact_opted_out"]) == (
        elodie, "asked by e-mail on 3 March", False)
    sample_row = f"marked opted out in {SAMPLES / 'contacts.csv'}:9"  # the sample file said so
    assert lifted["suppressed_reason"] == sample_row

    shown = _show(cli, elodie)
    assert shown["opted_out"] is False and shown["opt_outs"] == []
    [record] = shown["opt_ins"]
    assert (record["address"], record["note"], record["lifted_at"]) == (
        elodie, "asked by e-mail on 3 March", lifted["lifted_at"])
    assert record["suppressed_reason"] == sample_row and record["suppressed_at"]
    text = cli("contacts", "show", elodie).stdout
    assert "opted back in" in text and "asked by e-mail on 3 March" in text
    assert elodie in _audience(cli)
    # lifted once: a second optin has nothing to lift
    assert cli("contacts", "optin", elodie, "--yes", "--note", "again").exit_code == 3


def test_optin_of_one_address_keeps_a_contact_with_another_opted_out(sample_book):
    cli = sample_book
    assert cli("contacts", "optout", MATHIEU).exit_code == 0
    first = cli("contacts", "optin", MATHIEU_HOME, "--yes", "--note", "personal address ok")
    assert first.exit_code == 0, first.stderr
    assert f"stays opted out: {MATHIEU} still opted out" in first.stderr
    assert _show(cli, MATHIEU)["opted_out"] is True
    assert MATHIEU not in _audience(cli)
    second = cli("contacts", "optin", MATHIEU, "--yes", "--note", "desk address ok too")
    assert second.exit_code == 0 and "is mailed again" in second.stderr
    shown = _show(cli, MATHIEU)
    assert shown["opted_out"] is False
    assert [o["note"] for o in shown["opt_ins"]] == ["personal address ok",
                                                     "desk address ok too"]
    assert MATHIEU in _audience(cli)


def test_optin_of_an_address_in_no_contact_lets_it_be_added_again(cli):
    assert cli("contacts", "optout", "someone@example.org").exit_code == 0
    assert cli("contacts", "optin", "someone@example.org", "--yes",
               "--note", "subscribed again").exit_code == 0
    added = cli("contacts", "add", "Someone", "--email", "someone@example.org", "--json")
    assert added.exit_code == 0 and "opted out" not in added.stderr
    assert json.loads(added.stdout)["contact"]["opted_out"] is False


def test_optin_asks_on_a_terminal(sample_book, home, monkeypatch):
    from pressctl.cli import contacts_cmd

    monkeypatch.setattr(contacts_cmd, "_interactive", lambda: True)
    elodie = "elodie.marchand@example.net"
    before = db_snapshot(home)
    declined = sample_book("contacts", "optin", elodie, "--note", "asked", input="n\n")
    assert declined.exit_code == 6 and f"Lift the opt-out of {elodie}" in declined.stderr
    assert f"Nothing changed: {elodie} stays opted out." in declined.stderr
    assert db_snapshot(home) == before
    accepted = sample_book("contacts", "optin", elodie, "--note", "asked", input="y\n")
    assert accepted.exit_code == 0, accepted.stderr
    assert _show(sample_book, elodie)["opted_out"] is False


def test_contacts_show_says_since_when_and_why(sample_book, home):
    cli = sample_book
    assert cli("contacts", "optout", MATHIEU, "--note", "asked at the JFR booth").exit_code == 0
    shown = _show(cli, MATHIEU)
    assert shown["opted_out"] is True
    assert [(o["address"], o["reason"], o["note"]) for o in shown["opt_outs"]] == [
        (MATHIEU, "opted out with `pressctl contacts optout`", "asked at the JFR booth"),
        (MATHIEU_HOME, "opted out with `pressctl contacts optout`", "asked at the JFR booth")]
    assert all(o["since"] for o in shown["opt_outs"])
    config = home / "config.toml"  # shown in the display zone; --json keeps UTC
    config.write_text(config.read_text("utf-8").replace(
        'phone_style = "auto"', 'phone_style = "auto"\ntimezone = "Europe/Paris"'), "utf-8")
    text = cli("contacts", "show", MATHIEU).stdout
    since = datetime.strptime(shown["opt_outs"][0]["since"], "%Y-%m-%dT%H:%M:%SZ")
    paris = since.replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert f"{MATHIEU} since {paris:%Y-%m-%d %H:%M} {paris.tzname()}" in text
    assert "asked at the JFR booth" in text


def test_edit_not_opted_out_is_refused_and_points_at_optin(sample_book, home):
    cli = sample_book
    before = db_snapshot(home)
    result = cli("contacts", "edit", "elodie.marchand@example.net", "--not-opted-out",
                 "--role", "Editor")
    assert result.exit_code == 3
    assert "has opted out" in result.stderr and "contacts optin" in result.stderr
    assert db_snapshot(home) == before
    # on a contact who never opted out it changes nothing, and --opted-out opts out for good
    assert cli("contacts", "edit", CLAIRE, "--not-opted-out").exit_code == 0
    assert cli("contacts", "edit", CLAIRE, "--opted-out").exit_code == 0
    assert [o["address"] for o in _show(cli, CLAIRE)["opt_outs"]] == [CLAIRE]
