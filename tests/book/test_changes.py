"""A team on one book (issue 9), in the core: every change records who made it, in the
transaction of the change, and an edit never overwrites a write it did not see (a version
per contact and organisation). Runs on SQLite and on PostgreSQL (the `home` fixture)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import NOW, SAMPLES, db_snapshot

from pressctl.book import contacts as contacts_module
from pressctl.book.changes import (
    MAX_ACTOR,
    EditConflict,
    actor_problem,
    shown_time,
    trail,
)
from pressctl.book.contacts import (
    add_contact,
    edit_contact,
    find_contact,
    read_with_version,
    remove_contacts,
    tag_contacts,
)
from pressctl.book.importer import import_file
from pressctl.book.optouts import import_optouts, opt_in, opt_out
from pressctl.book.orgs import add_org, edit_org, import_orgs, remove_org
from pressctl.book.session import Book
from pressctl.contacts.formats.files import open_contact_file
from pressctl.errors import DuplicateContact, InvalidInput, NotFound, ProblemsFound
from pressctl.releases import saved_audiences
from pressctl.store.changes import ChangeAction, Subject

PARIS = ZoneInfo("Europe/Paris")
EARLIER = "2026-11-22T08:00:00Z"
LATER = "2026-11-22T09:42:00Z"  # 10:42 in Paris
JANE = {"name": "Jane Doe", "emails": ["jane@example.com"], "role": "Reporter"}
JOHN = {"name": "John Roe", "emails": ["john@example.org"]}
CNES = {"name": "Centre national d'études spatiales", "short_name": "CNES", "country": "FR"}


def as_(book: Book, actor: str, now: str | None = None, zone=UTC) -> Book:
    """The same book, as another officer (at another time, seen in another zone)."""
    return Book(book.store, book.settings, now or book.now, actor=actor, zone=zone)


def entries(book: Book, **where):
    return book.store.changes.trail(**where)


def version(book: Book, contact_id: int) -> int | None:
    return book.store.contacts.version(contact_id)


@pytest.fixture
def jane(book) -> int:
    return add_contact(as_(book, "anne", EARLIER), JANE).contact.stored_id


# -- the acting user's name -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["anne", "Anne-Sophie Müller", "  bob  ", "李雷", "a" * MAX_ACTOR,
                                  "anne@press-office (laptop)"])
def test_an_actor_is_one_printable_line_of_at_most_64_characters(name):
    assert actor_problem(name) is None


@pytest.mark.parametrize(("name", "problem"), [
    ("", "is empty"),
    ("   ", "is empty"),
    ("anne\nbob", "is not one line of printable text"),
    ("anne\tbob", "is not one line of printable text"),
    ("anne\x1b[31m", "is not one line of printable text"),  # a terminal escape
    ("anne\udcff", "is not one line of printable text"),  # bytes that were not UTF-8
    ("a" * (MAX_ACTOR + 1), "is 65 characters long (at most 64)"),
])
def test_an_actor_that_is_not_one_short_printable_line_is_refused(name, problem):
    assert actor_problem(name) == problem


# -- who did what: every change records its actor ---------------------------------------------------

def _last(book: Book):
    return entries(book)[-1]


def test_adding_a_contact_records_who_added_it(book):
    contact = add_contact(as_(book, "anne"), JANE).contact
    [entry] = entries(book)
    assert (entry.actor, entry.action, entry.subject, entry.subject_id, entry.at) == (
        "anne", ChangeAction.ADD, Subject.CONTACT, str(contact.id), NOW)
    assert entry.summary == "added Jane Doe"


def test_every_change_of_a_contact_records_its_actor_and_what_it_did(book, jane):
    bob = as_(book, "bob")
    edit_contact(bob, str(jane), {"role": "Editor"}, add_phones=["01 44 76 75 39"])
    tag_contacts(bob, [str(jane)], ["space"])
    tag_contacts(bob, [str(jane)], ["space"], remove=True)
    opt_out(bob, [str(jane)], note="asked by phone")
    opt_in(bob, "jane@example.com", "asked again by e-mail")
    add_contact(bob, {**JANE, "tags": "health"}, on_duplicate="update")
    remove_contacts(bob, [str(jane)])
    trail_of_jane = entries(book, subject=Subject.CONTACT, subject_id=jane)
    assert [(e.actor, e.action, e.summary) for e in trail_of_jane] == [
        ("anne", ChangeAction.ADD, "added Jane Doe"),
        ("bob", ChangeAction.EDIT, "edited: role, phones"),
        ("bob", ChangeAction.TAG, "tagged space"),
        ("bob", ChangeAction.UNTAG, "untagged space"),
        ("bob", ChangeAction.OPT_OUT, "opted out Jane Doe, every address: asked by phone"),
        ("bob", ChangeAction.OPT_IN, "opted jane@example.com back in: asked again by e-mail"),
        ("bob", ChangeAction.EDIT, "added again, merged (--on-duplicate update): role, tags"),
        ("bob", ChangeAction.REMOVE, "removed Jane Doe"),
    ]


def test_an_opt_out_of_an_address_no_contact_holds_is_recorded_on_the_address(book):
    opt_out(as_(book, "carol"), ["stranger@example.net"])
    entry = _last(book)
    assert (entry.actor, entry.action, entry.subject, entry.subject_id) == (
        "carol", ChangeAction.OPT_OUT, Subject.ADDRESS, "stranger@example.net")


def test_unsubscribe_replies_record_each_opt_out(book, jane, tmp_path):
    import mailbox
    from email.message import EmailMessage

    box = mailbox.Maildir(tmp_path / "replies", create=True)
    for sender in ("jane@example.com", "nobody@example.net"):
        message = EmailMessage()
        message["From"], message["Subject"] = sender, "unsubscribe"
        message.set_content("Please remove me.")
        box.add(message)
    import_optouts(as_(book, "dave"), tmp_path / "replies")
    found = {(e.subject, e.subject_id, e.action, e.actor) for e in entries(book)[1:]}
    assert found == {(Subject.CONTACT, str(jane), ChangeAction.OPT_OUT, "dave"),
                     (Subject.ADDRESS, "nobody@example.net", ChangeAction.OPT_OUT, "dave")}


def test_an_import_records_one_entry_per_contact_and_one_with_its_counts(book, tmp_path, jane):
    path = tmp_path / "people.csv"
    path.write_text("name,emails,role\nJohn Roe,john@example.org,\n"
                    "Jane Doe,jane@example.com,Columnist\n", encoding="utf-8")
    import_file(as_(book, "erin"), open_contact_file(path), on_duplicate="update")
    john = find_contact(book.store, "john@example.org").stored_id
    recorded = [(e.actor, e.action, e.subject, e.subject_id, e.summary)
                for e in entries(book)[1:]]
    assert recorded == [
        ("erin", ChangeAction.IMPORT, Subject.CONTACT, str(jane),
         f"updated from {path}:3 (--on-duplicate update): role"),
        ("erin", ChangeAction.IMPORT, Subject.CONTACT, str(john), f"added from {path}:2"),
        ("erin", ChangeAction.IMPORT, Subject.IMPORT, str(path),
         f"{path}: 1 added, 1 updated, 0 skipped, 0 rejected"),
    ]


def test_organisation_changes_record_their_actor(book, tmp_path):
    fred = as_(book, "fred")
    org = add_org(fred, CNES)
    edit_org(fred, "CNES", {"website": "https://presse.cnes.fr", "about": {"en": "Space."}})
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps([{**CNES, "country": "BE"}, {"name": "ESA"}]), encoding="utf-8")
    import_orgs(fred, path)
    remove_org(fred, "CNES")
    assert [(e.actor, e.action, e.subject, e.summary) for e in entries(book)] == [
        ("fred", ChangeAction.ADD, Subject.ORGANIZATION, "added CNES"),
        ("fred", ChangeAction.EDIT, Subject.ORGANIZATION, "edited CNES: website, about (en)"),
        ("fred", ChangeAction.IMPORT, Subject.ORGANIZATION,
         f"updated CNES from {path}: country, website, about (en)"),
        ("fred", ChangeAction.IMPORT, Subject.ORGANIZATION, f"added ESA from {path}"),
        ("fred", ChangeAction.REMOVE, Subject.ORGANIZATION,
         "removed CNES (0 contact(s) naming it kept)"),
    ]
    assert {e.subject_id for e in entries(book)[:3]} == {str(org.id)}


def test_saved_audience_changes_record_their_actor(book):
    gina = as_(book, "gina")
    saved_audiences.save(gina, "space", "tag:space")
    saved_audiences.save(gina, "space", "tag:space or tag:health")
    saved_audiences.remove(gina, "space")
    assert [(e.actor, e.action, e.subject, e.subject_id, e.summary) for e in entries(book)] == [
        ("gina", ChangeAction.SAVE, Subject.AUDIENCE, "space", "saved @space: tag:space"),
        ("gina", ChangeAction.SAVE, Subject.AUDIENCE, "space",
         "replaced @space: tag:space or tag:health"),
        ("gina", ChangeAction.REMOVE, Subject.AUDIENCE, "space", "removed @space"),
    ]


# -- a failed change records nothing ----------------------------------------------------------------

@pytest.mark.parametrize("failing", [
    pytest.param(lambda b, j, p: edit_contact(b, str(j), {"kind": "astronaut"}), id="invalid-edit"),
    pytest.param(lambda b, j, p: add_contact(b, {**JANE, "name": "Jane D."}), id="duplicate-add"),
    pytest.param(lambda b, j, p: tag_contacts(b, [str(j), "999"], ["space"]), id="tag-unknown"),
    pytest.param(lambda b, j, p: remove_contacts(b, [str(j), "nobody@example.net"]),
                 id="remove-unknown"),
    pytest.param(lambda b, j, p: import_file(b, open_contact_file(p)), id="import-one-bad-row"),
    pytest.param(lambda b, j, p: saved_audiences.save(b, "loop", "@loop"), id="audience-loop"),
    pytest.param(lambda b, j, p: edit_org(b, "999", {"country": "FR"}), id="org-unknown"),
])
def test_a_failed_change_records_nothing_and_changes_nothing(book, jane, tmp_path, failing):
    path = tmp_path / "bad.csv"
    path.write_text("name,emails\nNew Person,new@example.org\nBad Person,not-an-address\n",
                    encoding="utf-8")
    before = db_snapshot(book.store)
    with pytest.raises(InvalidInput):
        failing(as_(book, "henry"), jane, path)
    assert db_snapshot(book.store) == before
    assert all(e.actor != "henry" for e in entries(book))


def test_a_dry_run_import_records_nothing(book, tmp_path):
    path = _csv(tmp_path, "New Person,new@example.org,")
    before = db_snapshot(book.store)
    assert import_file(as_(book, "henry"), open_contact_file(path), dry_run=True).added == 1
    assert db_snapshot(book.store) == before


def test_an_entry_is_written_in_the_transaction_of_its_change(book, jane, monkeypatch):
    """Recording fails after its row is written: the change is rolled back with it (and a
    change is never committed without its entry)."""
    before = db_snapshot(book.store)
    record = book.store.changes.record

    def record_then_fail(*args, **kwargs):
        record(*args, **kwargs)
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(book.store.changes, "record", record_then_fail)
    for change in (lambda: edit_contact(book, str(jane), {"role": "Editor"}),
                   lambda: tag_contacts(book, [str(jane)], ["space"]),
                   lambda: add_contact(book, JOHN),
                   lambda: add_org(book, CNES)):
        with pytest.raises(RuntimeError):
            change()
    assert db_snapshot(book.store) == before


# -- versions ----------------------------------------------------------------------------------------

def test_every_write_of_a_contact_increments_its_version(book, jane, tmp_path):
    assert version(book, jane) == 1
    steps = [
        lambda: edit_contact(book, str(jane), {"role": "Editor"}),
        lambda: tag_contacts(book, [str(jane)], ["space"]),
        lambda: tag_contacts(book, [str(jane)], ["space"], remove=True),
        lambda: opt_out(book, [str(jane)]),
        lambda: opt_in(book, "jane@example.com", "asked again"),
        lambda: add_contact(book, {**JANE, "tags": "health"}, on_duplicate="update"),
        lambda: import_file(book, open_contact_file(_csv(tmp_path, "Jane Doe,jane@example.com,"
                                                               "Columnist")),
                            on_duplicate="update"),
    ]
    for expected, step in enumerate(steps, start=2):
        step()
        assert version(book, jane) == expected


def _csv(tmp_path: Path, row: str) -> Path:
    path = tmp_path / "row.csv"
    path.write_text(f"name,emails,role\n{row}\n", encoding="utf-8")
    return path


def test_every_write_of_an_organisation_increments_its_version(book, tmp_path):
    org = add_org(book, CNES)
    assert book.store.orgs.version(org.stored_id) == 1
    edit_org(book, "CNES", {"website": "https://presse.cnes.fr"})
    assert book.store.orgs.version(org.stored_id) == 2
    path = tmp_path / "orgs.json"
    path.write_text(json.dumps([CNES]), encoding="utf-8")
    import_orgs(book, path)
    assert book.store.orgs.version(org.stored_id) == 3


def test_the_store_writes_a_contact_only_over_the_version_it_was_given(book, jane):
    stale = find_contact(book.store, str(jane))
    edit_contact(book, str(jane), {"role": "Editor"})  # now at version 2
    before = db_snapshot(book.store)
    stale.role = "Overwritten"
    with book.store.transaction():
        assert book.store.contacts.replace(stale, version=1) is False
    assert db_snapshot(book.store) == before
    with book.store.transaction():
        assert book.store.contacts.replace(stale, version=2) is True
    assert version(book, jane) == 3


def test_the_store_writes_an_organisation_only_over_the_version_it_was_given(book):
    org = add_org(book, CNES)
    edit_org(book, "CNES", {"country": "BE"})
    before = db_snapshot(book.store)
    org.country = "DE"
    with book.store.transaction():
        assert book.store.orgs.replace(org, version=1) is False
    assert db_snapshot(book.store) == before


# -- no lost updates: an edit over a stale version is refused ---------------------------------------------

def test_an_edit_over_a_stale_version_is_refused_naming_who_changed_it_and_when(book, jane):
    _, seen = read_with_version(book, str(jane))
    edit_contact(as_(book, "anne", LATER), str(jane), {"role": "Editor"})
    before = db_snapshot(book.store)
    with pytest.raises(EditConflict) as refused:
        edit_contact(as_(book, "bob", LATER, zone=PARIS), str(jane), {"notes": "from bob"},
                     version=seen)
    assert str(refused.value) == (f"contact #{jane} was changed by anne at 10:42 since you read "
                                  "it; show it again and retry")
    assert refused.value.exit_code == 3
    assert db_snapshot(book.store) == before  # bob changed nothing
    assert find_contact(book.store, str(jane)).role == "Editor"  # anne's change is there


def test_a_write_between_the_read_and_the_write_of_an_edit_refuses_the_edit(
        book, jane, monkeypatch):
    """Edit A reads the contact; edit B (another officer) writes it; then A writes: A is
    refused, B's change stays, nothing of A's is written."""
    write = contacts_module._write_edit

    def b_writes_first(*args, **kwargs):
        monkeypatch.setattr(contacts_module, "_write_edit", write)  # B's own edit: as is
        edit_contact(as_(book, "bob", LATER), str(jane), {"role": "Editor (bob)"})
        return write(*args, **kwargs)

    monkeypatch.setattr(contacts_module, "_write_edit", b_writes_first)
    with pytest.raises(EditConflict, match=rf"contact #{jane} was changed by bob at 09:42 "):
        edit_contact(as_(book, "anne", LATER), str(jane), {"role": "Editor (anne)",
                                                           "notes": "anne was here"})
    contact = find_contact(book.store, str(jane))
    assert (contact.role, contact.notes) == ("Editor (bob)", None)
    assert version(book, jane) == 2
    assert [(e.actor, e.action) for e in entries(book)] == [
        ("anne", ChangeAction.ADD), ("bob", ChangeAction.EDIT)]


def test_an_edit_of_a_contact_removed_since_it_was_read_says_who_removed_it(
        book, jane, monkeypatch):
    write = contacts_module._write_edit

    def removed_first(*args, **kwargs):
        remove_contacts(as_(book, "carol", LATER), [str(jane)])
        return write(*args, **kwargs)

    monkeypatch.setattr(contacts_module, "_write_edit", removed_first)
    with pytest.raises(EditConflict) as refused:
        edit_contact(as_(book, "anne", LATER, zone=PARIS), str(jane), {"role": "Editor"})
    assert str(refused.value) == f"contact #{jane} was removed by carol at 10:42 since you read it"
    assert refused.value.removed and book.store.contacts.get(jane) is None


def test_an_edit_naming_a_version_the_contact_never_had_is_refused(book, jane):
    org = add_org(book, CNES)
    before = db_snapshot(book.store)
    with pytest.raises(InvalidInput, match=rf"contact #{jane} is at version 1, not 7"):
        edit_contact(book, str(jane), {"role": "Editor"}, version=7)
    with pytest.raises(InvalidInput, match=rf"organisation #{org.id} CNES is at version 1, "
                                           "not 2"):
        edit_org(book, "CNES", {"country": "BE"}, version=2)
    assert db_snapshot(book.store) == before


def test_an_edit_with_the_current_version_is_written(book, jane):
    _, seen = read_with_version(book, str(jane))
    result = edit_contact(book, str(jane), {"role": "Editor"}, version=seen)
    assert result.contact.role == "Editor" and version(book, jane) == seen + 1


def test_an_edit_s_own_problems_are_said_as_such_not_as_a_conflict(book, jane):
    # Invalid input is said as such: showing the contact again would not help.
    add_contact(book, JOHN)
    with pytest.raises(ProblemsFound):
        edit_contact(book, str(jane), {"kind": "astronaut"}, version=1)
    with pytest.raises(NotFound):
        edit_contact(book, "999", {"role": "x"})
    with pytest.raises(DuplicateContact):
        edit_contact(book, str(jane), {}, add_emails=["john@example.org"], version=1)


def test_an_organisation_edit_over_a_stale_version_is_refused(book):
    org = add_org(as_(book, "anne", EARLIER), CNES)
    edit_org(as_(book, "anne", LATER), "CNES", {"country": "BE"})
    before = db_snapshot(book.store)
    with pytest.raises(EditConflict) as refused:
        edit_org(as_(book, "bob", LATER, zone=PARIS), "CNES", {"website": "https://x.example"},
                 version=1)
    assert str(refused.value) == (f"organisation #{org.id} CNES was changed by anne at 10:42 "
                                  "since you read it; show it again and retry")
    assert db_snapshot(book.store) == before


def test_an_organisation_edit_overtaken_by_another_write_is_refused(book, monkeypatch):
    add_org(book, CNES)
    real_transaction = book.store.transaction
    overtaken = []

    def transaction():
        if not overtaken:  # the first write transaction is the edit's: bob writes first
            overtaken.append(True)
            edit_org(as_(book, "bob", LATER), "CNES", {"country": "BE"})
        return real_transaction()

    monkeypatch.setattr(book.store, "transaction", transaction)
    with pytest.raises(EditConflict, match="was changed by bob at 09:42"):
        edit_org(as_(book, "anne", LATER), "CNES", {"country": "DE"})
    assert book.store.orgs.find("CNES").country == "BE"


def test_a_time_of_another_day_is_shown_with_its_date(book):
    paris = as_(book, "x", "2026-11-23T08:00:00Z", zone=PARIS)
    assert shown_time(paris, "2026-11-23T07:05:00Z") == "08:05"
    assert shown_time(paris, "2026-11-22T22:59:00Z") == "2026-11-22 23:59"
    assert shown_time(paris, "2026-11-22T23:00:00Z") == "00:00"  # midnight in Paris


# -- the trail ----------------------------------------------------------------------------------------

def test_the_trail_of_a_contact_by_id_email_or_name_and_of_a_removed_one(book, jane):
    john = add_contact(as_(book, "anne", LATER), JOHN).contact.stored_id
    tag_contacts(as_(book, "bob", LATER), [str(jane), str(john)], ["space"])
    for ref in (str(jane), f"#{jane}", "jane@example.com", "JANE@example.com", "Jane Doe"):
        assert [e.action for e in trail(book, contact=ref)] == [ChangeAction.ADD,
                                                                ChangeAction.TAG]
    remove_contacts(book, [str(john)])
    assert [e.action for e in trail(book, contact=str(john))] == [
        ChangeAction.ADD, ChangeAction.TAG, ChangeAction.REMOVE]
    with pytest.raises(NotFound):
        trail(book, contact="john@example.org")  # gone: only its id finds its trail


def test_the_trail_from_a_time_on_is_newest_last(book, jane):
    add_contact(as_(book, "anne", LATER), JOHN)
    tag_contacts(as_(book, "bob", LATER), [str(jane)], ["space"])
    since = datetime(2026, 11, 22, 10, 42, tzinfo=PARIS)  # 09:42 UTC
    assert [(e.actor, e.action) for e in trail(book, since=since)] == [
        ("anne", ChangeAction.ADD), ("bob", ChangeAction.TAG)]
    assert [e.id for e in trail(book)] == sorted(e.id for e in trail(book))
    assert trail(book, since=datetime(2026, 11, 22, 9, 43, tzinfo=UTC)) == []


def test_the_samples_import_records_one_entry_per_contact(book):
    import_orgs(book, SAMPLES / "organizations.json")
    report = import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    added = [e for e in entries(book, subject=Subject.CONTACT)]
    assert len(added) == report.added == book.store.contacts.count()
    assert len(entries(book, subject=Subject.IMPORT)) == 1
