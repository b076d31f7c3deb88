"""The delivery run in-process (pressctl.delivery.run.run_outbox): real SMTP servers on
loopback, an injected clock, a stop requested from another thread the way the signal
handler does it, leases and in-flight files of runs that died. What the SERVER received is
compared with what the book says."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import SAMPLES, home_location, home_of
from smtp_fixtures import SlowHandler

from pressctl.book.importer import import_file
from pressctl.book.orgs import import_orgs
from pressctl.book.session import Book
from pressctl.config import DeliverySettings
from pressctl.contacts.formats.files import open_contact_file
from pressctl.delivery import inflight
from pressctl.delivery.lease import process_started, this_host
from pressctl.delivery.mailouts import plan_mailouts, store_mailouts
from pressctl.delivery.run import StopRequest, Transports, journal_folder, run_outbox
from pressctl.delivery.transport import SmtpTransport
from pressctl.releases.templating import Templates
from pressctl.store import Store
from pressctl.store.leases import Lease

KEY = b"k" * 64
APPROVED = datetime(2030, 3, 2, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def release(tmp_path: Path, audience: str = "tag:bulk") -> Path:
    path = tmp_path / "release.en.md"
    path.write_text("\n".join([
        "+++", 'reference = "PR300-2030"', 'kind = "release"', 'language = "en"',
        'title = "Delivery you can trust"', "date = 2030-03-02", 'place = "Paris"',
        'organizations = ["CNES"]', f'audience = "{audience}"', "+++", "",
        "Body of the release.", ""]), encoding="utf-8")
    return path


def book_with(book: Book, tmp_path: Path, count: int, *, tag: str = "bulk") -> Book:
    import_orgs(book, SAMPLES / "organizations.json")
    import_file(book, open_contact_file(SAMPLES / "contacts.csv"))
    people = tmp_path / "people.csv"
    people.write_text("Name,Email,Tags\n" + "".join(
        f"Journalist {i:04d},j{i:04d}@example.org,{tag}\n" for i in range(count)),
        encoding="utf-8")
    import_file(book, open_contact_file(people))
    return book


def approve(book: Book, tmp_path: Path, *, audience: str = "tag:bulk") -> int:
    path = release(tmp_path, audience)
    plans = plan_mailouts(book, path, at=None, audience=None, now=APPROVED)
    [mailout_id] = store_mailouts(book, plans, Templates(), path=path, token_key=KEY)
    return mailout_id


def with_delivery(book: Book, **values) -> Book:
    settings = replace(book.settings, delivery=replace(DeliverySettings(), **values))
    return Book(book.store, settings, book.now)


def smtp(server, connections: int = 1) -> Transports:
    return Transports(lambda: SmtpTransport(server.settings(), {}), connections, "test relay")


def run(book: Book, tmp_path: Path, server, connections: int = 1, **options):
    """`outbox run` in the book's home (where a database server's book keeps its in-flight
    files); ``tmp_path`` is kept for the callers' sake."""
    options.setdefault("now", Clock(APPROVED))
    return run_outbox(book, home=home_of(book), env={}, transports=smtp(server, connections),
                      **options)


def states(book: Book, mailout_id: int) -> Counter:
    return Counter(row.state for row in book.store.mailouts.rows(mailout_id))


def received(server) -> Counter:
    return Counter(m.rcpt_tos[0] for m in server.messages)


# -- every message, once, and the progress bar ----------------------------------------------


def test_the_progress_bar_hears_of_every_message_not_of_batches(book, tmp_path, smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 30), tmp_path)
    steps: list[int] = []
    report = run(book, tmp_path, smtp_server, connections=3, progress=steps.append)
    assert report.ok and report.sent == 30
    assert steps == [1] * 30  # one call per message (finding 4: it stayed at 0 per batch)
    assert states(book, mailout_id) == {"sent": 30}
    assert set(received(smtp_server).values()) == {1}


# -- outages -----------------------------------------------------------------------------------


