"""Tables that read well on a terminal (issue 11), through the CLI: every command that
prints a table, on a terminal of a fixed width (COLUMNS, as rich reads it; Output is told
it writes to a terminal), fits 80 columns with its header on one line, keeps names whole,
and says on stderr which columns it left out; `--wide` and `--columns` show them. Times on
screen are in the display zone (display.timezone), --json keeps UTC. The layout itself
(pressctl.cli.tables.fit) is pinned by a table of cases at the end.

One book serves the tour: the sample book, four journalists to whom an invitation was
delivered for real (aiosmtpd on loopback), a bounce and two answers imported with `inbox
import`, a saved audience, and Jean-Yves Le Gall. Both backends.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import home_store
from mailing import release_now
from returned_mail import (
    ANTOINE,
    JEAN,
    LUCIE,
    book_with_journalists,
    hard_bounce,
    maildir,
    rsvp,
    sample,
    send,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.session import Book
from pressctl.cli.output import Output
from pressctl.cli.tables import Col, fit, floor_width
from pressctl.cli.views import format_local
from pressctl.config import Settings

EXTRACT = Path(__file__).resolve().parent.parent / "data" / "extract"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
JEAN_YVES = "Jean-Yves Le Gall"
LATER = "2030-04-02 15:00 UTC"  # a second mailout's due time: after both DST changes


@dataclass
class Scene:
    cli: object
    mailout_id: int
    uid: str
    release: Path
    tmp_path: Path


@pytest.fixture
def scene(cli, home, tmp_path, smtp_server):  # noqa: F811
    with home_store(home) as store:
        book = book_with_journalists(Book(store, Settings(), "2030-06-01T09:00:00Z"),
                                     tmp_path)
        sent = send(book, tmp_path, smtp_server)
    assert sent.uid is not None
    answers = maildir(tmp_path / "answers", hard_bounce(sent.rows[JEAN], "hard-1"),
                      rsvp(sent.uid, "a1", attendee=LUCIE, partstat="ACCEPTED",
                           dtstamp="20300303T100000Z"),
                      rsvp(sent.uid, "a2", attendee=ANTOINE, partstat="DECLINED",
                           dtstamp="20300303T110000Z"))
    for step in (("inbox", "import", answers),
                 ("contacts", "add", JEAN_YVES, "--email", "jean-yves.legall@lemonde.example",
                  "--outlet", "Le Monde des sciences", "--role", "Rédacteur en chef adjoint",
                  "--tag", "space", "--tag", "science-policy", "--lang", "fr"),
                 ("audiences", "add", "space", "tag:space")):
        result = cli(*step)
        assert result.exit_code == 0, result.stderr
    return Scene(cli, sent.mailout_id, sent.uid, release_now(tmp_path), tmp_path)


@pytest.fixture
def terminal(monkeypatch):
    """Output writes to a terminal this many columns wide (as rich reads COLUMNS)."""
    def width(columns: int) -> None:
        monkeypatch.setattr(Output, "rich_stdout", property(lambda self: True))
        monkeypatch.setenv("COLUMNS", str(columns))
    return width


def _lines(text: str) -> list[str]:
    return [ANSI.sub("", line).rstrip() for line in text.splitlines()]


def _header_lines(lines: list[str]) -> list[str]:
    """The line above each table's rule (a table's header is one line, or its last line
    would be the only one found here; callers compare it with the whole header)."""
    return [lines[i - 1] for i, line in enumerate(lines)
            if i and line and set(line) == {"─"}]


def _dropped(stderr: str, width: int) -> list[str]:
    found = re.search(rf"^Not shown at {width} columns: (.*?) \(--wide shows all; "
                      r"--columns \S+ picks\)$", stderr, re.MULTILINE)
    return found.group(1).split(", ") if found else []


# name -> (arguments, the table's columns as (header, --columns name)); one table each
CONTACTS = [("id", "id"), ("name", "name"), ("kind", "kind"), ("role", "role"),
            ("org/outlet", "organisation"), ("e-mail", "email"), ("phone", "phone"),
            ("tags", "tags"), ("lang", "lang"), ("flags", "flags")]


def _named(*headers: str) -> list[tuple[str, str]]:
    return [(h, h) for h in headers]


def _tables(scene: Scene) -> dict[str, tuple[tuple, list[tuple[str, str]]]]:
    history = _named("when", "kind", "release", "detail")
    return {
        "contacts list": (("contacts", "list"), CONTACTS),
        "audiences show": (("audiences", "show", "@space"), CONTACTS),
        "audiences list": (("audiences", "list"), _named("name", "expression", "contacts")),
        "orgs list": (("orgs", "list"), _named("id", "short", "name", "country", "website",
                                               "about", "contacts")),
        "log": (("log",), _named("when", "who", "action", "subject", "summary")),
        "mailout list": (("mailout", "list"), _named(
            "id", "reference", "phase", "due", "state", "queued", "sent", "failed",
            "skipped", "unknown")),
        "mailout show": (("mailout", "show", str(scene.mailout_id)), [
            ("row", "row"), ("recipient", "recipient"), ("state", "state"),
            ("attempts", "attempts"), ("reply", "reply"), ("sent at", "sent")]),
        "contacts history": (("contacts", "history", JEAN), history),
        "contacts show": (("contacts", "show", JEAN), history),
        "invite rsvps": (("invite", "rsvps", "PR301-2030"), _named(
            "name", "outlet", "answer", "answered", "invited")),
        "check phone": (("check", "phone", "+33 1 44 76 75 39", "202-358-1726/3895",
                         "01 44 76"), _named("input", "valid", "e164", "international",
                                             "national", "type", "ext", "error")),
        "check email": (("check", "email", "mailto:raphael.sart@cnes.fr",
                         "pascale.bresson [at] cnes.fr", "nobody@"),
                        _named("input", "valid", "normalized", "cleaned", "error")),
        "templates list": (("templates", "list"), _named("name", "source", "path")),
        "release preview": (("release", "preview", scene.release, "--all"), _named(
            "recipient", "language", "version", "copy", "size", "attachments", "calendar")),
        "contacts extract": (("contacts", "extract", EXTRACT / "seed000_contacts.md"),
                             [("line", "line"), ("name", "name"), ("role", "role"),
                              ("organisation", "organisation"), ("phone", "phone"),
                              ("e-mail", "email"), ("confidence", "confidence"),
                              ("problems", "problems")]),
        "inbox import": (("inbox", "import", maildir(scene.tmp_path / "later",
                                                      sample("malformed-dsn.eml"))),
                         _named("messages", "count")),
    }


EXIT = {"check phone": 3, "check email": 3}  # an invalid input in the table: exit 3


def test_every_table_fits_80_columns_with_its_header_on_one_line(scene, terminal):
    terminal(80)
    for name, (args, columns) in _tables(scene).items():
        result = scene.cli(*args)
        assert result.exit_code == EXIT.get(name, 0), (name, result.stderr)
        lines = _lines(result.stdout)
        assert max(len(line) for line in lines) <= 80, (name, result.stdout)
        dropped = _dropped(result.stderr, 80)
        shown = [header for header, key in columns if key not in dropped]
        assert [" ".join(h.split()) for h in _header_lines(lines)] == [" ".join(shown)], (
            name, result.stdout)
        assert len(dropped) < len(columns), name


def test_contacts_list_at_80_columns_keeps_names_organisations_and_addresses(scene,
                                                                           terminal):
    terminal(80)
    result = scene.cli("contacts", "list")
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert " ".join(lines[0].split()) == "id name org/outlet e-mail"
    for name in (JEAN_YVES, "Thomas Vandenberghe", "Raphaël Sart", "Françoise Millet"):
        assert any(name in line for line in lines), (name, result.stdout)  # whole, one line
    assert any("jean-yves.legall@lemonde.example" in line for line in lines)
    assert _dropped(result.stderr, 80) == ["kind", "role", "phone", "tags", "lang", "flags"]
    assert re.search(r"--columns name,organisation,phone picks\)$", result.stderr, re.M)
    assert result.stderr.count("Not shown") == 1


def test_contacts_list_at_140_columns_shows_kind_role_and_tags_on_one_header_line(
        scene, terminal):
    terminal(140)
    result = scene.cli("contacts", "list")
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert max(len(line) for line in lines) <= 140
    assert " ".join(lines[0].split()) == " ".join(header for header, _ in CONTACTS)
    assert set(lines[1]) == {"─"}  # the header took one line
    assert "Not shown" not in result.stderr
    jean_yves = next(line for line in lines if JEAN_YVES in line)
    assert "journalist" in jean_yves and "Rédacteur" in jean_yves and "space" in jean_yves


@pytest.mark.subprocess
def test_a_real_terminal_of_80_columns_gets_the_fitted_table(scene, console_script):
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen([str(console_script), "contacts", "list"], stdout=child,
                               stderr=subprocess.PIPE, env=env)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    stderr = process.communicate(timeout=60)[1].decode()
    assert process.wait() == 0, stderr
    lines = _lines(output.decode())
    assert " ".join(lines[0].split()) == "id name org/outlet e-mail"
    assert max(len(line) for line in lines) <= 80
    assert any(JEAN_YVES in line for line in lines)
    assert _dropped(stderr, 80) == ["kind", "role", "phone", "tags", "lang", "flags"]


def test_wide_shows_every_column_and_says_nothing(scene, terminal):
    terminal(80)
    result = scene.cli("contacts", "list", "--wide")
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert " ".join(lines[0].split()) == " ".join(header for header, _ in CONTACTS)
    assert max(len(line) for line in lines) > 80  # the terminal wraps or scrolls it
    jean_yves = next(line for line in lines if JEAN_YVES in line)
    assert "Rédacteur en chef adjoint" in jean_yves and "space,science-policy" in jean_yves
    assert "Not shown" not in result.stderr


@pytest.mark.parametrize(("args", "header"), [
    (("contacts", "list"), "name e-mail phone"),
    (("audiences", "show", "@space"), "name tags"),
    (("orgs", "list"), "name contacts"),
    (("mailout", "list"), "id due sent"),
    (("log",), "when who"),
])
def test_columns_picks_columns_in_its_order(scene, terminal, args, header):
    terminal(80)
    result = scene.cli(*args, "--columns", header.replace(" ", ",").replace("e-mail", "email"))
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    assert " ".join(lines[0].split()) == header
    assert "Not shown" not in result.stderr


def test_columns_when_piped_picks_the_tab_separated_columns(scene):
    result = scene.cli("contacts", "list", "--columns", "name,e-mail")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "name\te-mail"
    assert f"{JEAN_YVES}\tjean-yves.legall@lemonde.example" in lines


def test_piped_tables_keep_every_column_and_no_note(scene):
    result = scene.cli("contacts", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "id\tname\tkind\trole\torg/outlet\te-mail\tphone\ttags\tlang\tflags")
    assert "Not shown" not in result.stderr


@pytest.mark.parametrize(("args", "known"), [
    (("contacts", "list"), "id, name, kind, role, organisation, email, phone, tags"),
    (("orgs", "list"), "id, short, name, country, website, about, contacts"),
    (("mailout", "list"), "id, reference, phase, due, state, queued, sent, failed"),
    (("log",), "when, who, action, subject, summary"),
])
def test_an_unknown_column_is_a_bad_command_line_naming_the_known_ones(scene, args, known):
    result = scene.cli(*args, "--columns", f"{known.split(', ')[0]},fax")
    assert result.exit_code == 2
    assert result.stdout == ""
    said = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stderr).split())  # typer's panel
    assert "Invalid value for '--columns': no column 'fax' in this table; its columns " \
           "are: " in said
    assert said.split("its columns are: ")[1].startswith(known)


# -- times in the display zone ---------------------------------------------------------------


def _zone(home: Path, zone: str) -> None:
    config = home / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert "[display]\n" in text
    config.write_text(text.replace("[display]\n", f'[display]\ntimezone = "{zone}"\n', 1),
                      encoding="utf-8")


@pytest.mark.parametrize(("zone", "before", "after"), [
    ("Europe/Paris", "2030-03-02 09:00 CET", "2030-04-02 17:00 CEST"),
    ("America/Montreal", "2030-03-02 03:00 EST", "2030-04-02 11:00 EDT"),
])
def test_mailout_times_are_shown_in_the_display_zone_across_a_dst_change(scene, home, zone,
                                                                        before, after):
    cli = scene.cli
    created = cli("mailout", "create", scene.release, "--at", LATER, "--yes")
    assert created.exit_code == 0, created.stderr
    _zone(home, zone)
    rows = [line.split("\t") for line in cli("mailout", "list").stdout.splitlines()]
    assert rows[0][3] == "due"
    assert [row[3] for row in rows[1:]] == [before, after]
    data = json.loads(cli("mailout", "list", "--json").stdout)
    assert [m["due_at"] for m in data] == ["2030-03-02T08:00:00Z", "2030-04-02T15:00:00Z"]
    shown = cli("mailout", "show", str(scene.mailout_id))
    assert re.search(rf"^due\s+{before}$", shown.stdout, re.MULTILINE)
    rows = json.loads(cli("mailout", "show", str(scene.mailout_id), "--json").stdout)["rows"]
    sent_at = {format_local(_utc(r["sent_at"]), ZoneInfo(zone)) for r in rows}
    assert sent_at and all(at in shown.stdout for at in sent_at)
    assert all(r["sent_at"].endswith("Z") for r in rows)


def test_history_log_show_and_rsvps_times_are_in_the_display_zone(scene, home):
    cli = scene.cli
    _zone(home, "America/Montreal")
    montreal = ZoneInfo("America/Montreal")
    entries = json.loads(cli("contacts", "history", JEAN, "--json").stdout)
    shown = [line.split("\t")[0] for line in cli("contacts", "history", JEAN).stdout
             .splitlines()[1:]]
    assert shown == [format_local(_utc(e["at"]), montreal) for e in entries]
    assert all(e["at"].endswith("Z") for e in entries)
    log = json.loads(cli("log", "--json").stdout)
    lines = cli("log").stdout.splitlines()[1:]
    assert [line.split("\t")[0] for line in lines] == [
        format_local(_utc(c["at"]), montreal) for c in log]
    rsvps = cli("invite", "rsvps", "PR301-2030").stdout
    answered = json.loads(cli("invite", "rsvps", "PR301-2030", "--json").stdout)
    lucie = next(p for p in answered["invited"] if p["address"] == LUCIE)
    assert format_local(_utc(lucie["answered_at"]), montreal) in rsvps
    assert lucie["answered_at"].endswith("Z")
    contact = cli("contacts", "show", JEAN).stdout
    created = json.loads(cli("contacts", "show", JEAN, "--json").stdout)["created"]
    assert re.search(rf"^created\s+{format_local(_utc(created), montreal)}$", contact,
                     re.MULTILINE)


def test_tz_sets_the_zone_when_the_config_names_none(scene, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    rows = [line.split("\t") for line in scene.cli("mailout", "list").stdout.splitlines()]
    assert rows[1][3] == "2030-03-02 13:30 IST"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize(("moment", "zone", "shown"), [
    (datetime(2026, 12, 2, 13, 58, tzinfo=UTC), "Europe/Paris", "2026-12-02 14:58 CET"),
    (datetime(2026, 7, 2, 13, 58, tzinfo=UTC), "Europe/Paris", "2026-07-02 15:58 CEST"),
    # the hour that happens twice when summer time ends: told apart by the zone's name
    (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "Europe/Paris", "2026-10-25 02:30 CEST"),
    (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "Europe/Paris", "2026-10-25 02:30 CET"),
    (datetime(2026, 3, 8, 6, 59, tzinfo=UTC), "America/Montreal", "2026-03-08 01:59 EST"),
    (datetime(2026, 3, 8, 7, 0, tzinfo=UTC), "America/Montreal", "2026-03-08 03:00 EDT"),
    (datetime(2026, 12, 2, 13, 58), "America/Montreal", "2026-12-02 08:58 EST"),  # naive: UTC
    (datetime(2026, 12, 2, 13, 58, tzinfo=UTC), "Asia/Dubai", "2026-12-02 17:58 UTC+04:00"),
    (datetime(2026, 12, 2, 13, 58, tzinfo=UTC), "Asia/Kolkata", "2026-12-02 19:28 IST"),
    (datetime(2026, 12, 2, 13, 58, tzinfo=UTC), "UTC", "2026-12-02 13:58 UTC"),
])
def test_format_local_names_the_zone_as_its_rules_do(moment, zone, shown):
    assert format_local(moment, ZoneInfo(zone)) == shown


# -- the layout ----------------------------------------------------------------------------


COLUMNS = (Col("id", priority=1, overflow="whole"), Col("name", priority=1, min_width=16),
           Col("role", priority=3, min_width=10, overflow="ellipsis"),
           Col("e-mail", priority=1, min_width=24), Col("tags", priority=4, min_width=8))


@pytest.mark.parametrize(("width", "shown", "widths"), [
    (100, [0, 1, 2, 3, 4], [3, 17, 20, 30, 12]),  # everything fits: natural widths
    # the least important shrinks first, down to its floor, before anything is left out
    (88, [0, 1, 2, 3, 4], [3, 17, 20, 30, 10]),
    (86, [0, 1, 2, 3, 4], [3, 17, 20, 30, 8]),
    (75, [0, 1, 2, 3, 4], [3, 17, 10, 29, 8]),
    # the floors no longer fit: the least important is left out
    (65, [0, 1, 2, 3], [3, 17, 10, 29]),
    (50, [0, 1, 3], [3, 17, 26]),
    # priority 1 is never left out, nor shrunk below its floor: the terminal wraps
    (30, [0, 1, 3], [3, 16, 24]),
])
def test_fit_shrinks_then_leaves_out_the_least_important_columns(width, shown, widths):
    layout = fit(COLUMNS, [3, 17, 20, 30, 12], range(5), width)
    assert layout.shown == shown
    assert layout.widths == widths
    assert sorted(set(range(5)) - set(shown)) == layout.dropped


def test_fit_never_makes_a_column_narrower_than_its_header():
    columns = [Col("organisation", priority=1, min_width=4), Col("x", priority=2)]
    assert floor_width(columns[0], 3) == len("organisation")
    layout = fit(columns, [3, 40], range(2), 20)
    assert layout.widths[0] >= len("organisation")


def test_fit_wraps_at_spaces_before_it_folds_an_address():
    columns = [Col("name", priority=1, min_width=10), Col("e-mail", priority=1, min_width=12,
                                                          breaks="@")]
    # names' longest word 9, addresses' longest piece after "@" 20, whole 35
    layout = fit(columns, [25, 35], range(2), 50, words=[[9, 35], [9, 20]])
    assert layout.widths == [13, 35]  # the name wraps; the address stays whole
    layout = fit(columns, [25, 35], range(2), 34, words=[[9, 35], [9, 20]])
    assert layout.widths == [10, 22]  # now the address breaks after its "@"
