"""The SQL of embargo consent at send time: which embargoed rows must be withheld because
their contact no longer accepts embargoes, and the public row that replaces them."""

from __future__ import annotations

import sqlite3


class ConsentQueries:
    """Mixed into Store: ``self.db`` is its connection."""

    db: sqlite3.Connection