def test_a_relay_that_is_down_charges_no_attempt_and_names_the_cause(book, tmp_path,
                                                                    smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 40), tmp_path)
    smtp_server.stop()
    report = run(book, tmp_path, smtp_server, connections=4)
    # Finding 7: one run used to spend an attempt on each of 370 rows in 0.6 s, exit 0.
    cause = f"cannot reach 127.0.0.1:{smtp_server.port} (connection refused)"
    assert report.unreachable == cause and not report.ok
    assert report.problem() == f"{cause}; 40 messages wait for the next run"
    rows = book.store.mailouts.rows(mailout_id)
    assert {row.state for row in rows} == {"queued"}
    assert {row.attempts for row in rows} == {0}
    # each connection stopped at its first failure: at most one row per connection tried
    assert sum(1 for row in rows if row.reply) <= 4
    smtp_server.start()
    report = run(book, tmp_path, smtp_server, connections=4)
    assert report.ok and report.sent == 40 and set(received(smtp_server).values()) == {1}
    assert {row.attempts for row in book.store.mailouts.rows(mailout_id)} == {1}


def test_a_long_outage_is_retried_for_a_day_then_given_up_with_its_cause(book, tmp_path,
                                                                         smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 5), tmp_path)
    smtp_server.stop()
    run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(hours=23, minutes=59)))
    assert states(book, mailout_id) == {"queued": 5}  # still within the day
    report = run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(hours=24,
                                                                             minutes=1)))
    assert report.gave_up == 5 and not report.ok
    assert "5 not delivered in time (given up)" in report.problem()
    rows = book.store.mailouts.rows(mailout_id)
    assert {row.state for row in rows} == {"failed"}
    tried = [row for row in rows if "cannot reach" in row.reply]
    assert tried and all(row.reply.startswith("not delivered within 24 h of its due time")
                         for row in rows)
    assert smtp_server.messages == []


def test_give_up_after_is_configurable(book, tmp_path, smtp_server):
    book = with_delivery(book_with(book, tmp_path, 2), give_up_after=timedelta(hours=2))
    mailout_id = approve(book, tmp_path)
    smtp_server.stop()
    run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(hours=1)))
    assert states(book, mailout_id) == {"queued": 2}
    run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(hours=2, minutes=1)))
    assert states(book, mailout_id) == {"failed": 2}
    assert book.store.mailouts.rows(mailout_id)[0].reply.startswith("not delivered within 2 h")


def test_only_answers_after_mail_from_cost_attempts(book, tmp_path, faulty_server):
    book_with(book, tmp_path, 0)
    for address in ("tempfail.ann@example.org", "drop.carl@example.org", "ok@example.org"):
        from pressctl.book.contacts import add_contact

        add_contact(book, {"name": address.split("@")[0], "emails": [address],
                           "tags": "bulk"})
    mailout_id = approve(book, tmp_path)
    report = run(book, tmp_path, faulty_server)
    rows = {row.address: row for row in book.store.mailouts.rows(mailout_id)}
    assert (rows["tempfail.ann@example.org"].state, rows["tempfail.ann@example.org"].attempts
            ) == ("queued", 1)
    assert rows["drop.carl@example.org"].state == "unknown"
    assert rows["ok@example.org"].state == "sent"
    assert report.retrying == 1 and report.unknown == 1
    assert "1 unknown (no reply to the end of the message" in report.problem()


def test_every_failure_line_names_its_cause(book, tmp_path, faulty_server):
    book_with(book, tmp_path, 0)
    from pressctl.book.contacts import add_contact

    for address in ("reject.a@example.org", "reject.b@example.org", "refusedata@example.org"):
        add_contact(book, {"name": address.split("@")[0], "emails": [address], "tags": "bulk"})
    approve(book, tmp_path)
    problem = run(book, tmp_path, faulty_server).problem()
    assert problem.startswith("delivery finished with failures: 0 sent, 3 failed (")
    assert "550 5.1.1 No such mailbox (reject) x2" in problem
    assert "554 5.6.0 Content refused (refusedata)" in problem


