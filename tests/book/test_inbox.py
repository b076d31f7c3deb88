"""`inbox import` in the core (pressctl.book.inbox): a real invitation delivered to a real
SMTP server (aiosmtpd on loopback), then bounces, answers and replies made from the
samples of tests/data/inbox with its real Message-IDs, bounce tokens and event UID, read
from a Maildir. Runs on SQLite and on PostgreSQL (the `home` fixture)."""

from __future__ import annotations

import mailbox
import re
from dataclasses import replace

import pytest
from conftest import db_snapshot
from returned_mail import (
    ANTOINE,
    JEAN,
    LUCIE,
    NINA,
    book_with_journalists,
    from_sample,
    hard_bounce,
    human_reply,
    maildir,
    rsvp,
    sample,
    send,
    soft_bounce,
)
from smtp_fixtures import smtp_server  # noqa: F401  (a pytest fixture)

from pressctl.book.bounces import soft_limit_reached, unbounce
from pressctl.book.contacts import edit_contact, find_contact
from pressctl.book.inbox import Kind, import_inbox
from pressctl.book.session import Book
from pressctl.errors import InvalidInput, NotFound
from pressctl.inbox.imap import parse_imap_url, quoted_folder
from pressctl.store.changes import ChangeAction, Subject


@pytest.fixture
def sent(book, tmp_path, smtp_server):  # noqa: F811
    """The invitation PR301-2030, delivered to Jean, Nina, Antoine and Lucie."""
    result = send(book_with_journalists(book, tmp_path), tmp_path, smtp_server)
    assert {row.state for row in result.rows.values()} == {"sent"}
    assert result.uid is not None
    return result


def run(book: Book, folder, **options):
    return import_inbox(book, folder, **options)


def bouncing(book: Book) -> dict[str, str]:
    return {state.address: state.reason for state in book.store.inbox.bouncing_all().values()}


# -- bounces ----------------------------------------------------------------------------------


def test_a_hard_bounce_marks_the_address_bouncing_at_once(book, sent, tmp_path):
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"))
    report = run(book, folder)
    assert report.recorded[Kind.BOUNCE] == 1 and report.hard_bounces == 1
    [now] = report.bouncing
    assert (now.address, now.since) == (JEAN, "2030-03-25T08:14:07Z")
    assert now.reason.startswith("550 5.1.1 <j.martin@lemonde.example>: Recipient address "
                                 "rejected: User unknown")
    assert now.contact_id == find_contact(book.store, JEAN).stored_id
    assert set(bouncing(book)) == {JEAN}
    assert report.not_matched == [] and report.unreadable == []


def test_two_soft_bounces_do_not_mark_an_address_the_third_within_30_days_does(book, sent,
                                                                              tmp_path):
    row = sent.rows[NINA]
    folder = maildir(tmp_path / "in", soft_bounce(row, "s1", date="Mon, 4 Mar 2030 09:00:00 +0000"),
                     soft_bounce(row, "s2", date="Mon, 11 Mar 2030 09:00:00 +0000"))
    report = run(book, folder)
    assert (report.soft_bounces, report.bouncing, bouncing(book)) == (2, [], {})
    maildir(folder, soft_bounce(row, "s3", date="Tue, 2 Apr 2030 09:00:00 +0000"))
    report = run(book, folder)
    assert (report.seen, report.soft_bounces) == (2, 1)
    [now] = report.bouncing  # 4 March to 2 April: 29 days
    assert (now.address, now.since) == (NINA, "2030-04-02T09:00:00Z")
    assert now.reason == ("3 soft bounces within 30 days; the last: 452 4.2.2 "
                          "<n.girard@20minutes.example>: Mailbox full, over quota")


