"""`pressctl contacts list` answered by the launcher without typer (issue 12).

The console script lists the book itself (pressctl.cli.fast_list) for the common forms
of the command on a home whose config.toml it has seen validated, and prints
exactly what the full path prints: every test here runs both, the full one with
PRESSCTL_NO_FAST_PATH set, and compares stdout, stderr and the exit code byte for byte,
piped and on a terminal (a pty). Anything else (another form, bad input, a config.toml
not checked yet) takes the full path, which says what it says. PostgreSQL books:
tests/cli/test_fast_list_postgres.py."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from pressctl.cli import fast_list
from pressctl.cli.launcher import NO_FAST_PATH

# Runs the launcher as the console script does. When the fast path answers, it ends with
# os._exit: the probe names the modules loaded by then on stderr; the full path ends with
# typer's SystemExit and writes the other line.
PROBE = ("import os, sys\nreal_exit = os._exit\n"
         "def ended(code):\n"
         "    sys.stderr.write('FAST ' + ' '.join(sorted(sys.modules)) + '\\n')\n"
         "    sys.stderr.flush()\n"
         "    real_exit(code)\n"
         "os._exit = ended\n"
         "from pressctl.cli.launcher import main\n"
         "try:\n"
         "    main(sys.argv[1:])\n"
         "finally:\n"
         "    sys.stderr.write('FULL\\n')\n")
NOT_ON_A_PIPE = ("typer", "click", "rich")
COLUMNS = 120  # the terminal's width in the pty runs

# The forms the fast path answers, each compared with the full path.
FORMS = [
    [],
    ["--json"],
    ["--tag", "space"],
    ["--tag=science", "--tag", "climate"],
    ["--org", "CNES"],
    ["--outlet", "Hebdo"],
    ["--search", "bresson"],
    ["--search", "gauthier", "--json"],
    ["--kind", "officer"],
    ["--kind=journaliste"],
    ["--lang", "FR"],
    ["--country", "gb"],
    ["--embargo-ok"],
    ["--no-embargo-ok", "--not-opted-out"],
    ["--opted-out"],
    ["--columns", "name,email,phone"],
    ["--columns=phone,name", "--tag", "space"],
    ["--wide"],
    ["--search", "nobody-has-this"],
    ["--search", "nobody-has-this", "--json"],
]
GLOBAL_FORMS = [
    ["-q", "contacts", "list"],
    ["--quiet", "--no-color", "--debug", "contacts", "list", "--json"],
    ["--home", "{home}", "contacts", "list", "--tag", "space"],
    ["--db={home}/pressctl.db", "--as", "Anne Martin", "contacts", "list"],
]


def env_of(home: Path, *, full: bool = False, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (NO_FAST_PATH, "PRESSCTL_DB")}
    env.update(PRESSCTL_HOME=str(home), COLUMNS=str(COLUMNS), LINES="40", **extra)
    env.pop("NO_COLOR", None)
    if full:
        env[NO_FAST_PATH] = "1"
    return env


def on_pipe(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    done = subprocess.run(argv, env=env, capture_output=True, timeout=120, check=False,
                          stdin=subprocess.DEVNULL)
    return done.returncode, done.stdout, done.stderr


def on_terminal(argv: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run with stdout on a pty of COLUMNS columns (stderr piped)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, COLUMNS, 0, 0))
    child = subprocess.Popen(argv, env=dict(env, TERM="xterm-256color"), stdout=follower,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert child.stderr is not None
    errors = child.stderr.read()
    code = child.wait(timeout=120)
    os.close(leader)
    return code, b"".join(chunks), errors


def probe(args: list[str], env: dict[str, str], *, terminal: bool = False) -> set[str] | None:
    """The modules `pressctl ARGS` loaded when the fast path answered; None when the full
    path ran."""
    run = on_terminal if terminal else on_pipe
    _, _, errors = run([sys.executable, "-c", PROBE, *args], env)
    last = errors.decode().splitlines()[-1]
    if last == "FULL":
        return None
    assert last.startswith("FAST "), errors
    return set(last.split()[1:])


def loaded(modules: set[str], packages: tuple[str, ...]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in packages}


def compare(console_script: Path, home: Path, args: list[str], *, terminal: bool = False,
            fast: bool = True, **extra: str) -> tuple[int, bytes, bytes]:
    """Run `pressctl ARGS` both ways; assert the two agree, byte for byte, and that the
    fast path answered (``fast``) or not; return what they printed."""
    run = on_terminal if terminal else on_pipe
    argv = [str(console_script), *args]
    expected = run(argv, env_of(home, full=True, **extra))
    got = run(argv, env_of(home, **extra))
    assert got == expected
    modules = probe(args, env_of(home, **extra), terminal=terminal)
    assert (modules is not None) == fast, args
    return got


def warm(console_script: Path, home: Path) -> None:
    """The first list checks config.toml (full path) and leaves the stamp."""
    code, _, errors = on_pipe([str(console_script), "contacts", "list"], env_of(home))
    assert code == 0, errors
    assert (home / fast_list.STAMP_NAME).is_file()


@pytest.fixture
def listed(sample_book, home, console_script):
    """The sample book, its stamp written: lists take the fast path."""
    warm(console_script, home)
    return home


TRICKY = [
    ["Zoë O'Brien-Łukasiewicz", "--kind", "other", "--email", "zoe@exämple.org",
     "--email", "z.obrien+press@example.com", "--phone", "+1 202 555 0143 ext. 12",
     "--mobile", "+44 7911 123456", "--fax", "+49 30 1234567", "--tag", "Étoiles",
     "--tag", "space", "--lang", "pt-BR", "--lang", "en", "--country", "BR",
     "--role", "Editor \"at large\"\\ and\tcritic", "--role-lang", "fr=Rédactrice",
     "--notes", "line one\nline two\ttab", "--embargo-ok"],
    ["\u738b\u5c0f\u660e", "--email", "wang@example.cn", "--phone", "+86 10 6552 9988",
     "--org", "CNES", "--role", "记者 [senior]", "--tag", "space"],
    ["--email", "dash@example.net", "--outlet", "Rock & Roll <Weekly>", "--phone",
     "+33 (0)1 44 76 75 39 (standard)", "--phone", "+39 06 1234 5678", "--", "-Dash Leading"],
    ["Nobody Reachable", "--kind", "journalist", "--outlet", "Hebdo Tab\tOutlet"],
]


@pytest.fixture
def tricky(sample_book, home, console_script):
    """The sample book and contacts with unusual data: quotes, tabs and newlines, several
    scripts, extensions, labels, no e-mail, an opted-out address."""
    for words in TRICKY:
        done = sample_book("contacts", "add", *words)
        assert done.exit_code == 0, done.stderr
    assert sample_book("contacts", "optout", "wang@example.cn").exit_code == 0
    warm(console_script, home)
    return home


# -- the same bytes as the full path ----------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", FORMS, ids=[" ".join(f) or "plain" for f in FORMS])
def test_each_form_prints_what_the_full_path_prints_piped(listed, console_script, words):
    code, out, _ = compare(console_script, listed, ["contacts", "list", *words])
    assert code == 0 and out  # the header at least


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", FORMS, ids=[" ".join(f) or "plain" for f in FORMS])
def test_each_form_prints_what_the_full_path_prints_with_tricky_data(tricky, console_script,
                                                                     words):
    compare(console_script, tricky, ["contacts", "list", *words])


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", GLOBAL_FORMS, ids=[" ".join(f) for f in GLOBAL_FORMS])
def test_global_options_are_read_as_typer_reads_them(tricky, console_script, words):
    compare(console_script, tricky, [w.format(home=tricky) for w in words])


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", [[], ["--wide"], ["--columns", "name,phone,tags"],
                                   ["--json", "--tag", "space"]],
                         ids=["plain", "wide", "columns", "json"])
def test_on_a_terminal_the_table_is_what_the_full_path_draws(tricky, console_script, words):
    code, out, _ = compare(console_script, tricky, ["contacts", "list", *words],
                           terminal=True)
    assert code == 0 and "Zoë" in out.decode()


@pytest.mark.sqlite_only
def test_colours_follow_no_color_and_no_color_as_on_the_full_path(listed, console_script):
    compare(console_script, listed, ["--no-color", "contacts", "list"], terminal=True)
    compare(console_script, listed, ["contacts", "list"], terminal=True, NO_COLOR="1")


@pytest.mark.sqlite_only
def test_each_phone_style_and_own_country_of_config_toml_is_shown(listed, console_script):
    config = listed / "config.toml"
    base = config.read_text()
    for style, own in (("e164", "FR"), ("international", "FR"), ("national", "GB"),
                       ("house", "FR"), ("auto", "GB")):
        config.write_text(base.replace('phone_style = "auto"', f'phone_style = "{style}"')
                          .replace('own_country = "FR"', f'own_country = "{own}"'))
        warm(console_script, listed)  # a new config.toml: checked again
        assert f'"phone_style": "{style}"' in (listed / fast_list.STAMP_NAME).read_text()
        compare(console_script, listed, ["contacts", "list"])


def _forget_forms(home: Path) -> None:
    """The book's phones as written before migration 0017: no display forms."""
    import sqlite3

    with sqlite3.connect(home / "pressctl.db") as db:
        db.execute("UPDATE contact_phones SET international = NULL, national = NULL, "
                   "region = NULL")
    db.close()


