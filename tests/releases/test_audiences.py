"""Saved audiences: stored in the book, used as @name by releases and previews."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO, db_snapshot

from pressctl.contacts.model import Contact
from pressctl.errors import InvalidInput, NotFound
from pressctl.releases import saved_audiences as audiences
from pressctl.releases.audience import parse_audience


def test_a_saved_audience_is_a_term():
    saved = {"space-fr": "tag:space and lang:fr", "wide": "@space-fr or tag:health"}
    audience = parse_audience("@wide and not country:BE", saved=saved)
    assert audience.matches(Contact(name="A", tags=["space"], languages=["fr"], country="FR"))
    assert audience.matches(Contact(name="B", tags=["health"], languages=["en"], country="GB"))
    assert not audience.matches(Contact(name="C", tags=["space"], languages=["fr"],
                                        country="BE"))
    assert not audience.matches(Contact(name="D", tags=["space"], languages=["fr"],
                                        opted_out=True))


@pytest.mark.parametrize(("text", "saved", "fragment"), [
    ("@spce-fr", {"space-fr": "all"}, 'did you mean "@space-fr"'),
    ("@a", {"a": "@b", "b": "@a"}, "uses itself"),
    ("@a", {"a": "tag:"}, 'expected a value after "tag:"'),
])
def test_bad_saved_audiences(text, saved, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        parse_audience(text, saved=saved)


def test_save_checks_against_the_book_and_changes_nothing_when_wrong(book):
    audiences.save(book, "Space-FR", "tag:space and lang:fr")
    assert book.store.audiences.all() == {"space-fr": "tag:space and lang:fr"}
    before = db_snapshot(book.store)
    for name, expression in (("loop", "@loop"), ("bad name!", "all"), ("x", "kind:astronaut")):
        with pytest.raises(InvalidInput):
            audiences.save(book, name, expression)
    assert db_snapshot(book.store) == before


def test_remove_refuses_while_used_and_names_unknown_ones(book):
    audiences.save(book, "space", "tag:space")
    audiences.save(book, "space-fr", "@space and lang:fr")
    with pytest.raises(InvalidInput, match="used by space-fr"):
        audiences.remove(book, "space")
    audiences.remove(book, "@space-fr")
    audiences.remove(book, "space")
    with pytest.raises(NotFound):
        audiences.remove(book, "space")


def test_a_listing_names_each_saved_audience_with_its_members_now(book):
    saved = audiences.save(book, "@Space", "tag:space")
    assert (saved.name, saved.expression) == ("space", "tag:space")
    assert audiences.remove(book, "@SPACE") == "space"
    assert audiences.listing(book) == []
    audiences.save(book, "everyone", "all")
    [listed] = audiences.listing(book)
    assert listed == audiences.SavedAudience("everyone", "all",
                                             len(audiences.members(book, audiences.resolve(
                                                 book, "all"))))


@pytest.mark.parametrize(("given", "expression"), [
    ("space-fr", "@space-fr"), ("@space-fr", "@space-fr"), ("tag:space", "tag:space"),
    ("kind:journalist and lang:fr", "kind:journalist and lang:fr"),
])
def test_a_bare_word_shown_is_a_saved_name(given, expression):
    assert audiences.as_expression(given) == expression


def test_cli_and_a_release_using_a_saved_audience(sample_book, tmp_path):
    cli = sample_book
    added = cli("audiences", "add", "space-fr", "kind:journalist and tag:space and lang:fr")
    assert added.exit_code == 0 and "4 contact(s)" in added.stderr
    listed = json.loads(cli("audiences", "list", "--json").stdout)
    assert listed == [{"name": "space-fr",
                       "expression": "kind:journalist and tag:space and lang:fr",
                       "contacts": 4}]
    shown = json.loads(cli("audiences", "show", "space-fr", "--json").stdout)
    assert {c["name"] for c in shown} == {"Claire Fontaine", "Lotte Vermeulen",
                                          "Marie-Ève Tremblay", "Mathieu Lefèvre-Roux"}
    for language in ("en", "fr"):
        shutil.copy(REPO / "examples" / f"PR106-2020.{language}.md", tmp_path)
    release = tmp_path / "PR106-2020.en.md"
    release.write_text(release.read_text(encoding="utf-8").replace(
        'audience = "tag:space or tag:health or tag:radiology"', 'audience = "@space-fr"'),
        encoding="utf-8")
    preview = cli("release", "preview", release, "--all", "--json")
    assert preview.exit_code == 0, preview.stderr
    assert len(json.loads(preview.stdout)) == 4
    assert cli("audiences", "remove", "space-fr").exit_code == 0
    check = cli("release", "check", release)
    assert check.exit_code == 3 and 'no saved audience "space-fr"' in check.stdout
