"""The GDPR rights in the core (pressctl.book.gdpr): `export-person` gives everything the
book holds about one person, `forget` erases them everywhere. A real history first: a
contact with two addresses, a phone and tags, an invitation delivered to a real SMTP
server (aiosmtpd on loopback), an opt-out, and a bounce, an answer and a reply read back
by `inbox import` from the samples of tests/data/inbox. Then the whole database is
searched: the raw bytes of the SQLite file (and its -wal and -shm), and every value of
every table through SQL on both backends."""

from __future__ import annotations

import json
import stat
from dataclasses import asdict

import pytest
from conftest import db_snapshot, home_of
from mailing import Clock, deliver
from person_search import assert_absent, everything
from returned_mail import (
    ANTOINE,
    JEAN,
    KEY,
    NINA,
    SENT_AT,
    book_with_journalists,
    hard_bounce,
    human_reply,
    maildir,
    release_file,
    rsvp,
    send,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.contacts import add_contact, edit_contact, find_contact
from pressctl.book.forgotten import FORGOTTEN, PREFIX, address_token
from pressctl.book.gdpr import (
    CANCELLED,
    export_person,
    find_person,
    forget_contact,
    person_scrubber,
    write_person_export,
)
from pressctl.book.importer import import_file
from pressctl.book.inbox import import_inbox
from pressctl.book.optouts import opt_out
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery.frozen import thaw
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.transport import SmtpTransport
from pressctl.errors import InvalidInput, NotFound, PressctlError
from pressctl.outbox.states import RowState
from pressctl.releases.saved_audiences import save as save_audience
from pressctl.releases.templating import Templates
from pressctl.store import Store
from pressctl.store.changes import Subject
from pressctl.store.gdpr import GdprQueries
from pressctl.store.search import QUEUE as SEARCH_QUEUE
from pressctl.store.search import TABLE as SEARCH_TABLE

NAME = "Jean Martin"
SECOND = "jean.martin@proton.example"
PHONE = "+33 6 12 34 56 78"
E164 = "+33612345678"
NATIONAL = "06 12 34 56 78"
OFFICER = "Pascale Bresson"  # contacts/contacts.csv: the first press officer of CNES
OFFICER_EMAIL = "pascale.bresson@cnes.fr"
OFFICER_PHONES = ("+33144767539", "01 44 76 75 39", "+33 1 44 76 75 39")


@pytest.fixture
def history(book, tmp_path, smtp_server):  # noqa: F811
    """Jean Martin with two addresses, a phone and tags; a colleague's notes naming him;
    a saved audience; the invitation PR301-2030 delivered to him; then his hard bounce,
    his answer (accepted) and his reply read back by `inbox import`; then his opt-out.
    A SQLite book is written as by a SQLite built without SECURE_DELETE (Debian's has it
    on): what a change frees stays in the file, and the log is folded into the file at
    the end, as when a command closes the book."""
    if book.store.path is not None:
        book.store.db.execute("PRAGMA secure_delete = 0")
    book_with_journalists(book, tmp_path)
    edit_contact(book, JEAN, {"tags": "inbox,science", "outlet": "Le Monde"},
                 add_emails=[SECOND], add_phones=[PHONE])
    edit_contact(book, NINA, {"notes": f"shares the desk with {NAME} ({JEAN}, {PHONE})"})
    save_audience(book, "science", 'tag:science or outlet:"Le Monde"')
    sent = send(book, tmp_path, smtp_server)
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"),
                     rsvp(sent.uid, "answer-1", partstat="ACCEPTED", attendee=JEAN),
                     human_reply(sent.rows[JEAN], "reply-1"))
    report = import_inbox(book, folder)
    assert (report.hard_bounces, report.answers, len(report.follow_up)) == (1, 1, 1)
    opt_out(book, [JEAN], note=f"{NAME} asked by phone ({NATIONAL})")
    log = home_of(book) / "outbox.log"
    log.write_text(f"2030-03-02T08:00:09Z run r1: 3 sent, 1 failed\n  {JEAN}: 550 5.1.1 "
                   f"<{JEAN}>: unknown\n  {NINA}: 452 4.2.2 mailbox full\n", encoding="utf-8")
    if book.store.path is not None:
        book.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return sent


def others(store: Store, forgotten_id: int) -> dict[int, dict]:
    return {c.stored_id: asdict(c) for c in store.contacts.select()
            if c.stored_id != forgotten_id}


