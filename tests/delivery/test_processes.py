"""Several sender processes in one run (pressctl.delivery.processes): one run id, one
in-flight file, the queue split between them, and the exactly-once rules as for one
process: no row sent twice, a killed child leaves at most its connections' rows unknown,
a stop (SIGTERM) stops them all, children die with the parent, the report adds up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import home_of
from mailing import release_now
from smtp_fixtures import PipeliningHandler
from test_delivery_e2e import _book_of, _rows, write_config
from test_delivery_run import APPROVED, Clock, approve, book_with, received, states
from test_pipelined_delivery import SlowPipelining

from pressctl.book.session import Book
from pressctl.config import load_settings
from pressctl.delivery import inflight
from pressctl.delivery.ledger import DueQueue
from pressctl.delivery.processes import ChildDied, split_connections
from pressctl.delivery.run import (
    PROCESSES_ENV,
    journal_folder,
    run_outbox,
    sender_processes,
    transport_for,
)
from pressctl.errors import ConfigError
from pressctl.times import iso


def _over_smtp(book: Book, server, connections: int, **delivery) -> Book:
    """The book with [smtp] pointing at ``server``: the configured transports (a run
    given its own transports keeps one process)."""
    settings = replace(book.settings, smtp=server.settings(connections=connections))
    if delivery:
        settings = replace(settings, delivery=replace(settings.delivery, **delivery))
    return Book(book.store, settings, book.now)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the children a run forks, as the parent saw them."""
    pids: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            pids.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return pids


def _gone(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie not reaped yet has ended)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return True
    return fields[0] in ("Z", "X")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with open(task / "children") as handle:
            found += [int(p) for p in handle.read().split()]
    return found


def _wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- the rules, one by one --------------------------------------------------------------------


def test_connections_are_spread_over_the_processes_none_without_one():
    assert split_connections(4, 2) == [2, 2]
    assert split_connections(3, 2) == [2, 1]
    assert split_connections(2, 4) == [1, 1]
    assert split_connections(1, 2) == [1]


def test_two_processes_by_default_but_one_for_one_connection_a_rate_limit_or_when_asked(
        book, smtp_server):
    def count(book: Book, env: dict[str, str] | None = None) -> int:
        home = home_of(book)
        return sender_processes(book, transport_for(book.settings, home, {}), env or {})

    assert count(_over_smtp(book, smtp_server, 4)) == min(2, os.cpu_count() or 1)
    assert count(_over_smtp(book, smtp_server, 4), {PROCESSES_ENV: "1"}) == 1
    assert count(_over_smtp(book, smtp_server, 4), {PROCESSES_ENV: "3"}) == 3
    assert count(_over_smtp(book, smtp_server, 2), {PROCESSES_ENV: "8"}) == 2
    assert count(_over_smtp(book, smtp_server, 1), {PROCESSES_ENV: "2"}) == 1
    assert count(book, {PROCESSES_ENV: "2"}) == 1  # the Maildir: one connection
    limited = _over_smtp(book, smtp_server, 4, limits={1.0: 100})
    # The limiter lives in the process on SQLite; on PostgreSQL it is the database's.
    expected = 2 if book.store.dialect == "postgresql" else 1
    assert count(limited, {PROCESSES_ENV: "2"}) == expected


def test_the_delivery_processes_setting_chooses_and_the_environment_overrides_it(
        book, smtp_server):
    def count(book: Book, env: dict[str, str] | None = None) -> int:
        return sender_processes(book, transport_for(book.settings, home_of(book), {}),
                                env or {})

    assert count(_over_smtp(book, smtp_server, 4, processes=1)) == 1
    assert count(_over_smtp(book, smtp_server, 4, processes=3)) == 3
    assert count(_over_smtp(book, smtp_server, 2, processes=3)) == 2  # never more than connections
    assert count(_over_smtp(book, smtp_server, 4, processes=1), {PROCESSES_ENV: "2"}) == 2
    for wrong in ("two", "0", "17", "-1"):
        with pytest.raises(ConfigError, match=PROCESSES_ENV):
            count(_over_smtp(book, smtp_server, 4), {PROCESSES_ENV: wrong})


@pytest.mark.parametrize("written, expected", [('"auto"', None), ("1", 1), ("16", 16)])
def test_delivery_processes_is_read_from_config_toml(tmp_path, written, expected):
    config = tmp_path / "config.toml"
    config.write_text(f"[delivery]\nprocesses = {written}\n")
    assert load_settings(config).delivery.processes == expected


@pytest.mark.parametrize("written", ["0", "17", '"two"', "true", "2.0"])
def test_a_wrong_delivery_processes_is_refused_with_what_to_write(tmp_path, written):
    config = tmp_path / "config.toml"
    config.write_text(f"[delivery]\nprocesses = {written}\n")
    with pytest.raises(ConfigError, match="delivery.processes must be"):
        load_settings(config)


def test_a_claim_gets_only_the_rows_it_took_even_under_the_same_run_id(book, tmp_path):
    """The processes of one run claim under one run id: a claim must not hand one of them
    a row a sibling already holds (that row would go twice)."""
    mailout_id = approve(book_with(book, tmp_path, 12), tmp_path)
    ids = [row.id for row in book.store.mailouts.rows(mailout_id)][:10]
    now = iso(APPROVED)
    with book.store.transaction():
        first = book.store.runs.claim_rows(ids[:6], "run-1", now)
        second = book.store.runs.claim_rows(ids[3:], "run-1", now)
    assert [row.id for row in first] == ids[:6]
    assert [row.id for row in second] == ids[6:]


