"""One index on mailout_rows begins with (mailout_id, state) (migration 0018, issue 12):
each claim and each result of a delivery run changes a row's state, and used to rewrite
two. The one kept, mailout_rows_queue, holds each (mailout_id, state)'s rows in id order:
a run reads the next page of queued ids through it without sorting the mailout's queued
rows (SQLite's plan says so), and the idle question walks it (pressctl.store.idle)."""

from __future__ import annotations

import pytest
from store_backends import book_location

from pressctl.store import Store, database
from pressctl.store.migrations import MIGRATIONS

NOW = "2026-12-03T10:00:00Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _state_indexes(store: Store) -> list[str]:
    """The indexes of mailout_rows whose first two columns are (mailout_id, state)."""
    if store.dialect == "sqlite":
        names = [r[1] for r in store.db.execute("PRAGMA index_list(mailout_rows)")]
        return sorted(n for n in names if [r[2] for r in store.db.execute(
            f"PRAGMA index_info({n})")][:2] == ["mailout_id", "state"])
    return sorted(name for name, definition in store.db.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'mailout_rows'")
        if "(mailout_id, state" in definition)


def test_one_index_begins_with_mailout_and_state(store):
    assert _state_indexes(store) == ["mailout_rows_queue"]


def test_the_next_page_of_queued_ids_is_read_in_id_order_without_a_sort(tmp_path):
    store = Store.open(tmp_path / "book.db")
    statements: list[str] = []
    try:
        store.db.set_trace_callback(statements.append)  # the statement the run sends
        with store.transaction():
            assert store.runs.queued_ids(1, 0, NOW, 256) == []
        store.db.set_trace_callback(None)
        [sql] = [s for s in statements if s.startswith("SELECT id FROM mailout_rows")]
        plan = " | ".join(row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}"))
    finally:
        store.close()
    assert "INDEX mailout_rows_queue (mailout_id=? AND state=? AND rowid>?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_book_at_0017_loses_the_second_index_and_keeps_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(database, "MIGRATIONS", [m for m in MIGRATIONS if m.name < "0018"])
    old = database.Database.open(path)
    names = {r[0] for r in old.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'mailout_rows'")}
    assert {"mailout_rows_queue", "mailout_rows_work"} <= names  # as before 0018
    old.close()
    monkeypatch.setattr(database, "MIGRATIONS", MIGRATIONS)
    store = Store.open(path, create=False)  # migrates to this code's schema
    try:
        assert _state_indexes(store) == ["mailout_rows_queue"]
        assert store.database.schema_version() == MIGRATIONS[-1].name
    finally:
        store.close()