# -- forget -----------------------------------------------------------------------------------


def test_forget_leaves_no_name_address_or_phone_anywhere_in_the_database(book, history):
    store = book.store
    jean = find_contact(store, JEAN)
    assert_present = everything(store).casefold()
    assert NAME.casefold() in assert_present and SECOND in assert_present  # the setup holds them
    report = forget_contact(book, JEAN, logs=[home_of(book) / "outbox.log"])
    assert report.contact_id == jean.id and not report.dry_run
    assert report.compaction is not None and report.compaction.complete
    assert_absent(store, [NAME, JEAN, SECOND, E164, NATIONAL, PHONE])
    assert store.contacts.get(jean.stored_id) is None
    if store.path is not None:  # the connection's own setting is given back
        assert store.db.execute("PRAGMA secure_delete").fetchone()[0] == 0


def test_forget_keeps_other_contacts_and_the_counts_of_every_mailout(book, history):
    store = book.store
    jean = find_contact(store, JEAN)
    before = others(store, jean.stored_id)
    counts = store.mailouts.counts(history.mailout_id)
    rows = {r.id: r for r in store.mailouts.rows(history.mailout_id)}
    forget_contact(book, JEAN)
    after = others(store, jean.stored_id)
    nina = find_contact(store, NINA).stored_id
    assert after[nina].pop("notes").startswith(f"shares the desk with {PREFIX}")
    before[nina].pop("notes")
    assert after == before
    assert store.mailouts.counts(history.mailout_id) == counts
    now = {r.id: r for r in store.mailouts.rows(history.mailout_id)}
    assert set(now) == set(rows)
    changed = [i for i in rows if rows[i] != now[i]]
    assert changed == [history.rows[JEAN].id]  # only his row, and only its personal parts
    mine = now[changed[0]]
    assert mine.address.startswith(PREFIX) and mine.name == mine.address == mine.salutation
    assert (mine.state, mine.sent_at, mine.message_id) == (
        rows[changed[0]].state, rows[changed[0]].sent_at, rows[changed[0]].message_id)
    assert mine.contact_id is None
    assert store.audiences.all() == {"science": 'tag:science or outlet:"Le Monde"'}


def test_one_address_has_one_token_everywhere_and_only_tokens_stay_suppressed(book, history):
    store = book.store
    forget_contact(book, JEAN)
    key = store.gdpr.forget_key()
    assert key is not None
    first, second = address_token(key, JEAN), address_token(key, SECOND)
    [row] = [r for r in store.mailouts.rows(history.mailout_id) if r.address == first]
    assert row.id == history.rows[JEAN].id
    assert set(store.suppressions.suppressions_of([first, second])) == {first, second}
    assert store.suppressions.suppressions_of(["j.martin@lemonde.example", SECOND]) == {}
    assert [b.address for b in store.inbox.bouncing_all().values()] == [first]
    [answer] = store.inbox.rsvps_of(history.uid)
    assert (answer.attendee, answer.key, answer.partstat, answer.comment) == (
        first, first, "ACCEPTED", None)
    assert [r.sender for r in store.inbox.replies()] == [first]


def test_the_trail_says_contact_forgotten_and_names_nobody(book, history):
    jean = find_contact(book.store, JEAN).stored_id
    forget_contact(book, JEAN)
    last = book.store.changes.last_of(Subject.CONTACT, jean)
    assert last is not None
    assert last.summary.startswith(f"contact #{jean} forgotten")
    assert last.actor == book.actor
    trail = book.store.changes.trail(subject=Subject.CONTACT, subject_id=jean)
    assert len(trail) > 3  # added, edited, opted out, bouncing...: kept, without him
    assert not any(NAME in c.summary or "@" in c.summary for c in trail)


