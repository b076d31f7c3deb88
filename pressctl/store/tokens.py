"""The SQL of one-click unsubscribe tokens: which mailout row a token names.

A row's ``token`` names its own mailout (indexed by migration 0005). An embargoed row
also keeps ``fallback_token``, its place in the linked public mailout should its contact
withdraw embargo consent (pressctl.store.consent); that token names the public mailout,
so the holder found through it carries the public mailout's id. The fallback lookup is
made only when the token is in no row's ``token``: it has no index, and a fallback
token that was ever sent is in the public row's ``token`` too (the fallback copies it),
so it is a safety net rather than the common path.

Nothing here judges a token: the caller verifies the HMAC (pressctl.delivery.unsubscribe)
of each holder before believing it.
"""

from __future__ import annotations

from dataclasses import dataclass

from pressctl.store.database import Connection, Database

_LIMIT = 4  # holders returned at most: one in practice (a token is an HMAC of its row)


@dataclass(frozen=True, slots=True)
class TokenHolder:
    """A mailout row holding a token: the mailout the token names and the address."""

    mailout_id: int
    reference: str  # the release's, for the trail
    address: str


class TokenQueries:
    def __init__(self, database: Database) -> None:
        self.db: Connection = database.db

    def holders(self, token: str) -> list[TokenHolder]:
        """The rows holding ``token`` (oldest first), through ``token``, else through an
        embargoed row's ``fallback_token`` (then the linked public mailout is named)."""
        found = self.db.execute(
            "SELECT r.mailout_id, m.reference, r.address FROM mailout_rows r "
            "JOIN mailouts m ON m.id = r.mailout_id WHERE r.token = ? ORDER BY r.id "
            f"LIMIT {_LIMIT}", (token,)).fetchall()
        if not found:
            found = self.db.execute(
                "SELECT p.id, p.reference, r.address FROM mailout_rows r "
                "JOIN mailouts p ON p.linked_to = r.mailout_id AND p.phase = 'public' "
                f"WHERE r.fallback_token = ? ORDER BY r.id, p.id LIMIT {_LIMIT}",
                (token,)).fetchall()
        return [TokenHolder(int(mailout_id), reference, address)
                for mailout_id, reference, address in found]
