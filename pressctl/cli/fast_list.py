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
  (pressctl.cli.idle: a home given by --home or PRESSCTL_HOME, a SQLite file; a
  PostgreSQL book, a URL or no home take the full path).
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

On a terminal the table is drawn by rich, as on the full path (rich is then imported);
piped, or with --json, neither rich nor typer is.
"""

from __future__ import annotations

import json  # the list prints through it anyway (pressctl.cli.streamed)
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pressctl.cli import idle

if TYPE_CHECKING:
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
    place = idle.locate({f"--{k}": v for k, v in options.items() if k in ("home", "db")}, env)
    if isinstance(place, str):
        return None
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
    if (names_url and not place.db_given) or not os.path.isfile(place.database):
        return None
    # The cyclic garbage collector is held while ~150 modules load: their objects are
    # there to stay, and looking through them again and again costs ~3 ms.
    import gc

    gc.disable()
    store = _StorePackage()
    try:
        code = _list(place.database, display, options, wanted)
    except BaseException:
        store.complete()
        raise
    finally:
        gc.enable()
    if code is None:
        store.complete()  # the full path imports pressctl.store: it gets all of it
    return code


def _list(database_file: str, display: _Display, options: dict[str, Any],
          wanted: dict[str, Any]) -> int | None:
    try:  # everything that may go wrong before a byte is printed: the full path says it
        from pathlib import Path

        from pressctl.cli.output import Output
        from pressctl.cli.tables import Layout, pick
        from pressctl.cli.views import CONTACT_COLUMNS, print_contacts
        from pressctl.errors import PressctlError
        from pressctl.store.contacts import ContactQueries
        from pressctl.store.database import Database

        where = _filter(wanted)  # refused (exit 3): the full path reports it
        pick(CONTACT_COLUMNS, wanted.get("columns"))  # refused: typer's exit 2
        book = Database.open(Path(database_file), create=False)
    except Exception:
        return None
    path = book.path
    out = Output(quiet=bool(options.get("quiet")), color=not options.get("no_color"))
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


def _filter(wanted: dict[str, Any]) -> ContactFilter:
    """The full path's filter (pressctl.book.filters.contact_filter) of the options."""
    if not any(name in wanted for name in FILTERS):
        from pressctl.contacts.model import EVERY_CONTACT

        return EVERY_CONTACT  # what contact_filter() gives (a test holds them equal)
    from pressctl.book.filters import contact_filter

    return contact_filter(*(wanted.get(name) for name in FILTERS))


class _StorePackage:
    """pressctl.store without its ``__init__`` (which imports every query module, ~15 ms,
    where a list needs two): its submodules import as usual. :meth:`complete` runs the
    ``__init__`` after all, for the full path, which needs the whole package."""

    def __init__(self) -> None:
        from importlib.machinery import ModuleSpec, SourceFileLoader
        from types import ModuleType

        import pressctl

        self.module: ModuleType | None = None
        if "pressctl.store" in sys.modules:
            return

        name = "pressctl.store"
        folder = os.path.join(os.path.dirname(os.path.abspath(pressctl.__file__)), "store")
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
        pressctl.store = module  # as an import sets it
        self.module = module
        self.loader = loader

    def complete(self) -> None:
        if self.module is not None:
            module, self.module = self.module, None
            self.loader.exec_module(module)