def test_three_soft_bounces_spread_over_more_than_30_days_do_not_mark_it(book, sent,
                                                                          tmp_path):
    row = sent.rows[NINA]
    folder = maildir(tmp_path / "in",
                     soft_bounce(row, "s1", date="Sat, 2 Mar 2030 09:00:00 +0000"),
                     soft_bounce(row, "s2", date="Fri, 15 Mar 2030 09:00:00 +0000"),
                     soft_bounce(row, "s3", date="Wed, 3 Apr 2030 09:00:00 +0000"))
    report = import_inbox(book, folder)  # 2 March to 3 April: 32 days
    assert (report.soft_bounces, report.bouncing, bouncing(book)) == (3, [], {})


def test_the_soft_bounce_limit_and_window_are_parameters(book, sent, tmp_path):
    row = sent.rows[NINA]
    folder = maildir(tmp_path / "in",
                     soft_bounce(row, "s1", date="Sat, 2 Mar 2030 09:00:00 +0000"),
                     soft_bounce(row, "s2", date="Wed, 3 Apr 2030 09:00:00 +0000"))
    report = run(book, folder, soft_limit=2, soft_days=40)
    assert [b.address for b in report.bouncing] == [NINA]


@pytest.mark.parametrize(("moments", "expected"), [
    (["2030-03-01T00:00:00Z", "2030-03-31T00:00:00Z", "2030-03-31T00:00:01Z"], None),
    (["2030-03-01T00:00:00Z", "2030-03-02T00:00:00Z", "2030-03-31T00:00:00Z"],
     "2030-03-31T00:00:00Z"),  # exactly 30 days: within
    (["2030-01-01T00:00:00Z", "2030-03-01T00:00:00Z", "2030-03-02T00:00:00Z",
      "2030-03-20T00:00:00Z"], "2030-03-20T00:00:00Z"),  # the window slides
])
def test_the_soft_bounce_limit_counts_bounces_within_the_window(moments, expected):
    assert soft_limit_reached(moments, 3, 30) == expected


def test_a_bounce_with_a_forged_message_id_changes_nothing_and_is_reported(book, sent, home,
                                                                           tmp_path):
    forged = hard_bounce(sent.rows[JEAN], "forged", message_id="<forged.pressctl@cnes.fr>",
                         token="A" * 32)
    folder = maildir(tmp_path / "in", forged)
    before = db_snapshot(home)
    report = run(book, folder)
    assert db_snapshot(home) == before
    assert (sum(report.recorded.values()), report.bouncing) == (0, [])
    [problem] = report.not_matched
    assert problem.why == ("not one of ours: a bounce for j.martin@lemonde.example whose "
                           "Message-ID <forged.pressctl@cnes.fr> or its bounce address "
                           "matches no message pressctl sent")


def test_a_bounce_for_an_address_we_never_sent_it_to_changes_nothing(book, sent, home,
                                                                     tmp_path):
    # Jean's real Message-ID and token, but the failed recipient is someone else.
    message = hard_bounce(sent.rows[JEAN], "other").replace(
        b"j.martin@lemonde.example", b"someone@lemonde.example")
    folder = maildir(tmp_path / "in", message)
    before = db_snapshot(home)
    report = run(book, folder)
    assert db_snapshot(home) == before
    [problem] = report.not_matched
    assert problem.why.startswith("not one of ours: a bounce for someone@lemonde.example, "
                                  "but the message it names (PR301-2030")


def test_a_bounce_is_tied_to_its_row_by_the_bounce_token_alone(book, sent, tmp_path):
    """VERP: the returned Message-ID forged (or cut), the envelope's token still names it."""
    message = hard_bounce(sent.rows[JEAN], "verp", message_id="<lost@cnes.fr>")
    report = run(book, maildir(tmp_path / "in", message))
    assert [b.address for b in report.bouncing] == [JEAN]
    [stored] = book.store.db.execute("SELECT row_id FROM bounces").fetchall()
    assert stored[0] == sent.rows[JEAN].id


