"""What only a database server brings: connecting, credentials kept out of messages, two
first runs at once, writers from several connections, and a missing driver. The store's
behaviour itself is tested on both backends by the parametrised tests of test_store.py."""

from __future__ import annotations

import sys
import threading
import time

import pytest

from pressctl.config import parse_database
from pressctl.contacts.model import Contact
from pressctl.errors import ConfigError
from pressctl.store import Store
from pressctl.store.migrations import MIGRATIONS

NOW = "2026-11-22T10:00:00Z"


def _location(url: str, tmp_path):
    return parse_database(url, base=tmp_path, where="test")


def test_init_creates_the_schema_and_other_commands_refuse_an_empty_database(pg_url,
                                                                              tmp_path):
    with pytest.raises(ConfigError, match="no contact book in postgresql://") as refused:
        Store.open(_location(pg_url, tmp_path), create=False)
    assert "pressctl init" in (refused.value.hint or "")
    created = Store.open(_location(pg_url, tmp_path), create=True)
    assert created.dialect == "postgresql" and created.path is None
    assert created.database.schema_version() == MIGRATIONS[-1].name
    created.close()
    again = Store.open(_location(pg_url, tmp_path), create=False)
    assert again.database.migrate() == []  # applied once, recorded by name
    again.close()


def test_two_first_runs_at_once_create_the_schema_once(pg_url, tmp_path):
    # The migration runner holds an advisory lock: the second waits, then finds it done.
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_book():
        try:
            opened.append(Store.open(_location(pg_url, tmp_path), create=True))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=open_book) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(opened) == 4
    names = [r[0] for r in opened[0].db.execute("SELECT name FROM schema_migrations")]
    assert sorted(names) == [m.name for m in MIGRATIONS]
    for store in opened:
        store.close()


def test_a_second_writer_waits_for_the_first(pg_url, tmp_path):
    first = Store.open(_location(pg_url, tmp_path), create=True)
    second = Store.open(_location(pg_url, tmp_path), create=False)
    inside = threading.Event()

    def hold():
        with first.transaction():
            first.contacts.insert([Contact(name="A", emails=["a@example.com"], created=NOW,
                                           updated=NOW)])
            inside.set()
            time.sleep(0.3)

    holder = threading.Thread(target=hold)
    holder.start()
    inside.wait(5)
    started = time.monotonic()
    with second.transaction():  # the next contact id is read after the first committed
        second.contacts.insert([Contact(name="B", emails=["b@example.com"], created=NOW,
                                        updated=NOW)])
    waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.15
    assert sorted((c.id, c.name) for c in second.contacts.select()) == [(1, "A"), (2, "B")]
    first.close()
    second.close()


def test_no_password_appears_when_the_server_cannot_be_reached(tmp_path):
    location = _location("postgresql://anne:S3cret-Pw@127.0.0.1:9/book", tmp_path)
    with pytest.raises(ConfigError) as failed:
        Store.open(location, create=False)
    text = f"{failed.value} {failed.value.hint}"
    assert "cannot connect" in text and "postgresql://anne:***@127.0.0.1:9/book" in text
    assert "S3cret-Pw" not in text


def test_without_the_driver_a_postgresql_url_names_the_install_command(monkeypatch, pg_url,
                                                                      tmp_path):
    location = _location(pg_url, tmp_path)
    with monkeypatch.context() as patched, pytest.raises(ConfigError, match="psycopg") as refused:
        patched.setitem(sys.modules, "psycopg", None)  # as if the extra were not installed
        Store.open(location, create=True)
    assert "pip install 'pressctl[postgres]'" in (refused.value.hint or "")


def test_organisation_names_compare_without_case_as_on_sqlite(pg_url, tmp_path):
    # The schema says COLLATE NOCASE: the store made that collation on the server.
    from pressctl.contacts.model import Organization

    store = Store.open(_location(pg_url, tmp_path), create=True)
    with store.transaction():
        store.orgs.insert(Organization(name="Centre National d'Études Spatiales",
                                       short_name="CNES", created=NOW, updated=NOW))
    found = store.orgs.find("cnes")
    assert found is not None and found.short_name == "CNES"
    assert store.orgs.find("centre national d'études spatiales") is not None
    store.close()
