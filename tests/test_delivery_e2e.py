"""Delivery end to end, as cron runs it: `mailout create` then `outbox run` against a real
SMTP server (aiosmtpd on loopback) with STARTTLS and AUTH, faults, a run killed with
SIGKILL at random points, and several runs started together. What the SERVER received is
compared with what pressctl reports."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, SAMPLES
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


def release_now(tmp_path: Path, audience: str = "tag:space") -> Path:
    """The example release, without embargo or event, for an audience."""
    text = (REPO / "examples" / "PR106-2020.en.md").read_text(encoding="utf-8")
    text = text.replace('embargo = "2020-09-22 11:30 Europe/Paris"\n', "")
    text = text.replace('translations = { fr = "PR106-2020.fr.md" }\n', "")
    text = text.replace('audience = "tag:space or tag:health or tag:radiology"',
                        f'audience = "{audience}"')
    text = text.split("\n[event]")[0] + "\n+++" + text.split("+++", 2)[2]
    path = tmp_path / "release.en.md"
    path.write_text(text, encoding="utf-8")
    return path


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


@pytest.mark.subprocess
def test_sigkill_at_random_points_loses_nothing_and_sends_nothing_twice(
        cli, home, smtp_server, tmp_path, console_script):
    _book_of(cli, tmp_path, 400)
    write_config(home, smtp_server)
    # A rate limit stretches delivery over about three seconds, so that kills land mid-way.
    (home / "config.toml").write_text((home / "config.toml").read_text()
                                      + '[delivery]\nrate = "100/s"\n')
    [mailout] = json.loads(cli("mailout", "create", release_now(tmp_path, "tag:bulk"),
                               "--yes", "--json").stdout)
    env = dict(os.environ, PRESSCTL_HOME=str(home))
    chance = random.Random(20260922)
    kills = 0
    for _ in range(6):
        run = subprocess.Popen([str(console_script), "outbox", "run"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.4, 0.9))
        if run.poll() is None:
            run.send_signal(signal.SIGKILL)
            kills += 1
        run.wait(timeout=60)
    final = subprocess.run([str(console_script), "outbox", "run"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert final.returncode in (0, 5), final.stderr
    rows = _rows(cli, mailout["id"])
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    states = Counter(r["state"] for r in rows)
    assert kills > 0, "no run was killed: make the batch bigger"
    assert set(states) <= {"sent", "unknown"}  # every row ended, none lost in 'sending'
    for row in rows:
        if row["state"] == "sent":
            assert received[row["address"]] == 1, row
        else:
            assert received[row["address"]] <= 1, row  # unknown: at most once
    assert sum(received.values()) == len(smtp_server.messages)
    assert all(count == 1 for count in received.values())  # nothing twice
    # The runs that found rows left in flight reported them (exit 5, and the log).
    import re

    log = (home / "outbox.log").read_text(encoding="utf-8")
    reported = sum(int(n) for n in re.findall(r": (\d+) unknown: rows an interrupted", log))
    reported += sum(int(n) for n in re.findall(r", (\d+) unknown", log))
    assert reported == states["unknown"]


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
        subprocess.run([str(console_script), "outbox", "run"], env=env, timeout=120)
    assert set(codes) == {0}
    received = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert len(received) == mailout["recipients"] and set(received.values()) == {1}
    assert {r["state"] for r in _rows(cli, mailout["id"])} == {"sent"}