@pytest.mark.sqlite_only
def test_phones_without_stored_forms_are_shown_as_those_with_them(listed, console_script):
    # Stored forms (migration 0017) against phonenumbers' own formatting of the same
    # numbers: every style, own country, table and JSON, byte for byte.
    config = listed / "config.toml"
    base = config.read_text()
    cases = [(style, own, words) for style, own in (
        ("e164", "FR"), ("international", "FR"), ("national", "GB"), ("house", "FR"),
        ("auto", "GB"), ("auto", "FR"), ("auto", "US")) for words in ([], ["--json"])]

    def outputs() -> list[tuple[int, bytes, bytes]]:
        found = []
        for style, own, words in cases:
            config.write_text(base.replace('phone_style = "auto"', f'phone_style = "{style}"')
                              .replace('own_country = "FR"', f'own_country = "{own}"'))
            warm(console_script, listed)
            found.append(on_pipe([str(console_script), "contacts", "list", *words],
                                 env_of(listed)))
        return found

    with_forms = outputs()
    assert "+33 (0)1" in b"".join(out for _, out, _ in with_forms).decode()  # house
    modules = probe(["contacts", "list"], env_of(listed))
    assert modules is not None and "phonenumbers" not in modules
    _forget_forms(listed)
    assert outputs() == with_forms
    modules = probe(["contacts", "list"], env_of(listed))
    assert modules is not None and "phonenumbers" in modules  # formatted from a parse


