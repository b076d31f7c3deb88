"""`pressctl release|invite ...` and `pressctl templates ...` through typer's CliRunner (and
once through the installed console script): exit codes, stdout and stderr apart."""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import DATA, REPO
from icalendar import Calendar

IT = DATA / "releases_it"
EXAMPLES = REPO / "examples"
FR_READER = "claire.fontaine@gazette-espace.example.org"
EN_READER = "harriet.pennington@orbit-weekly.example.com"
ZOOM = "https://zoom.us/j/97981495219"
NOT_EMBARGO_OK = {"Anaïs Gauthier", "Lotte Vermeulen", "Lukas Brunner", "Rosa Delgado",
                  "Jonas Schäfer", "Matteo Rinaldi", "Oliver Whitcombe"}  # in the audience


@pytest.fixture
def release(tmp_path) -> Path:
    """The seed-000 release (en + fr) in a folder of its own."""
    folder = tmp_path / "release"
    folder.mkdir()
    for language in ("en", "fr"):
        shutil.copy(EXAMPLES / f"PR106-2020.{language}.md", folder)
    return folder / "PR106-2020.en.md"


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=email.policy.default)


def no_traceback(result) -> None:
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr


# --------------------------------------------------------------------------- new


def test_release_new_writes_a_skeleton_that_check_accepts(sample_book, tmp_path):
    path = tmp_path / "PR107.md"
    result = sample_book("release", "new", path, "--org", "CNES", "--org", "SFR")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and f"Wrote {path}" in result.stderr
    text = path.read_text(encoding="utf-8")
    assert 'kind = "release"' in text and 'organizations = ["CNES", "SFR"]' in text
    assert "\n[event]" not in text  # a release has it commented out
    assert path.stat().st_mode & 0o077 == 0
    check = sample_book("release", "check", path)
    assert check.exit_code == 0, check.stdout + check.stderr
    assert check.stdout == ""
    assert f"{path}: 0 error(s), 0 warning(s)" in check.stderr


def test_release_new_never_overwrites(cli, tmp_path):
    path = tmp_path / "PR107.md"
    path.write_text("my draft\n", encoding="utf-8")
    result = cli("release", "new", path, "--org", "CNES")
    assert result.exit_code == 3
    assert f"Error: {path} already exists" in result.stderr
    assert result.stdout == ""
    assert path.read_text(encoding="utf-8") == "my draft\n"


@pytest.mark.parametrize(("args", "message"), [
    (("--kind", "memo"), "--kind 'memo'"),
    (("--lang", "english!"), 'language "english!" is not a BCP 47 tag'),
])
def test_release_new_refuses_bad_options(cli, tmp_path, args, message):
    path = tmp_path / "PR107.md"
    result = cli("release", "new", path, *args)
    assert result.exit_code == 3
    assert message in result.stderr
    assert not path.exists()


def test_a_skeleton_in_a_book_without_the_organisations(cli, tmp_path):
    path = tmp_path / "PR107.md"
    assert cli("release", "new", path, "--org", "CNES", "--org", "SFR").exit_code == 0
    check = cli("release", "check", path)
    assert check.exit_code == 3
    assert check.stdout.splitlines() == [
        (f'error: {path}:12: organisation "CNES" is not in the contact book '
         "(see `pressctl orgs list`)"),
        (f'error: {path}:12: organisation "SFR" is not in the contact book '
         "(see `pressctl orgs list`)"),
        f"warning: {path}: the audience selects nobody in the contact book"]
    assert f"{path}: 2 error(s), 1 warning(s)" in check.stderr


