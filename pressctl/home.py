"""The pressctl home: what `pressctl init` creates, and the check every other command
that reads or writes the book makes first.

`init` is the one command that creates a home or a database. Any other command given a
home or a database that does not exist refuses (exit 4) instead of starting an empty
book there: a crontab line with a typo in --home must complain, not deliver nothing.

The book is a SQLite file or a PostgreSQL database (pressctl.config.DatabaseLocation).
A server's database has no file to check: the store refuses one without pressctl's schema
when it opens it. A home that is given must exist either way: it holds config.toml and
the unsubscribe key.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass

from pressctl.config import (
    DatabaseLocation,
    Paths,
    database_location,
    ensure_config,
    load_settings,
)
from pressctl.delivery.unsubscribe import ensure_key
from pressctl.errors import ConfigError
from pressctl.store import Store


@dataclass(frozen=True, slots=True)
class HomeSetup:
    """What `init` found and made: each ``*_created`` is False when the file was kept
    (always False for a PostgreSQL database, which its server holds: init creates or
    migrates its schema)."""

    paths: Paths
    config_created: bool
    database_created: bool
    key_created: bool
    contacts: int
    location: DatabaseLocation


def init_home(paths: Paths, *, location: DatabaseLocation | None = None,
              env: Mapping[str, str] | None = None) -> HomeSetup:
    """Create what is missing of the home (config.toml, the database or its schema, the
    unsubscribe key, the templates folder) and keep what exists: safe to run again.

    ``location`` defaults to what --db / PRESSCTL_DB (in ``paths``) or the config file's
    [database] url say; ``env`` gives a PostgreSQL password its variables."""
    config_created = ensure_config(paths.config_file)
    if location is None:
        location = database_location(paths, load_settings(paths.config_file))
    database_created = location.path is not None and not location.path.exists()
    store = Store.open(location, create=True, env=env)
    try:
        contacts = store.contacts.count()
    finally:
        store.close()
    key_created = ensure_key(paths.unsubscribe_key)
    paths.templates_dir.mkdir(parents=True, exist_ok=True)
    return HomeSetup(paths, config_created, database_created, key_created, contacts, location)


def require_home(paths: Paths, *, db_given: bool) -> None:
    """Raise a ConfigError naming the `init` to run unless the home, when one is given,
    is a folder that exists. Creates nothing."""
    home = paths.home
    if home is not None and not home.is_dir():
        if home.exists():
            raise ConfigError(f"{home} is not a folder: --home / PRESSCTL_HOME must name a "
                              "pressctl home (created by `pressctl init --home FOLDER`)")
        raise ConfigError(f"no pressctl home at {home}: run `{init_command(paths, db_given)}` "
                          "first")


def require_book(paths: Paths, *, db_given: bool,
                 location: DatabaseLocation | None = None) -> None:
    """Raise a ConfigError naming what is missing and the `init` that creates it, unless
    the home (when one is given) and the database exist. ``location`` is the database in
    use (default: ``paths``' SQLite file); a PostgreSQL one has no file to check.
    Creates nothing."""
    require_home(paths, db_given=db_given)
    path = paths.database if location is None else location.path
    if path is not None and not path.exists():
        raise ConfigError(f"no pressctl database at {path}: run "
                          f"`{init_command(paths, db_given)}` first")


def init_command(paths: Paths, db_given: bool) -> str:
    """The `pressctl init` that creates this home and database (a URL's password masked)."""
    words = ["pressctl", "init"]
    if paths.home is not None:
        words += ["--home", str(paths.home)]
    if db_given:
        option = paths.database_option
        words += ["--db", option.masked if option else str(paths.database)]
    return shlex.join(words)
