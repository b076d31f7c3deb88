"""Delivery over a relay that offers PIPELINING: each connection's next message made while
the final dot of the one before goes out, its envelope sent with that dot, messages in
their spliced wire form. The exactly-once rules hold as without it: a kill between a send
and its settlement leaves 'unknown' (never re-sent), never a lost or doubled message."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import time
from collections import Counter

import pytest
from mailing import release_now, unanswered_rows
from smtp_fixtures import PipeliningHandler
from test_delivery_e2e import _book_of, _rows, write_config
from test_delivery_run import APPROVED, Clock, approve, book_with, home_of, received, states

from pressctl.delivery.frozen import thaw
from pressctl.delivery.run import Transports, run_outbox
from pressctl.delivery.transport import SmtpTransport
from pressctl.releases.messages import MessageFactory


class CountingTransport(SmtpTransport):
    """SmtpTransport counting the envelopes it sent behind a final dot."""

    ahead = 0

    def _next_envelope(self, conn, following):
        found = super()._next_envelope(conn, following)
        CountingTransport.ahead += found is not None
        return found


class SlowPipelining(PipeliningHandler):
    """A pipelining relay slow to answer the final dot: kills land mid-run. A message is
    recorded when its dot arrives, before the wait (a kill of the client cancels it)."""

    async def handle_DATA(self, server, session, envelope) -> str:
        reply = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.03)
        return reply


def test_a_run_sends_every_message_once_most_behind_the_previous_final_dot(
        book, tmp_path, pipelining_server):
    mailout_id = approve(book_with(book, tmp_path, 120), tmp_path)
    CountingTransport.ahead = 0
    transports = Transports(lambda: CountingTransport(pipelining_server.settings(), {}), 4,
                            "test relay")
    report = run_outbox(book, home=home_of(book), env={}, transports=transports,
                        now=Clock(APPROVED))
    counts = states(book, mailout_id)
    assert report.sent == counts["sent"] == len(received(pipelining_server)) >= 120
    assert set(received(pipelining_server).values()) == {1}
    assert pipelining_server.connections == 4
    # Only each connection's first message goes the usual way (and one after a batch
    # claimed too late, now and then): the next rows are claimed while the relay works.
    assert CountingTransport.ahead >= report.sent - 2 * 4


def test_what_the_relay_gets_is_the_message_built_the_slow_way(book, tmp_path,
                                                               pipelining_server):
    mailout_id = approve(book_with(book, tmp_path, 12), tmp_path)
    run_outbox(book, home=home_of(book), env={}, now=Clock(APPROVED),
               transports=Transports(lambda: SmtpTransport(pipelining_server.settings(), {}),
                                     2, "test relay"))
    record = book.store.mailouts.get(mailout_id)
    factories = [MessageFactory(*thaw(blob), domain=record.domain)
                 for blob in book.store.mailouts.variants(mailout_id)]
    got = {m.rcpt_tos[0]: m.data for m in pipelining_server.messages}
    rows = book.store.mailouts.rows(mailout_id)
    assert rows and len(got) == len(rows)
    for row in rows:
        expected = factories[row.variant].build(
            name=row.name, address=row.address, salutation=row.salutation,
            now=APPROVED, message_id=row.message_id, unsubscribe_token=row.token)
        assert got[row.address] == expected


def test_with_a_rate_limit_no_envelope_goes_ahead(book, tmp_path, pipelining_server):
    from test_delivery_run import with_delivery

    book = with_delivery(book_with(book, tmp_path, 6), limits={1.0: 1000})
    approve(book, tmp_path)
    CountingTransport.ahead = 0
    report = run_outbox(book, home=home_of(book), env={}, now=Clock(APPROVED),
                        transports=Transports(
                            lambda: CountingTransport(pipelining_server.settings(), {}), 2,
                            "test relay"))
    assert report.sent >= 6 and CountingTransport.ahead == 0


@pytest.mark.subprocess
def test_sigkill_mid_pipeline_loses_nothing_and_unknown_means_transmitted(
        cli, home, tmp_path, smtp_server_factory, console_script):
    """Kills at random points of a run without a rate limit (every envelope behind a final
    dot), rerun until done: 0 lost, 0 duplicated, unknown rows all reached the relay, at
    most one per connection per kill."""
    connections = 4
    server = smtp_server_factory(SlowPipelining())
    _book_of(cli, tmp_path, 600)
    write_config(home, server, connections=connections)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    chance = random.Random(20261202)
    kills, in_flight_at_kills = 0, set()
    while kills < 8:
        run = subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.4, 0.9))
        if run.poll() is not None:
            break
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        kills += 1
        _, sending, marks = unanswered_rows(home)
        if marks is None:
            assert not sending
            continue
        flying = [row for row in sending if row in marks]
        assert len(flying) <= connections
        in_flight_at_kills |= set(flying)  # a run killed starting up sees them again
    for _ in range(5):
        final = subprocess.run([str(console_script), "outbox", "run"], check=False, env=env,
                               capture_output=True, text=True, timeout=120)
        if not any(r["state"] in ("queued", "sending") for r in _rows(cli, mailout["id"])):
            break
    assert final.returncode in (0, 5), final.stderr
    assert kills >= 3, "the runs finished before they could be killed: slow the relay"
    rows = _rows(cli, mailout["id"])
    got = Counter(m.rcpt_tos[0] for m in server.messages)
    states_now = Counter(r["state"] for r in rows)
    assert set(states_now) <= {"sent", "unknown"}, states_now  # nothing lost
    assert all(count == 1 for count in got.values()), "sent twice"
    assert all(got[r["address"]] == 1 for r in rows if r["state"] == "sent")
    missed = [r for r in rows if r["state"] == "unknown" and not got[r["address"]]]
    # the mark is the last store before the dot (test_last_mark.py). Should this fail, the
    # message says which path made the row unknown: a crash's recovery or a live run's
    # "no reply" (its reply text), and whether a killed run's file showed it in flight.
    assert missed == [], [(r["id"], r["address"], r["reply"], r["id"] in in_flight_at_kills)
                          for r in missed]
    assert states_now["unknown"] == len(in_flight_at_kills) <= connections * kills


def test_a_database_failure_while_the_relay_works_loses_no_reply(book, tmp_path,
                                                                  pipelining_server,
                                                                  monkeypatch):
    """Results are recorded, and rows claimed, while a final dot's reply is on its way; a
    failure there stops the run only once that reply is recorded: every message the relay
    got is 'sent', none is 'unknown' or queued to go twice."""
    from pressctl.delivery.ledger import Ledger
    from pressctl.errors import StorageError, StorageKind

    mailout_id = approve(book_with(book, tmp_path, 80), tmp_path)
    real = Ledger.record_and_claim
    calls = {"n": 0}

    def failing_once(self, done, *, claim=True, count=None):
        calls["n"] += 1
        if calls["n"] == 4:
            raise StorageError("the disk is full", kind=StorageKind.FULL, cause="test")
        return real(self, done, claim=claim, count=count)

    monkeypatch.setattr(Ledger, "record_and_claim", failing_once)
    with pytest.raises(StorageError):
        run_outbox(book, home=home_of(book), env={}, now=Clock(APPROVED),
                   transports=Transports(lambda: SmtpTransport(pipelining_server.settings(), {}),
                                         1, "test relay"))
    got = received(pipelining_server)
    rows = book.store.mailouts.rows(mailout_id)
    assert got and set(got.values()) == {1}
    assert {row.state for row in rows if row.address in got} == {"sent"}
    assert {row.state for row in rows if row.address not in got} <= {"queued"}
    assert calls["n"] > 4