def test_invite_new_makes_an_invitation(sample_book, tmp_path):
    path = tmp_path / "INV1.fr.md"
    result = sample_book("invite", "new", path, "--org", "CNES", "--lang", "fr")
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert 'kind = "invitation"' in text and 'language = "fr"' in text
    assert "\n[event]" in text and '\ntitle = "Press conference"' in text
    assert sample_book("invite", "check", path).exit_code == 0
    preview = sample_book("invite", "preview", path, "--to", FR_READER, "--format", "eml")
    assert preview.exit_code == 0, preview.stderr
    message = parse(preview.stdout_bytes)
    assert [p.get_content_type() for p in message.walk()][-2:] == ["text/calendar",
                                                                  "application/ics"]
    assert "INVITATION PRESSE" in message.get_body(("plain",)).get_content()


# --------------------------------------------------------------------------- check


def test_check_lists_every_problem_with_file_and_line(sample_book):
    path = IT / "many-problems.en.md"
    result = sample_book("release", "check", path)
    assert result.exit_code == 3
    lines = [line for line in result.stdout.splitlines() if line.startswith("error: ")]
    expected = [(7, 'unknown key "headline"'), (8, "before the release date"),
                (9, 'organisation "ESA"'), (10, "nobody@example.org"),
                (11, '"missing-photo.jpg" does not exist'), (15, "before the embargo lifts"),
                (18, '"CET" is an ambiguous abbreviation'), (23, "javascript:")]
    assert len(lines) == len(expected)
    for line, (number, text) in zip(lines, expected, strict=True):
        assert line.startswith(f"error: {path}:{number}: ") and text in line
    assert f"{path}: 8 error(s)" in result.stderr
    no_traceback(result)
    as_json = sample_book("release", "check", path, "--json")
    assert as_json.exit_code == 3
    report = json.loads(as_json.stdout)
    assert [e.removeprefix("error: ") for e in lines] == report["errors"]


def test_check_with_only_warnings_exits_0(sample_book):
    path = IT / "warnings-only.en.md"
    result = sample_book("release", "check", path)
    assert result.exit_code == 0, result.stdout
    assert not any(line.startswith("error") for line in result.stdout.splitlines())
    for line in (6, 9, 14):
        assert f"warning: {path}:{line}: " in result.stdout
    assert "0 error(s)" in result.stderr


def test_check_of_the_example(sample_book, release):
    result = sample_book("release", "check", release, "--json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["errors"] == []
    assert all("in the past" in w for w in report["warnings"])  # it is dated 2020


def test_check_of_a_missing_file(cli, tmp_path):
    result = cli("release", "check", tmp_path / "nope.md")
    assert result.exit_code == 3
    assert result.stdout == f"error: {tmp_path / 'nope.md'}: no such release file\n"


# --------------------------------------------------------------------------- templates


def test_a_template_typo_is_named_by_check_and_preview(sample_book, home, release):
    assert sample_book("templates", "init", "release.en.txt.j2").exit_code == 0
    user = home / "templates" / "release.en.txt.j2"
    lines = user.read_text(encoding="utf-8").split("\n")
    lines[2] = "{{ releas.title }}"
    user.write_text("\n".join(lines), encoding="utf-8")

    check = sample_book("release", "check", release)
    assert check.exit_code == 3
    assert f"error: {user}:3: 'releas' is undefined" in check.stdout
    no_traceback(check)

    preview = sample_book("release", "preview", release, "--to", EN_READER)
    assert preview.exit_code == 3
    assert f"Error: {user}:3: 'releas' is undefined" in preview.stderr
    assert preview.stdout == ""
    no_traceback(preview)
    # French readers get the untouched French template
    french = sample_book("release", "preview", release, "--to", FR_READER)
    assert french.exit_code == 0, french.stderr



@pytest.mark.parametrize("exists", [False, True])
def test_a_preview_that_fails_half_way_leaves_the_out_folder_as_it_was(
        sample_book, home, release, tmp_path, exists):
    """French readers render, English ones hit the typo: whatever was written before the
    failure never reaches --out (a failed command changes nothing)."""
    assert sample_book("templates", "init", "release.en.txt.j2").exit_code == 0
    user = home / "templates" / "release.en.txt.j2"
    lines = user.read_text(encoding="utf-8").split("\n")
    lines[2] = "{{ releas.title }}"
    user.write_text("\n".join(lines), encoding="utf-8")
    out = tmp_path / "previews"
    if exists:
        out.mkdir()
        (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.rglob("*"))

    preview = sample_book("release", "preview", release, "--all", "--out", out)
    assert preview.exit_code == 3
    assert f"{user}:3: 'releas' is undefined" in preview.stderr
    no_traceback(preview)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    if exists:
        assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"

    user.unlink()  # the same preview, template fixed: everything arrives, nothing staged
    fixed = sample_book("release", "preview", release, "--all", "--out", out)
    assert fixed.exit_code == 0, fixed.stderr
    assert len(list(out.glob("*.eml"))) > 1
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]