def test_forget_rewrites_the_outbox_log_lines_naming_them(book, history):
    log = home_of(book) / "outbox.log"
    report = forget_contact(book, JEAN, logs=[log])
    text = log.read_text(encoding="utf-8")
    assert report.log_lines == 1
    assert JEAN not in text and f"  {NINA}: 452 4.2.2 mailbox full\n" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_forgotten_address_is_refused_by_a_later_import_and_the_rest_imported(
        book, history, tmp_path):
    forget_contact(book, JEAN)
    people = tmp_path / "again.csv"
    people.write_text("Name,Email\nJean Martin,J.Martin@LeMonde.example\n"
                      "Zoé Lenoir,z.lenoir@liberation.example\n"
                      f"Jean M.,{SECOND}; jm@other.example\n", encoding="utf-8")
    report = import_file(book, open_contact_file(people), on_duplicate="update")
    assert [str(p) for p in report.forgotten] == [f"{people}:2: {FORGOTTEN}",
                                                   f"{people}:4: {FORGOTTEN}"]
    assert report.added == 1
    assert find_contact(book.store, "z.lenoir@liberation.example").name == "Zoé Lenoir"
    with pytest.raises(NotFound):
        find_contact(book.store, "jm@other.example")  # his row was not imported at all
    assert_absent(book.store, [JEAN, SECOND])


def test_a_forgotten_address_is_refused_by_add_and_by_edit(book, history):
    forget_contact(book, JEAN)
    with pytest.raises(InvalidInput, match=f"contact not added: {FORGOTTEN}"):
        add_contact(book, {"name": "J. Martin", "emails": [JEAN.upper()]})
    with pytest.raises(InvalidInput, match=f"not changed: {FORGOTTEN}"):
        edit_contact(book, NINA, {}, add_emails=[SECOND])
    assert_absent(book.store, [JEAN, SECOND])


def test_a_preview_changes_nothing_and_counts_what_would_change(book, history):
    before = db_snapshot(book.store)
    report = forget_contact(book, JEAN, dry_run=True)
    assert db_snapshot(book.store) == before
    assert report.dry_run and report.compaction is None
    assert report.changed["contacts"] >= 2  # his row, and Nina's notes
    assert (report.changed["contact_emails"], report.changed["contact_phones"],
            report.changed["contact_tags"]) == (2, 1, 2)
    assert report.changed["mailout_rows"] == 1 and report.hashes == 2
    assert report.changed["bounces"] >= 1 and report.changed["rsvps"] == 1
    assert book.store.gdpr.forget_key() is None  # made by the first real forget only


