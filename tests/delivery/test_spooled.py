"""`mailout create` in flat memory (pressctl.delivery.spooled): the same mailouts, rows,
ids, variants, trail and approval summary as the list-holding core (plan_mailouts,
render_mailouts, summarize, store_mailouts), compared on twin books with chunks and
spools small enough that every path through them is taken; one transaction for all."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import SAMPLES
from mailing import APPROVED, KEY, embargoed_release, release

from pressctl.book.changes import Subject
from pressctl.book.contacts import add_contact
from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.cli.approval_screen import approval_json, approval_lines, write_approval_json
from pressctl.config import parse_database
from pressctl.contacts.emails import email_key
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery import unsubscribe
from pressctl.delivery.approval import Outcome, Reason, summarize
from pressctl.delivery.mailouts import (
    plan_mailouts,
    prepare_mailouts,
    render_mailouts,
    store_mailouts,
)
from pressctl.delivery.spooled import spool_mailouts, store_spooled, summarize_spooled
from pressctl.releases.templating import Templates
from pressctl.store import Store

PRIYA = "p.raman@healthdesk.example.net"  # accepts embargoes (tag health)
ANAIS = "anais.gauthier@sante-hebdo.example.org"  # journalist, refuses embargoes


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Three rows per executemany, two spooled items in memory and two per pickled batch:
    the sample's ~20 recipients cross every boundary."""
    import pressctl.book.spool as spool
    import pressctl.store.mailouts as store_mailouts_module

    monkeypatch.setattr(store_mailouts_module, "ROWS_CHUNK", 3)
    monkeypatch.setattr(spool, "KEPT", 2)
    monkeypatch.setattr(spool, "BATCH", 2)
    import pressctl.releases.recipients as recipients

    monkeypatch.setattr(recipients, "CHUNK", 4)


def _fill(book: Book) -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    # Every reason to be left out: no address, an address opted out, a bouncing one.
    add_contact(book, {"name": "Nomail Reporter", "kind": "journalist", "tags": ["space"]})
    with book.store.transaction():
        book.store.suppressions.suppress(email_key(ANAIS), ANAIS, "unsubscribe reply", book.now)
        book.store.inbox.mark_bouncing(email_key(PRIYA), PRIYA, "2030-02-01T10:00:00Z",
                                       "550 5.1.1 user unknown", book.now)
    return book


@pytest.fixture
def sample(book: Book) -> Book:
    return _fill(book)


@pytest.fixture
def twin(book: Book, request, tmp_path):
    """A second book on the same backend as ``book``, filled the same way."""
    on_postgres = request.node.callspec.params.get("home") == "postgresql"
    if on_postgres:
        server = request.getfixturevalue("postgres_server")
        url = server.new_database("twin", template=request.getfixturevalue("pg_book_template"))
        location = parse_database(url, base=tmp_path, where="test")
    else:
        location = parse_database(str(tmp_path / "twin.db"), base=tmp_path, where="test")
    store = Store.open(location, create=True)
    yield _fill(Book(store, book.settings, book.now))
    store.close()
    if on_postgres:
        server.drop_database(url)


def _listed(book: Book, path: Path, **options):
    plans = plan_mailouts(book, path, now=APPROVED, at=options.get("at"),
                          audience=options.get("audience"),
                          public_at_lift=options.get("public_at_lift", True))
    rendered = render_mailouts(book, plans, Templates())
    approval = summarize(book, plans, rendered)
    ids = store_mailouts(book, plans, Templates(), path=path, token_key=KEY, rendered=rendered)
    return approval, ids


def _spooled(book: Book, path: Path, **options):
    prepared = prepare_mailouts(book, path, at=options.get("at"), now=APPROVED)
    with spool_mailouts(book, prepared, Templates(), audience=options.get("audience"),
                        public_at_lift=options.get("public_at_lift", True)) as spooled:
        approval = summarize_spooled(book, spooled)
        ids = store_spooled(book, spooled, token_key=KEY)
        # Its members are read from the spools, which go with the `with`: kept here.
        return replace(approval, members=tuple(approval.members)), ids, list(spooled.warnings)


def _stored(book: Book) -> dict:
    db = book.store.mailouts.db
    return {
        "mailouts": db.execute("SELECT id, reference, release_path, phase, linked_to, due_at, "
                               "state, domain FROM mailouts ORDER BY id").fetchall(),
        "variants": [(m, n, bytes(f)) for m, n, f in db.execute(
            "SELECT mailout_id, number, frozen FROM mailout_variants "
            "ORDER BY mailout_id, number").fetchall()],
        "rows": db.execute("SELECT id, mailout_id, variant, contact_id, name, address, "
                           "salutation, message_id, token, state, fallback_variant, "
                           "fallback_message_id, fallback_token FROM mailout_rows "
                           "ORDER BY id").fetchall(),
        "trail": [(c.action, c.subject_id, c.summary)
                  for c in book.store.changes.trail(subject=Subject.MAILOUT)],
    }


def _with_translation(path: Path) -> Path:
    fr = path.with_name("release.fr.md")
    fr.write_text(path.read_text(encoding="utf-8").replace('language = "en"', 'language = "fr"')
                  .replace("A test release", "Un communiqué d'essai"), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('place = "Paris"', 'place = "Paris"\n'
                                 'translations = { fr = "release.fr.md" }'), encoding="utf-8")
    return path


