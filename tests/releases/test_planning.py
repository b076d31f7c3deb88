"""Messages planned and built one recipient at a time (pressctl.releases.planning) are
those of the list-holding pipeline (rendering.build_messages), byte for byte; recipients
read as the book is read (recipients.stream_recipients) are select_recipients' list."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from conftest import SAMPLES
from mailing import embargoed_release

from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.errors import InvalidInput
from pressctl.releases import recipients as recipients_module
from pressctl.releases.checking import load_release_set
from pressctl.releases.planning import stream_messages
from pressctl.releases.preview import preview_recipients
from pressctl.releases.recipients import Excluded, select_recipients, stream_recipients
from pressctl.releases.rendering import MessagePlanner, build_messages, plan_messages
from pressctl.releases.templating import Templates

NOW = datetime(2099, 9, 20, 8, 0, tzinfo=UTC)  # before the embargo of embargoed_release
ANAIS = "anais.gauthier@sante-hebdo.example.org"


@pytest.fixture
def sample(book):
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    add_contact(book, {"name": "Nomail Reporter", "kind": "journalist", "tags": ["space"]})
    with book.store.transaction():
        book.store.suppressions.suppress(email_key(ANAIS), ANAIS, "unsubscribe reply", book.now)
    return book


@pytest.fixture
def releases(tmp_path):
    return load_release_set(embargoed_release(tmp_path), NOW.date())


def test_streamed_messages_are_the_built_ones_byte_for_byte(sample, releases):
    everyone = select_recipients(sample, releases, "all")
    built = list(build_messages(sample, releases, everyone, Templates(), now=NOW))
    streamed = list(stream_messages(sample, releases, iter(everyone), Templates(), now=NOW))
    assert [m.raw for m in streamed] == [m.raw for m in built]
    assert [(m.recipient, m.attachments, m.has_calendar) for m in streamed] == [
        (m.recipient, m.attachments, m.has_calendar) for m in built]
    assert len({m.raw.split(b"Subject:")[1][:40] for m in built}) >= 2  # several variants


def test_variants_are_numbered_in_the_order_recipients_first_need_them(sample, releases):
    """One variant per (language version, embargoed or not, reader's country), numbered
    as first needed: a mailout's stored rows point at variants by these numbers."""
    everyone = select_recipients(sample, releases, "all")
    planner = MessagePlanner(sample, releases, Templates(), now=NOW, seed="s")
    planned = [planner.plan(r) for r in everyone]
    keys = [(r.version.path, r.embargoed, r.contact.country) for r in everyone]
    first_needed = list(dict.fromkeys(keys))
    assert [m.variant for m in planned] == [first_needed.index(k) for k in keys]
    assert len(planner.variants) == len(first_needed) > 2
    for (variant, _sender), key in zip(planner.variants, first_needed, strict=True):
        assert variant.language == next(r.version.language for r in everyone
                                        if (r.version.path, r.embargoed,
                                            r.contact.country) == key)
    assert planner.domain == planner.sender.address.rpartition("@")[2]
    plan = plan_messages(sample, releases, everyone, Templates(), now=NOW, seed="s")
    assert plan.messages == planned  # the list form is the same planner
    assert len({m.message_id for m in planned}) == len(planned)


def test_messages_are_built_as_asked_for(sample, releases):
    """Nothing is gathered first: an endless audience still gives its first messages."""
    [one] = select_recipients(sample, releases, only=["Claire Fontaine"])
    endless = stream_messages(sample, releases, itertools.repeat(one), Templates(), now=NOW)
    assert len(list(itertools.islice(endless, 3))) == 3


@pytest.mark.parametrize("audience", ["all", "tag:space", "not embargo_ok"])
def test_streamed_recipients_are_the_selected_ones_in_order(sample, releases, monkeypatch,
                                                            audience):
    monkeypatch.setattr(recipients_module, "CHUNK", 3)  # opt-outs checked over many chunks
    excluded: list[Excluded] = []
    expected = select_recipients(sample, releases, audience, excluded=excluded)
    seen: list[Excluded] = []
    assert list(stream_recipients(sample, releases, audience, exclude=seen.append)) == expected
    assert seen == excluded
    if audience == "all":  # every reason, and after the opted-out contacts
        assert {e.why for e in excluded} == {"opted-out", "address-opted-out", "no-address"}
        assert excluded[0].why == "opted-out"
    assert ANAIS not in [r.address for r in expected]


def test_a_preview_for_nobody_is_refused_before_anything_is_built(sample, releases):
    with pytest.raises(InvalidInput, match="nobody to send to"):
        preview_recipients(sample, releases.main.path, releases, 'outlet:"Nowhere at all"')
    first = preview_recipients(sample, releases.main.path, releases, "all")
    assert list(first) == select_recipients(sample, releases, "all")
