"""`pressctl contacts list` answered before typer, click or the whole store is imported:
listing the book is what a press officer (and a script) runs most, and start-up is most
of its time on a book of a few hundred contacts (issue 12).

The console script (pressctl.cli.launcher) asks :func:`answer` first. It prints the list
itself only when every step below is sure; anything else returns None before a byte is
written, and the full path (typer) runs and says what it always said. What is printed
comes from the full path's own code: the filter from pressctl.book.filters, the rows from
the store's stream (pressctl.store.contacts), the table, tab-separated rows or JSON from
pressctl.cli.views. Only the reading of the command line and of the settings differs:

* The command line is `pressctl [GLOBAL OPTIONS] contacts list [OPTIONS]` with the
  options of :data:`GLOBAL_OPTIONS` and :data:`LIST_OPTIONS`, each once (--tag may be
  repeated), values given as the next word or after "=" and never starting with "-".
  tests/cli/test_cli_fast_list.py holds the two tables to the typer command's options.
  Anything else (--help, an unknown option, an argument) is typer's to read.
* The home, book and acting name are checked as the idle cron run checks them
  (pressctl.cli.idle: a home given by --home or PRESSCTL_HOME; no home takes the full
  path). The book is the SQLite file, or a PostgreSQL URL given by --db, PRESSCTL_DB or
  config.toml's [database] url (read with tomllib while the stamp holds for the file),
  parsed by the full path's own pressctl.config.locations and connected to with its
  password source ([database] password_env / password_command) as the full path does;
  the URL and password are never shown (the store names the book by the masked URL).
  A sqlite: URL takes the full path.
* The settings a list uses ([display]) are read from a stamp beside config.toml
  (:data:`STAMP_NAME`) that the full path's parser wrote: the first list that meets a
  config.toml (or a new pressctl, or an edited config module) validates it with
  pressctl.config.load_settings on its way to the full path and writes the stamp, with
  the file's size and times (hashing it would cost hashlib's import, 2-3 ms). An invalid
  config.toml gets none: every list reports it. The printers get a stand-in for the
  Settings holding [display] alone, all that pressctl.cli.views reads of them for a list
  (the tests compare every form with the full path: a new need would show there).
* A filter the core refuses (--kind nobody), a --columns name the table does not have,
  or a book that does not open takes the full path, which reports it.

On a terminal the table is drawn by pressctl.cli.plain_table, byte for byte as rich draws
it on the full path, when all its text is of the kinds it knows (else by rich, which is
then imported); piped, or with --json, neither rich nor typer is.
"""

from __future__ import annotations

import json  # the list prints through it anyway (pressctl.cli.streamed)
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pressctl.cli import idle

if TYPE_CHECKING:
    from pressctl.cli.output import Output
    from pressctl.config import Settings
    from pressctl.contacts.model import ContactFilter

STAMP_NAME = ".contacts-list"
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_STAMP_HEADER = ("pressctl: config.toml's [display] checked for `contacts list` "
                 "(pressctl.cli.fast_list; safe to delete)")

# Option as typed -> (the parameter typer gives it, and what it takes: "value" the next
# word, "many" the next word again and again, else the flag's value). tests/cli/
# test_cli_fast_list.py checks both tables against the typer command.
GLOBAL_OPTIONS: dict[str, tuple[str, Any]] = {
    "--home": ("home", "value"), "--db": ("db", "value"), "--as": ("as_user", "value"),
    "--quiet": ("quiet", True), "-q": ("quiet", True), "--no-color": ("no_color", True),
    "--debug": ("debug", True),
}
# The filters: with none of them the list is the whole book, and pressctl.book.filters
# (which imports the validation of every field) is not needed to say so.
FILTERS = ("kind", "tag", "org", "outlet", "lang", "country", "search", "embargo_ok",
           "opted_out")
LIST_OPTIONS: dict[str, tuple[str, Any]] = {
    "--kind": ("kind", "value"), "--tag": ("tag", "many"), "--org": ("org", "value"),
    "--outlet": ("outlet", "value"), "--lang": ("lang", "value"),
    "--country": ("country", "value"), "--search": ("search", "value"),
    "--embargo-ok": ("embargo_ok", True), "--no-embargo-ok": ("embargo_ok", False),
    "--opted-out": ("opted_out", True), "--not-opted-out": ("opted_out", False),
    "--json": ("json_out", True), "--wide": ("wide", True), "--columns": ("columns", "value"),
}