# -- what it does not import --------------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", [[], ["--json"], ["--tag", "space", "--columns", "name"]],
                         ids=["plain", "json", "tag-columns"])
def test_piped_it_imports_no_typer_click_or_rich(listed, words):
    modules = probe(["contacts", "list", *words], env_of(listed))
    assert modules is not None, "the full path ran"
    assert loaded(modules, NOT_ON_A_PIPE) == set()
    assert "pressctl.cli.app" not in modules and "platformdirs" not in modules
    if "--tag" not in words:  # a filter is validated (pressctl.book.filters): it parses
        # Every phone of the sample book has its display forms stored (migration 0017).
        assert loaded(modules, ("phonenumbers",)) == set()
        assert "pressctl.contacts.phones" not in modules


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", [["--tag", "space"], ["--kind", "journaliste"],
                                   ["--tag", "Space", "--kind", "officer", "--lang", "fr",
                                    "--search", "bresson"]],
                         ids=["tag", "kind", "several"])
def test_a_tag_or_kind_filter_imports_no_phone_or_email_parser(listed, console_script,
                                                               words):
    # Tags and kinds are made canonical by pressctl.contacts.canonical, not by the
    # validation of a whole contact (which imports phonenumbers and the e-mail parser).
    compare(console_script, listed, ["contacts", "list", *words])
    modules = probe(["contacts", "list", *words], env_of(listed))
    assert modules is not None and "pressctl.book.filters" in modules
    assert loaded(modules, ("phonenumbers", "email_validator")) == set()
    assert "pressctl.contacts.validation" not in modules
    assert "pressctl.contacts.phones" not in modules