def test_a_bounce_to_the_envelope_sender_of_a_verp_send_names_its_row(book, tmp_path,
                                                                      smtp_server):  # noqa: F811
    """[delivery] verp = true: the bounce comes back to the envelope sender the relay was
    given, which names the row even when the bounce returns no Message-ID."""
    book = book_with_journalists(book, tmp_path)
    book.settings = replace(book.settings, delivery=replace(book.settings.delivery, verp=True))
    sent = send(book, tmp_path, smtp_server)
    [envelope] = [m.mail_from for m in smtp_server.messages if m.rcpt_tos == [JEAN]]
    assert "+b." + sent.rows[JEAN].token + "@" in envelope
    bounce = from_sample("postfix-dsn-hard.eml", {
        "press+b.Ne4Xn25gz1iO0fZusWoFrSpAAJYu22PY@cnes.fr": envelope,
        "Message-ID: <1240a4684403b160e6597a653a88f56c.pressctl@cnes.fr>\n": "",
        "<20261123081407.4Vx2kT1f3Qz9sWb@mx.cnes.fr>": "<verp-1@mx.cnes.fr>"})
    report = run(book, maildir(tmp_path / "in", bounce))
    assert [b.address for b in report.bouncing] == [JEAN]


def test_a_bounce_for_a_message_never_sent_changes_nothing(book, sent, tmp_path):
    with book.store.transaction():
        book.store.db.execute("UPDATE mailout_rows SET state = 'queued' WHERE id = ?",
                              (sent.rows[JEAN].id,))
    report = run(book, maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "early")))
    assert report.bouncing == [] and bouncing(book) == {}
    assert "was never sent" in report.not_matched[0].why


def test_a_malformed_dsn_is_reported_and_changes_nothing(book, sent, home, tmp_path):
    folder = maildir(tmp_path / "in", sample("malformed-dsn.eml"))
    before = db_snapshot(home)
    report = run(book, folder)
    assert db_snapshot(home) == before
    [problem] = report.unreadable
    assert problem.kind is Kind.UNREADABLE
    assert "delivery report" in problem.why


def test_importing_the_same_mailbox_twice_changes_nothing_the_second_time(book, sent, home,
                                                                          tmp_path):
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"),
                     soft_bounce(sent.rows[NINA], "s1", date="Mon, 4 Mar 2030 09:00:00 +0000"),
                     rsvp(sent.uid, "answer-1"), human_reply(sent.rows[JEAN], "reply-1"),
                     sample("ooo-french.eml"), sample("unsubscribe-mailto.eml"))
    first = run(book, folder)
    assert dict(first.recorded) == {Kind.BOUNCE: 2, Kind.RSVP: 1, Kind.HUMAN_REPLY: 1,
                                    Kind.AUTO_REPLY: 1, Kind.UNSUBSCRIBE: 1}
    before = db_snapshot(home)
    second = run(book, folder)
    assert db_snapshot(home) == before
    assert (second.messages, second.seen, sum(second.recorded.values())) == (6, 6, 0)
    assert (second.hard_bounces, second.soft_bounces, second.answers) == (0, 0, 0)
    assert second.bouncing == second.follow_up == second.opted_out == second.suppressed == []


def test_the_same_message_twice_in_one_mailbox_counts_once(book, sent, tmp_path):
    message = soft_bounce(sent.rows[NINA], "same", date="Mon, 4 Mar 2030 09:00:00 +0000")
    folder = maildir(tmp_path / "in", message, message, message)
    report = run(book, folder)
    assert (report.messages, report.seen, report.soft_bounces) == (3, 2, 1)
    assert bouncing(book) == {}  # one bounce, not three


def test_an_mbox_is_read_as_a_maildir_is(book, sent, tmp_path):
    box = mailbox.mbox(tmp_path / "returned.mbox", create=True)
    box.add(hard_bounce(sent.rows[JEAN], "hard-1"))
    box.flush()
    report = run(book, tmp_path / "returned.mbox")
    assert [b.address for b in report.bouncing] == [JEAN]


def test_a_path_that_is_neither_a_maildir_nor_an_mbox_is_refused_and_changes_nothing(
        book, sent, home, tmp_path):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not mail\n", encoding="utf-8")
    before = db_snapshot(home)
    for path in (tmp_path / "folder", tmp_path / "notes.txt", tmp_path / "missing"):
        with pytest.raises(InvalidInput, match="Maildir|mbox|no such"):
            run(book, path)
    assert db_snapshot(home) == before