# -- stopping --------------------------------------------------------------------------------------


def _run_in_thread(book: Book, home: Path, server, connections: int, stop: StopRequest):
    """run_outbox on its own store connection, in a thread (as the CLI runs it)."""
    result: dict = {}
    settings, book_path = book.settings, home_location(home_of(book))

    def target() -> None:
        store = Store.open(book_path, create=False)
        try:
            book = Book(store, settings, "2030-03-02T08:00:00Z")
            result["report"] = run_outbox(book, home=home, env={}, stop=stop,
                                          transports=smtp(server, connections),
                                          now=Clock(APPROVED))
        except BaseException as err:
            result["error"] = err
        finally:
            store.close()
            result["ended"] = time.monotonic()

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, result


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_stop_waits_only_for_the_reply_to_a_final_dot_already_sent(
        book, tmp_path, smtp_server_factory, signal_name):
    server = smtp_server_factory(SlowHandler(mail_delay=0.0, data_delay=2.0))
    mailout_id = approve(book_with(book, tmp_path, 20), tmp_path)
    stop = StopRequest()
    thread, result = _run_in_thread(book, tmp_path, server, 3, stop)
    _wait_for(lambda: len(server.messages) >= 1)  # a final dot is out, 2 s from its 250
    asked = time.monotonic()
    stop.request(signal_name)
    thread.join(timeout=30)
    report = result["report"]
    assert result["ended"] - asked < 2.0 + 0.5  # under 2 s plus one server reply
    assert report.stopped_by == signal_name and not report.busy
    counts = states(book, mailout_id)
    # finding 4: the old run finished its batch and left 10 rows 'sending', which the next
    # run called unknown although every one had been accepted
    assert "sending" not in counts and "unknown" not in counts
    assert counts["sent"] == len(server.messages) == report.sent >= 1
    assert counts["queued"] == 20 - counts["sent"] == report.waiting
    untried = [row for row in book.store.mailouts.rows(mailout_id) if row.state == "queued"]
    assert {row.attempts for row in untried} == {0}  # nothing charged for what never went
    assert f"stopped by {signal_name} after {report.sent} sent" in report.problem()
    # The next run sends the rest, each once, and turns nothing into unknown.
    server.handler.data_delay = 0.0
    again = run(book, tmp_path, server, connections=3)
    assert again.ok and again.recovered_unknown == 0
    assert states(book, mailout_id) == {"sent": 20}
    assert set(received(server).values()) == {1} and len(received(server)) == 20


def test_a_stop_abandons_messages_whose_data_is_not_on_the_wire(book, tmp_path,
                                                                smtp_server_factory):
    server = smtp_server_factory(SlowHandler(mail_delay=2.0, data_delay=0.0))
    mailout_id = approve(book_with(book, tmp_path, 20), tmp_path)
    stop = StopRequest()
    thread, result = _run_in_thread(book, tmp_path, server, 3, stop)
    _wait_for(lambda: len(server.messages) == 3)  # the first three went
    _wait_for(lambda: len(server.handler.mail_times) == 6)  # three more wait at MAIL FROM
    asked = time.monotonic()
    stop.request("SIGINT")
    thread.join(timeout=30)
    assert result["ended"] - asked < 1.0  # no reply to wait for: their sockets were cut
    time.sleep(2.5)  # long after the relay's answer to MAIL FROM: still nothing more came
    assert len(server.messages) == 3
    counts = states(book, mailout_id)
    assert counts == {"sent": 3, "queued": 17}
    assert {row.attempts for row in book.store.mailouts.rows(mailout_id) if row.state == "queued"
            } == {0}


