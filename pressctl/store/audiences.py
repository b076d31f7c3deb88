"""The SQL of saved audiences: a name and the expression it stands for."""

from __future__ import annotations

from pressctl.store.database import Connection, Database


class AudienceQueries:
    """Saved audiences by name."""

    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db

    def all(self) -> dict[str, str]:
        """Every saved audience: name -> expression, by name."""
        return dict(self.db.execute("SELECT name, expression FROM audiences ORDER BY name"))

    def save(self, name: str, expression: str, now: str) -> None:
        """Create or overwrite the audience ``name``."""
        self.db.execute(
            "INSERT INTO audiences (name, expression, created, updated) VALUES (?,?,?,?) "
            "ON CONFLICT (name) DO UPDATE SET expression = excluded.expression, "
            "updated = excluded.updated",
            (name, expression, now, now),
        )

    def delete(self, name: str) -> bool:
        """True when there was such an audience."""
        return self.db.execute("DELETE FROM audiences WHERE name = ?", (name,)).rowcount == 1