def test_a_failure_in_the_middle_changes_nothing(book, history, monkeypatch):
    before = db_snapshot(book.store)

    def broken(self, contact_id):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(GdprQueries, "delete_contact", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        forget_contact(book, JEAN)
    assert db_snapshot(book.store) == before
    assert find_contact(book.store, JEAN).name == NAME


def test_what_forget_cannot_erase_stops_it_and_changes_nothing(book, history, monkeypatch):
    before = db_snapshot(book.store)
    monkeypatch.setattr("pressctl.book.gdpr.KEY_COLUMNS",
                        frozenset({("changes", "summary")}))  # as if it could not be rewritten
    with pytest.raises(PressctlError, match=r"was not forgotten: .* changes\.summary"):
        forget_contact(book, JEAN)
    assert db_snapshot(book.store) == before


def test_an_unknown_contact_is_not_found(book, history):
    with pytest.raises(NotFound):
        forget_contact(book, "nobody@example.org")
    with pytest.raises(NotFound):
        export_person(book, "#999")


# -- what is still to be sent ---------------------------------------------------------------


def approve(book, tmp_path, reference: str) -> int:
    path = release_file(tmp_path, reference)
    plans = plan_mailouts(book, path, at=None, audience=None, now=SENT_AT)
    [mailout_id] = store_mailouts(book, plans, Templates(), path=path, token_key=KEY)
    return mailout_id


def test_a_message_still_queued_for_them_is_cancelled(book, history, tmp_path):
    book.store.db.execute("DELETE FROM suppressions")  # he had opted out: mailed again
    book.store.db.execute("UPDATE contacts SET opted_out = 0")
    mailout_id = approve(book, tmp_path, "PR302-2030")
    report = forget_contact(book, JEAN)
    assert report.cancelled == 1
    rows = book.store.mailouts.rows(mailout_id)
    [mine] = [r for r in rows if r.address.startswith(PREFIX)]
    assert (mine.state, mine.reply) == (RowState.CANCELLED, CANCELLED)
    assert {r.state for r in rows if r is not mine} == {RowState.QUEUED}


def test_an_officer_named_in_a_mailout_still_to_be_sent_is_refused_then_forgotten_after(
        book, history, tmp_path, smtp_server):  # noqa: F811
    mailout_id = approve(book, tmp_path, "PR303-2030")
    before = db_snapshot(book.store)
    with pytest.raises(InvalidInput, match=f"mailout #{mailout_id} .*still to be sent"):
        forget_contact(book, OFFICER_EMAIL)
    assert db_snapshot(book.store) == before
    deliver(book, Clock(SENT_AT), SmtpTransport(smtp_server.settings(), {}))
    report = forget_contact(book, OFFICER_EMAIL)
    assert report.officer_of == "CNES" and report.changed["mailout_variants"] >= 2
    assert_absent(book.store, [OFFICER, OFFICER_EMAIL, *OFFICER_PHONES])
    for variant in book.store.mailouts.variants(mailout_id):
        _, sender = thaw(variant)  # still a frozen message pressctl reads
        assert sender.address.startswith(PREFIX)


# -- export -----------------------------------------------------------------------------------


def test_export_person_holds_everything_about_them_in_a_private_file(book, history, tmp_path):
    out = tmp_path / "jean.json"
    data = write_person_export(book, JEAN, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(json.dumps(data))
    assert data["generated_at"] == book.now and data["book"]["backend"] == book.store.dialect
    contact = data["contact"]
    assert (contact["name"], contact["emails"], contact["tags"]) == (
        NAME, [JEAN, SECOND], ["inbox", "science"])
    assert [p["e164"] for p in contact["phones"]] == [E164] and contact["opted_out"]
    assert data["addresses"] == [JEAN, SECOND]
    [row] = data["mailouts"]
    assert (row["reference"], row["address"], row["state"]) == ("PR301-2030", JEAN, "sent")
    assert {s["address"] for s in data["opt_outs"]} == {JEAN, SECOND}
    assert [b["address"] for b in data["bouncing"]] == [JEAN]
    assert [(b["address"], b["severity"]) for b in data["bounces"]] == [(JEAN, "hard")]
    assert [(a["attendee"], a["partstat"]) for a in data["rsvps"]] == [(JEAN, "ACCEPTED")]
    assert [r["sender"] for r in data["replies"]] == [JEAN]
    assert sorted(m["kind"] for m in data["inbox_messages"]) == [
        "bounce", "human-reply", "rsvp"]
    summaries = " | ".join(c["summary"] for c in data["audit_trail"])
    assert "opted out Jean Martin" in summaries and "marked bouncing" in summaries
    assert NINA not in out.read_text(encoding="utf-8")  # nobody else's data
    assert ANTOINE not in out.read_text(encoding="utf-8")


def test_the_scrubber_of_a_person_finds_each_of_their_texts(book, history):
    person = find_person(book.store, JEAN)
    scrub = person_scrubber(b"k" * 32, person)
    text = f"Dear {NAME.upper()}, <{JEAN.upper()}> or {NATIONAL}; not {NINA}"
    assert scrub.finds(text)
    cleaned = scrub(text)
    assert cleaned.startswith(f"Dear {PREFIX}") and NINA in cleaned
    assert not scrub.finds(cleaned)


def test_the_rows_of_an_earlier_holder_of_a_reused_id_are_not_theirs(book, history):
    from returned_mail import LUCIE

    from pressctl.book.contacts import remove_contacts

    lucie = find_contact(book.store, LUCIE)
    book.now = "2030-06-02T09:00:00Z"  # a day after the mailout was made
    remove_contacts(book, [LUCIE])  # the last id: the next contact gets it again
    added = add_contact(book, {"name": "Paul Neuf", "emails": ["p.neuf@example.org"]})
    assert added.contact.id == lucie.id
    assert export_person(book, "p.neuf@example.org")["mailouts"] == []
    forget_contact(book, "p.neuf@example.org")
    [row] = [r for r in book.store.mailouts.rows(history.mailout_id) if r.address == LUCIE]
    assert (row.name, row.contact_id) == ("Lucie Moreau", lucie.id)


def test_every_table_is_searched_and_frozen_messages_are_the_only_blobs(book):
    store = book.store
    columns = store.gdpr.text_columns()
    if store.dialect == "sqlite":
        tables = {r[0] for r in store.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        blobs = {(t, c[1]) for t in tables for c in store.db.execute(f'PRAGMA table_info("{t}")')
                 if c[2].upper() == "BLOB"}
    else:
        tables = {r[0] for r in store.db.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")}
        blobs = {(r[0], r[1]) for r in store.db.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'bytea'")}
    # The search index's tables (pressctl.store.search) hold copies of contacts' texts:
    # `forget` empties its queue and merges its segments instead (test_search_index.py).
    index = {t for t in tables if t == SEARCH_QUEUE or t.startswith(SEARCH_TABLE)}
    tables -= index
    blobs -= {(t, c) for t, c in blobs if t in index}
    # mailout_variants holds no text column: its frozen messages are searched apart
    assert {t for t, _ in columns} == tables - {"schema_migrations", "book_secrets",
                                                 "mailout_variants"}
    assert ("changes", "summary") in columns and ("mailout_rows", "reply") in columns
    assert blobs == {("mailout_variants", "frozen")}  # a new one: teach `forget` about it


# -- the scrubber -----------------------------------------------------------------------------


def _scrubber(*items):
    from pressctl.book.scrub import Kind, Personal, Scrubber

    kinds = {"address": Kind.ADDRESS, "phone": Kind.PHONE, "name": Kind.NAME}
    return Scrubber(Personal(kinds[k], text, token) for k, text, token in items)


@pytest.mark.parametrize(("text", "expected"), [
    ("write to ann@x.fr today", "write to T1 today"),
    ("write to ANN@X.FR.", "write to T1."),
    ("joann@x.fr and ann@x.fr.evil.example stay", "joann@x.fr and ann@x.fr.evil.example stay"),
    ("Ann Li, Lille, police", "T2, Lille, police"),
    ("Li alone", "Li alone"),
    ("O&#x27;Brien wrote", "T3 wrote"),
    ("call +33612345678 or +336123456789", "call T4 or +336123456789"),
])
def test_the_scrubber_replaces_only_texts_that_stand_alone(text, expected):
    scrub = _scrubber(("address", "ann@x.fr", "T1"), ("name", "Ann Li", "T2"),
                      ("name", "O'Brien", "T3"), ("phone", "+33612345678", "T4"))
    assert scrub(text) == expected


def test_a_name_folded_in_an_icalendar_line_is_found_and_lines_stay_folded():
    from pressctl.book.scrub import FOLD, fold

    params = "ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;CN="
    folded = fold(f"{params}Pascale Bresson:mailto:p.bresson@cnes.example")
    assert "\r\n " in folded and "Pascale Bresson" not in folded  # cut in the name
    blob = json.dumps({"calendar": {"head": f"BEGIN:VCALENDAR\r\n{folded}\r\n"},
                       "attachments": [{"data": "UGFzY2FsZQ=="}]}).encode()
    scrub = _scrubber(("name", "Pascale Bresson", "forgotten-1"),
                      ("address", "p.bresson@cnes.example", "forgotten-2"))
    assert scrub.finds_in_frozen(blob)
    head = json.loads(scrub.frozen(blob))["calendar"]["head"]
    assert head.replace("\r\n ", "") == (
        f"BEGIN:VCALENDAR\r\n{params}forgotten-1:mailto:forgotten-2\r\n")
    assert max(len(line.encode()) for line in head.split("\r\n")) == FOLD  # folded again
    assert all(len(line.encode()) <= FOLD for line in fold("é" * 200).split("\r\n"))
    assert fold("é" * 200).replace("\r\n ", "") == "é" * 200
    assert json.loads(scrub.frozen(blob))["attachments"] == [{"data": "UGFzY2FsZQ=="}]


def test_opting_out_a_forgotten_address_again_never_writes_it_back(book, history, tmp_path):
    """`contacts optout ADDRESS` and an unsubscribe request from a forgotten address: it
    is suppressed for good already (as its token); neither the suppression list nor the
    trail gets the address back."""
    forget_contact(book, JEAN)
    assert opt_out(book, [SECOND], note="asked again").addresses == [SECOND]
    request = (f"From: {NAME} <{JEAN}>\r\nTo: presse@cnes.fr\r\nSubject: unsubscribe\r\n"
               "Message-ID: <again-1@lemonde.example>\r\nDate: Mon, 25 Mar 2030 10:00:00 "
               "+0100\r\n\r\nPlease take me off your list.\r\n").encode()
    report = import_inbox(book, maildir(tmp_path / "again", request))
    assert report.opted_out == [] and report.suppressed == [JEAN]
    assert_absent(book.store, [JEAN, SECOND])