@pytest.mark.sqlite_only
def test_without_filters_the_validation_modules_are_not_loaded(listed):
    # contact_filter() with nothing is the whole book: the fast path says so itself
    from pressctl.book.filters import contact_filter
    from pressctl.contacts.model import EVERY_CONTACT

    assert contact_filter() == EVERY_CONTACT
    modules = probe(["contacts", "list"], env_of(listed))
    assert modules is not None
    assert "pressctl.book.filters" not in modules
    assert "pressctl.store.gdpr" not in modules  # nor the store's other query modules


@pytest.mark.sqlite_only
@pytest.mark.parametrize("columns", ["120", "40", None], ids=["120", "40", "tty-size"])
def test_on_a_terminal_the_sample_book_is_drawn_without_rich_typer_or_click(
        listed, console_script, columns):
    # pressctl.cli.plain_table draws it (tests/cli/test_fast_plain_table.py), the same
    # bytes as rich on the full path: whole, wrapped and folded, columns left out (40);
    # the width from COLUMNS, else from the terminal itself (a pty of 120 columns).
    env = env_of(listed)
    if columns is None:
        del env["COLUMNS"], env["LINES"]
    else:
        env["COLUMNS"] = columns
    expected = on_terminal([str(console_script), "contacts", "list"],
                           dict(env, **{NO_FAST_PATH: "1"}))
    assert on_terminal([str(console_script), "contacts", "list"], env) == expected
    assert expected[0] == 0 and b"Bresson" in expected[1]
    modules = probe(["contacts", "list"], env, terminal=True)
    assert modules is not None
    assert loaded(modules, ("rich", "typer", "click")) == set()


@pytest.mark.sqlite_only
def test_on_a_terminal_text_it_is_not_sure_of_is_drawn_by_rich(tricky):
    # The tricky book holds a name in Chinese (two cells a character): rich draws it.
    modules = probe(["contacts", "list"], env_of(tricky), terminal=True)
    assert modules is not None
    assert "rich" in modules and loaded(modules, ("typer", "click")) == set()


# -- what it leaves to the full path ------------------------------------------------------------


@pytest.mark.sqlite_only
@pytest.mark.parametrize("words", [
    ["contacts", "list", "--help"],
    ["contacts", "list", "--bogus"],
    ["contacts", "list", "extra"],
    ["contacts", "list", "--kind"],
    ["contacts", "list", "--tag", "space", "--org", "CNES", "--org", "SFR"],
    ["contacts", "list", "--embargo-ok", "--no-embargo-ok"],
    ["contacts", "list", "--json=yes"],
    ["--verbose", "contacts", "list"],
    ["contacts", "--json", "list"],
    ["contacts", "show", "1"],
], ids=lambda words: " ".join(words))
def test_other_forms_take_the_full_path_and_say_the_same(listed, console_script, words):
    assert fast_list.parse(words) is None
    compare(console_script, listed, words, fast=False)


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("words", "code"), [
    (["--kind", "nobody"], 3),
    (["--country", "Atlantis"], 3),
    (["--lang", "12"], 3),
    (["--columns", "name,shoe-size"], 2),
    (["--columns", ","], 2),
])
def test_bad_input_gets_the_full_paths_message_and_exit_code(listed, console_script, words,
                                                             code):
    got, out, errors = compare(console_script, listed, ["contacts", "list", *words],
                               fast=False)
    assert (got, out) == (code, b"") and errors.startswith((b"Error", b"Usage"))


@pytest.mark.sqlite_only
@pytest.mark.parametrize("name", ["   ", "press\toffice", "x" * 65])
def test_a_name_the_full_path_refuses_is_refused_by_it(listed, console_script, name):
    code, out, errors = compare(console_script, listed, ["contacts", "list"], fast=False,
                                PRESSCTL_USER=name)
    assert (code, out) == (4, b"") and b"PRESSCTL_USER" in errors
    code, _, errors = compare(console_script, listed, ["--as", name, "contacts", "list"],
                              fast=False)
    assert code in (2, 3)  # typer refuses "-x" values itself; --as otherwise: exit 3


