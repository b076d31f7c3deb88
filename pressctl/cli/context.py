"""What every command receives: the global options' decisions (:class:`State`, kept in
the root context's ``obj``), the open book, the time of the command, read once here, and
the options several groups share (``--json``, ``--templates``), written once.

Command modules import from here, never from pressctl.cli.app (which imports them). The
shared options live here rather than in a module of their own: every command imports
this one already, and start-up pays for each module."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pressctl.cli.output import Output

if TYPE_CHECKING:  # imported by the commands that use them: `--help` stays cheap
    from pressctl.book.session import Book
    from pressctl.config import DatabaseLocation, Paths, Settings

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
TemplatesDir = Annotated[Path | None, typer.Option(
    "--templates", help="Templates folder overriding the defaults (default: the home's).")]


class State:
    """What the global options decided, shared with every command through ctx.obj."""

    def __init__(self, home: Path | None, db: Path | str | None, quiet: bool, color: bool,
                 debug: bool) -> None:
        self.home = home
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

    def book(self) -> Book:
        """Open the contact book. Only `init` creates one: a home or database that does
        not exist is refused (exit 4), and nothing is created."""
        if self._book is None:
            from pressctl.book.session import Book
            from pressctl.store import Store

            settings = self.settings()
            location = self.location(settings)
            if location.path is not None:  # SQLite: the file, as it has always been opened
                store = Store.open(location.path, create=False)
            else:  # PostgreSQL: the store imports psycopg; env holds its password's source
                store = Store.open(location, create=False, env=self.env)
            self._book = Book(store, settings, now_utc())
        return self._book

    def close(self) -> None:
        """Close the book's connection when the command ends: SQLite then folds the
        write-ahead log back into the file, and nothing keeps the file open."""
        if self._book is not None:
            self._book.store.close()
            self._book = None


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj
