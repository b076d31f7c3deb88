"""Several `outbox run` workers on one PostgreSQL outbox (issue 9): three console-script
workers with three homes on one database, delivering to an aiosmtpd server that notes
when each message arrived. Each rule of the issue is a test named after it. These run on
PostgreSQL only: on SQLite one run per database holds the outbox
(tests/delivery/test_delivery_run.py pins that)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import home_store
from mailing import release_now
from smtp_fixtures import RecordingHandler
from test_delivery_e2e import _book_of, _rows, write_config

ON_POSTGRES = pytest.mark.parametrize("home", ["postgresql"], indirect=True)


class TimedHandler(RecordingHandler):
    """Notes when each message's DATA was accepted (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.times.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)


def _workers(cli, home: Path, tmp_path: Path, server, count: int = 3, **config) -> list[Path]:
    database = os.environ["PRESSCTL_DB"]
    homes = []
    for number in range(count):
        other = tmp_path / f"worker-{number}"
        assert cli("--home", other, "--db", database, "init").exit_code == 0
        write_config(other, server, connections=2)
        if config:
            (other / "config.toml").write_text(
                (other / "config.toml").read_text() + "[delivery]\n" + "".join(
                    f"{key} = {json.dumps(value)}\n" for key, value in config.items()))
        homes.append(other)
    return homes


def _start(console_script: Path, homes: list[Path]) -> list[subprocess.Popen]:
    return [subprocess.Popen([str(console_script), "--home", str(other), "outbox", "run"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for other in homes]


def _mailout(cli, tmp_path: Path, count: int) -> dict:
    _book_of(cli, tmp_path, count)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    assert mailout["recipients"] == count
    return mailout


@pytest.mark.subprocess
@ON_POSTGRES
def test_three_workers_deliver_each_message_exactly_once(
        cli, home, smtp_server_factory, tmp_path, console_script):
    server = smtp_server_factory(TimedHandler())
    mailout = _mailout(cli, tmp_path, 1000)
    homes = _workers(cli, home, tmp_path, server)
    runs = _start(console_script, homes)
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0], \
        [run.stderr.read() for run in runs if run.stderr]
    received = Counter(m.rcpt_tos[0] for m in server.messages)
    assert len(received) == 1000 and set(received.values()) == {1}
    assert {r["state"] for r in _rows(cli, mailout["id"])} == {"sent"}
    logs = [(other / "outbox.log").read_text() for other in homes]
    assert sum(int(log.split(" sent")[0].rsplit(" ", 1)[-1]) for log in logs) == 1000
    assert all(" 0 sent" not in log for log in logs)  # all three did their share


@pytest.mark.subprocess
@ON_POSTGRES
def test_a_killed_worker_loses_nothing_and_unknown_means_transmitted(
        cli, home, smtp_server_factory, tmp_path, console_script):
    """SIGKILL one of three workers mid-run: the two others take its rows over during
    their own run (no other run needed): 0 lost, 0 duplicated, and unknown only for the
    rows it marked as transmitted (its in-flight file is in another home: the database's
    marks are the evidence)."""
    server = smtp_server_factory(TimedHandler())
    mailout = _mailout(cli, tmp_path, 1000)
    homes = _workers(cli, home, tmp_path, server, rate="200/s")
    runs = _start(console_script, homes)
    time.sleep(2.0)
    runs[0].send_signal(signal.SIGKILL)
    runs[0].wait(timeout=30)
    with home_store(home) as store:  # what the killed worker left, before anyone recovers it
        marked = {r[0]: r[1] for r in store.db.execute(
            "SELECT address, transmitting_at IS NOT NULL FROM mailout_rows r "
            "JOIN outbox_lease l ON l.name = 'run:' || r.claimed_by "
            "WHERE r.state = 'sending' AND l.pid = ?", (runs[0].pid,))}
    assert marked, "the worker was killed after its last claim: nothing to recover"
    assert all(run.poll() is None for run in runs[1:]), "the others finished first"
    codes = [run.wait(timeout=120) for run in runs[1:]]
    rows = {r["address"]: r for r in _rows(cli, mailout["id"])}
    received = Counter(m.rcpt_tos[0] for m in server.messages)
    assert set(received.values()) == {1}  # 0 duplicated
    unknown = {a for a, r in rows.items() if r["state"] == "unknown"}
    assert {a for a, r in rows.items() if r["state"] == "sent"} | unknown == set(rows)
    assert set(received) == {a for a, r in rows.items() if r["state"] == "sent"} | (
        unknown & set(received))  # 0 lost: every row arrived, or is unknown
    assert unknown == {a for a, transmitting in marked.items() if transmitting}
    assert len(unknown) <= 2  # at most one per connection of the killed worker
    assert not [a for a, on in marked.items() if not on and a not in received]  # re-queued
    logs = "".join((other / "outbox.log").read_text() for other in homes[1:])
    assert f"+{len(unknown)} left unknown" in logs, logs
    assert sorted(codes) == ([0, 5] if unknown else [0, 0])  # 5: rows left unknown


@pytest.mark.subprocess
@ON_POSTGRES
def test_the_rate_limit_holds_across_all_workers_together(
        cli, home, smtp_server_factory, tmp_path, console_script):
    server = smtp_server_factory(TimedHandler())
    _mailout(cli, tmp_path, 400)
    homes = _workers(cli, home, tmp_path, server, rate="50/s")
    runs = _start(console_script, homes)
    assert [run.wait(timeout=120) for run in runs] == [0, 0, 0]
    times = sorted(server.handler.times)
    assert len(times) == 400
    busiest = max(sum(1 for t in times[i:i + 60] if t - start < 1.0)
                  for i, start in enumerate(times))
    assert busiest <= 50  # the server never saw more than 50 in any 1-second window
    achieved = (len(times) - 1) / (times[-1] - times[0])
    # The limit is the bottleneck, so the workers together run close to it: a limiter that
    # wastes its budget shows far lower. 10 % slack, not 2 %: a loaded machine (seen: 48.97/s
    # with other jobs on both cores) is not a defect; bench/bench_workers.py measures it.
    assert achieved >= 50 * 0.90, achieved
