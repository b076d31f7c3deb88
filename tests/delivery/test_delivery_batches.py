"""How a delivery run batches its database work (delivery speed, issue 12): full claims
through a large mailout, fair shares at the end of a small one, the results of a batch
recorded with the claim of the next (one transaction per batch), and the in-flight ring
never reused before its entries are in the database."""

from __future__ import annotations

from collections import Counter

import pytest
from conftest import home_of
from smtp_fixtures import PipeliningHandler
from test_delivery_run import APPROVED, Clock, approve, book_with, received, states
from test_processes import _over_smtp

from pressctl.delivery import inflight, ledger, sending
from pressctl.delivery.ledger import BATCH, FIRST_BATCH, PAGE, DueQueue, Ledger
from pressctl.delivery.run import run_outbox
from pressctl.times import iso


def _takes(book, sharers: int, count: int = BATCH) -> list[int]:
    with book.store.transaction():
        queue = DueQueue(book.store.mailouts.due(iso(APPROVED)))
        sizes = []
        while (found := queue.take(book.store, iso(APPROVED), count, sharers)) is not None:
            sizes.append(len(found[1]))
    return sizes


def test_claims_stay_full_through_a_large_mailout_and_shrink_only_at_its_end(book,
                                                                             tmp_path):
    rows = 3 * PAGE + 40  # pages end three times before the mailout does
    approve(book_with(book, tmp_path, rows), tmp_path)
    sizes = _takes(book, sharers=4)
    assert sum(sizes) == rows  # each row offered once
    last_full = max(i for i, size in enumerate(sizes) if size == BATCH)
    assert set(sizes[: last_full + 1]) == {BATCH}
    # the shares shrink only over the last sharers x BATCH rows
    assert sum(sizes[last_full + 1:]) < 4 * BATCH


def test_a_small_mailout_still_goes_out_over_every_connection(book, tmp_path):
    approve(book_with(book, tmp_path, 10), tmp_path)
    sizes = _takes(book, sharers=4)
    assert sizes[:4] == [3, 2, 2, 1]
    assert sum(sizes) == 10


def test_the_in_flight_ring_outlasts_the_results_a_connection_holds():
    # results held (FLUSH_COUNT) + the message in flight + the one made ahead + the next
    assert sending.FLUSH_COUNT + 3 <= inflight.RING
    # a batch's results fit before the flush: they go with the next claim
    assert sending.FLUSH_COUNT > ledger.BATCH


def test_a_batch_is_recorded_with_the_claim_of_the_next_in_one_transaction(
        book, tmp_path, smtp_server_factory, monkeypatch):
    server = smtp_server_factory(PipeliningHandler())
    mailout_id = approve(book_with(book, tmp_path, 300), tmp_path)
    calls: Counter[tuple[bool, bool]] = Counter()  # (results recorded, rows claimed)
    original = Ledger.record_and_claim

    def counted(self, done, *, claim=True, count=None):
        calls[(bool(done), claim)] += 1
        return original(self, done, claim=claim, count=count)

    monkeypatch.setattr(Ledger, "record_and_claim", counted)
    report = run_outbox(_over_smtp(book, server, 2), home=home_of(book),
                        env={"PRESSCTL_DELIVERY_PROCESSES": "1"}, now=Clock(APPROVED))
    assert report.sent == states(book, mailout_id)["sent"] == len(received(server)) >= 300
    assert set(received(server).values()) == {1}
    # results are recorded with the next claim, never on their own before the end (the
    # last flush of each connection): no transaction for half a batch
    assert calls[(True, False)] <= 2, calls
    # one claim per batch (FIRST_BATCH at first, larger once they go fast), more at the
    # end where the shares shrink
    assert sum(calls.values()) <= 3 * (300 // FIRST_BATCH), calls


@pytest.mark.parametrize("count", [BATCH, 1])
def test_every_row_is_offered_once_whatever_the_batch(book, tmp_path, count):
    rows = PAGE + 7
    approve(book_with(book, tmp_path, rows), tmp_path)
    with book.store.transaction():
        queue = DueQueue(book.store.mailouts.due(iso(APPROVED)))
        queue.split(0, 2)
        taken: list[int] = []
        while (found := queue.take(book.store, iso(APPROVED), count, 2)) is not None:
            taken += found[1]
    assert sorted(taken) == sorted(set(taken))
    assert len(taken) == rows


def test_consent_is_looked_up_for_the_embargoed_phase_the_store_knows():
    from pressctl.releases.embargo import Phase

    # Ledger._withheld skips the consent query for any other phase
    assert Phase.EMBARGOED.value == ledger.EMBARGOED


def test_what_sender_processes_import_is_imported_once_before_the_fork():
    import subprocess
    import sys

    from pressctl.delivery import processes

    # each name imports (a rename would stop every run with several processes)
    processes.preload()
    # and they are what a fresh interpreter lacks after importing the parent's side
    probe = ("import sys; import pressctl.delivery.processes as p; "
             "print(sorted(n for n in p.PRELOAD if n not in sys.modules))")
    missing = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                             check=True).stdout
    assert "pressctl.delivery.ledger" in missing and "smtplib" in missing


