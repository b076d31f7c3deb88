"""What a contact book's SQLite search index must hold, worked out in the tests from the
contacts as read back, and the index's stored leaves to compare two indexes byte for byte
(tests/store/test_search_index.py, tests/book/test_import_search_index.py)."""

from __future__ import annotations

from pressctl.store import Store
from pressctl.store.search import TABLE


def documents(store: Store) -> list[tuple[int, str]]:
    """The contact's own text, then each e-mail, role and phone (rowid: position * 2**42
    + contact id * 4 + source), sorted."""
    docs = []
    for c in store.contacts.select():
        cid = c.stored_id
        docs.append((cid * 4, "\n".join(v or "" for v in (c.name, c.role, c.organization,
                                                          c.outlet, c.notes))))
        for source, values in ((1, c.emails), (2, list(c.roles.values())),
                               (3, [p.e164 for p in c.phones])):
            docs += [(i * 2**42 + cid * 4 + source, v) for i, v in enumerate(values)]
    return sorted(docs)


def leaves(connection) -> list[bytes]:
    """The index's leaf blocks (1 and 10 hold totals and structure)."""
    return sorted(bytes(r[0]) for r in connection.execute(
        f"SELECT block FROM {TABLE}_data WHERE id > 10"))
