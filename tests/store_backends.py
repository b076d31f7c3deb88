"""Where a backend-parametrised test keeps its book: a SQLite file in the test's folder,
or a fresh database on the tests' PostgreSQL server (tests/pg_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pressctl.config import DatabaseLocation, parse_database


def book_location(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseLocation:
    text = request.getfixturevalue("pg_url") if request.param == "postgresql" \
        else str(tmp_path / "book.db")
    return parse_database(text, base=tmp_path, where="test")
