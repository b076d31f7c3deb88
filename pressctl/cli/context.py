"""What every command receives: the global options' decisions (:class:`State`, kept in
the root context's ``obj``), the open book, and the time of the command, read once here.

Command modules import from here, never from pressctl.cli.app (which imports them)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer

from pressctl.cli.output import Output


class State:
    """What the global options decided, shared with every command through ctx.obj."""

    def __init__(self, home: Path | None, db: Path | None, quiet: bool, color: bool,
                 debug: bool) -> None:
        self.home = home
        self.db = db
        self.debug = debug
        self.out = Output(quiet=quiet, color=color)
        self.env = dict(os.environ)
        self._book = None

    @property
    def paths(self):
        from pressctl.config import resolve_paths

        return resolve_paths(self.env, self.home, self.db)

    @property
    def db_given(self) -> bool:
        """--db or PRESSCTL_DB chose the database (rather than the home or the platform)."""
        return self.db is not None or bool(self.env.get("PRESSCTL_DB"))

    def settings(self):
        """The home's settings; refuses (exit 4) a home or database that does not exist."""
        from pressctl.config import load_settings
        from pressctl.home import require_book

        paths = self.paths
        require_book(paths, db_given=self.db_given)
        return load_settings(paths.config_file)

    def book(self):
        """Open the contact book. Only `init` creates one: a home or database that does
        not exist is refused (exit 4), and nothing is created."""
        if self._book is None:
            from pressctl.book.contacts import Book
            from pressctl.store import Store

            settings = self.settings()
            store = Store.open(self.paths.database, create=False)
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