CASES = {
    "embargoed, public at the lift": {},
    "embargoed, --no-public": {"public_at_lift": False},
    "at the lift: one phase": {"at": "lift"},
    "everyone": {"audience": "all"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_rows_ids_and_approval_as_the_lists(sample, twin, tmp_path, case):
    path = _with_translation(release(tmp_path))
    listed, listed_ids = _listed(sample, path, **CASES[case])
    spooled, spooled_ids, _ = _spooled(twin, path, **CASES[case])
    assert spooled_ids == listed_ids
    assert _stored(twin) == _stored(sample)
    assert len(_stored(twin)["rows"]) > 3  # more than one executemany
    assert approval_json(spooled) == approval_json(listed)
    zone = sample.zone
    assert approval_lines(spooled, zone) == approval_lines(listed, zone)


def test_an_invitation_with_two_languages_is_stored_the_same(sample, twin, tmp_path):
    path = embargoed_release(tmp_path)  # en + fr, embargo and press conference
    listed, listed_ids = _listed(sample, path, audience="all")
    spooled, spooled_ids, _ = _spooled(twin, path, audience="all")
    assert spooled_ids == listed_ids
    assert _stored(twin) == _stored(sample)
    events = "SELECT uid, reference, sequence, approved_at FROM events ORDER BY uid"
    recorded = sample.store.mailouts.db.execute(events).fetchall()
    assert recorded and twin.store.mailouts.db.execute(events).fetchall() == recorded
    assert approval_json(spooled) == approval_json(listed)


def test_the_summary_counts_every_phase_language_and_reason(sample, tmp_path):
    path = _with_translation(release(tmp_path))
    plans = plan_mailouts(sample, path, now=APPROVED, at=None, audience="all")
    approval, _, _ = _spooled(sample, path, audience="all")
    for plan, phase in zip(plans, approval.phases, strict=True):
        counted: dict[str, int] = {}
        for recipient in plan.recipients:
            language = recipient.version.language
            counted[language] = counted.get(language, 0) + 1
        assert {v.language: v.messages for v in phase.versions} == counted
        assert phase.messages == len(plan.recipients)
    assert len({v.language for p in approval.phases for v in p.versions}) == 2
    members = list(approval.members)
    for group in approval.groups:
        of_group = [m for m in members if (m.reason, m.outcome) == (group.reason, group.outcome)]
        assert group.count == len(of_group) and list(group.first) == of_group[:5]
    assert {(g.reason, g.outcome) for g in approval.groups} == {
        (Reason.OPTED_OUT, Outcome.NOTHING), (Reason.NO_ADDRESS, Outcome.NOTHING),
        (Reason.BOUNCING, Outcome.SKIPPED), (Reason.NO_EMBARGO_CONSENT, Outcome.PUBLIC_AT_LIFT)}
    assert sum(g.count for g in approval.groups) == len(members)


def test_no_public_warns_of_who_gets_nothing(sample, tmp_path):
    _, _, warnings = _spooled(sample, release(tmp_path), public_at_lift=False)
    [warning] = warnings
    assert "get nothing (--no-public)" in str(warning)


def test_a_failure_in_the_middle_stores_nothing(sample, tmp_path, monkeypatch):
    path = release(tmp_path)
    calls = []
    real = unsubscribe.unsubscribe_token

    def failing(key, mailout_id, address):
        calls.append(address)
        if len(calls) == 8:  # after two chunks of rows went in
            raise RuntimeError("disk full")
        return real(key, mailout_id, address)

    monkeypatch.setattr(unsubscribe, "unsubscribe_token", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _spooled(sample, path)
    assert len(calls) == 8
    assert _stored(sample) == {"mailouts": [], "variants": [], "rows": [], "trail": []}
    monkeypatch.setattr(unsubscribe, "unsubscribe_token", real)
    _, ids, _ = _spooled(sample, path)  # and a second try stores it all
    assert len(ids) == 2 and len(_stored(sample)["rows"]) > 8


def test_every_row_is_stored_once_across_chunks(sample, tmp_path):
    plans = plan_mailouts(sample, release(tmp_path), now=APPROVED, at=None, audience="all")
    _, ids, _ = _spooled(sample, release(tmp_path), audience="all")
    for plan, mailout_id in zip(plans, ids, strict=True):
        rows = sample.store.mailouts.rows(mailout_id)
        assert [r.contact_id for r in rows] == [r.contact.id for r in plan.recipients]
        assert len({r.contact_id for r in rows}) == len(rows) > 3


def test_the_streamed_json_is_the_json_printed_whole(sample, tmp_path, capsys):
    from pressctl.cli.output import Output

    approval, _, _ = _spooled(sample, _with_translation(release(tmp_path)), audience="all")
    assert any(True for _ in approval.members)
    write_approval_json(approval)
    streamed = capsys.readouterr().out
    Output().json(approval_json(approval))
    assert streamed == capsys.readouterr().out
    assert json.loads(streamed)["left_out_contacts"]


def test_nobody_left_out_streams_an_empty_list(sample, tmp_path, capsys):
    from pressctl.cli.output import Output

    approval, _, _ = _spooled(sample, release(tmp_path, embargo=None, audience="kind:officer"))
    assert approval.groups == () and approval.left_out == ()
    write_approval_json(approval)
    streamed = capsys.readouterr().out
    Output().json(approval_json(approval))
    assert streamed == capsys.readouterr().out


def test_the_members_left_out_are_not_read_once_the_spools_are_closed(sample, tmp_path):
    prepared = prepare_mailouts(sample, release(tmp_path), at=None, now=APPROVED)
    with spool_mailouts(sample, prepared, Templates(), audience="all") as spooled:
        approval = summarize_spooled(sample, spooled)
        assert len(list(approval.members)) == sum(g.count for g in approval.groups) > 2
    with pytest.raises(ValueError, match="closed"):
        list(approval.members)
