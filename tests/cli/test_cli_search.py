"""`pressctl contacts list --search` on a book imported by `contacts import`, on both
backends: the contacts a brute-force substring scan of the whole list finds, through the
search index (pressctl.store.search) for 3 characters or more."""

from __future__ import annotations

import json
import string

import pytest

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _listed(cli, *args: str) -> list[dict]:
    result = cli("contacts", "list", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _matches(contact: dict, text: str) -> bool:
    wanted = text.translate(_ASCII_LOWER)
    fields = [contact[k] for k in ("name", "role", "organization", "outlet", "notes")]
    fields += contact["emails"] + list(contact["roles"].values())
    if any(wanted in f.translate(_ASCII_LOWER) for f in fields if f):
        return True
    digits = "".join(ch for ch in text if ch.isdigit())
    return len(digits) >= 3 and any(digits in p["e164"] for p in contact["phones"])


SEARCHES = ["bresson", "BRESSON", "cnes.fr", "attachée de presse", "ATTACHÉE", "santé hebdo",
            "example.org", "44 76 75", "+33 (0)6", "publication", "é", "ré", "xyzzy", "_",
            "100%"]


@pytest.mark.parametrize("text", SEARCHES)
def test_list_search_finds_what_a_scan_of_the_list_finds(sample_book, text):
    everyone = _listed(sample_book)
    found = _listed(sample_book, "--search", text)
    assert [c["id"] for c in found] == [c["id"] for c in everyone if _matches(c, text)]


def test_the_searches_find_someone_mostly(sample_book):
    everyone = _listed(sample_book)
    finding = [t for t in SEARCHES if any(_matches(c, t) for c in everyone)]
    assert len(finding) >= 10 and "bresson" in finding and "44 76 75" in finding


def test_list_search_sees_a_contact_added_and_edited_just_before(sample_book):
    added = sample_book("contacts", "add", "Marguerite Yourcenar", "--email",
                        "m.yourcenar@example.org", "--outlet", "La Pléiade", "--json")
    assert added.exit_code == 0, added.stderr
    cid = json.loads(added.stdout)["contact"]["id"]
    assert [c["id"] for c in _listed(sample_book, "--search", "yourcenar")] == [cid]
    edited = sample_book("contacts", "edit", str(cid), "--outlet", "Mémoires d'Hadrien")
    assert edited.exit_code == 0, edited.stderr
    assert _listed(sample_book, "--search", "pléiade") == []
    assert [c["id"] for c in _listed(sample_book, "--search", "d'hadrien")] == [cid]