def test_a_stop_while_waiting_for_the_rate_limit_is_immediate(book, tmp_path, smtp_server):
    book = with_delivery(book_with(book, tmp_path, 50), limits={60.0: 2})  # 2 a minute
    mailout_id = approve(book, tmp_path)
    stop = StopRequest()
    thread, result = _run_in_thread(book, tmp_path, smtp_server, 2, stop)
    _wait_for(lambda: len(smtp_server.messages) == 1)
    time.sleep(0.3)  # the next send is 30 s away (evenly spaced): both connections wait
    asked = time.monotonic()
    stop.request("SIGINT")
    thread.join(timeout=30)
    assert result["ended"] - asked < 1.0
    assert states(book, mailout_id) == {"sent": 1, "queued": 49}


def test_pause_from_another_terminal_stops_the_run_between_messages(book, tmp_path,
                                                                   smtp_server_factory):
    server = smtp_server_factory(SlowHandler(delay=0.5))
    mailout_id = approve(book_with(book, tmp_path, 30), tmp_path)
    thread, result = _run_in_thread(book, tmp_path, server, 2, StopRequest())
    _wait_for(lambda: len(server.messages) >= 2)
    from pressctl.delivery import mailouts as mailout

    other = Store.open(home_location(home_of(book)), create=False)  # another terminal's connection
    try:
        mailout.pause(Book(other, book.settings, book.now), mailout_id)
    finally:
        other.close()
    paused_at = time.monotonic()
    thread.join(timeout=30)
    assert result["ended"] - paused_at < 2.0 + 1.0  # the messages in progress finish
    # no message was started more than 2 s after the pause
    assert max(server.handler.mail_times) - paused_at < 2.0
    counts = states(book, mailout_id)
    assert counts["queued"] > 0 and "sending" not in counts and "unknown" not in counts
    assert counts["sent"] == len(server.messages)
    mailout.pause(book, mailout_id, resume=True)
    server.handler.delay = 0.0
    run(book, tmp_path, server, connections=2)
    assert states(book, mailout_id) == {"sent": 30}
    assert set(received(server).values()) == {1}


# -- the lease and what dead runs leave ----------------------------------------------------------


def _lease(run_id: str, pid: int, *, host: str | None = None, expires: str = "2099-01-01T00:00:00Z",
           started: str | None = None) -> Lease:
    return Lease(run_id, host or this_host(), pid, started, "2030-03-02T07:00:00Z",
                 "2030-03-02T07:00:00Z", expires)


def _claim(book: Book, mailout_id: int, run_id: str, count: int) -> list[int]:
    with book.store.transaction():
        ids = book.store.runs.queued_ids(mailout_id, 0, "2030-03-02T08:00:00Z", count)
        book.store.runs.claim_rows(ids, run_id, "2030-03-02T08:00:00Z")
    return ids


def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


# One run per database holds the outbox on SQLite; on PostgreSQL every worker has a lease of
# its own (tests/delivery/test_workers.py pins that side).
@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
def test_a_live_run_of_another_home_keeps_the_outbox_and_its_rows(book, tmp_path, smtp_server):
    # Finding 6: runs of different homes on one database marked each other's rows unknown.
    mailout_id = approve(book_with(book, tmp_path, 6), tmp_path)
    claimed = _claim(book, mailout_id, "live-run", 2)
    with book.store.transaction():  # a live process (this one) holds the lease
        book.store.leases.take(_lease("live-run", os.getpid(),
                                     started=process_started(os.getpid())), None)
    report = run_outbox(book, home=tmp_path / "another-home", env={},
                        transports=smtp(smtp_server), now=Clock(APPROVED))
    assert report.busy and "live-run" in report.busy and report.sent == 0
    rows = {row.id: row.state for row in book.store.mailouts.rows(mailout_id)}
    assert all(rows[row_id] == "sending" for row_id in claimed)  # not marked unknown
    assert smtp_server.messages == []