def test_templates_list_show_path_init(cli, home):
    listed = cli("templates", "list", "--json")
    assert listed.exit_code == 0
    rows = json.loads(listed.stdout)
    assert len(rows) == 29 and {r["source"] for r in rows} == {"default"}
    assert {"release.en.txt.j2", "invitation.fr.html.j2", "_contacts.fr.txt.j2"} <= {
        r["name"] for r in rows}

    path = cli("templates", "path")
    assert path.exit_code == 0 and path.stdout == f"{home / 'templates'}\n"

    shown = cli("templates", "show", "_contacts.fr.txt.j2")
    assert shown.exit_code == 0
    assert shown.stdout.rstrip("\n") == (
        REPO / "templates" / "_contacts.fr.txt.j2").read_text(encoding="utf-8").rstrip("\n")

    first = cli("templates", "init", "release.en.html.j2")
    assert first.exit_code == 0 and first.stdout == ""
    copy = home / "templates" / "release.en.html.j2"
    assert f"Copied {copy}" in first.stderr
    copy.write_text("<html><body>{{ body_html }}</body></html>\n", encoding="utf-8")
    again = cli("templates", "init")  # all of them: the edited one is kept
    assert again.exit_code == 0
    assert f"Copied {copy}" not in again.stderr
    assert copy.read_text(encoding="utf-8") == "<html><body>{{ body_html }}</body></html>\n"
    assert len(list((home / "templates").glob("*.j2"))) == 29
    third = cli("templates", "init", "release.en.html.j2")
    assert third.exit_code == 0 and "Nothing copied" in third.stderr

    rows = {r["name"]: r for r in json.loads(cli("templates", "list", "--json").stdout)}
    assert rows["release.en.html.j2"]["source"] == "user"
    assert rows["release.en.html.j2"]["path"] == str(copy)
    plain = cli("templates", "list").stdout.splitlines()
    assert plain[0] == "name\tsource\tpath"
    assert f"release.en.html.j2\tuser\t{copy}" in plain
    shown = cli("templates", "show", "release.en.html.j2")
    assert shown.stdout == "<html><body>{{ body_html }}</body></html>\n"


@pytest.mark.parametrize("args", [("show", "nope.en.txt.j2"), ("init", "nope.en.txt.j2")])
def test_templates_unknown_name(cli, home, args):
    result = cli("templates", *args)
    assert result.exit_code == 3
    assert "nope.en.txt.j2" in result.stderr and "templates list" in result.stderr
    assert result.stdout == ""
    assert not (home / "templates" / "nope.en.txt.j2").exists()


# --------------------------------------------------------------------------- preview


def test_preview_to_one_contact_shows_headers_and_text(sample_book, release):
    result = sample_book("release", "preview", release, "--to", EN_READER)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == 'From     "Pascale Bresson (CNES)" <pascale.bresson@cnes.fr>'
    assert lines[1] == f"To       Harriet Pennington <{EN_READER}>"
    assert lines[2] == ("Subject  EMBARGO 22 Sep 2020 11:30 CEST – "
                        "CNES partners with French Radiology Society")
    assert lines[3].startswith("Date     ")
    assert lines[4] == ""
    assert lines[5] == "Embargoed until Tuesday 22 September 2020, 11:30 CEST (09:30 UTC)"
    assert "Dear Harriet Pennington," in lines and "Meeting ID:  979 8149 5219" in lines
    assert "  Tel. +33 1 44 76 75 39" in lines
    assert "<html" not in result.stdout
    assert b"\r" not in result.stdout_bytes  # the wire's CRLF stays on the wire
    # stderr has the diagnostics only: the seed's dates are in the past
    assert all(line.startswith("Warning: ") for line in result.stderr.splitlines())


