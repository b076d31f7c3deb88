"""Delivery end to end, as cron runs it: `mailout create` then `outbox run` against a real
SMTP server (aiosmtpd on loopback) with STARTTLS and AUTH, faults, a run killed with
SIGKILL at random points, and several runs started together. What the SERVER received is
compared with what pressctl reports."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLES
from mailing import release_now, unanswered_rows
from smtp_fixtures import AUTH_PASSWORD, AUTH_USER


def write_config(home: Path, server, **extra) -> None:
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {server.port}",
             f'security = "{server.security}"']
    if server.ca_file:
        lines.append(f'ca_file = "{server.ca_file}"')
    for key, value in extra.items():
        lines.append(f"{key} = {json.dumps(value)}")
    (home / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def journalists(tmp_path: Path, count: int, tag: str = "bulk", prefix: str = "j") -> Path:
    rows = [f"Journalist {i:04d},{prefix}{i:04d}@example.org,{tag}" for i in range(count)]
    path = tmp_path / f"{prefix}.csv"
    path.write_text("Name,Email,Tags\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_cron_delivers_once_over_starttls_with_auth(sample_book, home, auth_server, tmp_path):
    cli = sample_book
    write_config(home, auth_server, username=AUTH_USER, password_env="SMTP_PASSWORD")
    created = cli("mailout", "create", release_now(tmp_path), "--yes", "--json")
    assert created.exit_code == 0, created.stderr
    [mailout] = json.loads(created.stdout)
    missing = cli("outbox", "run")  # no password in the environment: exit 4, one line
    assert missing.exit_code == 4 and "SMTP_PASSWORD" in missing.stderr
    ran = cli("outbox", "run", env={"SMTP_PASSWORD": AUTH_PASSWORD})
    assert ran.exit_code == 0, ran.stderr
    assert ran.stdout == "" and ran.stderr == ""  # silent for cron
    received = Counter(m.rcpt_tos[0] for m in auth_server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}
    assert all(m.tls and m.login == AUTH_USER for m in auth_server.messages)
    shown = json.loads(cli("mailout", "show", str(mailout["id"]), "--json").stdout)
    assert {r["state"] for r in shown["rows"]} == {"sent"} and shown["state"] == "done"
    assert cli("outbox", "run", env={"SMTP_PASSWORD": AUTH_PASSWORD}).exit_code == 0
    assert len(auth_server.messages) == mailout["recipients"]  # never twice
    log = (home / "outbox.log").read_text(encoding="utf-8")
    assert f"{mailout['recipients']} sent" in log and AUTH_PASSWORD not in log


def test_faults_are_recorded_with_the_servers_reply(sample_book, home, faulty_server, tmp_path):
    cli = sample_book
    for address in ("tempfail.ann@example.org", "reject.bob@example.org",
                    "drop.carl@example.org"):
        assert cli("contacts", "add", address.split("@")[0], "--email", address,
                   "--tag", "faults").exit_code == 0
    write_config(home, faulty_server)
    (home / "config.toml").write_text((home / "config.toml").read_text()
                                      + "[delivery]\nmax_attempts = 3\n")
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:faults"),
                               "--yes", "--json").stdout)
    ran = cli("outbox", "run")
    assert ran.exit_code == 5 and "failures" in ran.stderr and ran.stdout == ""
    rows = {r["address"]: r for r in json.loads(
        cli("mailout", "show", str(mailout["id"]), "--json").stdout)["rows"]}
    assert rows["reject.bob@example.org"]["state"] == "failed"
    assert rows["reject.bob@example.org"]["reply"].startswith("550")
    assert rows["tempfail.ann@example.org"]["state"] == "queued"
    assert rows["tempfail.ann@example.org"]["reply"].startswith("451")
    assert rows["drop.carl@example.org"]["state"] == "unknown"
    dropped = [m.rcpt_tos[0] for m in faulty_server.handler.dropped]
    assert dropped == ["drop.carl@example.org"]  # it arrived, no reply: unknown, not resent
    assert cli("outbox", "run").exit_code in (0, 5)
    assert [m.rcpt_tos[0] for m in faulty_server.handler.dropped] == dropped
    shown = cli("mailout", "show", str(mailout["id"]))
    assert "--include-unknown" in shown.stderr


def _book_of(cli, tmp_path, count: int) -> None:
    cli("orgs", "import", SAMPLES / "organizations.json")
    cli("contacts", "import", SAMPLES / "contacts.csv")
    assert cli("contacts", "import", journalists(tmp_path, count)).exit_code == 0


def _rows(cli, mailout_id: int) -> list[dict]:
    return json.loads(cli("mailout", "show", str(mailout_id), "--json").stdout)["rows"]


# On PostgreSQL too: there a worker also marks the row in the database before its final
# dot, and a kill during that round trip leaves a row marked that never reached the relay;
# the next run of the same home settles it from the in-flight file, which is exact
# (pressctl.delivery.recovery), so the count of unknown rows is the same on both.
@pytest.mark.subprocess
def test_sigkill_at_20_random_points_loses_nothing_and_unknown_means_transmitted(
        cli, home, smtp_server, tmp_path, console_script):
    """The issue's target: SIGKILL at 20 random points of a 500-message run with 4
    connections, rerun until done: 0 lost, 0 duplicated, 0 unknown rows that never
    reached the server, at most one unknown per connection per kill."""
    connections = 4
    _book_of(cli, tmp_path, 500)
    write_config(home, smtp_server, connections=connections)
    # A rate limit stretches delivery over several seconds, so that kills land mid-way.
    (home / "config.toml").write_text((home / "config.toml").read_text()
                                      + '[delivery]\nrate = "60/s"\n')
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    assert mailout["recipients"] == 500
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    chance = random.Random(20260922)
    kills, mid_run, in_flight_at_kills = 0, 0, 0
    while kills < 20:
        run = subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3, 0.8))
        if run.poll() is not None:
            break  # the run finished first: everything is delivered
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=60)
        kills += 1
        _, sending, marks = unanswered_rows(home)
        if marks is None:  # killed while starting: no row is claimed before the file exists
            assert not sending, "rows claimed before the run's in-flight file existed"
            continue
        mid_run += 1
        flying = [row for row in sending if row in marks]
        assert len(flying) <= connections  # at most one unknown per connection per kill
        in_flight_at_kills += len(flying)
    for _ in range(5):  # rerun until done
        final = subprocess.run([str(console_script), "outbox", "run"], check=False, env=env,
                               capture_output=True, text=True, timeout=120)
        if not any(r["state"] in ("queued", "sending") for r in _rows(cli, mailout["id"])):
            break
    assert final.returncode in (0, 5), final.stderr
    rows = _rows(cli, mailout["id"])
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    states = Counter(r["state"] for r in rows)
    assert kills == 20, f"only {kills} kills before the run finished: slow it down"
    assert mid_run >= 15, f"only {mid_run} of the kills landed while sending"
    assert set(states) <= {"sent", "unknown"}, states  # 0 lost: every row ended
    assert all(count == 1 for count in received.values()), "sent twice"  # 0 duplicated
    assert all(received[r["address"]] == 1 for r in rows if r["state"] == "sent")
    # Unknown rows reached the server: the in-flight mark is the last store before the
    # final dot's write, with no Python code between them and a write that keeps the
    # interpreter's lock, so no other thread can hold the interpreter there
    # (tests/delivery/test_last_mark.py). Before, a kill in that gap left one unknown row
    # the relay never had, about once in eight runs on PostgreSQL, where connection
    # threads wait on the database more (and, while sendall wrote the dot, once in the
    # last six CI runs).
    missed = [r for r in rows if r["state"] == "unknown" and not received[r["address"]]]
    assert missed == [], [(r["id"], r["address"], r["reply"]) for r in missed]  # which path
    assert states["unknown"] == in_flight_at_kills <= connections * kills
    # The runs that found rows left in flight reported them (exit 5, and the log).
    log = (home / "outbox.log").read_text(encoding="utf-8")
    reported = sum(int(n) for n in re.findall(r": (\d+) unknown: rows an interrupted", log))
    assert reported == states["unknown"]


def _slow_relay_run(cli, home, tmp_path, smtp_server_factory, console_script, signum):
    from smtp_fixtures import SlowHandler

    server = smtp_server_factory(SlowHandler(mail_delay=0.0, data_delay=2.0))
    _book_of(cli, tmp_path, 30)
    write_config(home, server, connections=2)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    run = subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not server.messages:
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.01)
    asked = time.monotonic()
    run.send_signal(signum)
    out, err = run.communicate(timeout=30)
    return server, mailout, run.returncode, time.monotonic() - asked, out, err


@pytest.mark.subprocess
@pytest.mark.parametrize(("signum", "name", "code"), [(signal.SIGINT, "SIGINT", 130),
                                                      (signal.SIGTERM, "SIGTERM", 143)])
def test_ctrl_c_and_sigterm_stop_a_run_within_two_seconds_and_one_reply(
        cli, home, tmp_path, smtp_server_factory, console_script, signum, name, code):
    server, mailout, returncode, took, out, err = _slow_relay_run(
        cli, home, tmp_path, smtp_server_factory, console_script, signum)
    assert returncode == code, err
    assert took < 2.0 + 2.0 + 0.5  # the relay answers the final dot in 2 s
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"Error: stopped by {name} after ")
    assert "wait for the next run (none was left half-sent)" in err
    rows = _rows(cli, mailout["id"])
    states = Counter(r["state"] for r in rows)
    assert set(states) <= {"sent", "queued"}, states  # nothing 'sending', nothing unknown
    assert states["sent"] == len(server.messages)
    assert f"stopped by {name}" in (home / "outbox.log").read_text(encoding="utf-8")
    server.handler.data_delay = 0.0
    assert cli("outbox", "run").exit_code == 0
    received = Counter(m.rcpt_tos[0] for m in server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}


@pytest.mark.subprocess
def test_a_relay_that_is_down_is_one_line_exit_5_and_costs_no_attempt(
        cli, home, smtp_server, tmp_path, console_script):
    _book_of(cli, tmp_path, 12)
    write_config(home, smtp_server, connections=2)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    smtp_server.stop()
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    for _ in range(3):  # cron runs every minute during the outage
        down = subprocess.run([str(console_script), "outbox", "run"], check=False, env=env,
                              capture_output=True, text=True, timeout=60)
        assert down.returncode == 5 and down.stdout == ""
        assert down.stderr == (f"Error: cannot reach 127.0.0.1:{smtp_server.port} "
                               f"(connection refused); {mailout['recipients']} messages wait "
                               "for the next run\n")
    assert {r["attempts"] for r in _rows(cli, mailout["id"])} == {0}
    smtp_server.start()
    up = subprocess.run([str(console_script), "outbox", "run"], check=False, env=env,
                        capture_output=True, text=True, timeout=60)
    assert up.returncode == 0, up.stderr
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}


@pytest.mark.subprocess
def test_homes_sharing_one_database_never_mark_each_others_rows_unknown(
        cli, home, smtp_server, tmp_path, console_script):
    # Finding 6: with 10 homes on one database, 240 of 500 delivered rows became unknown.
    _book_of(cli, tmp_path, 300)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    database = os.environ.get("PRESSCTL_DB") or home / "pressctl.db"  # the file, or the server's
    homes = []
    for number in range(6):
        other = tmp_path / f"office-{number}"
        assert cli("--home", other, "--db", database, "init").exit_code == 0
        write_config(other, smtp_server, connections=2)
        homes.append(other)
    for _ in range(3):
        runs = [subprocess.Popen([str(console_script), "--home", str(other), "--db",
                                  str(database), "outbox", "run"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                for other in homes]
        assert [run.wait(timeout=120) for run in runs] == [0] * len(homes)
    rows = _rows(cli, mailout["id"])
    assert {r["state"] for r in rows} == {"sent"}  # none unknown
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}


@pytest.mark.subprocess
def test_overlapping_runs_send_each_message_once(cli, home, smtp_server, tmp_path,
                                                 console_script):
    _book_of(cli, tmp_path, 200)
    write_config(home, smtp_server)
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    runs = [subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(4)]
    codes = [run.wait(timeout=120) for run in runs]
    # A run that found the outbox busy exits 0 at once; the others may continue the work.
    for _ in range(3):
        subprocess.run([str(console_script), "outbox", "run"], check=False, env=env,
                       timeout=120)
    assert set(codes) == {0}
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}
    assert {r["state"] for r in _rows(cli, mailout["id"])} == {"sent"}