@pytest.mark.sqlite_only
def test_the_first_list_checks_config_toml_then_lists_trust_it_while_it_is_unchanged(
        sample_book, home, console_script):
    stamp = home / fast_list.STAMP_NAME
    assert not stamp.exists()
    assert probe(["contacts", "list"], env_of(home)) is None  # the full path: checks, stamps
    assert stamp.stat().st_mode & 0o777 == 0o600
    compare(console_script, home, ["contacts", "list"])
    config = home / "config.toml"
    config.write_text(config.read_text() + "\n# edited\n")
    assert probe(["contacts", "list"], env_of(home)) is None
    compare(console_script, home, ["contacts", "list"])


@pytest.mark.sqlite_only
def test_a_stamp_of_other_code_or_a_changed_file_is_not_trusted(listed):
    place = fast_list.idle.locate({}, env_of(listed))
    assert not isinstance(place, str)
    stamp = listed / fast_list.STAMP_NAME
    good = stamp.read_text()
    assert fast_list.read_stamp(place) is not None
    lines = good.splitlines()
    for broken in (good.replace(lines[1], 'code ["0.0.0"]'),
                   good.replace(lines[2], "config none"),
                   good.replace(lines[4], "display {}"),
                   good.replace(lines[4], "display not json"),
                   "\n".join(lines[:4]) + "\n", ""):
        stamp.write_text(broken)
        assert fast_list.read_stamp(place) is None, broken
    stamp.write_text(good)
    os.utime(listed / "config.toml")  # touched: its times changed, so may its text have
    assert fast_list.read_stamp(place) is None


@pytest.mark.sqlite_only
def test_an_invalid_config_toml_is_reported_by_every_list_as_the_full_path_does(
        listed, console_script):
    (listed / "config.toml").write_text('[display]\nphone_style = "fancy"\n')
    for _ in range(2):  # never stamped: each list says it again
        code, out, errors = compare(console_script, listed, ["contacts", "list"], fast=False)
        assert (code, out) == (4, b"") and b"phone_style" in errors


@pytest.mark.sqlite_only
def test_no_config_toml_means_the_defaults_and_is_answered_fast(listed, console_script):
    (listed / "config.toml").unlink()
    warm(console_script, listed)
    assert "config none" in (listed / fast_list.STAMP_NAME).read_text()
    compare(console_script, listed, ["contacts", "list"])


@pytest.mark.sqlite_only
def test_a_missing_book_or_home_takes_the_full_path(listed, console_script, tmp_path):
    compare(console_script, listed, ["--home", str(tmp_path / "typo"), "contacts", "list"],
            fast=False)
    (listed / "pressctl.db").rename(listed / "moved.db")
    code, _, errors = compare(console_script, listed, ["contacts", "list"], fast=False)
    assert code == 4 and b"no pressctl database" in errors


@pytest.mark.sqlite_only
def test_an_error_while_reading_is_reported_as_the_full_path_reports_it(listed,
                                                                        console_script):
    # Another program dropped a table the list reads: the book opens (its migrations are
    # all there), and the read fails half-way, on both paths alike.
    import sqlite3

    connection = sqlite3.connect(listed / "pressctl.db")
    connection.execute("DROP TABLE contact_emails")
    connection.commit()
    connection.close()
    code, _, errors = compare(console_script, listed, ["contacts", "list"])
    assert code != 0 and errors.startswith(b"Error: ") and b"Traceback" not in errors


def test_either_backend_is_listed_fast_after_the_first_list(sample_book, home,
                                                            console_script):
    # [sqlite]: the home's file; [postgresql]: the URL of PRESSCTL_DB (more forms in
    # tests/cli/test_fast_list_postgres.py). The first list checks config.toml.
    url = os.environ.get("PRESSCTL_DB")
    extra = {"PRESSCTL_DB": url} if url else {}
    assert probe(["contacts", "list"], env_of(home, **extra)) is None
    assert (home / fast_list.STAMP_NAME).exists()
    code, out, errors = compare(console_script, home, ["contacts", "list"], **extra)
    assert code == 0 and errors == b"26 contact(s)\n" and out.count(b"\n") == 27