def test_preview_html(sample_book, release):
    result = sample_book("release", "preview", release, "--to", FR_READER, "--format", "html")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert "Bonjour Claire Fontaine," in result.stdout
    assert "Sous embargo jusqu'au mardi 22 septembre 2020" in result.stdout
    assert f'href="{ZOOM}"' in result.stdout
    assert "From " not in result.stdout
    assert b"\r" not in result.stdout_bytes


def test_preview_eml_is_a_whole_message(sample_book, release):
    result = sample_book("release", "preview", release, "--to", FR_READER, "--format", "eml")
    assert result.exit_code == 0, result.stderr
    message = parse(result.stdout_bytes)
    assert [a.addr_spec for a in message["To"].addresses] == [FR_READER]
    assert str(message["Subject"]).startswith(  # typeset: no-break spaces in "11 h 30"
        "EMBARGO 22/09/2020 11\u00a0h\u00a030 (heure de Paris) – ")
    assert all(part.defects == [] for part in message.walk())
    assert result.stdout_bytes.count(b"\r\n") > 100


def test_preview_all_as_json(sample_book, release):
    result = sample_book("release", "preview", release, "--all", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 23  # the release's audience: space, health or radiology
    assert {tuple(row) for row in rows} == {("recipient", "language", "version", "copy",
                                             "embargoed", "size", "attachments", "calendar")}
    for row in rows:
        assert row["version"] == f"PR106-2020.{row['language']}.md"
        assert row["calendar"] is True
        assert row["attachments"] == 0 and 10_000 < row["size"] < 40_000
    # the embargoed copy only to who accepts embargoes; the 7 others get the public one
    public = {row["recipient"].split(" <")[0] for row in rows if row["copy"] == "public"}
    assert public == NOT_EMBARGO_OK
    assert all(row["embargoed"] == (row["copy"] == "embargoed") for row in rows)
    by_name = {row["recipient"]: row for row in rows}
    assert by_name[f"Claire Fontaine <{FR_READER}>"]["language"] == "fr"
    assert by_name[f"Harriet Pennington <{EN_READER}>"]["language"] == "en"
    assert not any("Élodie" in name for name in by_name)
    assert "23 message(s) built; nothing was sent" not in result.stdout


def test_preview_all_as_a_table(sample_book, release):
    result = sample_book("release", "preview", release, "--all")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "recipient\tlanguage\tversion\tcopy\tsize\tattachments\tcalendar"
    assert len(lines) == 24
    copies = {line.split("\t")[0].split(" <")[0]: line.split("\t")[3] for line in lines[1:]}
    assert {name for name, copy in copies.items() if copy == "public"} == NOT_EMBARGO_OK
    assert set(copies.values()) == {"embargoed", "public"}
    assert "23 message(s) built; nothing was sent" in result.stderr
    assert ("7 recipient(s) do not accept embargoes: they get the public version at the lift, "
            "not the embargoed one") in result.stderr


def test_preview_to_a_contact_who_does_not_accept_embargoes_shows_the_public_version(
        sample_book, release):
    result = sample_book("release", "preview", release, "--to", "Anaïs Gauthier")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2] == "Subject  Le CNES s'associe à la Société Française de Radiologie"
    assert "mbargo" not in result.stdout
    assert ("1 recipient(s) do not accept embargoes: they get the public version at the lift"
            in result.stderr)


