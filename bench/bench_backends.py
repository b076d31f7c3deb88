#!/usr/bin/env python3
"""SQLite and PostgreSQL side by side, in one run: importing contacts and listing a book.

Starts a throw-away PostgreSQL server on this machine (tests/pg_server.py: the same one
the tests use, fsync off), then for each backend, alternately:

* imports N synthetic contacts (bench/gen_contacts.py) with full validation:
  contacts/s and the peak RSS of pressctl's process tree;
* lists a book of M contacts (`contacts list` to /dev/null): rows/s and peak RSS.

The server's own processes are not in pressctl's tree: their memory is not counted, and
their CPU shares the same cores (on 2 cores, a database server next to the client costs
the client some of its CPU; a team's server is another machine).

    python bench/bench_backends.py [--rows 100000] [--list 300000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _proc import console_script, machine, postgres_server, run_measured  # noqa: E402


def _generate(rows: int, path: Path, seed: int) -> None:
    subprocess.run([sys.executable, str(HERE / "gen_contacts.py"), str(rows), str(path),
                    "--seed", str(seed)], check=True, capture_output=True)


def _environment(server, backend: str, name: str) -> dict[str, str]:
    """pressctl's environment for one case: the home's SQLite file, or a new database."""
    env = dict(os.environ)
    env.pop("PRESSCTL_DB", None)
    if backend == "postgresql":
        env["PRESSCTL_DB"] = server.new_database(name)
    return env


def _home(script: Path, folder: Path, env: dict[str, str]) -> None:
    subprocess.run([str(script), "--home", str(folder), "init"], env=env, check=True,
                   capture_output=True)


def _import(script: Path, home: Path, source: Path, env: dict[str, str]):
    result, wall, peak = run_measured(
        [str(script), "--home", str(home), "contacts", "import", str(source),
         "--skip-invalid", "--rejects", str(home / "rejects.csv")], env=env)
    if result.returncode != 0:
        sys.exit(f"import failed ({result.returncode}): {result.stderr[-2000:]}")
    return wall, peak["tree_rss"] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--list", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    script = console_script()
    server = postgres_server()
    try:
        with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
            folder = Path(tmp)
            source, big = folder / "import.csv", folder / "big.csv"
            _generate(args.rows, source, 1)
            _generate(args.list, big, 2)
            imports: dict[str, list[tuple[float, float]]] = {"sqlite": [], "postgresql": []}
            for run in range(args.runs):
                for backend in imports:
                    env = _environment(server, backend, f"import{run}")
                    home = folder / f"{backend}-import-{run}"
                    _home(script, home, env)
                    wall, rss = _import(script, home, source, env)
                    imports[backend].append((args.rows / wall, rss))
                    print(f"import run {run + 1} {backend}: {args.rows / wall:,.0f} contacts/s, "
                          f"tree RSS {rss:.0f} MiB", flush=True)
            lists: dict[str, list[tuple[float, float]]] = {"sqlite": [], "postgresql": []}
            homes = {}
            for backend in lists:
                env = _environment(server, backend, "listing")
                home = folder / f"{backend}-list"
                _home(script, home, env)
                _import(script, home, big, env)
                homes[backend] = (home, env)
            for _run in range(args.runs):
                for backend, (home, env) in homes.items():
                    result, wall, peak = run_measured(
                        [str(script), "--home", str(home), "contacts", "list"], env=env)
                    if result.returncode != 0:
                        sys.exit(f"list failed: {result.stderr[-2000:]}")
                    lists[backend].append((args.list / wall, peak["tree_rss"] / 1024))
    finally:
        server.stop()
    print(f"\nmachine: {machine()}; {args.runs} alternating runs, medians")
    _summary(f"import of {args.rows:,} contacts", imports, "contacts/s")
    _summary(f"contacts list of {args.list:,} contacts", lists, "rows/s")


def _summary(what: str, results: dict[str, list[tuple[float, float]]], unit: str) -> None:
    rates = {b: statistics.median(r for r, _ in runs) for b, runs in results.items()}
    for backend, runs in results.items():
        rss = statistics.median(m for _, m in runs)
        print(f"{what}, {backend}: {rates[backend]:,.0f} {unit}, tree RSS {rss:.0f} MiB")
    print(f"  postgresql / sqlite: {rates['postgresql'] / rates['sqlite']:.2f}")

if __name__ == "__main__":
    main()