def test_each_process_takes_its_part_of_the_queue_first_then_the_rest(book, tmp_path):
    mailout_id = approve(book_with(book, tmp_path, 30), tmp_path)
    with book.store.transaction():
        due = book.store.mailouts.due(iso(APPROVED))
        queue = DueQueue(due)
        queue.split(1, 2)
        taken: list[int] = []
        while (found := queue.take(book.store, iso(APPROVED), 4, 1)) is not None:
            taken += found[1]
    ids = sorted(row.id for row in book.store.mailouts.rows(mailout_id)
                 if row.state == "queued")
    odd = [i for i in ids if i % 2 == 1]
    assert taken == odd + [i for i in ids if i % 2 == 0]  # each row offered once


# -- runs -----------------------------------------------------------------------------------


def test_two_processes_never_send_the_same_row_and_the_report_adds_up(
        book, tmp_path, smtp_server_factory, forks):
    server = smtp_server_factory(PipeliningHandler())
    mailout_id = approve(book_with(book, tmp_path, 400), tmp_path)
    heard: list[int] = []
    report = run_outbox(_over_smtp(book, server, 4), home=home_of(book),
                        env={PROCESSES_ENV: "2"}, now=Clock(APPROVED), progress=heard.append)
    assert len(forks) == 2 and all(_gone(pid) for pid in forks)
    counts, got = states(book, mailout_id), received(server)
    assert set(got.values()) == {1}, "sent twice"
    assert report.sent == counts["sent"] == len(got) == sum(heard) >= 400
    assert set(counts) == {"sent"}
    assert server.connections == 4
    assert report.ok and report.problem() is None
    assert inflight.leftovers(journal_folder(book.store, home_of(book))) == []
    line = (home_of(book) / "outbox.log").read_text().splitlines()[-1]
    assert f"run {report.run_id}: {report.sent} sent, 0 failed" in line  # one log line


def test_a_killed_child_leaves_at_most_its_connections_rows_unknown(
        book, tmp_path, smtp_server_factory, forks):
    server = smtp_server_factory(SlowPipelining())
    mailout_id = approve(book_with(book, tmp_path, 240), tmp_path)
    smtp_book = _over_smtp(book, server, 4)

    def kill_one() -> None:
        _wait_for(lambda: len(server.messages) >= 30 and len(forks) == 2)
        os.kill(forks[0], signal.SIGKILL)

    killer = threading.Thread(target=kill_one, daemon=True)
    killer.start()
    with pytest.raises(ChildDied, match="killed by signal 9"):
        run_outbox(smtp_book, home=home_of(book), env={PROCESSES_ENV: "2"},
                   now=Clock(APPROVED))
    killer.join(timeout=5)
    after_kill = states(book, mailout_id)
    assert "sending" not in after_kill  # settled by the parent from the in-flight file
    assert after_kill["unknown"] <= 2  # the killed child had 2 connections
    assert "sender process" in (home_of(book) / "outbox.log").read_text()
    # the next run delivers the rest, and never one of the unknown rows again
    report = run_outbox(smtp_book, home=home_of(book), env={PROCESSES_ENV: "2"},
                        now=Clock(APPROVED))
    final, got = states(book, mailout_id), received(server)
    assert set(final) <= {"sent", "unknown"}
    assert final["unknown"] == after_kill["unknown"]
    assert all(count == 1 for count in got.values()), "sent twice"
    assert report.sent == final["sent"] - after_kill["sent"]


# -- the command: signals -------------------------------------------------------------------


def _command_run(cli, home, tmp_path, server, count: int, console_script):
    _book_of(cli, tmp_path, count)
    write_config(home, server, connections=4)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    env = dict(os.environ, PRESSCTL_HOME=str(home), **{PROCESSES_ENV: "2"})
    run = subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(server.messages) >= 20)
    children = _children(run.pid)
    assert len(children) == 2
    return mailout, env, run, children


def _rerun_until_done(cli, console_script, env, mailout) -> Counter:
    for _ in range(3):
        subprocess.run([str(console_script), "outbox", "run"], env=env, check=False,
                       capture_output=True, timeout=120)
        rows = _rows(cli, mailout["id"])
        if not any(r["state"] in ("queued", "sending") for r in rows):
            break
    return Counter(r["state"] for r in rows)


@pytest.mark.subprocess
def test_sigterm_stops_every_process_and_nothing_is_left_half_sent(
        cli, home, tmp_path, smtp_server_factory, console_script):
    server = smtp_server_factory(SlowPipelining())
    mailout, env, run, children = _command_run(cli, home, tmp_path, server, 300,
                                               console_script)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143, err
    assert all(_gone(pid) for pid in children)
    stopped = Counter(r["state"] for r in _rows(cli, mailout["id"]))
    assert set(stopped) == {"sent", "queued"}, stopped  # no unknown, nothing 'sending'
    final = _rerun_until_done(cli, console_script, env, mailout)
    got = received(server)
    assert set(final) == {"sent"} and set(got.values()) == {1}


@pytest.mark.subprocess
def test_children_die_with_a_killed_parent_and_the_next_run_settles_their_rows(
        cli, home, tmp_path, smtp_server_factory, console_script):
    server = smtp_server_factory(SlowPipelining())
    mailout, env, run, children = _command_run(cli, home, tmp_path, server, 300,
                                               console_script)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    _wait_for(lambda: all(_gone(pid) for pid in children), seconds=5)
    final = _rerun_until_done(cli, console_script, env, mailout)
    got = received(server)
    assert set(final) <= {"sent", "unknown"} and final["unknown"] <= 4  # one per connection
    assert all(count == 1 for count in got.values()), "sent twice"