def test_preview_with_an_audience(sample_book, release):
    result = sample_book("release", "preview", release, "--all", "--json",
                         "--audience", "lang:fr and kind:journalist")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert sorted(row["recipient"].split(" <")[0] for row in rows) == sorted([
        "Claire Fontaine", "Mathieu Lefèvre-Roux", "Anaïs Gauthier", "Thomas Vandenberghe",
        "Lotte Vermeulen", "Sophie Keller", "Marie-Ève Tremblay"])
    bad = sample_book("release", "preview", release, "--all", "--audience", "kind:jouralist")
    assert bad.exit_code == 3 and "column" in bad.stderr and bad.stdout == ""


def test_preview_writes_one_message_per_recipient(sample_book, release, tmp_path):
    out = tmp_path / "previews"
    result = sample_book("release", "preview", release, "--out", out, "--json",
                         "--audience", "tag:radiology")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 5
    emls = sorted(out.glob("*.eml"))
    assert len(emls) == len(rows)
    assert len(list(out.glob("*.html"))) == len(list(out.glob("*.ics"))) == len(rows)
    addresses = set()
    for eml in emls:
        message = parse(eml.read_bytes())
        assert all(part.defects == [] for part in message.walk())
        [to] = message["To"].addresses
        addresses.add(to.addr_spec)
        slug = re.sub(r"[^a-z0-9]+", "-", to.addr_spec).strip("-")
        assert eml.name.endswith(f"-{slug}.eml")
        html = eml.with_suffix(".html").read_bytes().decode("utf-8")
        assert "\r" not in html
        assert html.startswith("<!DOCTYPE html>") and to.display_name.split()[0] in html
        event = Calendar.from_ical(eml.with_suffix(".ics").read_bytes()).walk("VEVENT")[0]
        assert str(event["ATTENDEE"]) == f"mailto:{to.addr_spec}"
        for written in (eml, eml.with_suffix(".html"), eml.with_suffix(".ics")):
            assert stat.S_IMODE(written.stat().st_mode) == 0o600  # names and addresses
    assert not list(out.glob(".*.tmp"))
    assert addresses == {row["recipient"].split("<")[1].rstrip(">") for row in rows}
    assert stat.S_IMODE(out.stat().st_mode) == 0o700  # the folder is private too


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--to", "elodie.marchand@example.net"), 3, "has opted out: never mailed"),
    (("--to", "nobody@example.org"), 3, "no contact with e-mail nobody@example.org"),
    (("--audience", 'outlet:"Freelance"'), 3, "nobody to send to"),
    (("--to", EN_READER, "--format", "pdf"), 2, "--format 'pdf'"),
])
def test_preview_failures(sample_book, release, args, code, message):
    result = sample_book("release", "preview", release, *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_preview_of_a_release_with_errors(sample_book):
    result = sample_book("release", "preview", IT / "many-problems.en.md", "--all")
    assert result.exit_code == 3
    assert "5 problem(s)" in result.stderr and "release check" in result.stderr
    assert f"{IT / 'many-problems.en.md'}:18: " in result.stderr
    assert result.stdout == ""
    no_traceback(result)


def test_preview_of_a_contact_without_email(sample_book, release):
    added = sample_book("contacts", "add", "Phone Only", "--phone", "+33 1 44 76 70 00")
    assert added.exit_code == 0, added.stderr
    result = sample_book("release", "preview", release, "--to", "Phone Only")
    assert result.exit_code == 3
    assert "Phone Only has no e-mail address" in result.stderr
    assert result.stdout == ""


@pytest.mark.subprocess
def test_the_console_script_previews_an_eml(console_script, sample_book, home, release):
    done = subprocess.run([str(console_script), "--home", str(home), "release", "preview",
                           str(release), "--to", EN_READER, "--format", "eml"],
                          capture_output=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr.decode()
    message = parse(done.stdout)
    assert [a.addr_spec for a in message["To"].addresses] == [EN_READER]
    assert b"Traceback" not in done.stderr