# -- the option tables against the typer command -------------------------------------------------


def _typer_options(command) -> dict[str, tuple[str, object]]:
    table: dict[str, tuple[str, object]] = {}
    for param in command.params:  # typer's own click (typer._click): options by their kind
        if param.param_type_name != "option" or param.is_eager:
            continue  # --help, --version, completion: typer answers those
        if param.is_flag and param.secondary_opts:
            table |= {o: (param.name, True) for o in param.opts}
            table |= {o: (param.name, False) for o in param.secondary_opts}
        elif param.is_flag:
            table |= {o: (param.name, True) for o in param.opts}
        else:
            table |= {o: (param.name, "many" if param.multiple else "value")
                      for o in param.opts}
    return table


def test_the_option_tables_are_the_typer_commands_options():
    import typer.main

    from pressctl.cli.app import build_app

    root = typer.main.get_command(build_app(["contacts", "list"]))
    group = root.commands["contacts"]  # type: ignore[attr-defined]
    assert _typer_options(root) == fast_list.GLOBAL_OPTIONS
    assert _typer_options(group.commands["list"]) == fast_list.LIST_OPTIONS
    assert set(fast_list.FILTERS) | {"json_out", "wide", "columns"} == \
        {name for name, _ in fast_list.LIST_OPTIONS.values()}


def test_the_filters_are_contact_filters_parameters_in_order():
    import inspect

    from pressctl.book.filters import contact_filter
    from pressctl.cli.contacts_cmd import list_

    assert len(inspect.signature(contact_filter).parameters) == len(fast_list.FILTERS)
    listed = [p for p in inspect.signature(list_).parameters if p in fast_list.FILTERS]
    assert listed == list(fast_list.FILTERS)  # list_ passes them to contact_filter in order


@pytest.mark.parametrize(("args", "expected"), [
    (["contacts", "list"], ({}, {})),
    (["-q", "--home=/h", "contacts", "list", "--tag", "a", "--tag=b", "--json"],
     ({"quiet": True, "home": "/h"}, {"tag": ["a", "b"], "json_out": True})),
    (["contacts", "list", "--org="], ({}, {"org": ""})),
    (["contacts", "list", "--not-opted-out", "--no-embargo-ok"],
     ({}, {"opted_out": False, "embargo_ok": False})),
    (["--home=", "contacts", "list"], None),
    (["--home", "-q", "contacts", "list"], None),
    (["contacts", "list", "--search", "-x"], None),
    (["contacts", "list", "--"], None),
    (["contacts", "list", "-h"], None),
    (["contacts", "lists"], None),
    (["contacts"], None),
    (["list", "contacts"], None),
    (["orgs", "list"], None),
])
def test_the_command_line_is_read_as_typer_reads_it_or_left_to_it(args, expected):
    assert fast_list.parse(args) == expected


def test_a_countrys_number_formats_are_compiled_only_when_a_number_reaches_them():
    # The sample book's ten countries hold 133 patterns; compiling them all cost a list
    # more than the rest of its work (pressctl.contacts.phone_display._Lazy).
    from pressctl.contacts import phone_display, phones
    from pressctl.contacts.model import Phone
    from pressctl.contacts.phones import format_phone

    phone_display._calling.cache_clear()  # formats compiled by another test are not ours
    phone_display._country.cache_clear()
    phones._shown.cache_clear()
    country = phone_display._country(49)
    assert country is not None and len(country.national) > 5
    shown = format_phone(Phone("+4930123456", None, "work", None), "national", "FR")
    assert shown == "030 123456"  # phonenumbers' own form
    filled = [rule for rule in country.national if _filled(rule)]
    assert filled and len(filled) < len(country.national)


def _filled(rule) -> bool:
    try:
        object.__getattribute__(rule, "pattern")
    except AttributeError:
        return False
    return True