def test_a_failure_in_the_middle_leaves_the_database_unchanged(book, sent, home, tmp_path,
                                                               monkeypatch):
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"),
                     rsvp(sent.uid, "answer-1"), sample("unsubscribe-mailto.eml"))
    before = db_snapshot(home)

    def broken(*args, **kwargs):
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(book.store.inbox, "save_rsvp", broken)
    with pytest.raises(RuntimeError, match="the disk went away"):
        run(book, folder)
    assert db_snapshot(home) == before
    monkeypatch.undo()
    report = run(book, folder)  # the same import, whole, once the fault is gone
    assert sum(report.recorded.values()) == 3


def test_marking_an_address_bouncing_is_recorded_in_the_trail_with_the_acting_user(
        book, sent, tmp_path):
    officer = Book(book.store, book.settings, book.now, actor="anne")
    folder = maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1"))
    run(officer, folder)
    jean = find_contact(book.store, JEAN).stored_id
    last = book.store.changes.last_of(Subject.CONTACT, jean)
    assert last is not None
    assert (last.actor, last.action) == ("anne", ChangeAction.EDIT)
    assert last.summary.startswith(f"{JEAN} marked bouncing since 2030-03-25 (550 5.1.1")
    assert last.summary.endswith(f"by the inbox import of {folder}")


# -- clearing -----------------------------------------------------------------------------------