def test_rows_settled_together_end_as_rows_settled_one_by_one(book, tmp_path):
    from pressctl.store.runs import _SETTLE, Settlement, _settle_params

    mailout_id = approve(book_with(book, tmp_path, 60), tmp_path)
    ids = [row.id for row in book.store.mailouts.rows(mailout_id)][:60]
    now = iso(APPROVED)
    with book.store.transaction():
        book.store.runs.claim_rows(ids[:56], "run-1", now)
        book.store.runs.claim_rows(ids[56:], "run-2", now)  # another run's rows
        book.store.runs.mark_unknown([ids[0], ids[1]], "recovered", now)

    def results(part: list[int]) -> list[Settlement]:
        out = [Settlement(i, "sent", None, "250 OK queued", "2030-01-02T09:30:01Z", True)
               for i in part[:20]]
        out += [Settlement(part[20], "queued", "2030-01-02T10:00:00Z", "451 later",
                           "2030-01-02T09:30:02Z", True),
                Settlement(part[21], "queued", None, None, "2030-01-02T09:30:02Z", False),
                Settlement(part[22], "failed", None, "550 no", "2030-01-02T09:30:02Z", True)]
        return out + [Settlement(i, "sent", None, "250 OK queued", "2030-01-02T09:30:01Z",
                                 True) for i in part[23:]]

    together = ids[0:56:2] + [ids[56], ids[58]]  # with another run's: left as they are
    one_by_one = ids[1:56:2] + [ids[57], ids[59]]
    with book.store.transaction():
        book.store.runs.settle_rows("run-1", results(together))
        book.store.db.executemany(_SETTLE, [_settle_params("run-1", s)
                                            for s in results(one_by_one)])
    rows = {row.id: row for row in book.store.mailouts.rows(mailout_id)}

    def seen(i: int) -> tuple:
        row = rows[i]
        return (row.state, row.next_attempt_at, row.reply, row.attempts, row.updated,
                row.sent_at)

    assert [seen(i) for i in together] == [seen(i) for i in one_by_one]
    assert rows[ids[0]].state == "sent"  # a row its own run marked unknown gets its result
    assert rows[ids[56]].state == "sending"  # another run's row is not touched
    assert {rows[i].state for i in together[:20]} == {"sent"}


def test_a_connection_claims_more_while_its_batches_go_fast_and_less_when_slow():
    pace = sending._Pace(BATCH)
    quick = sending.RECHECK_AFTER / 8
    assert [pace.next(quick * i) for i in range(5)] == [FIRST_BATCH, 2 * FIRST_BATCH,
                                                        4 * FIRST_BATCH, BATCH, BATCH]
    slow = sending.RECHECK_AFTER * 0.6  # a batch took more than half RECHECK_AFTER
    now = quick * 4
    sizes = []
    for _ in range(4):
        now += slow
        sizes.append(pace.next(now))
    assert sizes == [BATCH // 2, BATCH // 4, FIRST_BATCH, FIRST_BATCH]
    # in between: kept as it is
    assert pace.next(now + sending.RECHECK_AFTER * 0.4) == FIRST_BATCH
    # a rate limit's batch (ledger.batch_size) is never exceeded
    limited = sending._Pace(5)
    assert [limited.next(quick * i) for i in range(3)] == [5, 5, 5]


def test_a_slow_relays_rows_go_within_the_recheck_time_of_their_claim():
    # a connection that keeps its batch only when it went out within half RECHECK_AFTER
    # holds no row longer than that (but for a relay too slow for FIRST_BATCH rows)
    for per_second in (5.0, 40.0, 100.0, 400.0, 3000.0):
        pace, now, held = sending._Pace(BATCH), 0.0, []
        for _ in range(30):
            size = pace.next(now)
            now += size / per_second
            held.append(size / per_second)
        assert max(held[5:]) <= max(sending.RECHECK_AFTER / 2, FIRST_BATCH / per_second)