# One run per database holds the outbox on SQLite; on PostgreSQL every worker has a lease of
# its own (tests/delivery/test_workers.py pins that side).
@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
def test_a_dead_runs_rows_are_settled_from_what_its_in_flight_file_says(book, tmp_path,
                                                                        smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 8), tmp_path)
    claimed = _claim(book, mailout_id, "dead-run", 4)
    with book.store.transaction():
        book.store.leases.take(_lease("dead-run", _dead_pid()), None)
    journal = inflight.InflightJournal(journal_folder(book.store, home_of(book)), "dead-run", 4)
    journal.mark(journal.begin(0, claimed[1]))  # its final dot was going out at the kill
    answered = journal.begin(1, claimed[2])  # answered, not yet written to the database
    journal.mark(answered)
    journal.finish(answered, inflight.Status.SENT, 250, int(APPROVED.timestamp() * 1000))
    journal.begin(2, claimed[3])  # taken, never marked: its final dot never went out
    journal._map.close()  # the process died: its file stays
    report = run(book, tmp_path, smtp_server)
    assert (report.recovered_unknown, report.recovered_queued) == (1, 2)
    rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}
    assert (rows[claimed[1]].state, rows[claimed[1]].attempts) == ("unknown", 1)
    assert "may have been delivered" in rows[claimed[1]].reply
    assert (rows[claimed[2]].state, rows[claimed[2]].sent_at) == ("sent", "2030-03-02T08:00:00Z")
    assert rows[claimed[2]].reply.startswith("250 accepted")
    for row_id in claimed[1:3]:  # neither is ever sent again by itself
        assert not received(smtp_server)[rows[row_id].address]
    for row_id in (claimed[0], claimed[3]):  # only claimed: queued again, then sent once
        assert (rows[row_id].state, rows[row_id].attempts) == ("sent", 1)
        assert received(smtp_server)[rows[row_id].address] == 1
    assert "unknown" in report.problem()
    assert inflight.leftovers(journal_folder(book.store, home_of(book))) == []  # cleaned up


def test_without_its_in_flight_file_a_dead_runs_rows_are_all_unknown(book, tmp_path,
                                                                    smtp_server):
    mailout_id = approve(book_with(book, tmp_path, 3), tmp_path)
    claimed = _claim(book, mailout_id, "old-run", 2)  # e.g. a run of another machine
    report = run(book, tmp_path, smtp_server)
    assert report.recovered_unknown == 2
    rows = {row.id: row.state for row in book.store.mailouts.rows(mailout_id)}
    assert [rows[r] for r in claimed] == ["unknown", "unknown"]  # at most once, always


# One run per database holds the outbox on SQLite; on PostgreSQL every worker has a lease of
# its own (tests/delivery/test_workers.py pins that side).
@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
def test_a_silent_holder_on_another_host_is_replaced_after_its_lease_expires(
        book, tmp_path, smtp_server):
    approve(book_with(book, tmp_path, 2), tmp_path)
    with book.store.transaction():
        book.store.leases.take(_lease("far-run", 1, host="elsewhere.example.org",
                                     expires="2030-03-02T08:00:30Z"), None)
    assert run(book, tmp_path, smtp_server).busy  # 08:00:00: not expired yet
    report = run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(seconds=31)))
    assert not report.busy and report.sent == 2


def test_the_lease_is_released_and_nothing_is_left_behind(book, tmp_path, smtp_server):
    approve(book_with(book, tmp_path, 3), tmp_path)
    run(book, tmp_path, smtp_server, connections=2)
    with book.store.transaction():
        assert book.store.leases.current() is None
    assert inflight.leftovers(journal_folder(book.store, home_of(book))) == []


def test_the_in_flight_file_is_private(book, tmp_path):
    journal = inflight.InflightJournal(journal_folder(book.store, home_of(book)), "r1", 2)
    try:
        assert journal.path.stat().st_mode & 0o777 == 0o600
        assert journal.path.parent.stat().st_mode & 0o777 == 0o700
        journal.mark(journal.begin(1, 42))
        [entry] = inflight.read_entries(journal.path.parent, "r1").values()
        assert (entry.row_id, entry.status) == (42, inflight.Status.IN_FLIGHT)
    finally:
        journal.close()
    assert not journal.path.exists()