def test_unbounce_clears_the_state_keeps_its_history_and_records_who(book, sent, tmp_path):
    run(book, maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1")))
    officer = Book(book.store, book.settings, book.now, actor="bruno")
    result = unbounce(officer, "J.Martin@LeMonde.example")
    assert result.state.address == JEAN and result.contact is not None
    assert bouncing(book) == {}
    [kept] = book.store.inbox.bouncing_history([result.state.key])
    assert (kept.cleared_by, kept.cleared_how, kept.cleared_at) == (
        "bruno", "contacts unbounce", book.now)
    last = book.store.changes.last_of(Subject.CONTACT, result.contact.stored_id)
    assert last is not None and last.actor == "bruno"
    assert last.summary.startswith(f"{JEAN} no longer bouncing (`contacts unbounce`")
    with pytest.raises(NotFound, match="is not bouncing"):
        unbounce(officer, JEAN)


def test_bounces_written_before_an_unbounce_do_not_count_again(book, sent, tmp_path):
    row = sent.rows[NINA]
    folder = maildir(tmp_path / "in",
                     soft_bounce(row, "s1", date="Sat, 25 May 2030 09:00:00 +0000"),
                     soft_bounce(row, "s2", date="Sun, 26 May 2030 09:00:00 +0000"),
                     soft_bounce(row, "s3", date="Mon, 27 May 2030 09:00:00 +0000"))
    assert len(run(book, folder).bouncing) == 1
    unbounce(book, NINA)  # on 1 June
    book.now = "2030-07-01T09:00:00Z"
    maildir(folder, soft_bounce(row, "s4", date="Wed, 5 Jun 2030 09:00:00 +0000"))
    report = run(book, folder)
    assert (report.soft_bounces, report.bouncing) == (1, [])  # 1 since the unbounce, not 4


def test_editing_a_contact_to_take_the_bouncing_address_off_clears_it(book, sent, tmp_path):
    run(book, maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1")))
    officer = Book(book.store, book.settings, book.now, actor="carla")
    edit_contact(officer, JEAN, {}, remove_emails=[JEAN],
                 add_emails=["jean.martin@lemonde.example"])
    assert bouncing(book) == {}
    [kept] = book.store.inbox.bouncing_history(["j.martin@lemonde.example"])
    assert (kept.cleared_by, kept.cleared_how) == ("carla", "address removed from its contact")
    jean = find_contact(book.store, "jean.martin@lemonde.example").stored_id
    summaries = [c.summary for c in book.store.changes.trail(subject=Subject.CONTACT,
                                                              subject_id=jean)]
    assert f"{JEAN} no longer bouncing: taken off the contact by an edit" in summaries


def test_an_edit_that_keeps_the_bouncing_address_does_not_clear_it(book, sent, tmp_path):
    run(book, maildir(tmp_path / "in", hard_bounce(sent.rows[JEAN], "hard-1")))
    edit_contact(book, JEAN, {"role": "Science desk"})
    assert set(bouncing(book)) == {JEAN}


# -- answers to invitations ---------------------------------------------------------------------


def test_an_rsvp_is_recorded_per_event_and_attendee(book, sent, tmp_path):
    report = run(book, maildir(tmp_path / "in", rsvp(sent.uid, "answer-1")))
    assert (report.recorded[Kind.RSVP], report.answers) == (1, 1)
    [answer] = book.store.inbox.rsvps_of(sent.uid)
    assert (answer.attendee, answer.partstat, answer.sequence, answer.dtstamp) == (
        ANTOINE, "DECLINED", 0, "2030-03-03T13:15:02Z")
    assert answer.contact_id == find_contact(book.store, ANTOINE).stored_id
    assert answer.row_id == sent.rows[ANTOINE].id


def test_an_rsvp_for_an_unknown_event_changes_nothing_and_is_reported(book, sent, home,
                                                                      tmp_path):
    folder = maildir(tmp_path / "in", rsvp("pr999-2030-event@cnes.fr", "answer-x"))
    before = db_snapshot(home)
    report = run(book, folder)
    assert db_snapshot(home) == before
    [problem] = report.not_matched
    assert problem.kind is Kind.RSVP
    assert problem.why == (f"an answer of {ANTOINE} for an event pressctl never sent "
                           "(UID pr999-2030-event@cnes.fr)")


def test_a_later_rsvp_replaces_an_earlier_one_and_an_earlier_one_never_replaces_it(
        book, sent, tmp_path):
    later = rsvp(sent.uid, "answer-2", partstat="ACCEPTED", dtstamp="20300304T100000Z")
    earlier = rsvp(sent.uid, "answer-1", partstat="DECLINED", dtstamp="20300303T100000Z")
    run(book, maildir(tmp_path / "a", later))
    report = run(book, maildir(tmp_path / "b", earlier))  # arrives last, written first
    assert (report.answers, report.outdated_answers) == (0, 1)
    assert [a.partstat for a in book.store.inbox.rsvps_of(sent.uid)] == ["ACCEPTED"]
    # a raised SEQUENCE wins over a later DTSTAMP of the previous version of the event
    updated = rsvp(sent.uid, "answer-3", partstat="TENTATIVE", sequence=1,
                   dtstamp="20300303T120000Z")
    run(book, maildir(tmp_path / "c", updated))
    [answer] = book.store.inbox.rsvps_of(sent.uid)
    assert (answer.partstat, answer.sequence) == ("TENTATIVE", 1)


def test_an_rsvp_from_someone_the_invitation_was_forwarded_to_is_recorded_without_a_row(
        book, sent, tmp_path):
    message = rsvp(sent.uid, "answer-f", attendee="colleague@lemonde.example")
    run(book, maildir(tmp_path / "in", message))
    [answer] = book.store.inbox.rsvps_of(sent.uid)
    assert (answer.attendee, answer.contact_id, answer.row_id) == (
        "colleague@lemonde.example", None, None)


# -- requests, automatic replies, people's replies ----------------------------------------------


def test_an_unsubscribe_request_opts_its_sender_out_as_optouts_import_does(book, sent,
                                                                           tmp_path):
    message = sample("unsubscribe-mailto.eml").replace(b"h.blanc@lepoint.example",
                                                       LUCIE.encode())
    report = run(book, maildir(tmp_path / "in", message))
    assert report.opted_out == [LUCIE]
    lucie = find_contact(book.store, LUCIE)
    assert lucie.opted_out
    [held] = book.store.suppressions.suppressions_of([LUCIE]).values()
    assert (held.reason, held.note) == ("unsubscribe reply",
                                        "reply of Tue, 24 Nov 2026 07:30:00 +0000")
    last = book.store.changes.last_of(Subject.CONTACT, lucie.stored_id)
    assert last is not None and last.action == ChangeAction.OPT_OUT


def test_an_unsubscribe_request_to_the_unsubscribe_address_needs_no_subject(book, sent,
                                                                            tmp_path):
    message = sample("unsubscribe-mailto.eml").replace(b"Subject: unsubscribe",
                                                       b"Subject: Hello")
    report = run(book, maildir(tmp_path / "in", message),
                 unsubscribe_addresses=["unsubscribe@cnes.fr"])
    assert report.suppressed == ["h.blanc@lepoint.example"]  # in no contact: suppressed


def test_automatic_replies_are_counted_and_change_no_contact(book, sent, tmp_path):
    folder = maildir(tmp_path / "in", sample("ooo-french.eml"), sample("ooo-german.eml"),
                     sample("postfix-delay-warning.eml"))
    trail = book.store.changes.count()
    report = run(book, folder)
    assert report.recorded[Kind.AUTO_REPLY] == 3
    assert dict(report.automatic) == {"out-of-office": 2, "delay-warning": 1}
    assert book.store.changes.count() == trail
    assert bouncing(book) == {} and report.follow_up == []


def test_a_persons_reply_is_listed_for_follow_up_with_the_release_it_answers(book, sent,
                                                                            tmp_path):
    report = run(book, maildir(tmp_path / "in", human_reply(sent.rows[JEAN], "reply-1")))
    [reply] = report.follow_up
    assert (reply.sender, reply.reference, reply.mailout_id) == (
        JEAN, "PR301-2030", sent.mailout_id)
    assert reply.subject.startswith("Re: Lancement de SWOT-2")
    [stored] = book.store.inbox.replies()
    assert (stored.row_id, stored.reference) == (sent.rows[JEAN].id, "PR301-2030")


# -- IMAP folders named by a URL (the server itself: tests/cli/test_cli_inbox.py) ---------------


@pytest.mark.parametrize(("url", "expected"), [
    ("imaps://press@cnes.fr@imap.cnes.fr/INBOX",
     ("imaps", "imap.cnes.fr", 993, "press@cnes.fr", "INBOX")),
    ("imaps://press%40cnes.fr@imap.cnes.fr:1993/INBOX/Presse%20et%20m%C3%A9dias",
     ("imaps", "imap.cnes.fr", 1993, "press@cnes.fr", "INBOX/Presse et médias")),
    ("imap://press@imap.cnes.fr", ("imap", "imap.cnes.fr", 143, "press", "INBOX")),
])
def test_an_imap_url_names_the_server_the_user_and_the_folder(url, expected):
    found = parse_imap_url(url)
    assert (found.scheme, found.host, found.port, found.user, found.folder) == expected


@pytest.mark.parametrize(("url", "problem"), [
    ("imaps://press:secret@imap.cnes.fr/INBOX", "holds a password"),
    ("pop3://press@imap.cnes.fr/INBOX", "is not an IMAP URL"),
    ("imaps://imap.cnes.fr/INBOX", "names no user"),
    ("imaps://press@imap.cnes.fr:99999/INBOX", "is not an IMAP URL"),
    ("imaps://press@imap.cnes.fr/INBOX?x=1", 'no "?" or "#" part'),
])
def test_an_imap_url_that_is_not_one_is_invalid_input(url, problem):
    with pytest.raises(InvalidInput, match=re.escape(problem)) as err:
        parse_imap_url(url)
    assert "secret" not in str(err.value)


@pytest.mark.parametrize(("name", "quoted"), [
    ("INBOX", '"INBOX"'),
    ("Presse & médias", '"Presse &- m&AOk-dias"'),  # RFC 3501 5.1.3, modified UTF-7
    ('a "quoted" name', '"a \\"quoted\\" name"'),
])
def test_a_folder_name_is_sent_as_imap_writes_it(name, quoted):
    assert quoted_folder(name) == quoted
