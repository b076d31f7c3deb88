#!/usr/bin/env python3
"""Benchmark `contacts list` and `contacts export` on large books: rows/s to a pipe, and
the peak memory of the whole process tree.

For each book size (bench/gen_contacts.py, then `contacts import`), runs to a real pipe
(`pressctl ... | wc -c`, in bash with pipefail):

* `contacts list` (tab-separated), `contacts list --json`;
* `contacts export --format csv`, `--format csv --excel`, `--format json`, `--format vcard`;

and, in the same run, interleaved with them, the references: `python -c pass` (start-up)
and a bare `sqlite3` dump of the same rows (each contact with its e-mails, phones and
tags, in name order, tab-separated: the cost of reading the book in C, with no phone
formatting). Reported per case: rows/s (contacts / wall seconds), its ratio to the
sqlite3 dump, CPU µs per row (user + sys of the tree), and the tree's peak RSS sampled
every 10 ms (bench/_proc.py); the memory of 300,000 over that of 100,000 says whether
it is flat. With --postgresql the same commands also run on a book on a throw-away
PostgreSQL server (tests/pg_server.py); its server processes are not in the tree.

With --before DIR (a folder holding an earlier ``pressctl`` package, e.g. ``git archive
REV pressctl | tar -x -C DIR``), each SQLite command also runs with that code
(PYTHONPATH=DIR, same venv, same books), interleaved, and the table gives after/before.

    python bench/bench_list.py [--sizes 100000,300000] [--runs 3] [--postgresql]
                               [--before DIR]

Targets (issue 12): >= 50,000 rows/s to a pipe, peak RSS <= 100 MB whatever the size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _proc import console_script, machine, postgres_server, run_measured  # noqa: E402

CASES = {
    "list": ["contacts", "list"],
    "list --json": ["contacts", "list", "--json"],
    "export csv": ["contacts", "export", "--format", "csv"],
    "export csv --excel": ["contacts", "export", "--format", "csv", "--excel"],
    "export json": ["contacts", "export", "--format", "json"],
    "export vcard": ["contacts", "export", "--format", "vcard"],
}
# The rows `contacts list` prints, read by sqlite3 itself: the floor of reading the book.
DUMP = ("SELECT c.id, c.name, c.kind, c.role, coalesce(c.organization, c.outlet), "
        "(SELECT group_concat(address, ', ') FROM contact_emails e WHERE e.contact_id = c.id), "
        "(SELECT group_concat(e164, ', ') FROM contact_phones p WHERE p.contact_id = c.id), "
        "(SELECT group_concat(tag, ',') FROM contact_tags t WHERE t.contact_id = c.id), "
        "c.languages, c.embargo_ok, c.opted_out FROM contacts c ORDER BY c.sort_name, c.id")


def _piped(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run ``argv | wc -c``: (wall seconds, peak tree RSS MiB, CPU seconds of the tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = f"set -o pipefail; {shlex.join(argv)} | wc -c"
    result, wall, peak = run_measured(["bash", "-c", command], env=env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed ({result.returncode}): {result.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, peak["tree_rss"] / 1024, cpu


def _book(script: Path, folder: Path, size: int, env: dict[str, str]) -> int:
    """A home whose book holds ``size`` generated contacts; returns how many it holds."""
    source = folder / f"contacts-{size}.csv"
    if not source.exists():
        subprocess.run([sys.executable, str(HERE / "gen_contacts.py"), str(size), str(source),
                        "--seed", "2", "--invalid-rate", "0"], check=True, capture_output=True)
    home = folder / "home"
    subprocess.run([str(script), "--home", str(home), "init"], env=env, check=True,
                   capture_output=True)
    imported = subprocess.run([str(script), "--home", str(home), "-q", "contacts", "import",
                               str(source), "--skip-invalid", "--rejects",
                               str(folder / "rejects.csv"), "--json"],
                              env=env, capture_output=True, text=True)
    if imported.returncode != 0:
        sys.exit(f"import failed: {imported.stderr[-2000:]}")
    status = subprocess.run([str(script), "--home", str(home), "-q", "db", "status", "--json"],
                            env=env, capture_output=True, text=True, check=True)
    return int(json.loads(status.stdout)["counts"]["contacts"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgresql", action="store_true",
                        help="also on a book on a throw-away PostgreSQL server")
    parser.add_argument("--before", type=Path, default=None,
                        help="a folder with an earlier pressctl package, run interleaved")
    args = parser.parse_args()
    if args.before is not None and not (args.before / "pressctl" / "__init__.py").is_file():
        sys.exit(f"--before {args.before}: no pressctl package in it")
    sizes = [int(s) for s in args.sizes.split(",")]
    script = console_script()
    load = os.getloadavg()
    print(f"machine: {machine()}; load average at start {load[0]:.2f} {load[1]:.2f}",
          flush=True)
    server = postgres_server() if args.postgresql else None
    results: dict[tuple[str, int, str], list[tuple[float, float, float]]] = {}
    counts: dict[tuple[str, int], int] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="pressctl-bench-") as tmp:
            books: list[tuple[str, int, Path, dict[str, str]]] = []
            for backend in ["sqlite"] + (["postgresql"] if server else []):
                for size in sizes:
                    folder = Path(tmp) / f"{backend}-{size}"
                    folder.mkdir()
                    env = dict(os.environ)
                    env.pop("PRESSCTL_DB", None)
                    if server is not None and backend == "postgresql":
                        env["PRESSCTL_DB"] = server.new_database(f"list{size}")
                    counts[backend, size] = _book(script, folder, size, env)
                    books.append((backend, size, folder / "home", env))
                    print(f"{backend} book of {counts[backend, size]:,} contacts ready",
                          flush=True)
            for run in range(args.runs):
                for backend, size, home, env in books:
                    if backend == "sqlite":  # the references, in the same run
                        results.setdefault(("reference", size, "python -c pass"), []).append(
                            _piped([sys.executable, "-c", "pass"]))
                        results.setdefault(("reference", size, "sqlite3 dump"), []).append(
                            _piped(["sqlite3", "-separator", "\t", str(home / "pressctl.db"),
                                    DUMP]))
                    for case, words in CASES.items():
                        argv = [str(script), "--home", str(home), "-q", *words]
                        rows = counts[backend, size]
                        versions = [(backend, env)]
                        if args.before is not None and backend == "sqlite":
                            versions.append(("before", dict(env, PYTHONPATH=str(args.before))))
                        for kind, kind_env in versions:
                            measured = _piped(argv, kind_env)
                            results.setdefault((kind, size, case), []).append(measured)
                            print(f"run {run + 1} {kind} {size:,} {case}: "
                                  f"{rows / measured[0]:,.0f} rows/s, {measured[1]:.0f} MiB",
                                  flush=True)
    finally:
        if server is not None:
            server.stop()
    _report(results, counts, sizes, args.runs)


def _report(results, counts, sizes, runs) -> None:
    load = os.getloadavg()
    print(f"\nmachine: {machine()}; {runs} interleaved runs, medians; "
          f"load average at the end {load[0]:.2f} {load[1]:.2f}")
    print("\n| book | command | rows/s | / sqlite3 dump | CPU µs/row | wall | tree RSS |")
    print("|---|---|---|---|---|---|---|")
    for backend in ("reference", "sqlite", "before", "postgresql"):
        for size in sizes:
            rows = counts.get((backend if backend not in ("reference", "before")
                               else "sqlite", size))
            dump = results.get(("reference", size, "sqlite3 dump"))
            if rows is None or dump is None:
                continue
            dump_rate = rows / statistics.median(w for w, _, _ in dump)
            for (kind, at, case), measured in results.items():
                if kind != backend or at != size:
                    continue
                wall = statistics.median(w for w, _, _ in measured)
                rss = statistics.median(m for _, m, _ in measured)
                cpu = statistics.median(c for _, _, c in measured)
                rate = rows / wall
                ratio = "" if case == "python -c pass" else f"{rate / dump_rate:.2f}"
                per_row = "" if case == "python -c pass" else f"{cpu / rows * 1e6:.1f}"
                shown = "—" if case == "python -c pass" else f"{rate:,.0f}"
                print(f"| {backend} {size:,} | {case} | {shown} | {ratio} | {per_row} | "
                      f"{wall:.2f} s | {rss:.0f} MiB |")
    if any(kind == "before" for kind, _, _ in results):
        print("\nSQLite, after / before (rows/s; peak tree RSS), same run:\n")
        print("| book | command | before | after | after / before |")
        print("|---|---|---|---|---|")
        for (kind, size, case), measured in results.items():
            before = results.get(("before", size, case))
            if kind != "sqlite" or not before:
                continue
            rows = counts["sqlite", size]
            now = rows / statistics.median(w for w, _, _ in measured)
            then = rows / statistics.median(w for w, _, _ in before)
            print(f"| {size:,} | {case} | {then:,.0f}/s, "
                  f"{statistics.median(m for _, m, _ in before):.0f} MiB | {now:,.0f}/s, "
                  f"{statistics.median(m for _, m, _ in measured):.0f} MiB | "
                  f"{now / then:.2f} |")
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        print(f"\nPeak tree RSS at {large:,} / at {small:,} (1.00: flat):")
        for (kind, size, case), measured in results.items():
            if size != large or kind == "reference":
                continue
            other = results.get((kind, small, case))
            if other:
                ratio = statistics.median(m for _, m, _ in measured) / statistics.median(
                    m for _, m, _ in other)
                print(f"- {kind} {case}: {ratio:.2f}")


if __name__ == "__main__":
    main()
