"""The SQL of what comes back (pressctl.store.inbox), on SQLite and PostgreSQL: the event
UID read inside frozen variants, one open bouncing state per address, history kept."""

from __future__ import annotations

import json

import pytest
from conftest import home_store

NOW = "2030-06-01T09:00:00Z"


def _variant(uid: str | None, text: str) -> bytes:
    """A frozen variant as pressctl.delivery.frozen writes it (the fields read here)."""
    calendar = {"uid": uid, "method": "REQUEST", "head": "BEGIN:VCALENDAR\r\n",
                "tail": "END:VCALENDAR\r\n"} if uid else None
    return json.dumps({"format": 1, "subject": "S", "text": text, "calendar": calendar},
                      ensure_ascii=False).encode("utf-8")


def _mailout(store, reference: str, variants: list[bytes]) -> int:
    with store.transaction():
        return store.mailouts.insert(reference=reference, release_path="/r.md",
                                     phase="single", linked_to=None, due_at=NOW,
                                     domain="cnes.fr", now=NOW, variants=variants)


def test_the_event_uid_is_read_inside_frozen_variants_whatever_their_text_holds(home):
    # The salutation's placeholder is a NUL (escaped \u0000 in JSON); a release may also
    # hold the six characters \u0000 as text (an escaped backslash in JSON).
    awkward = "Dear \x00SALUTATION\x00, see C:\\u0000\\ and \\\\u0000 \u00e9"
    with home_store(home) as store:
        first = _mailout(store, "PR1", [_variant("pr1-event@cnes.fr", awkward),
                                        _variant("pr1-event@cnes.fr", "fr")])
        second = _mailout(store, "PR2", [_variant(None, awkward)])
        third = _mailout(store, "PR1b", [_variant("pr1-event@cnes.fr", "again")])
        found = store.inbox.event_mailouts()
    assert found == {"pr1-event@cnes.fr": [first, third]}
    assert second not in found.get("pr1-event@cnes.fr", [])


def test_an_address_has_at_most_one_open_bouncing_state_and_keeps_its_history(home):
    with home_store(home) as store:
        with store.transaction():
            assert store.inbox.mark_bouncing("a@b.example", "a@b.example", NOW, "550", NOW)
            assert not store.inbox.mark_bouncing("a@b.example", "a@b.example", NOW, "x", NOW)
        with pytest.raises(Exception, match="(?i)unique"), store.transaction():
            store.db.execute("INSERT INTO bouncing (email_key, address, since, reason, "
                             "marked_at) VALUES (?,?,?,?,?)",
                             ("a@b.example", "a@b.example", NOW, "again", NOW))
        with store.transaction():
            cleared = store.inbox.clear_bouncing("a@b.example", NOW, "anne", "test")
            assert cleared is not None and cleared.reason == "550"
            assert store.inbox.mark_bouncing("a@b.example", "a@b.example", NOW, "552", NOW)
        history = store.inbox.bouncing_history(["a@b.example"])
    assert [(s.reason, s.cleared_by) for s in history] == [("550", "anne"), ("552", None)]