# One run per database holds the outbox on SQLite; on PostgreSQL every worker has a lease of
# its own (tests/delivery/test_workers.py pins that side).
@pytest.mark.parametrize("home", ["sqlite"], indirect=True)
def test_a_run_whose_lease_was_taken_over_stops_and_says_so(book, tmp_path,
                                                            smtp_server_factory, monkeypatch):
    from pressctl.delivery import lease as lease_module

    monkeypatch.setattr(lease_module, "HEARTBEAT_SECONDS", 0.05)
    server = smtp_server_factory(SlowHandler(mail_delay=0.0, data_delay=0.2))
    mailout_id = approve(book_with(book, tmp_path, 40), tmp_path)
    thread, result = _run_in_thread(book, tmp_path, server, 1, StopRequest())
    _wait_for(lambda: len(server.messages) >= 2)
    other = Store.open(home_location(home_of(book)), create=False)  # a run elsewhere that thought us dead
    try:
        with other.transaction():
            current = other.leases.current()
            other.leases.take(replace(current, run_id="usurper"), current.run_id)
    finally:
        other.close()
    thread.join(timeout=30)
    report = result["report"]
    assert report.lease_lost and not report.ok
    assert report.problem().startswith("another run took over the outbox")
    counts = states(book, mailout_id)
    assert "sending" not in counts and counts["queued"] > 0
    assert counts["sent"] == len(server.messages)


# -- several workers on PostgreSQL: what a dead worker leaves, taken over ------------------------

ON_POSTGRES = pytest.mark.parametrize("home", ["postgresql"], indirect=True)


def _worker_lease(book: Book, run_id: str, lease: Lease) -> None:
    from pressctl.store.leases import worker_lease

    with book.store.transaction():
        book.store.leases.take(lease, None, worker_lease(run_id))


def _mark(book: Book, run_id: str, row_ids: list[int]) -> None:
    book.store.runs.mark_and_settle(run_id, row_ids, [], "2030-03-02T08:00:00Z")


@ON_POSTGRES
def test_a_dead_worker_of_this_home_is_settled_exactly_from_its_in_flight_file(
        book, tmp_path, smtp_server):
    """The database's marks are the evidence of last resort: a worker of this home left
    its in-flight file, which is exact (its mark follows the database's, just before the
    final dot). A row marked in the database whose file entry was never marked (killed
    during the mark's round trip) never reached the relay: queued again, not unknown."""
    mailout_id = approve(book_with(book, tmp_path, 8), tmp_path)
    claimed = _claim(book, mailout_id, "dead-worker", 5)
    _worker_lease(book, "dead-worker", _lease("dead-worker", _dead_pid()))
    _mark(book, "dead-worker", claimed[1:])  # all four were marked in the database
    journal = inflight.InflightJournal(journal_folder(book.store, home_of(book)),
                                       "dead-worker", 4)
    journal.mark(journal.begin(0, claimed[1]))  # its final dot was going out at the kill
    answered = journal.begin(1, claimed[2])  # answered, not yet in the database
    journal.mark(answered)
    journal.finish(answered, inflight.Status.SENT, 250, int(APPROVED.timestamp() * 1000))
    journal.begin(2, claimed[3])  # killed during the database mark: the dot never went
    journal._map.close()  # the process died: its file stays
    report = run(book, tmp_path, smtp_server)
    assert (report.recovered_unknown, report.recovered_queued) == (1, 3)
    rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}
    assert rows[claimed[1]].state == "unknown"
    assert rows[claimed[2]].state == "sent" and rows[claimed[2]].reply.startswith("250")
    for row_id in (claimed[1], claimed[2]):
        assert not received(smtp_server)[rows[row_id].address]
    for row_id in (claimed[0], claimed[3], claimed[4]):  # sent once, by this run
        assert (rows[row_id].state, received(smtp_server)[rows[row_id].address]) == ("sent", 1)
    with book.store.transaction():
        assert book.store.leases.workers() == []  # the dead worker's lease is gone
    assert inflight.leftovers(journal_folder(book.store, home_of(book))) == []