def parse(args: list[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The global options and list options of `pressctl ARGS` as typer would read them
    (by parameter name), or None when it is not `contacts list` or not sure."""
    try:
        at = args.index("contacts")
    except ValueError:
        return None
    if args[at + 1:at + 2] != ["list"]:
        return None
    found_global = _options(args[:at], GLOBAL_OPTIONS)
    found_list = _options(args[at + 2:], LIST_OPTIONS)
    if found_global is None or found_list is None:
        return None
    return found_global, found_list


def _options(words: list[str], table: Mapping[str, tuple[str, Any]]) -> dict[str, Any] | None:
    found: dict[str, Any] = {}
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        typed, equals, value = word.partition("=")
        if typed not in table:
            return None
        name, takes = table[typed]
        if takes in ("value", "many"):
            if not equals:
                if position == len(words):
                    return None
                value = words[position]
                position += 1
            if value.startswith("-"):  # an option, or a value click may read otherwise
                return None
            if not value and table is GLOBAL_OPTIONS:  # --home "": not worth the doubt
                return None
            if takes == "many":
                found.setdefault(name, []).append(value)
                continue
        elif equals:
            return None
        else:
            value = takes
        if name in found:  # twice: typer keeps the last; not worth the doubt
            return None
        found[name] = value
    return found


# -- the settings a list uses ----------------------------------------------------------------


class _Display:
    """The [display] table as load_settings made it (pressctl.config.DisplaySettings)."""

    __slots__ = ("own_country", "phone_style", "timezone")

    def __init__(self, own_country: str, phone_style: str, timezone: str | None) -> None:
        self.own_country = own_country
        self.phone_style = phone_style
        self.timezone = timezone


class _Settings:
    """What pressctl.cli.views reads of the Settings when it lists contacts."""

    __slots__ = ("display",)

    def __init__(self, display: _Display) -> None:
        self.display = display


def code_state() -> str:
    """pressctl's version and the size and time of the config parser's modules, as one
    line: a new version or an edited module makes every stamp out of date. (Text, not a
    digest as pressctl.cli.idle keeps: hashlib costs a list 2-3 ms to import.)"""
    from pressctl import __version__

    config = os.path.join(_PACKAGE, "config")
    parts: list[Any] = [__version__]
    for name in sorted(os.listdir(config)):
        if name.endswith(".py"):
            stat = os.stat(os.path.join(config, name))
            parts.append([name, stat.st_size, stat.st_mtime_ns])
    return json.dumps(parts, ensure_ascii=True, separators=(",", ":"))


def file_state(path: str) -> str | None:
    """What changes whenever config.toml does (its size, modification and change times,
    inode), "none" when there is none (the defaults), None when it cannot be read. The
    change time is the kernel's: no editor or copy can set it back."""
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return "none"
    except OSError:
        return None
    return f"{stat.st_dev}:{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}"


def stamp_text(code: str, config: str, names_url: bool, settings: Settings) -> str:
    display = settings.display
    shown = json.dumps({"own_country": display.own_country,
                           "phone_style": display.phone_style,
                           "timezone": display.timezone}, ensure_ascii=True, sort_keys=True)
    return (f"{_STAMP_HEADER}\ncode {code}\nconfig {config}\n"
            f"database {'url' if names_url else 'file'}\ndisplay {shown}\n")


def read_stamp(place: idle.Place) -> tuple[_Display, bool] | None:
    """([display] as the full path's parser read it, whether config.toml names a
    [database] url) when the stamp holds for this config.toml and this code; else None."""
    try:
        with open(os.path.join(place.config_dir, STAMP_NAME), encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) != 5 or lines[0] != _STAMP_HEADER or not lines[4].startswith("display "):
        return None
    config = file_state(place.config_file)
    if config is None or lines[2] != f"config {config}" or lines[1] != f"code {code_state()}":
        return None
    if lines[3] not in ("database url", "database file"):
        return None
    try:
        shown = json.loads(lines[4].removeprefix("display "))
        display = _Display(shown["own_country"], shown["phone_style"], shown["timezone"])
    except (ValueError, KeyError, TypeError):
        return None
    return display, lines[3] == "database url"


def renew_stamp(place: idle.Place) -> None:
    """Validate config.toml as the full path does and, when it is valid, write the stamp
    beside it; an invalid file gets none (the full path reports it)."""
    code = code_state()
    idle.write_checked_stamp(
        place, os.path.join(place.config_dir, STAMP_NAME), file_state,
        lambda state, settings: stamp_text(code, state, settings.database is not None,
                                           settings))


def answer(args: list[str], env: Mapping[str, str]) -> int | None:
    """The exit code of `pressctl ARGS` when this printed the list; None (nothing printed)
    when the full path should run."""
    parsed = parse(args)
    if parsed is None:
        return None
    options, wanted = parsed
    found = _locate(options, env)
    if found is None:
        return None
    place, url = found
    as_user = {"--as": options["as_user"]} if "as_user" in options else {}
    if idle.actor_problem(as_user, env) is not None:
        return None
    stamp = read_stamp(place)
    if stamp is None:
        from contextlib import suppress

        with suppress(Exception):  # at best a stamp: without one, the full path runs
            renew_stamp(place)
        return None
    display, names_url = stamp
    configured = names_url and not place.db_given
    if url is None and not configured and not os.path.isfile(place.database):
        return None
    # The cyclic garbage collector is held while ~150 modules load: their objects are
    # there to stay, and looking through them again and again costs ~3 ms.
    import gc

    gc.disable()
    packages = [_Package("store")]
    if url is not None or configured:  # pressctl.config.locations reads the URL
        packages.append(_Package("config"))
    try:
        code = _list(place, url, configured, display, options, wanted, env)
    except BaseException:
        for package in packages:
            package.complete()
        raise
    finally:
        gc.enable()
    if code is None:
        for package in packages:  # the full path imports them: it gets all of them
            package.complete()
    return code


def _locate(options: dict[str, Any],
            env: Mapping[str, str]) -> tuple[idle.Place, str | None] | None:
    """Where config.toml and the book are (pressctl.cli.idle.locate), and the URL --db or
    PRESSCTL_DB gave (None: a file, or none given); None when the full path should look."""
    db = options.get("db") or env.get("PRESSCTL_DB") or None
    if db is None or not idle._has_scheme(db):
        place = idle.locate({f"--{k}": v for k, v in options.items() if k in ("home", "db")},
                            env)
        return None if isinstance(place, str) else (place, None)
    # A URL: the home (config.toml, the stamp) is found as without it.
    place = idle.locate({"--home": options["home"]} if "home" in options else {},
                        {k: v for k, v in env.items() if k != "PRESSCTL_DB"})
    if isinstance(place, str):
        return None
    place.db_given = True
    return place, db


def _open(place: idle.Place, url: str | None, configured: bool, options: dict[str, Any],
          env: Mapping[str, str]) -> Any:
    """The book, opened as pressctl.cli.context.State.book opens it (without creating or
    changing anything when its schema is up to date); raises when the full path should
    run (a bad URL, no driver, no server, no schema: it says which)."""
    from pathlib import Path

    from pressctl.store.database import Database, PostgresDatabase

    if url is None and not configured:
        return Database.open(Path(place.database), create=False)
    from pressctl.config.locations import DatabaseLocation, parse_database

    if url is not None:
        location = parse_database(url, base=Path.cwd(),
                                  where="--db" if options.get("db") else "PRESSCTL_DB")
    else:  # config.toml's [database], as pressctl.config.settings reads it
        import tomllib

        with open(place.config_file, "rb") as handle:
            table = tomllib.load(handle)["database"]
        if read_stamp(place) is None:  # changed since the stamp was read
            raise LookupError("config.toml changed")
        config = Path(place.config_file)
        location = parse_database(table["url"].strip(), base=config.parent,
                                  where=f"{config}: database.url")
        secret = {k: table[k] for k in ("password_env", "password_command") if k in table}
        if secret and location.url is not None:
            location = DatabaseLocation(url=location.url, **secret)
    if location.url is None:  # sqlite: a URL naming a file
        raise LookupError("a sqlite: URL")
    return PostgresDatabase.connect(location.conninfo(env), location.masked, create=False)


def _list(place: idle.Place, url: str | None, configured: bool, display: _Display,
          options: dict[str, Any], wanted: dict[str, Any],
          env: Mapping[str, str]) -> int | None:
    try:  # everything that may go wrong before a byte is printed: the full path says it
        from pressctl.cli.output import Output
        from pressctl.cli.tables import Layout, pick
        from pressctl.cli.views import CONTACT_COLUMNS, print_contacts
        from pressctl.errors import PressctlError
        from pressctl.store.contacts import ContactQueries

        where = _filter(wanted)  # refused (exit 3): the full path reports it
        pick(CONTACT_COLUMNS, wanted.get("columns"))  # refused: typer's exit 2
        book = _open(place, url, configured, options, env)
    except Exception:
        return None
    path = book.path
    out = _output(Output)(quiet=bool(options.get("quiet")), color=not options.get("no_color"))
    settings: Any = _Settings(display)
    import gc

    gc.freeze()  # what the imports made stays to the end: later collections skip it
    gc.enable()  # the rows are many and short-lived: collected as usual
    try:
        print_contacts(out, ContactQueries(book).stream(where), settings,
                       as_json=bool(wanted.get("json_out")),
                       layout=Layout(bool(wanted.get("wide")), wanted.get("columns")))
    except PressctlError as err:
        sys.stderr.write(f"Error: {err}\n")
        return err.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        sys.stderr.write("Interrupted.\n")
        from pressctl.errors import EXIT_INTERRUPTED

        return EXIT_INTERRUPTED
    except Exception as err:  # as pressctl.cli.app.PressctlGroup says it
        from pressctl.store.failures import storage_error

        known = storage_error(err, path) if path is not None else None
        if known is not None:
            sys.stderr.write(f"Error: {known}\n")
            return known.exit_code
        if options.get("debug"):
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"Error: unexpected {type(err).__name__}: {err} "
                         "(this is a bug in pressctl; run with --debug for the traceback)\n")
        return 1
    finally:
        book.close()
    return 0


def _output(base: type[Output]) -> type[Output]:
    """pressctl.cli.output.Output whose tables are drawn without rich when
    pressctl.cli.plain_table is sure to draw what rich would (rich's import is ~45 ms)."""

    class PlainTableOutput(base):  # type: ignore[valid-type,misc]
        def table(self, columns: Any, rows: Any, title: str | None = None, *,
                  keep_whole: Any = (), layout: Any = None) -> None:
            if title is None and not keep_whole and self.rich_stdout:
                from pressctl.cli import plain_table
                from pressctl.cli.tables import as_columns

                if plain_table.print_table(as_columns(columns), rows, layout=layout,
                                           note=self.info):
                    return
            super().table(columns, rows, title, keep_whole=keep_whole, layout=layout)

    return PlainTableOutput


def _filter(wanted: dict[str, Any]) -> ContactFilter:
    """The full path's filter (pressctl.book.filters.contact_filter) of the options."""
    if not any(name in wanted for name in FILTERS):
        from pressctl.contacts.model import EVERY_CONTACT

        return EVERY_CONTACT  # what contact_filter() gives (a test holds them equal)
    from pressctl.book.filters import contact_filter

    return contact_filter(*(wanted.get(name) for name in FILTERS))


class _Package:
    """pressctl.store (or pressctl.config) without its ``__init__`` (which imports every
    query module, ~15 ms, where a list needs two; every settings parser, with
    phonenumbers, where a URL needs its parser): its submodules import as usual.
    :meth:`complete` runs the ``__init__`` after all, for the full path, which needs the
    whole package."""

    def __init__(self, short: str) -> None:
        from importlib.machinery import ModuleSpec, SourceFileLoader
        from types import ModuleType

        import pressctl

        self.module: ModuleType | None = None
        name = f"pressctl.{short}"
        if name in sys.modules:
            return

        folder = os.path.join(os.path.dirname(os.path.abspath(pressctl.__file__)), short)
        loader = SourceFileLoader(name, os.path.join(folder, "__init__.py"))
        spec = ModuleSpec(name, loader, origin=loader.path, is_package=True)
        spec.submodule_search_locations = [folder]
        spec.has_location = True
        module = ModuleType(name)
        module.__spec__ = spec
        module.__file__ = loader.path
        module.__path__ = [folder]
        module.__package__ = name
        module.__loader__ = loader
        sys.modules[name] = module
        setattr(pressctl, short, module)  # as an import sets it
        self.module = module
        self.loader = loader

    def complete(self) -> None:
        if self.module is not None:
            module, self.module = self.module, None
            self.loader.exec_module(module)
