#!/usr/bin/env python3
"""Delivery by several `outbox run` workers sharing one PostgreSQL outbox, against one run
on SQLite and Postfix's smtp-source, all to the same smtp-sink, in one run.

For each case a fresh book holds N synthetic journalists and one approved mailout (the
example release, ~12 KB messages); the workers are started together, each from a home of
its own with `connections` SMTP connections, and the wall time until the last one exits
gives messages/s. smtp-source sends the same number of messages of the same size on 4
connections to the same sink.

    python bench/bench_workers.py [--messages 10000] [--connections 4] [--workers 1,2,4]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_smtp  # noqa: E402
from _proc import console_script, machine, postgres_server  # noqa: E402


def _deliver(script: Path, folder: Path, port: int, messages: int, connections: int,
             workers: int, database: str | None) -> float:
    """messages/s of ``workers`` runs started together on one fresh book."""
    folder.mkdir()
    if database:
        os.environ["PRESSCTL_DB"] = database  # bench_smtp's commands inherit it
    else:
        os.environ.pop("PRESSCTL_DB", None)
    home, release = bench_smtp.make_home(folder, str(script), messages, port, connections)
    bench_smtp.create(str(script), home, release, messages)
    homes = [home]
    for number in range(1, workers):
        other = folder / f"{home.name}-worker{number}"
        other.mkdir()
        shutil.copy(home / "config.toml", other / "config.toml")
        subprocess.run([str(script), "--home", str(other), "init"], check=True,
                       capture_output=True)
        homes.append(other)
    start = time.perf_counter()
    runs = [subprocess.Popen([str(script), "--home", str(h), "outbox", "run"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for h in homes]
    for run in runs:
        if run.wait(timeout=600):
            sys.exit(f"outbox run failed: {run.stderr.read()[-2000:]!r}")
    wall = time.perf_counter() - start
    shown = bench_smtp.pressctl(str(script), home, "mailout", "list", "--json")
    counts = json.loads(shown.stdout)[0]["counts"]
    sent = counts.get("sent", 0)
    assert sent == sum(counts.values()), counts  # everything delivered, once each
    return sent / wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    script = console_script()
    server = postgres_server()
    results: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
            folder = Path(tmp)
            sink = bench_smtp.Sink(folder)
            try:
                results["sqlite, 1 run"] = _deliver(script, folder / "sqlite", sink.port,
                                                    args.messages, args.connections, 1, None)
                for workers in (int(w) for w in args.workers.split(",")):
                    url = server.new_database(f"workers{workers}")
                    results[f"postgresql, {workers} worker(s)"] = _deliver(
                        script, folder / f"pg{workers}", sink.port, args.messages,
                        args.connections, workers, url)
                size = 12_118  # bench_smtp's measured size of the example message
                results["smtp-source -s 4 -d, same size"] = bench_smtp.smtp_source(
                    sink.port, args.messages, size)
            finally:
                sink.stop()
    finally:
        server.stop()
    reference = results["smtp-source -s 4 -d, same size"]
    print(f"machine: {machine()}; {args.messages:,} messages, {args.connections} connections "
          "per worker")
    for name, rate in results.items():
        print(f"{name:<34} {rate:8,.0f} msgs/s   {rate / reference:.2f} of smtp-source")


if __name__ == "__main__":
    main()
