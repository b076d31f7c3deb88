#!/usr/bin/env python3
"""Crash statistics of `pressctl outbox run`: SIGKILL at random points of a mailout's
delivery, rerun until done, and count what the relay received against what the book says.

    python bench/bench_crash.py [--kills 200] [--messages 500] [--connections 4] [--seed 1]

The relay is aiosmtpd on 127.0.0.1 recording each message when its final dot arrives,
before its 250 (tests/smtp_fixtures.py). Reported: rows lost (never ended), sent twice,
"unknown" rows that never reached the relay (the only way the in-flight mark can be
wrong: a kill between the mark and the final dot), and the most unknown rows one kill
left (the target: at most one per connection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from _proc import console_script, machine
from mailing import release_now, unanswered_rows
from smtp_fixtures import SmtpServer

REPO = Path(__file__).resolve().parent.parent


def pressctl(script: str, home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([script, "-q", "--home", str(home), *args], check=True,
                          capture_output=True, text=True)


def prepare(folder: Path, script: str, messages: int, port: int, connections: int,
            rate: str) -> Path:
    home = folder / "home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "plain"\n'
        f'connections = {connections}\n[delivery]\nrate = "{rate}"\n')
    pressctl(script, home, "init")
    pressctl(script, home, "orgs", "import", str(REPO / "contacts" / "organizations.json"))
    pressctl(script, home, "contacts", "import", str(REPO / "contacts" / "contacts.csv"))
    people = folder / "people.csv"
    people.write_text("Name,Email,Tags\n" + "".join(
        f"Journalist {i:05d},j{i:05d}@example.org,bulk\n" for i in range(messages)))
    pressctl(script, home, "contacts", "import", str(people))
    release = release_now(folder, "tag:bulk")
    pressctl(script, home, "mailout", "create", str(release), "--yes")
    return home


def left_in_flight(home: Path) -> int:
    """Rows the killed run left transmitted without a reply."""
    _, sending, unanswered = unanswered_rows(home)
    return sum(1 for row in sending if unanswered and row in unanswered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rate", default="100/s", help="stretches delivery so kills land")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    script = str(console_script())
    chance = random.Random(args.seed)
    server = SmtpServer().start()
    print(f"machine: {machine()}")
    kills = worst = rounds = 0
    lost = twice = false_unknown = unknown = 0
    try:
        while kills < args.kills:
            rounds += 1
            server.handler.messages.clear()
            with tempfile.TemporaryDirectory(prefix="pressctl-crash-") as tmp:
                home = prepare(Path(tmp), script, args.messages, server.port,
                               args.connections, args.rate)
                env = dict(os.environ, PRESSCTL_HOME=str(home))
                while kills < args.kills:
                    run = subprocess.Popen([script, "outbox", "run"], env=env,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    time.sleep(chance.uniform(0.3, 1.0))
                    if run.poll() is not None:
                        break
                    run.send_signal(signal.SIGKILL)
                    run.wait()
                    kills += 1
                    worst = max(worst, left_in_flight(home))
                for _ in range(5):
                    subprocess.run([script, "outbox", "run"], env=env, check=False,
                                   capture_output=True)
                rows = json.loads(pressctl(script, home, "mailout", "show", "1",
                                           "--json").stdout)["rows"]
                got = Counter(m.rcpt_tos[0] for m in server.messages)
                lost += sum(1 for r in rows if r["state"] not in ("sent", "unknown"))
                twice += sum(1 for count in got.values() if count > 1)
                unknown += sum(1 for r in rows if r["state"] == "unknown")
                false_unknown += sum(1 for r in rows
                                     if r["state"] == "unknown" and not got[r["address"]])
    finally:
        server.stop()
    print(f"{kills} SIGKILLs over {rounds} mailout(s) of {args.messages} messages, "
          f"{args.connections} connections, rate {args.rate}")
    print(f"lost {lost}, sent twice {twice}, unknown {unknown} "
          f"(of which never reached the relay: {false_unknown}), "
          f"most unknown left by one kill: {worst} (target <= {args.connections})")


if __name__ == "__main__":
    main()
