"""A contact's history finds its mailout rows through indexes (migration 0012), not by
reading the whole mailout_rows table at every `contacts show`: SQLite's query plan says
so. (PostgreSQL plans by table statistics: an empty test table is always scanned.)"""

from __future__ import annotations

import sqlite3

import pytest

from pressctl.store import Store

SELECT = ("SELECT r.id FROM mailout_rows r JOIN mailouts m ON m.id = r.mailout_id WHERE ")


@pytest.mark.parametrize(("where", "index"), [
    ("lower(r.address) IN (?)", "mailout_rows_address_lower"),
    ("r.contact_id = ?", "mailout_rows_contact"),
])
def test_history_lookups_use_an_index(tmp_path, where, index):
    Store.open(tmp_path / "book.db").close()
    with sqlite3.connect(tmp_path / "book.db") as db:
        plan = " ".join(row[3] for row in db.execute(
            f"EXPLAIN QUERY PLAN {SELECT}{where}", ("x",)))
    assert f"INDEX {index}" in plan and "SCAN r" not in plan, plan
