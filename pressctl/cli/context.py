"""What every command receives: the global options' decisions (:class:`State`, kept in
the root context's ``obj``), the open book, the time of the command and the acting user,
read once here, and the options several groups share (``--json``, ``--templates``),
written once.

The acting user (recorded with every change, see pressctl.book.changes) is ``--as NAME``,
else PRESSCTL_USER, else the login name (LOGNAME, USER, LNAME, USERNAME, then the
password database; "unknown" when there is none). It must be one line of printable text
of at most 64 characters: a bad ``--as`` is invalid input (exit 3), a bad PRESSCTL_USER
or login name a configuration error (exit 4). It is read when the book is opened, so
that commands which need no book never refuse a name.

Command modules import from here, never from pressctl.cli.app (which imports them). The
shared options live here rather than in a module of their own: every command imports
this one already, and start-up pays for each module."""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.output import Output

if TYPE_CHECKING:  # imported by the commands that use them: `--help` stays cheap
    from pressctl.book.session import Book
    from pressctl.config import DatabaseLocation, Paths, Settings
    from pressctl.store.changes import Change

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TemplatesDir = Annotated[Path | None, typer.Option(
    "--templates", help="Templates folder overriding the defaults (default: the home's).")]


class State:
    """What the global options decided, shared with every command through ctx.obj."""

    def __init__(self, home: Path | None, db: Path | str | None, quiet: bool, color: bool,
                 debug: bool, as_user: str | None = None) -> None:
        self.home = home
        self.as_user = as_user  # --as, as written
        self.debug = debug
        self.out = Output(quiet=quiet, color=color)
        self.env = dict(os.environ)
        self.db = db  # a file path or a URL, as written (pressctl.config.parse_database)
        self._book: Book | None = None

    @property
    def paths(self) -> Paths:
        from pressctl.config import resolve_paths

        return resolve_paths(self.env, self.home, self.db)

    @property
    def db_given(self) -> bool:
        """--db or PRESSCTL_DB chose the database (rather than the home or the platform)."""
        return self.db is not None or bool(self.env.get("PRESSCTL_DB"))

    def settings(self) -> Settings:
        """The home's settings; refuses (exit 4) a home or database that does not exist."""
        from pressctl.config import database_location, load_settings
        from pressctl.home import require_book, require_home

        paths = self.paths
        require_home(paths, db_given=self.db_given)
        settings = load_settings(paths.config_file)
        require_book(paths, db_given=self.db_given,
                     location=database_location(paths, settings))
        return settings

    def location(self, settings: Settings) -> DatabaseLocation:
        """Where the book is: --db > PRESSCTL_DB > [database] url > the home's file."""
        from pressctl.config import database_location

        return database_location(self.paths, settings)

    def config(self) -> Settings:
        """The config file's settings, or the defaults when there is none: for commands
        that need no book (`check phone`, `contacts extract` without --import)."""
        from pressctl.config import load_settings

        return load_settings(self.paths.config_file)

    def actor(self) -> str:
        """Who is acting: --as, else PRESSCTL_USER, else the login name (see above)."""
        from pressctl.book.changes import actor_problem, shown_name
        from pressctl.errors import ConfigError, InvalidInput

        limits = "one line of printable text, at most 64 characters"
        if self.as_user is not None:
            problem = actor_problem(self.as_user)
            if problem:
                raise InvalidInput(f'--as "{shown_name(self.as_user)}" {problem}',
                                   hint=f"give the name of who is acting: {limits}")
            return self.as_user.strip()
        if self.env.get("PRESSCTL_USER"):  # set but empty: as if unset
            name = self.env["PRESSCTL_USER"]
            problem = actor_problem(name)
            if problem:
                raise ConfigError(f'PRESSCTL_USER "{shown_name(name)}" {problem}',
                                  hint=f"set it to {limits}, or pass --as NAME")
            return name.strip()
        name = login_name(self.env)
        problem = actor_problem(name)
        if problem:
            raise ConfigError(f'the login name "{shown_name(name)}" {problem}',
                              hint="set PRESSCTL_USER, or pass --as NAME")
        return name.strip()

    def book(self) -> Book:
        """Open the contact book. Only `init` creates one: a home or database that does
        not exist is refused (exit 4), and nothing is created."""
        if self._book is None:
            from pressctl.book.session import Book
            from pressctl.store import Store

            actor = self.actor()  # before anything is opened: a bad name changes nothing
            settings = self.settings()
            location = self.location(settings)
            # A file or a server (then ``env`` holds its password's source): the store knows.
            store = Store.open(location, create=False, env=self.env)
            self._book = Book(store, settings, now_utc(), actor=actor,
                              zone=display_zone(settings, self.env))
        return self._book

    def close(self) -> None:
        """Close the book's connection when the command ends: SQLite then folds the
        write-ahead log back into the file, and nothing keeps the file open."""
        if self._book is not None:
            self._book.store.close()
            self._book = None


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def display_zone(settings: Settings, env: dict[str, str]) -> tzinfo:
    """The zone times are shown in (``book.zone``): display.timezone, else TZ as the C
    library reads it (a zone name, else its rule's offset now), else the system's zone
    (/etc/localtime, with its daylight-saving rules)."""
    tz = env.get("TZ", "").removeprefix(":")
    if settings.display.timezone is None and tz:
        from zoneinfo import ZoneInfo

        try:
            return ZoneInfo(tz)
        except (ValueError, KeyError, OSError):  # a path or a POSIX rule: its offset now
            now = datetime.now().astimezone().tzinfo
            if now is not None:
                return now
    return settings.display.zone()


def local_time(at: str | None, zone: tzinfo) -> str:
    """A stored UTC time ("2026-11-22T09:42:00Z") as shown on screen, in ``zone`` (the
    display zone, ``book.zone``): "2026-11-22 10:42 CET" (pressctl.cli.views.format_local)."""
    from pressctl.cli.views import local_time as shown

    return shown(at, zone)


def change_json(change: Change) -> dict:
    """One entry of the trail, as every --json prints it (its time in UTC)."""
    return {"id": change.id, "at": change.at, "actor": change.actor, "action": change.action,
            "subject": change.subject, "subject_id": change.subject_id,
            "summary": change.summary}


def change_line(change: Change, zone: tzinfo) -> str:
    """"edit by anne at 2026-11-22 10:42 CET: edited: role": one entry, for a show command,
    its time in ``zone`` (the display zone, ``book.zone``)."""
    return (f"{change.action} by {change.actor} at {local_time(change.at, zone)}: "
            f"{change.summary}")


def login_name(env: dict[str, str]) -> str:
    """The login name, as getpass.getuser() finds it but from ``env`` (the command's
    environment, injectable); "unknown" when there is none."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if env.get(variable):
            return env[variable]
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no such variable and no entry in the password database
        return "unknown"


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj
