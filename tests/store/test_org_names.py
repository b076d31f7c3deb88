"""An organisation's names by language, its French article and "of" form (migration 0013)
are stored, replaced and removed with it, on both backends."""

from __future__ import annotations

import pytest
from store_backends import book_location

from pressctl.contacts.model import Organization
from pressctl.store import Store

NOW = "2026-11-22T10:00:00Z"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    s = Store.open(book_location(request, tmp_path))
    yield s
    s.close()


def _csa() -> Organization:
    return Organization("Canadian Space Agency", "CSA", "CA", "https://asc-csa.gc.ca",
                        about={"fr": "L'ASC...", "en": "CSA..."}, created=NOW, updated=NOW,
                        names={"fr": "Agence spatiale canadienne", "en": "Canadian Space Agency"},
                        short_names={"fr": "ASC", "en": "CSA"}, article={"fr": "la"},
                        of={"fr": "de l'ASC", "fr-CA": "de l'Agence"})


def test_the_names_by_language_are_read_back_as_written(store):
    org = _csa()
    with store.transaction():
        store.orgs.insert(org)
    assert store.orgs.get(org.stored_id) == org
    assert store.orgs.find("csa") == org  # still found by its canonical names only
    assert store.orgs.find("ASC") is None
    assert store.orgs.all() == [org]


def test_replacing_an_organisation_replaces_its_names(store):
    org = _csa()
    with store.transaction():
        store.orgs.insert(org)
    org.names = {"fr": "Agence spatiale du Canada"}
    org.short_names, org.article, org.of = {}, {}, {"fr": "de l'ASC"}
    with store.transaction():
        assert store.orgs.replace(org, version=1)
    again = store.orgs.get(org.stored_id)
    assert again is not None
    assert (again.names, again.short_names, again.article, again.of) == (
        {"fr": "Agence spatiale du Canada"}, {}, {}, {"fr": "de l'ASC"})
    assert store.orgs.version(org.stored_id) == 2


def test_removing_an_organisation_removes_its_names(store):
    org, other = _csa(), Organization("NASA", created=NOW, updated=NOW, article={"fr": "la"})
    with store.transaction():
        store.orgs.insert(org)
        store.orgs.insert(other)
        store.orgs.delete(org.stored_id)
    rows = store.database.db.execute(
        "SELECT org_id, language FROM organization_names ORDER BY org_id").fetchall()
    assert [tuple(r) for r in rows] == [(other.stored_id, "fr")]
    assert store.orgs.get(other.stored_id) == other
