"""The pressctl home: what `pressctl init` creates, and the check every other command
that reads or writes the book makes first.

`init` is the one command that creates a home or a database. Any other command given a
home or a database that does not exist refuses (exit 4) instead of starting an empty
book there: a crontab line with a typo in --home must complain, not deliver nothing.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from pressctl.config import Paths, ensure_config
from pressctl.delivery.unsubscribe import ensure_key
from pressctl.errors import ConfigError
from pressctl.store import Store


@dataclass(frozen=True, slots=True)
class HomeSetup:
    """What `init` found and made: each ``*_created`` is False when the file was kept."""

    paths: Paths
    config_created: bool
    database_created: bool
    key_created: bool
    contacts: int


def init_home(paths: Paths) -> HomeSetup:
    """Create what is missing of the home (config.toml, the database, the unsubscribe
    key, the templates folder) and keep what exists: safe to run again."""
    config_created = ensure_config(paths.config_file)
    database_created = not paths.database.exists()
    store = Store.open(paths.database, create=True)
    try:
        contacts = store.contacts.count()
    finally:
        store.close()
    key_created = ensure_key(paths.unsubscribe_key)
    paths.templates_dir.mkdir(parents=True, exist_ok=True)
    return HomeSetup(paths, config_created, database_created, key_created, contacts)


def require_book(paths: Paths, *, db_given: bool) -> None:
    """Raise a ConfigError naming what is missing and the `init` that creates it, unless
    the home (when one is given) and the database exist. Creates nothing."""
    home = paths.home
    if home is not None and not home.is_dir():
        if home.exists():
            raise ConfigError(f"{home} is not a folder: --home / PRESSCTL_HOME must name a "
                              "pressctl home (created by `pressctl init --home FOLDER`)")
        raise ConfigError(f"no pressctl home at {home}: run `{init_command(paths, db_given)}` "
                          "first")
    if not paths.database.exists():
        raise ConfigError(f"no pressctl database at {paths.database}: run "
                          f"`{init_command(paths, db_given)}` first")


def init_command(paths: Paths, db_given: bool) -> str:
    """The `pressctl init` that creates this home and database."""
    words = ["pressctl", "init"]
    if paths.home is not None:
        words += ["--home", str(paths.home)]
    if db_given:
        words += ["--db", str(paths.database)]
    return shlex.join(words)