@ON_POSTGRES
def test_a_worker_on_another_host_is_taken_over_only_after_its_lease_expires(
        book, tmp_path, smtp_server):
    """Its file is out of reach: its rows go by the database's marks, and only once its
    heartbeat has been silent past its lease (a live worker there keeps its rows)."""
    mailout_id = approve(book_with(book, tmp_path, 10), tmp_path)
    claimed = _claim(book, mailout_id, "far-worker", 4)
    _worker_lease(book, "far-worker", _lease("far-worker", 1, host="elsewhere.example.org",
                                             expires="2030-03-02T08:00:30Z"))
    _mark(book, "far-worker", claimed[:2])
    first = run(book, tmp_path, smtp_server)  # 08:00:00: far-worker may still be alive
    assert (first.sent, first.recovered_unknown, first.recovered_queued) == (6, 0, 0)
    rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}
    assert {rows[row_id].state for row_id in claimed} == {"sending"}
    assert not any(received(smtp_server)[rows[row_id].address] for row_id in claimed)
    later = run(book, tmp_path, smtp_server, now=Clock(APPROVED + timedelta(seconds=31)))
    assert (later.sent, later.recovered_unknown, later.recovered_queued) == (2, 2, 2)
    rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}
    for row_id in claimed[:2]:  # marked: they may have gone, never sent again
        assert rows[row_id].state == "unknown"
        assert not received(smtp_server)[rows[row_id].address]
    for row_id in claimed[2:]:  # only claimed: sent once, now
        assert (rows[row_id].state, received(smtp_server)[rows[row_id].address]) == ("sent", 1)


@ON_POSTGRES
def test_a_worker_never_transmits_a_row_it_no_longer_holds(book, tmp_path):
    """A worker taken for dead (its rows settled by another) must not send them: its mark
    is refused, so the final dot is withheld."""
    from pressctl.delivery.marks import MarkWriter
    from pressctl.store.runs import StaleClaim

    mailout_id = approve(book_with(book, tmp_path, 3), tmp_path)
    mine = _claim(book, mailout_id, "slow-worker", 2)
    with book.store.transaction():  # another worker took slow-worker for dead
        book.store.runs.requeue([mine[1]], "2030-03-02T08:01:00Z")
    writer = MarkWriter(book.store, "slow-worker", lambda: "2030-03-02T08:01:00Z")
    try:
        writer.mark(mine[0])
        with pytest.raises(StaleClaim):
            writer.mark(mine[1])
    finally:
        writer.close()
    with book.store.transaction():
        assert book.store.runs.transmitting(mine) == {mine[0]}


@ON_POSTGRES
def test_a_result_is_in_the_database_once_the_next_mark_of_its_connection_returns(
        book, tmp_path):
    """Results are not written one statement each: they ride with the next marks. The
    in-flight file's ring, and "unknown only when transmitted" for a worker on another
    host, both rest on this order."""
    from pressctl.delivery.marks import MarkWriter
    from pressctl.outbox.states import RowState
    from pressctl.store.runs import Settlement

    mailout_id = approve(book_with(book, tmp_path, 2), tmp_path)
    first, second = _claim(book, mailout_id, "worker", 2)
    writer = MarkWriter(book.store, "worker", lambda: "2030-03-02T08:00:01Z")
    try:
        writer.mark(first)
        writer.settle(Settlement(first, RowState.SENT, None, "250 ok", "2030-03-02T08:00:01Z", True))
        writer.mark(second)
        rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}
        assert rows[first].state == "sent" and rows[first].reply == "250 ok"
        assert rows[second].state == "sending"
        with book.store.transaction():
            assert book.store.runs.transmitting([first, second]) == {second}
    finally:
        writer.close()
